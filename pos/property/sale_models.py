"""Property sales, part 2: subscription agreements (商品房认购书) with their buyers, payments into the
project's escrow account (预售资金监管账户) taken at the finance desk, and each project's terms.

Money is integer fen in the database (:class:`pos.dbtypes.Money`), ``Decimal`` in Python. Nothing
here is edited after the fact: an agreement changes state only forward, a payment is never edited
and a wrong one is reversed by a new payment row pointing at it (negative amount).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..dbtypes import Money, UTCDateTime, utcnow
from ..extensions import db
from .models import Area, Project, Unit, UnitClaim

#: how the buyer will pay (付款方式)
LUMP_SUM = "lump_sum"  # 一次性付款
INSTALMENTS = "instalments"  # 分期付款
MORTGAGE = "mortgage"  # 按揭贷款
PAYMENT_METHODS = (LUMP_SUM, INSTALMENTS, MORTGAGE)
#: the kind of loan for a mortgage
COMMERCIAL = "commercial"  # 商业贷款
FUND = "fund"  # 公积金贷款
COMBINED = "combined"  # 组合贷款
LOAN_TYPES = (COMMERCIAL, FUND, COMBINED)

#: identity documents (证件类型)
RESIDENT_ID = "resident_id"  # 居民身份证
PASSPORT = "passport"  # 护照
HK_MACAO = "hk_macao"  # 港澳居民来往内地通行证
TAIWAN = "taiwan"  # 台湾居民来往大陆通行证
ID_TYPES = (RESIDENT_ID, PASSPORT, HK_MACAO, TAIWAN)

#: agreement states
AWAITING_DEPOSIT = "awaiting_deposit"  # 已签认购书，定金未付清
IN_FORCE = "in_force"  # 定金已付，认购书生效
CONVERTED = "converted"  # 已转签购房合同
ENDED = "ended"  # 已终止（见 outcome）
AGREEMENT_STATES = (AWAITING_DEPOSIT, IN_FORCE, CONVERTED, ENDED)

#: what an escrow payment is for
DEPOSIT = "deposit"  # 定金
DOWN_PAYMENT = "down_payment"  # 首付款
INSTALMENT = "instalment"  # 分期款
LOAN = "loan"  # 按揭贷款放款
REFUND = "refund"  # 退款（定金退还、双倍返还）
QUEUE_FEE = "queue_fee"  # 认筹金
PAYMENT_KINDS = (DEPOSIT, DOWN_PAYMENT, INSTALMENT, LOAN, REFUND, QUEUE_FEE)
#: how the money came in
CARD = "card"  # 刷卡（POS 终端）
TRANSFER = "transfer"  # 银行转账
CASH = "cash"  # 现金（仅当项目允许）
ESCROW_METHODS = (CARD, TRANSFER, CASH)
#: not taken at the desk: a deposit carried from an agreement to the one that replaced it (换房)
CARRY = "carry"


class ProjectTerms(db.Model):
    """A project's settings for part 2 (one row per project; absent means the defaults)."""

    __tablename__ = "property_project_terms"

    project_id: Mapped[int] = mapped_column(ForeignKey("property_project.id"), primary_key=True)
    escrow_cash_allowed: Mapped[bool] = mapped_column(default=False)
    #: the late-payment daily rate 万分之N, N in hundredths (500 = 万分之五)
    late_fee_per_10000_x100: Mapped[int] = mapped_column(default=500)
    rescind_after_days: Mapped[int] = mapped_column(default=90)
    filing_days: Mapped[int] = mapped_column(default=30)
    #: the commission rate on the contract amount, in hundredths of a per cent (50 = 0.50 %)
    commission_rate_x100: Mapped[int] = mapped_column(default=50)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class Agreement(db.Model):
    """A subscription agreement (商品房认购书). The seller's and the unit's data are copied at signing
    so the document never changes when the project's record does. It takes the unit's one live claim."""

    __tablename__ = "property_agreement"
    __table_args__ = (
        UniqueConstraint("no"),
        UniqueConstraint("project_id", "seq"),
        CheckConstraint("deposit > 0 AND deposit * 5 <= total_price", name="deposit_cap"),
        CheckConstraint("total_price > 0", name="price"),
        Index("ix_property_agreement_state_deadline", "state", "contract_deadline"),
        Index("ix_property_agreement_agent", "agent_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[str] = mapped_column(String(30))  # RG-2026-00001
    project_id: Mapped[int] = mapped_column(ForeignKey("property_project.id"))
    seq: Mapped[int]
    unit_id: Mapped[int] = mapped_column(ForeignKey("property_unit.id"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("property_unit_claim.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=AWAITING_DEPOSIT)
    # the seller (出卖人) as at signing
    seller_name: Mapped[str] = mapped_column(String(100))
    seller_licence_no: Mapped[str] = mapped_column(String(60), default="")
    presale_permit_no: Mapped[str] = mapped_column(String(60), default="")
    project_name: Mapped[str] = mapped_column(String(100))
    project_address: Mapped[str] = mapped_column(String(200), default="")
    escrow_bank: Mapped[str] = mapped_column(String(100), default="")
    escrow_account_name: Mapped[str] = mapped_column(String(100), default="")
    escrow_account_no: Mapped[str] = mapped_column(String(40), default="")
    # the unit as at signing
    building_name: Mapped[str] = mapped_column(String(40))
    unit_number: Mapped[str] = mapped_column(String(20))
    layout: Mapped[str] = mapped_column(String(40), default="")
    gross_area: Mapped[Decimal] = mapped_column(Area)
    inner_area: Mapped[Decimal] = mapped_column(Area)
    shared_area: Mapped[Decimal] = mapped_column(Area)
    pricing_basis: Mapped[str] = mapped_column(String(10))
    # the price
    filed_total: Mapped[Decimal] = mapped_column(Money)  # 备案价
    unit_price: Mapped[Decimal] = mapped_column(Money)  # agreed, per m² of the basis (the total per unit)
    total_price: Mapped[Decimal] = mapped_column(Money)  # agreed
    discount: Mapped[Decimal] = mapped_column(Money)  # filed − agreed
    discount_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    deposit: Mapped[Decimal] = mapped_column(Money)  # 定金
    contract_deadline: Mapped[date] = mapped_column(Date)  # 签订买卖合同的期限
    payment_method: Mapped[str] = mapped_column(String(20))
    loan_type: Mapped[str | None] = mapped_column(String(20))
    down_payment_pct: Mapped[int | None]  # planned down payment, whole per cent (mortgage)
    signing_place: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    agent_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    in_force_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(20), default="")  # contract_math.DEPOSIT_OUTCOMES

    unit: Mapped[Unit] = relationship()
    project: Mapped[Project] = relationship()
    claim: Mapped[UnitClaim] = relationship()
    agent = relationship("Staff", foreign_keys=[agent_id], lazy="joined")
    discount_approved_by = relationship("Staff", foreign_keys=[discount_approved_by_id])
    buyers: Mapped[list[AgreementBuyer]] = relationship(back_populates="agreement", order_by="AgreementBuyer.position",
                                                        lazy="selectin")

    @property
    def buyer_names(self) -> str:
        return "、".join(b.name for b in self.buyers)


class AgreementBuyer(db.Model):
    """A buyer (买受人) on an agreement; co-buyers hold shares that add up to 100 %."""

    __tablename__ = "property_agreement_buyer"
    __table_args__ = (UniqueConstraint("agreement_id", "position"),
                      CheckConstraint("share_bp > 0 AND share_bp <= 10000", name="share"))

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("property_agreement.id"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(60))
    id_type: Mapped[str] = mapped_column(String(20), default=RESIDENT_ID)
    id_number: Mapped[str] = mapped_column(String(30))
    phone: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(200))
    share_bp: Mapped[int]  # hundredths of a per cent: 10000 = 100 %

    agreement: Mapped[Agreement] = relationship(back_populates="buyers")

    @property
    def share_pct(self) -> Decimal:
        return (Decimal(self.share_bp) / 100).quantize(Decimal("0.01"))


class EscrowPayment(db.Model):
    """Money into (or, for a refund or a reversal, out of) the project's escrow account, taken at
    the finance desk in a cashier's shift. ``once_key`` makes a double tap pay once. Never edited:
    a reversal is a new row with a negative amount pointing at the one it reverses."""

    __tablename__ = "property_escrow_payment"
    __table_args__ = (
        UniqueConstraint("once_key"),
        UniqueConstraint("receipt_no"),
        Index("uq_property_escrow_reversal", "reverses_id", unique=True,
              sqlite_where=text("reverses_id IS NOT NULL"), postgresql_where=text("reverses_id IS NOT NULL")),
        Index("ix_property_escrow_at", "at"),
        Index("ix_property_escrow_agreement", "agreement_id", "kind"),
        CheckConstraint("amount <> 0", name="amount"),
        CheckConstraint("agreement_id IS NOT NULL OR queue_ticket_id IS NOT NULL", name="paid_for"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    once_key: Mapped[str] = mapped_column(String(64))
    receipt_no: Mapped[str] = mapped_column(String(30))  # SJ-2026-000001
    project_id: Mapped[int] = mapped_column(ForeignKey("property_project.id"))
    #: what it pays: an agreement (deposit, schedule items, refunds) or a queue number (认筹 fee)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("property_agreement.id"))
    queue_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("property_queue_ticket.id"), index=True)
    schedule_item_id: Mapped[int | None] = mapped_column()  # the contract's schedule item (part 3)
    kind: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str] = mapped_column(String(64), default="")  # terminal or bank reference
    value_date: Mapped[date] = mapped_column(Date)  # the day the bank moved the money
    amount: Mapped[Decimal] = mapped_column(Money)  # received > 0; refunded or reversed < 0
    due_before: Mapped[Decimal] = mapped_column(Money)  # what was due on the item when it was taken (查)
    payer: Mapped[str] = mapped_column(String(60), default="")
    escrow_bank: Mapped[str] = mapped_column(String(100), default="")
    escrow_account_name: Mapped[str] = mapped_column(String(100), default="")
    escrow_account_no: Mapped[str] = mapped_column(String(40), default="")
    #: none for a carry-over (a deposit moved to the agreement that replaced it: no money moved)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shift.id"), index=True)
    cashier_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("property_escrow_payment.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reason: Mapped[str] = mapped_column(String(200), default="")

    agreement: Mapped[Agreement | None] = relationship(lazy="joined")
    queue_ticket = relationship("QueueTicket")
    project: Mapped[Project] = relationship()
    cashier = relationship("Staff", foreign_keys=[cashier_id], lazy="joined")
    approved_by = relationship("Staff", foreign_keys=[approved_by_id])
    reverses: Mapped[EscrowPayment | None] = relationship(remote_side=[id])

    @property
    def paid_for(self) -> str:
        """What it pays, as printed: the agreement's number or the queue number."""
        if self.agreement is not None:
            return self.agreement.no
        return f"认筹 No.{self.queue_ticket.number}" if self.queue_ticket is not None else ""

    @property
    def unit_text(self) -> str:
        a = self.agreement
        return f"{a.building_name} {a.unit_number}" if a is not None else ""

    @property
    def payer_default(self) -> str:
        a = self.agreement
        return a.buyer_names if a is not None else (self.queue_ticket.customer_name if self.queue_ticket else "")


#: purchase contract states
DRAFT = "draft"  # 拟定，未签
SIGNED = "contracted"  # 已签约
FILED_STATE = "filed"  # 已网签备案
HANDED_OVER = "handed_over"  # 已交房
CANCELLED = "cancelled"  # 已解除
CONTRACT_STATES = (DRAFT, SIGNED, FILED_STATE, HANDED_OVER, CANCELLED)
#: the model contracts
PRESALE_MODEL = "GF-2014-0171"  # 商品房买卖合同（预售）示范文本
COMPLETED_MODEL = "GF-2014-0172"  # 商品房买卖合同（现售）示范文本


class Contract(db.Model):
    """A purchase contract (商品房买卖合同) made from a subscription agreement, the deposit credited
    to the price. Its payment schedule (附件四) adds up to the price to the fen."""

    __tablename__ = "property_contract"
    __table_args__ = (
        UniqueConstraint("no"),
        UniqueConstraint("project_id", "seq"),
        UniqueConstraint("agreement_id"),
        UniqueConstraint("filing_no"),
        CheckConstraint("total_price > 0 AND deposit_credited >= 0 AND deposit_credited <= total_price",
                        name="price"),
        Index("ix_property_contract_state", "state", "signed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[str] = mapped_column(String(30))
    project_id: Mapped[int] = mapped_column(ForeignKey("property_project.id"))
    seq: Mapped[int]
    agreement_id: Mapped[int] = mapped_column(ForeignKey("property_agreement.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("property_unit.id"), index=True)
    model: Mapped[str] = mapped_column(String(20), default=PRESALE_MODEL)
    state: Mapped[str] = mapped_column(String(20), default=DRAFT)
    pricing_basis: Mapped[str] = mapped_column(String(10))
    gross_area: Mapped[Decimal] = mapped_column(Area)
    inner_area: Mapped[Decimal] = mapped_column(Area)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    total_price: Mapped[Decimal] = mapped_column(Money)
    deposit_credited: Mapped[Decimal] = mapped_column(Money)
    payment_method: Mapped[str] = mapped_column(String(20))
    loan_type: Mapped[str | None] = mapped_column(String(20))
    loan_bank: Mapped[str] = mapped_column(String(100), default="")
    #: the mortgage plan shown beside the contract: annual rates in hundredths of a per cent (350 = 3.50 %)
    loan_rate_x100: Mapped[int | None]
    fund_amount: Mapped[Decimal | None] = mapped_column(Money)
    fund_rate_x100: Mapped[int | None]
    loan_months: Mapped[int | None]
    loan_method: Mapped[str | None] = mapped_column(String(20))
    late_fee_per_10000_x100: Mapped[int]
    rescind_after_days: Mapped[int]
    filing_days: Mapped[int]
    delivery_date: Mapped[date] = mapped_column(Date)
    agent_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    filing_no: Mapped[str | None] = mapped_column(String(40))
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agreement: Mapped[Agreement] = relationship(lazy="joined")
    unit: Mapped[Unit] = relationship()
    agent = relationship("Staff", foreign_keys=[agent_id], lazy="joined")
    #: the schedule in force: its live items (a price change supersedes an item, never deletes it)
    items: Mapped[list[ScheduleItem]] = relationship(
        primaryjoin="and_(Contract.id == ScheduleItem.contract_id, ScheduleItem.superseded_at.is_(None))",
        order_by="ScheduleItem.position", lazy="selectin", viewonly=True)
    #: every item ever on the schedule, superseded ones too (the history; the one relationship that writes)
    all_items: Mapped[list[ScheduleItem]] = relationship(back_populates="contract",
                                                         order_by="[ScheduleItem.position, ScheduleItem.id]")

    @property
    def loan_amount(self) -> Decimal:
        return sum((i.amount for i in self.items if i.kind == LOAN), Decimal("0.00"))


class ScheduleItem(db.Model):
    """One line of the payment schedule (附件四): down payment, an instalment or the mortgage loan.

    Never deleted nor edited: a contract's price change (:class:`ContractChange`) marks the item it
    replaces superseded (once: ``superseded_by_change_id`` and ``superseded_at``) and adds a new row
    at the same position (``made_by_change_id``). One live item per position (a partial unique
    index); every reader of "the schedule" reads the live items (``Contract.items``)."""

    __tablename__ = "property_schedule_item"
    __table_args__ = (
        Index("uq_property_schedule_item_live", "contract_id", "position", unique=True,
              sqlite_where=text("superseded_at IS NULL"), postgresql_where=text("superseded_at IS NULL")),
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint("(superseded_at IS NULL AND superseded_by_change_id IS NULL) OR "
                        "(superseded_at IS NOT NULL AND superseded_by_change_id IS NOT NULL)", name="superseded"),
        Index("ix_property_schedule_due", "due_date"),
        Index("ix_property_schedule_item_contract", "contract_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("property_contract.id"))
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))  # down_payment | instalment | loan
    label: Mapped[str] = mapped_column(String(60))
    due_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    #: the price change that replaced this item (set once, with ``superseded_at``); none while live
    superseded_by_change_id: Mapped[int | None] = mapped_column(ForeignKey("property_contract_change.id"))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the price change that made this item (none for an item of the schedule as drafted)
    made_by_change_id: Mapped[int | None] = mapped_column(ForeignKey("property_contract_change.id"))

    contract: Mapped[Contract] = relationship(back_populates="all_items")

    @property
    def live(self) -> bool:
        return self.superseded_at is None

    @validates("superseded_at", "superseded_by_change_id", "made_by_change_id")
    def _set_once(self, key, value):
        if getattr(self, key) is not None and value != getattr(self, key):
            raise ValueError(f"property_schedule_item.{key} is set once")
        return value


class AgreementOutcome(db.Model):
    """How an agreement that will not (or not in time) become a contract ended, as the manager ruled:
    buyer withdrew (deposit forfeited), seller withdrew (deposit refunded double), no fault (refunded).
    The refund due is paid out at the finance desk (an escrow payment of kind ``refund``)."""

    __tablename__ = "property_agreement_outcome"
    __table_args__ = (UniqueConstraint("agreement_id"),
                      CheckConstraint("deposit_paid >= 0 AND refund_due >= 0 AND kept_by_seller >= 0",
                                      name="amounts"))

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("property_agreement.id"))
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(200))
    deposit_paid: Mapped[Decimal] = mapped_column(Money)
    refund_due: Mapped[Decimal] = mapped_column(Money)
    kept_by_seller: Mapped[Decimal] = mapped_column(Money)
    unit_locked_until: Mapped[date | None] = mapped_column(Date)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agreement: Mapped[Agreement] = relationship()
    decided_by = relationship("Staff")


class AgentPay(db.Model):
    """An agent's monthly base pay (底薪): the base of collision deductions (撞单扣罚)."""

    __tablename__ = "property_agent_pay"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    base_pay: Mapped[Decimal] = mapped_column(Money)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommissionMonth(db.Model):
    """A month of sales commission (售房激励金) approved by the manager: its lines are frozen."""

    __tablename__ = "property_commission_month"
    __table_args__ = (UniqueConstraint("month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # 2026-11
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    approved_by = relationship("Staff")
    lines: Mapped[list[CommissionLine]] = relationship(back_populates="month_row", order_by="CommissionLine.id",
                                                       lazy="selectin")


class CommissionLine(db.Model):
    """One line of an agent's commission: a contract's share earned by collection, or a deduction."""

    __tablename__ = "property_commission_line"
    __table_args__ = (Index("ix_property_commission_line_agent", "agent_id", "contract_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month_id: Mapped[int] = mapped_column(ForeignKey("property_commission_month.id"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    kind: Mapped[str] = mapped_column(String(20))  # commission | deduction
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("property_contract.id"))
    description: Mapped[str] = mapped_column(String(200))
    base: Mapped[Decimal] = mapped_column(Money)  # contract amount, or base pay
    amount: Mapped[Decimal] = mapped_column(Money)  # + earned, − deducted

    month_row: Mapped[CommissionMonth] = relationship(back_populates="lines")


class ContractChange(db.Model):
    """A change to a signed contract approved by the manager, as a new record (never an edit of the
    contract's terms): a cancellation (退房) with the refund due and the unit freed or locked."""

    __tablename__ = "property_contract_change"
    __table_args__ = (CheckConstraint("refund_due >= 0 AND paid >= refund_due", name="refund"),
                      Index("ix_property_contract_change_contract", "contract_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("property_contract.id"))
    kind: Mapped[str] = mapped_column(String(20), default="cancel")  # cancel | price
    reason: Mapped[str] = mapped_column(String(200))
    paid: Mapped[Decimal] = mapped_column(Money)  # what the buyer had paid into escrow
    #: a price change: the price before and after, and the schedule it replaced (one line per item)
    old_total: Mapped[Decimal | None] = mapped_column(Money)
    new_total: Mapped[Decimal | None] = mapped_column(Money)
    schedule_before: Mapped[str | None] = mapped_column(Text)
    refund_due: Mapped[Decimal] = mapped_column(Money)
    unit_locked_until: Mapped[date | None] = mapped_column(Date)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contract: Mapped[Contract] = relationship()
    approved_by = relationship("Staff", foreign_keys=[approved_by_id])
from . import changes_models as _changes_models  # noqa: E402,F401  (its tables load with these)
