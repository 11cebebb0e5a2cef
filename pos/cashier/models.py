"""The cashier (收银): shifts, payments under 查、数、验、唱, tenders, cheques, refunds.

Nothing here is edited after the fact: a bounced cheque is a new clearance row
(and the payment is marked reversed by it), a refund is a new refund row.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import Money, Quantity, UTCDateTime, utcnow
from ..extensions import db
from ..sales.models import Voucher, VoucherLine
from ..shop.models import Station
from ..staff.models import Staff

#: the notes and coins the cashier counts (分): ￥100, 50, 20, 10, 5, 1, 0.5, 0.1
DENOMINATIONS = (10000, 5000, 2000, 1000, 500, 100, 50, 10)
TENDER_KINDS = ("cash", "card", "wechat", "alipay", "cheque")


class Shift(db.Model):
    """A cashier's shift at a station (班次): opened with a counted float, closed by
    counting the drawer. One open shift per cashier and per station (database-enforced)."""

    __tablename__ = "shift"
    __table_args__ = (
        Index("uq_shift_open_cashier", "cashier_id", unique=True,
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
        Index("uq_shift_open_station", "station_id", unique=True,
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cashier_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opening_float: Mapped[Decimal] = mapped_column(Money)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expected_cash: Mapped[Decimal | None] = mapped_column(Money)
    counted_cash: Mapped[Decimal | None] = mapped_column(Money)
    over_short: Mapped[Decimal | None] = mapped_column(Money)  # counted − expected
    close_note: Mapped[str] = mapped_column(Text, default="")

    cashier: Mapped[Staff] = relationship(lazy="joined")
    station: Mapped[Station] = relationship(lazy="joined")
    counts: Mapped[list[CashCount]] = relationship(back_populates="shift", order_by="CashCount.denomination.desc()")

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class CashCount(db.Model):
    """Notes and coins counted by denomination: the opening float or the closing drawer."""

    __tablename__ = "cash_count"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id"), index=True)
    stage: Mapped[str] = mapped_column(String(10))  # opening | closing
    denomination: Mapped[int] = mapped_column()  # fen
    count: Mapped[int] = mapped_column()

    shift: Mapped[Shift] = relationship(back_populates="counts")


class Payment(db.Model):
    """Money received against a voucher (收款). ``once_key`` makes a double tap pay once;
    the partial unique index makes a voucher payable once (unless a payment was reversed)."""

    __tablename__ = "payment"
    __table_args__ = (
        Index("uq_payment_live_voucher", "voucher_id", unique=True,
              sqlite_where=text("reversed_at IS NULL AND voucher_id IS NOT NULL"),
              postgresql_where=text("reversed_at IS NULL AND voucher_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    once_key: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20), default="sale")  # sale | deposit | instalment (property)
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id"), index=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id"), index=True)
    cashier_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    amount_due: Mapped[Decimal] = mapped_column(Money)
    received: Mapped[Decimal] = mapped_column(Money)  # all accepted tenders
    change_given: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))  # always cash
    awaiting_clearance: Mapped[bool] = mapped_column(default=False)  # a cheque is part of it
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # set by a bounced cheque's clearance

    voucher: Mapped[Voucher | None] = relationship(lazy="joined")
    shift: Mapped[Shift] = relationship()
    cashier: Mapped[Staff] = relationship(lazy="joined")
    tenders: Mapped[list[Tender]] = relationship(back_populates="payment", lazy="selectin")
    cash_counts: Mapped[list[PaymentCashCount]] = relationship(lazy="selectin")
    rejected_notes: Mapped[list[RejectedNote]] = relationship(back_populates="payment", lazy="selectin")


class Tender(db.Model):
    """One way the customer paid: cash, bank card, WeChat Pay, Alipay or a cheque (支票)."""

    __tablename__ = "tender"
    __table_args__ = (Index("ix_tender_kind", "kind"),)  # the few cheques among many tenders

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    amount: Mapped[Decimal] = mapped_column(Money)
    reference: Mapped[str] = mapped_column(String(64), default="")  # terminal ref, transaction ref, cheque no.
    cheque_bank: Mapped[str] = mapped_column(String(60), default="")
    cheque_drawer: Mapped[str] = mapped_column(String(60), default="")

    payment: Mapped[Payment] = relationship(back_populates="tenders")
    clearances: Mapped[list[ChequeClearance]] = relationship(back_populates="tender", lazy="selectin")

    @property
    def cheque_state(self) -> str | None:
        if self.kind != "cheque":
            return None
        return self.clearances[-1].outcome if self.clearances else "pending"


class PaymentCashCount(db.Model):
    """The notes counted for a cash tender, by denomination (数), before any were rejected."""

    __tablename__ = "payment_cash_count"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), index=True)
    denomination: Mapped[int] = mapped_column()
    count: Mapped[int] = mapped_column()


class RejectedNote(db.Model):
    """A note handed back (验): counterfeit or too damaged (假币、缺角烂钞). Not in the tender."""

    __tablename__ = "rejected_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), index=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id"), index=True)
    denomination: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(12))  # counterfeit | damaged
    serial: Mapped[str] = mapped_column(String(20), default="")

    payment: Mapped[Payment] = relationship(back_populates="rejected_notes")


class ChequeClearance(db.Model):
    """The manager's word on a cheque: the funds arrived (cleared) or it bounced."""

    __tablename__ = "cheque_clearance"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True, unique=True)
    outcome: Mapped[str] = mapped_column(String(10))  # cleared | bounced
    by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(String(200), default="")

    tender: Mapped[Tender] = relationship(back_populates="clearances")
    by: Mapped[Staff] = relationship(lazy="joined")


class Refund(db.Model):
    """Money paid back against a paid voucher, approved by a manager (退款)."""

    __tablename__ = "refund"

    id: Mapped[int] = mapped_column(primary_key=True)
    once_key: Mapped[str] = mapped_column(String(64), unique=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("voucher.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"))
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id"), index=True)
    cashier_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    amount: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[str] = mapped_column(String(10))  # cash | original
    reason: Mapped[str] = mapped_column(String(200))

    voucher: Mapped[Voucher] = relationship(lazy="joined")
    approved_by: Mapped[Staff] = relationship(foreign_keys=[approved_by_id], lazy="joined")
    cashier: Mapped[Staff] = relationship(foreign_keys=[cashier_id], lazy="joined")
    lines: Mapped[list[RefundLine]] = relationship(back_populates="refund", lazy="selectin")


class RefundLine(db.Model):
    __tablename__ = "refund_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refund.id"), index=True)
    voucher_line_id: Mapped[int] = mapped_column(ForeignKey("voucher_line.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    amount: Mapped[Decimal] = mapped_column(Money)

    refund: Mapped[Refund] = relationship(back_populates="lines")
    voucher_line: Mapped[VoucherLine] = relationship(lazy="joined")


class DrawerOpening(db.Model):
    """The cash drawer was kicked open (cash payments, refunds in cash, shift counts).
    ``sent_at``: when the pulse was queued to the station's printer (with the receipt)."""

    __tablename__ = "drawer_opening"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id"), index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refund.id"))
    reason: Mapped[str] = mapped_column(String(20))  # payment | refund | count
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
