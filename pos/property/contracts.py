"""Purchase contracts (商品房买卖合同): made from an agreement in force, the deposit credited to the
price; the payment schedule (附件四) adds up to the price to the fen; late payment and rescission
terms from the project (第八条); signed → filed online (网签/备案, within the days allowed) →
handed over. The area-difference rule (第十三条) applied to measured areas, and the mortgage plan
shown beside the contract (:mod:`pos.property.mortgage`).

The agreement row is locked while the contract is made (two taps make one contract); each step of
the contract locks the contract row and checks its state again under the lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..audit.services import KIND_LABELS, RECORD_LABELS, record
from ..clock import local_today, to_local
from ..dbtypes import utcnow
from ..errors import Conflict, DomainError, Forbidden, get_or_404
from ..money import FEN, format_money
from ..staff.models import Staff
from ..text import check_text, parse_day, parse_decimal, parse_int, plain
from . import contract_math, escrow, mortgage, services
from .agreements import get_agreement, terms
from .models import CONTRACTED, FILED, SOLD, Project
from .sale_models import (
    CONVERTED,
    DOWN_PAYMENT,
    DRAFT,
    FILED_STATE,
    HANDED_OVER,
    IN_FORCE,
    INSTALMENT,
    LOAN,
    MORTGAGE,
    PRESALE_MODEL,
    SIGNED,
    Agreement,
    Contract,
    ScheduleItem,
)

KIND_LABELS.update({
    "property.contract_cancelled": _l("Purchase contract cancelled (unit returned)"),
    "property.contract_drafted": _l("Purchase contract drafted"),
    "property.contract_signed": _l("Purchase contract signed"),
    "property.contract_filed": _l("Purchase contract filed (online signing)"),
    "property.handed_over": _l("Unit handed over"),
})
RECORD_LABELS.update({"property_contract": _l("Purchase contract")})

STATE_LABELS = {DRAFT: _l("Draft, not signed"), SIGNED: _l("Contracted"), FILED_STATE: _l("Filed"),
                HANDED_OVER: _l("Unit handed over"), "cancelled": _l("Contract cancelled")}
ITEM_KINDS = {DOWN_PAYMENT: _l("Down payment"), INSTALMENT: _l("Instalment"), LOAN: _l("Mortgage loan")}
ITEM_STATES = {"due": _l("To be paid"), "partly paid": _l("Partly paid"), "paid": _l("Paid in full"),
               "overdue": _l("Overdue")}
ITEM_KINDS_ZH = {DOWN_PAYMENT: "首付款", INSTALMENT: "分期房款", LOAN: "按揭贷款"}
MAX_ITEMS = 8
#: the board warns from this day of the filing period
FILING_WARN_DAY = 25


@dataclass
class ItemInput:
    kind: str = ""
    due_date: str = ""
    amount: str = ""
    label: str = ""


@dataclass
class ContractInput:
    items: list[ItemInput] = field(default_factory=list)
    delivery_date: str = ""
    loan_bank: str = ""
    loan_rate: str = ""  # commercial annual rate, per cent
    fund_amount: str = ""
    fund_rate: str = ""
    loan_years: str = ""
    loan_method: str = mortgage.EQUAL_INSTALMENT


def _amount(value, label, field_name) -> Decimal:
    text = plain(value).replace(",", "").replace("，", "").lstrip("￥¥").removesuffix("元")
    if not text:
        raise DomainError(_("%(field)s is required.", field=label), field=field_name)
    return parse_decimal(text, label=label, places=2, minimum=Decimal("-1e12"), maximum=Decimal("1e10"),
                         field=field_name).quantize(FEN)


def _percent(value, field_name) -> int:
    rate = mortgage.parse_percent(value, field=field_name)  # a fraction, e.g. 0.035
    hundredths = rate * 10000
    if hundredths != hundredths.to_integral_value():
        raise DomainError(_("The contract states the rate with at most two decimals of a per cent (e.g. 3.45)."),
                          field=field_name)
    return int(hundredths)


def check_items(items: list[ItemInput], agreement: Agreement, *, today: date) -> list[ScheduleItem]:
    typed = [i for i in items if plain(i.amount) or plain(i.due_date)]
    if not typed:
        raise DomainError(_("The payment schedule has no items."), field="schedule")
    if len(typed) > MAX_ITEMS:
        raise DomainError(_("At most %(n)d items in the payment schedule.", n=MAX_ITEMS), field="schedule")
    out = []
    for n, item in enumerate(typed, start=1):
        kind = plain(item.kind)
        if kind not in ITEM_KINDS:
            raise DomainError(_("Item %(n)d of the schedule: choose down payment, instalment or loan.", n=n),
                              field=f"item_kind_{n - 1}")
        due = parse_day(item.due_date, label=_("Item %(n)d's due date", n=n), field=f"item_due_{n - 1}")
        amount = _amount(item.amount, _("Item %(n)d's amount", n=n), f"item_amount_{n - 1}")
        if amount <= 0:
            raise DomainError(_("Item %(n)d of the schedule must be more than 0.", n=n), field=f"item_amount_{n - 1}")
        label = check_text(item.label, label=_("Item %(n)d's description", n=n), max_len=60) \
            or str(ITEM_KINDS_ZH[kind])
        out.append(ScheduleItem(position=n, kind=kind, label=label, due_date=due, amount=amount))
    contract_math.check_schedule([contract_math.ScheduleItem(i.label, i.due_date, i.amount) for i in out],
                                 agreement.total_price, credited=agreement.deposit, not_before=today)
    loans = [i for i in out if i.kind == LOAN]
    if agreement.payment_method == MORTGAGE and not loans:
        raise DomainError(_("The buyer pays by mortgage: the schedule needs the loan as an item."), field="schedule")
    if agreement.payment_method != MORTGAGE and loans:
        raise DomainError(_("The buyer does not pay by mortgage: the schedule cannot hold a loan."), field="schedule")
    return out


def create_contract(session: Session, agreement_id, data: ContractInput, *, actor: Staff,
                    now: datetime | None = None) -> Contract:
    """Draft the purchase contract from an agreement in force (its deposit paid)."""
    now = now or utcnow()
    today = local_today()
    agreement = get_agreement(session, agreement_id, lock=True)
    if agreement.agent_id != actor.id and not actor.has_role("manager"):
        raise Forbidden(_("This is %(name)s's agreement.", name=agreement.agent.full_name))
    if agreement.state == CONVERTED:
        existing = session.scalar(select(Contract).where(Contract.agreement_id == agreement.id))
        raise Conflict(_("Agreement %(no)s already has contract %(contract)s.", no=agreement.no,
                         contract=existing.no if existing else "?"))
    if agreement.state != IN_FORCE:
        raise DomainError(_("Agreement %(no)s is not in force: its deposit must be paid at the finance desk first.",
                            no=agreement.no))
    if agreement.contract_deadline < today and not actor.has_role("manager"):
        raise Forbidden(_("The agreement's deadline (%(day)s) has passed: only the manager may convert it late.",
                          day=agreement.contract_deadline.isoformat()))
    items = check_items(data.items, agreement, today=today)
    delivery = parse_day(data.delivery_date, label=_("Delivery date"), field="delivery_date")
    if delivery <= today or delivery > today + timedelta(days=3660):
        raise DomainError(_("The delivery date must be after today and within ten years."), field="delivery_date")
    loan_bank = check_text(data.loan_bank, label=_("Lending bank"), max_len=100, field="loan_bank")
    rate = fund_rate = months = fund_amount = method = None
    if agreement.payment_method == MORTGAGE:
        if not loan_bank:
            raise DomainError(_("Name the lending bank."), field="loan_bank")
        loan = sum((i.amount for i in items if i.kind == LOAN), Decimal("0.00"))
        months = mortgage.check_months(parse_int(data.loan_years, label=_("Loan term (years)"), minimum=1,
                                                 maximum=30, field="loan_years") * 12, field="loan_years")
        method = mortgage.check_method(data.loan_method)
        if agreement.loan_type == "combined":
            fund_amount = _amount(data.fund_amount, _("Housing fund part"), "fund_amount")
            if not Decimal("0") < fund_amount < loan:
                raise DomainError(_("The housing fund part must be more than 0 and less than the loan."),
                                  field="fund_amount")
            fund_rate = _percent(data.fund_rate, "fund_rate")
        rate = _percent(data.loan_rate, "loan_rate")
        plan_for(agreement.loan_type, loan, rate, fund_amount, fund_rate, months, method)  # refuses a bad plan
    project = session.scalar(select(Project).where(Project.id == agreement.project_id).with_for_update())
    t = terms(session, project.id)
    seq = (session.scalar(select(func.max(Contract.seq)).where(Contract.project_id == project.id)) or 0) + 1
    contract = Contract(
        no=f"HT-{project.id:02d}-{today.year}-{seq:05d}", project_id=project.id, seq=seq, agreement_id=agreement.id,
        unit_id=agreement.unit_id, model=PRESALE_MODEL, state=DRAFT, pricing_basis=agreement.pricing_basis,
        gross_area=agreement.gross_area, inner_area=agreement.inner_area, unit_price=agreement.unit_price,
        total_price=agreement.total_price, deposit_credited=agreement.deposit, payment_method=agreement.payment_method,
        loan_type=agreement.loan_type, loan_bank=loan_bank, loan_rate_x100=rate, fund_amount=fund_amount,
        fund_rate_x100=fund_rate, loan_months=months, loan_method=method,
        late_fee_per_10000_x100=int(t.late_fee_per_10000 * 100), rescind_after_days=t.rescind_after_days,
        filing_days=t.filing_days, delivery_date=delivery, agent_id=actor.id, created_at=now)
    contract.all_items = items  # the live schedule (``items``) reads them back after the flush
    session.add(contract)
    agreement.state = CONVERTED
    agreement.outcome = contract_math.CONVERTED
    session.flush()
    record(session, "property.contract_drafted", actor=actor, record=contract,
           summary=f"{contract.no} from {agreement.no}: {format_money(contract.total_price)}, "
                   f"{len(items)} schedule items, deposit {format_money(agreement.deposit)} credited")
    return contract


def plan_for(loan_type, loan: Decimal, rate_x100, fund_amount, fund_rate_x100, months, method):
    """The month-by-month plan of the contract's loan (commercial, housing fund or combined)."""
    rate = Decimal(rate_x100) / 10000
    if loan_type == "combined":
        return mortgage.combined_plan(loan - fund_amount, rate, fund_amount, Decimal(fund_rate_x100) / 10000,
                                      months, method)
    return mortgage.plan(loan, rate, months, method)


def contract_plan(contract: Contract):
    if contract.payment_method != MORTGAGE or not contract.loan_months:
        return None
    rows = plan_for(contract.loan_type, contract.loan_amount, contract.loan_rate_x100, contract.fund_amount,
                    contract.fund_rate_x100, contract.loan_months, contract.loan_method)
    return rows, mortgage.totals(rows)


# ------------------------------------------------------------------ the steps
def get_contract(session: Session, contract_id, *, lock: bool = False) -> Contract:
    return get_or_404(session, Contract, contract_id, _("No such contract."), for_update=lock)


def contract_of(session: Session, agreement: Agreement) -> Contract | None:
    return session.scalar(select(Contract).where(Contract.agreement_id == agreement.id))


def _advance(session: Session, contract: Contract, state: str, unit_status: str, kind: str, note: str, *,
             actor: Staff, now: datetime) -> Contract:
    """A contract's next step: the contract and its unit move on together (the unit locked), both
    recorded in the unit's history and the audit log under ``kind``."""
    unit = services._lock(session, contract.unit_id)
    contract.state = state
    services._change(session, unit, unit_status, actor=actor, kind=kind, claim=contract.agreement.claim,
                     note=note, at=now)
    record(session, kind, actor=actor, record=contract, summary=note)
    return contract


def sign_contract(session: Session, contract_id, *, actor: Staff, now: datetime | None = None) -> Contract:
    """The buyers signed: the contract is in force, the unit contracted (已签约)."""
    now = now or utcnow()
    contract = get_contract(session, contract_id, lock=True)
    if contract.state != DRAFT:
        raise Conflict(_("Contract %(no)s is already signed.", no=contract.no))
    contract.signed_at = now
    return _advance(session, contract, SIGNED, CONTRACTED, "property.contract_signed", contract.no,
                    actor=actor, now=now)


def file_contract(session: Session, contract_id, filing_no: str, *, actor: Staff,
                  now: datetime | None = None) -> Contract:
    """Online signing and filing (网签/备案) with the housing authority's filing number."""
    now = now or utcnow()
    number = "".join(plain(filing_no).split()).upper()
    if not 4 <= len(number) <= 40 or not number.isascii() or not all(c.isalnum() or c in "-/()" for c in number):
        raise DomainError(_("A filing number is 4 to 40 letters and digits, as the housing authority gave it."),
                          field="filing_no")
    contract = get_contract(session, contract_id, lock=True)
    if contract.state == DRAFT:
        raise DomainError(_("Contract %(no)s is not signed yet: it cannot be filed.", no=contract.no),
                          field="filing_no")
    if contract.state != SIGNED:
        raise Conflict(_("Contract %(no)s is already filed (%(filing)s).", no=contract.no,
                         filing=contract.filing_no or "—"))
    if session.scalar(select(Contract.id).where(Contract.filing_no == number)):
        raise Conflict(_("Filing number %(no)s belongs to another contract.", no=number), field="filing_no")
    contract.filed_at = now
    contract.filing_no = number
    contract.filed_by_id = actor.id
    return _advance(session, contract, FILED_STATE, FILED, "property.contract_filed", f"{contract.no} {number}",
                    actor=actor, now=now)


def hand_over(session: Session, contract_id, *, actor: Staff, now: datetime | None = None) -> Contract:
    """The keys are handed over (交房): the unit is sold."""
    now = now or utcnow()
    contract = get_contract(session, contract_id, lock=True)
    if contract.state != FILED_STATE:
        raise DomainError(_("Contract %(no)s must be filed before the unit is handed over.", no=contract.no))
    contract.handed_over_at = now
    return _advance(session, contract, HANDED_OVER, SOLD, "property.handed_over", contract.no, actor=actor, now=now)


@dataclass
class FilingCountdown:
    day: int  # the day of the filing period we are on (1 = the day it was signed)
    days_left: int
    warn: bool
    overdue: bool


def filing_countdown(contract: Contract, today: date | None = None) -> FilingCountdown | None:
    """Signed, not yet filed: the days allowed for online signing and filing count down; the board
    warns from day 25 (of 30)."""
    if contract.state != SIGNED or contract.signed_at is None:
        return None
    today = today or local_today()
    day = (today - to_local(contract.signed_at).date()).days + 1
    left = contract.filing_days - day + 1
    warn_from = contract.filing_days - (30 - FILING_WARN_DAY)
    return FilingCountdown(day=day, days_left=left, warn=day >= warn_from, overdue=left <= 0)


def open_filings(session: Session) -> list[tuple[Contract, FilingCountdown]]:
    rows = session.scalars(select(Contract).where(Contract.state == SIGNED).order_by(Contract.signed_at))
    return [(c, filing_countdown(c)) for c in rows]


# ------------------------------------------------------------------ the area difference (第十三条)
def area_settlement(contract: Contract, measured_gross, measured_inner):
    """The area-difference rule applied to the measured areas (an area ≤ 0 is refused)."""
    from .services import parse_area

    gross = parse_area(measured_gross, _("measured gross area")) if plain(measured_gross) else None
    inner = parse_area(measured_inner, _("measured inner area")) if plain(measured_inner) else None
    for value, name in ((gross, "measured_gross"), (inner, "measured_inner")):
        if value is not None and value <= 0:
            raise DomainError(_("A measured area must be more than 0."), field=name)
    return contract_math.area_settlement(
        basis=contract.pricing_basis, unit_price=contract.unit_price,
        contracted_gross=contract.gross_area if gross is not None else None, measured_gross=gross,
        contracted_inner=contract.inner_area if inner is not None else None, measured_inner=inner)


# ------------------------------------------------------------------ the schedule at the finance desk
def _schedule_dues(session: Session, agreement: Agreement) -> list:
    """The signed contract's schedule items as what the finance desk may take (查)."""
    if agreement.state != CONVERTED:
        return []
    contract = contract_of(session, agreement)
    if contract is None or contract.state not in (SIGNED, FILED_STATE, HANDED_OVER):
        return []
    out = []
    for item in contract.items:
        out.append(escrow.Due(item.kind, f"{item.position}. {item.label}", item.amount,
                              escrow.paid_on(session, agreement, item.kind, item.id), schedule_item_id=item.id,
                              due_date=item.due_date))
    return out


escrow.DUE_SOURCES.append(_schedule_dues)


def item_payments(session: Session, item: ScheduleItem) -> list[tuple[date, Decimal]]:
    """The payments on a schedule item as (value date, amount), reversals netted on their day."""
    from .sale_models import EscrowPayment

    rows = session.execute(select(EscrowPayment.value_date, EscrowPayment.amount)
                           .where(EscrowPayment.schedule_item_id == item.id).order_by(EscrowPayment.id)).all()
    return [(d, a) for d, a in rows]


def late_fee_rate(contract: Contract) -> Decimal:
    return (Decimal(contract.late_fee_per_10000_x100) / 100).quantize(FEN)


def payments_by_item(session: Session, item_ids) -> dict[int, list[tuple[date, Decimal]]]:
    """The payments on many schedule items at once (one query): item id → [(value date, amount)]."""
    from .sale_models import EscrowPayment

    out: dict[int, list[tuple[date, Decimal]]] = {}
    ids = list(item_ids)
    if not ids:
        return out
    for item_id, day, amount in session.execute(
            select(EscrowPayment.schedule_item_id, EscrowPayment.value_date, EscrowPayment.amount)
            .where(EscrowPayment.schedule_item_id.in_(ids)).order_by(EscrowPayment.id)):
        out.setdefault(item_id, []).append((day, amount))
    return out


def schedule_states(session: Session, contract: Contract, as_of: date | None = None, *, payments=None):
    """Every schedule item's state on ``as_of``: due, partly paid, paid, overdue with days and the
    late fee accrued to date (GF-2014-0171 第八条). ``payments`` (from :func:`payments_by_item`)
    spares a query per item when many contracts are listed."""
    as_of = as_of or local_today()
    if payments is None:
        payments = payments_by_item(session, [i.id for i in contract.items])
    out = []
    for item in contract.items:
        pays = payments.get(item.id, [])
        positive = [(d, a) for d, a in pays if a > 0]
        reversed_total = -sum((a for _d, a in pays if a < 0), Decimal("0.00"))
        # a reversal cancels the latest payments first
        kept = []
        for d, a in reversed(positive):
            if reversed_total >= a:
                reversed_total -= a
                continue
            kept.append((d, a - reversed_total))
            reversed_total = Decimal("0.00")
        kept.reverse()
        fee = contract_math.late_fee(contract_math.Instalment(item.due_date, item.amount, tuple(kept), item.label),
                                     as_of, per_ten_thousand=late_fee_rate(contract),
                                     rescind_after_days=contract.rescind_after_days)
        out.append((item, fee))
    return out


# ------------------------------------------------------------------ cancellation (退房)
def paid_in(session: Session, contract: Contract) -> Decimal:
    """What the buyer has paid into escrow on the contract's agreement (deposit and schedule items,
    net of reversals; refunds not counted)."""
    from .sale_models import REFUND, EscrowPayment

    value = session.scalar(select(func.sum(EscrowPayment.amount)).where(
        EscrowPayment.agreement_id == contract.agreement_id, EscrowPayment.kind != REFUND))
    return value or Decimal("0.00")


def cancel_contract(session: Session, contract_id, *, actor: Staff, approver: Staff, reason: str, refund=None,
                    lock_days=None, now: datetime | None = None):
    """退房: the manager approves (their PIN checked by the caller); a new record keeps why, what was
    paid and what is refunded (all of it unless the manager says less, e.g. liquidated damages
    kept); the contract is cancelled, its claim ends, the unit is freed or locked for some days."""
    from .models import AVAILABLE, LOCKED
    from .sale_models import CANCELLED, ContractChange

    now = now or utcnow()
    if approver is None or not approver.has_role("manager"):
        raise Forbidden(_("A manager must approve a cancellation with their PIN."))
    reason = check_text(reason, label=_("Reason"), max_len=200, required=True, field="reason")
    days = parse_int(lock_days, label=_("Lock the unit for (days)"), minimum=0, maximum=365, default=0,
                     field="lock_days")
    contract = get_contract(session, contract_id, lock=True)
    if contract.state not in (DRAFT, SIGNED, FILED_STATE):
        raise Conflict(_("Contract %(no)s cannot be cancelled here (it is %(state)s).", no=contract.no,
                         state=STATE_LABELS.get(contract.state, contract.state)))
    paid = paid_in(session, contract)
    amount = paid if plain(refund) == "" or refund is None else _amount(refund, _("Refund"), "refund")
    if amount < 0 or amount > paid:
        raise DomainError(_("The refund must be between 0 and what was paid (%(paid)s).", paid=format_money(paid)),
                          field="refund")
    unit = services._lock(session, contract.unit_id)
    change = ContractChange(contract_id=contract.id, kind="cancel", reason=reason, paid=paid, refund_due=amount,
                            unit_locked_until=local_today() + timedelta(days=days) if days else None,
                            requested_by_id=actor.id, approved_by_id=approver.id, at=now)
    session.add(change)
    contract.state = CANCELLED
    claim = contract.agreement.claim
    if claim.ended_at is None:
        claim.ended_at = now
        claim.end_reason = "cancelled"
        claim.ended_by_id = approver.id
    session.flush()
    unit.sold_total = None
    services._change(session, unit, LOCKED if days else AVAILABLE, actor=approver,
                     kind="property.contract_cancelled", claim=claim, note=f"{contract.no}: {reason}", at=now)
    if days:
        unit.locked_until = change.unit_locked_until
        unit.lock_reason = f"{contract.no} 退房"
    record(session, "property.contract_cancelled", actor=approver, record=contract, reason=reason,
           summary=f"{contract.no}: paid {format_money(paid)}, refund {format_money(amount)}, requested by "
                   f"{actor.full_name}" + (f", unit locked {days} days" if days else ", unit freed"))
    return change
