"""Collections (房款回收): what was due in a period and how much of it came in, per agent, per project
and overall (回款率 = collected ÷ due); the overdue items with their days and the late fee accrued.

What is due: each signed contract's schedule items (附件四) falling due in the period, and each
agreement's deposit signed in the period (agreements that ended are left out). What is collected:
the escrow payments on them (net of reversals) received by the end of the period, never counted
above what was due on the item.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defaultload, lazyload

from ..clock import local_day_bounds, local_today
from . import contract_math, contracts
from .sale_models import (
    DEPOSIT,
    ENDED,
    FILED_STATE,
    HANDED_OVER,
    SIGNED,
    Agreement,
    Contract,
    EscrowPayment,
    ScheduleItem,
)

ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
LIVE_CONTRACTS = (SIGNED, FILED_STATE, HANDED_OVER)


@dataclass
class Rate:
    due: Decimal = ZERO
    collected: Decimal = ZERO

    def add(self, due: Decimal, collected: Decimal) -> None:
        self.due += due
        self.collected += min(collected, due)

    @property
    def rate(self) -> Decimal | None:
        """回款率 in per cent (one decimal); None when nothing was due."""
        return (self.collected * HUNDRED / self.due).quantize(Decimal("0.1")) if self.due else None

    @property
    def outstanding(self) -> Decimal:
        return self.due - self.collected


@dataclass
class Collections:
    first: date
    last: date
    overall: Rate = field(default_factory=Rate)
    by_agent: dict = field(default_factory=lambda: defaultdict(Rate))  # agent id → Rate
    by_project: dict = field(default_factory=lambda: defaultdict(Rate))  # project name → Rate
    agent_names: dict = field(default_factory=dict)


def collection(session: Session, first: date, last: date) -> Collections:
    """The collection rate for the period [first, last] (shop days), per agent, project and overall."""
    out = Collections(first=first, last=last)
    _start, end = local_day_bounds(last)
    items = session.execute(
        select(ScheduleItem.id, ScheduleItem.amount, Contract.agent_id, Agreement.project_name)
        .join(Contract, ScheduleItem.contract_id == Contract.id).join(Agreement, Contract.agreement_id == Agreement.id)
        .where(Contract.state.in_(LIVE_CONTRACTS), ScheduleItem.due_date >= first, ScheduleItem.due_date <= last)
    ).all()
    paid = {}
    if items:
        paid = dict(session.execute(
            select(EscrowPayment.schedule_item_id, func.sum(EscrowPayment.amount))
            .where(EscrowPayment.schedule_item_id.in_([i.id for i in items]), EscrowPayment.value_date <= last)
            .group_by(EscrowPayment.schedule_item_id)).all())
    for item_id, amount, agent_id, project in items:
        got = max(paid.get(item_id) or ZERO, ZERO)
        for rate in (out.overall, out.by_agent[agent_id], out.by_project[project]):
            rate.add(amount, got)
    start, _end = local_day_bounds(first)
    deposits = session.execute(
        select(Agreement.id, Agreement.deposit, Agreement.agent_id, Agreement.project_name)
        .where(Agreement.created_at >= start, Agreement.created_at < end, Agreement.state != ENDED)).all()
    if deposits:
        dep_paid = dict(session.execute(
            select(EscrowPayment.agreement_id, func.sum(EscrowPayment.amount))
            .where(EscrowPayment.agreement_id.in_([d.id for d in deposits]), EscrowPayment.kind == DEPOSIT,
                   EscrowPayment.value_date <= last)
            .group_by(EscrowPayment.agreement_id)).all())
        for agreement_id, deposit, agent_id, project in deposits:
            got = max(dep_paid.get(agreement_id) or ZERO, ZERO)
            for rate in (out.overall, out.by_agent[agent_id], out.by_project[project]):
                rate.add(deposit, got)
    if out.by_agent:
        from ..staff.models import Staff

        out.agent_names = dict(session.execute(select(Staff.id, Staff.full_name)
                                               .where(Staff.id.in_(list(out.by_agent)))).all())
    return out


def by_agent(session: Session, first: date, last: date) -> dict[int, tuple[Decimal, Decimal]]:
    """Per agent: (due, collected) in the period — for the quota board's collection rate."""
    return {agent: (rate.due, rate.collected) for agent, rate in collection(session, first, last).by_agent.items()}


@dataclass
class Overdue:
    contract: Contract
    item: ScheduleItem
    fee: contract_math.LateFee


def overdue(session: Session, as_of: date | None = None, *, agent_id: int | None = None,
            limit: int = 50) -> list[Overdue]:
    """The schedule items past their due date and not paid in full (found in SQL), oldest first, at
    most ``limit``, each with its days and the late fee to date."""
    as_of = as_of or local_today()
    paid = (select(EscrowPayment.schedule_item_id.label("item_id"), func.sum(EscrowPayment.amount).label("paid"))
            .where(EscrowPayment.schedule_item_id.is_not(None)).group_by(EscrowPayment.schedule_item_id).subquery())
    query = (select(ScheduleItem, Contract).join(Contract, ScheduleItem.contract_id == Contract.id)
             .outerjoin(paid, paid.c.item_id == ScheduleItem.id)
             .where(Contract.state.in_(LIVE_CONTRACTS), ScheduleItem.due_date < as_of,
                    ScheduleItem.amount > func.coalesce(paid.c.paid, 0))
             .order_by(ScheduleItem.due_date, ScheduleItem.id).limit(limit)
             # only what the list shows: no schedule of every contract, no buyers of every agreement
             .options(lazyload(Contract.items), defaultload(Contract.agreement).lazyload(Agreement.buyers)))
    if agent_id is not None:
        query = query.where(Contract.agent_id == agent_id)
    rows = session.execute(query).all()
    payments = contracts.payments_by_item(session, [item.id for item, _c in rows])
    out = []
    for item, contract in rows:
        fee = contract_math.late_fee(
            contract_math.Instalment(item.due_date, item.amount, tuple(payments.get(item.id, [])), item.label),
            as_of, per_ten_thousand=contracts.late_fee_rate(contract), rescind_after_days=contract.rescind_after_days)
        if fee.state == "overdue":
            out.append(Overdue(contract, item, fee))
    return out


def overdue_count(session: Session, as_of: date | None = None, *, agent_id: int | None = None) -> int:
    as_of = as_of or local_today()
    paid = (select(EscrowPayment.schedule_item_id.label("item_id"), func.sum(EscrowPayment.amount).label("paid"))
            .where(EscrowPayment.schedule_item_id.is_not(None)).group_by(EscrowPayment.schedule_item_id).subquery())
    query = (select(func.count(ScheduleItem.id)).join(Contract, ScheduleItem.contract_id == Contract.id)
             .outerjoin(paid, paid.c.item_id == ScheduleItem.id)
             .where(Contract.state.in_(LIVE_CONTRACTS), ScheduleItem.due_date < as_of,
                    ScheduleItem.amount > func.coalesce(paid.c.paid, 0)))
    if agent_id is not None:
        query = query.where(Contract.agent_id == agent_id)
    return session.scalar(query) or 0
