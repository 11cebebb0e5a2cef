"""Sales commission (售房激励金) per agent and month.

The rule, per project (its terms): a rate on the contract amount, paid in proportion to what has
been collected — on each signed contract the agent has earned ``rate × price × collected ÷ price``
by the end of the month (collected = the deposit credited and the schedule payments received, net
of reversals); a month pays what was earned to its end less what earlier approved months paid.
Collision deductions (撞单扣罚, part 1): each ruling in the month takes its percentage of the agent's
base pay. A month's report is computed on demand until the manager approves it; then its lines are
stored and frozen (a second approval is refused), and later months build on them.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..audit.services import KIND_LABELS, record
from ..clock import local_day_bounds, local_today
from ..dbtypes import utcnow
from ..errors import Conflict, DomainError, Forbidden
from ..money import FEN, format_money
from ..staff.models import Staff
from ..text import parse_decimal, plain
from .agreements import terms
from .sale_models import (
    DEPOSIT,
    FILED_STATE,
    HANDED_OVER,
    SIGNED,
    AgentPay,
    CommissionLine,
    CommissionMonth,
    Contract,
    EscrowPayment,
)

KIND_LABELS.update({"property.commission_approved": _l("Sales commission month approved"),
                    "property.base_pay_set": _l("Agent's base pay set")})

ZERO = Decimal("0.00")
LIVE = (SIGNED, FILED_STATE, HANDED_OVER)
#: a cancelled contract's commission paid in approved months, taken back (a negative line) in the
#: next month still open — never by editing a frozen month
CLAWBACK = "clawback"


@dataclass
class Line:
    kind: str  # commission | deduction
    description: str
    base: Decimal
    amount: Decimal
    contract_id: int | None = None


@dataclass
class AgentMonth:
    agent: Staff
    lines: list[Line] = field(default_factory=list)

    @property
    def earned(self) -> Decimal:
        return sum((line.amount for line in self.lines if line.kind == "commission"), ZERO)

    @property
    def deducted(self) -> Decimal:
        return -sum((line.amount for line in self.lines if line.kind == "deduction"), ZERO)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


@dataclass
class Report:
    month: str
    first: date
    last: date
    agents: list[AgentMonth]
    approved: CommissionMonth | None
    deductions_available: bool = True

    @property
    def total(self) -> Decimal:
        return sum((a.total for a in self.agents), ZERO)


def parse_month(raw) -> tuple[str, date, date]:
    text = plain(raw)
    if not text:
        today = local_today()
        text = f"{today.year:04d}-{today.month:02d}"
    try:
        year, month = (int(p) for p in text.split("-"))
        first = date(year, month, 1)
    except (ValueError, TypeError):
        raise DomainError(_("Not a month: %(value)s (use YYYY-MM).", value=text[:10]), field="month") from None
    if not 2000 <= year <= 2100:
        raise DomainError(_("Not a month: %(value)s (use YYYY-MM).", value=text[:10]), field="month")
    return f"{year:04d}-{month:02d}", first, date(year, month, calendar.monthrange(year, month)[1])


def _collected(session: Session, contract: Contract, last: date) -> Decimal:
    """The deposit credited (if paid by then) and the schedule payments received by ``last``."""
    items = [i.id for i in contract.items]
    paid = session.scalar(select(func.sum(EscrowPayment.amount)).where(
        EscrowPayment.schedule_item_id.in_(items), EscrowPayment.value_date <= last)) if items else None
    deposit = session.scalar(select(func.sum(EscrowPayment.amount)).where(
        EscrowPayment.agreement_id == contract.agreement_id, EscrowPayment.kind == DEPOSIT,
        EscrowPayment.value_date <= last))
    return min((paid or ZERO) + min(deposit or ZERO, contract.deposit_credited), contract.total_price)


def _paid_before(session: Session, month: str) -> dict[int, Decimal]:
    """Per contract: the commission approved months before ``month`` already paid."""
    rows = session.execute(select(CommissionLine.contract_id, func.sum(CommissionLine.amount))
                           .join(CommissionMonth, CommissionLine.month_id == CommissionMonth.id)
                           .where(CommissionMonth.month < month, CommissionLine.kind.in_(("commission", CLAWBACK)))
                           .group_by(CommissionLine.contract_id)).all()
    return {contract_id: amount or ZERO for contract_id, amount in rows}


def base_pay(session: Session, staff_id: int) -> Decimal:
    row = session.get(AgentPay, staff_id)
    return row.base_pay if row else ZERO


def set_base_pay(session: Session, staff_id: int, amount, *, manager: Staff) -> AgentPay:
    if not manager.has_role("manager"):
        raise Forbidden(_("Only the sales manager may do this."))
    value = parse_decimal(plain(amount).replace(",", ""), label=_("Base pay"), places=2, maximum=Decimal("1000000"),
                          field="base_pay").quantize(FEN)
    row = session.get(AgentPay, staff_id, with_for_update=True)
    if row is None:
        row = AgentPay(staff_id=staff_id, base_pay=value, updated_by_id=manager.id)
        session.add(row)
    else:
        row.base_pay, row.updated_by_id, row.updated_at = value, manager.id, utcnow()
    session.flush()
    record(session, "property.base_pay_set", actor=manager, summary=f"staff {staff_id}: {format_money(value)}")
    return row


def _deductions(session: Session, first: date, last: date) -> tuple[dict[int, int], bool]:
    """Per agent: the collision deduction percentages ruled in the month (part 1's rulings)."""
    try:
        from ..customers import ownership
    except ImportError:  # part 1's collisions are not there: nothing to deduct, and the report says so
        return {}, False
    start, _end = local_day_bounds(first)
    _start, end = local_day_bounds(last)
    return ownership.collision_deductions(session, start, end), True


def compute(session: Session, month_raw) -> Report:
    """The month's commission per agent with the lines that make it (stored lines once approved)."""
    month, first, last = parse_month(month_raw)
    approved = session.scalar(select(CommissionMonth).where(CommissionMonth.month == month))
    if approved is not None:
        by_agent: dict[int, AgentMonth] = {}
        for line in approved.lines:
            agent = by_agent.setdefault(line.agent_id, AgentMonth(session.get(Staff, line.agent_id)))
            agent.lines.append(Line(line.kind, line.description, line.base, line.amount, line.contract_id))
        return Report(month, first, last, sorted(by_agent.values(), key=lambda a: a.agent.staff_no), approved)
    _start, end = local_day_bounds(last)
    paid_before = _paid_before(session, month)
    by_agent = {}
    contracts = session.scalars(select(Contract).where(Contract.state.in_(LIVE), Contract.signed_at < end)
                                .order_by(Contract.id))
    rates: dict[int, Decimal] = {}
    for contract in contracts:
        if contract.project_id not in rates:
            rates[contract.project_id] = terms(session, contract.project_id).commission_rate_pct
        rate = rates[contract.project_id]
        collected = _collected(session, contract, last)
        earned = (contract.total_price * rate / 100 * collected / contract.total_price).quantize(
            FEN, rounding=ROUND_HALF_UP)
        amount = earned - paid_before.get(contract.id, ZERO)
        if amount == 0:
            continue
        a = contract.agreement
        agent = by_agent.setdefault(contract.agent_id, AgentMonth(contract.agent))
        agent.lines.append(Line("commission", f"{contract.no} {a.building_name} {a.unit_number}：{rate}% × "
                                              f"{format_money(contract.total_price)} × 回款 {format_money(collected)}",
                                contract.total_price, amount, contract.id))
    for contract, cancelled_at in _cancelled_by(session, end):
        paid = paid_before.get(contract.id, ZERO)
        if paid <= 0:
            continue
        a = contract.agreement
        agent = by_agent.setdefault(contract.agent_id, AgentMonth(contract.agent))
        agent.lines.append(Line(CLAWBACK, f"{contract.no} {a.building_name} {a.unit_number}：退房追回已发激励金 "
                                          f"{format_money(paid)}（{cancelled_at:%Y-%m-%d} 退房）",
                                contract.total_price, -paid, contract.id))
    deductions, available = _deductions(session, first, last)
    for staff_id, pct in deductions.items():
        pay = base_pay(session, staff_id)
        agent = by_agent.setdefault(staff_id, AgentMonth(session.get(Staff, staff_id)))
        agent.lines.append(Line("deduction", f"撞单扣罚 {pct}% × 底薪 {format_money(pay)}", pay,
                                -(pay * pct / 100).quantize(FEN, rounding=ROUND_HALF_UP)))
    agents = sorted(by_agent.values(), key=lambda a: a.agent.staff_no)
    return Report(month, first, last, agents, None, deductions_available=available)


def _cancelled_by(session: Session, end) -> list:
    """Contracts cancelled (退房) before ``end``, with when."""
    from .sale_models import CANCELLED, ContractChange

    rows = session.execute(select(Contract, func.min(ContractChange.at)).join(
        ContractChange, ContractChange.contract_id == Contract.id)
        .where(Contract.state == CANCELLED, ContractChange.kind == "cancel", ContractChange.at < end)
        .group_by(Contract.id).order_by(Contract.id)).all()
    return [(c, at) for c, at in rows]


def approve(session: Session, month_raw, *, manager: Staff) -> CommissionMonth:
    """The manager approves the month: its lines are stored and frozen."""
    if not manager.has_role("manager"):
        raise Forbidden(_("Only the sales manager may do this."))
    month, _first, last = parse_month(month_raw)
    if last >= local_today():
        raise DomainError(_("%(month)s is not over yet: approve it once it has ended.", month=month), field="month")
    existing = session.scalar(select(CommissionMonth).where(CommissionMonth.month == month).with_for_update())
    if existing is not None:
        raise Conflict(_("%(month)s was already approved by %(name)s.", month=month,
                         name=existing.approved_by.full_name))
    later = session.scalar(select(CommissionMonth.month).where(CommissionMonth.month > month).limit(1))
    if later is not None:
        raise Conflict(_("A later month (%(later)s) is already approved: months are approved in order.",
                         later=later))
    report = compute(session, month)
    row = CommissionMonth(month=month, approved_by_id=manager.id, approved_at=utcnow())
    for agent in report.agents:
        for line in agent.lines:
            row.lines.append(CommissionLine(agent_id=agent.agent.id, kind=line.kind, contract_id=line.contract_id,
                                            description=line.description[:200], base=line.base, amount=line.amount))
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(_("%(month)s was just approved by someone else.", month=month)) from None
    record(session, "property.commission_approved", actor=manager, record=row,
           summary=f"{month}: {len(report.agents)} agents, {format_money(report.total)}")
    return row


def workbook(report: Report):
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = report.month
    sheet.append(["月份", report.month, "状态", "已审批" if report.approved else "草稿（未审批）"])
    sheet.append(["工号", "置业顾问", "类别", "说明", "基数（元）", "金额（元）"])
    for agent in report.agents:
        for line in agent.lines:
            kind = {"commission": "激励金", CLAWBACK: "退房追回"}.get(line.kind, "扣罚")
            sheet.append([agent.agent.staff_no, agent.agent.full_name, kind, line.description, line.base,
                          line.amount])
        sheet.append([agent.agent.staff_no, agent.agent.full_name, "合计", "", None, agent.total])
    sheet.append(["", "", "总计", "", None, report.total])
    for row in sheet.iter_rows(min_row=3, min_col=5, max_col=6):
        for cell in row:
            cell.number_format = "#,##0.00"
    stream = BytesIO()
    book.save(stream)
    stream.seek(0)
    return stream
