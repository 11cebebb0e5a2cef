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

from sqlalchemy import case, func, select, type_coerce
from sqlalchemy.orm import Session, defaultload, lazyload

from ..clock import local_day_bounds, local_today
from ..dbtypes import Money
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


def _capped(got, due):
    """What was collected on one item, never below 0 nor above what was due on it (in SQL)."""
    return type_coerce(case((got < 0, 0), (got > due, due), else_=got), Money())


def collection(session: Session, first: date, last: date) -> Collections:
    """The collection rate for the period [first, last] (shop days), per agent, project and overall.
    Summed in SQL per agent and project: the page reads a few rows, not every item of the period."""
    out = Collections(first=first, last=last)
    start, end = local_day_bounds(first)[0], local_day_bounds(last)[1]
    paid = (select(EscrowPayment.schedule_item_id.label("item_id"), func.sum(EscrowPayment.amount).label("paid"))
            .where(EscrowPayment.schedule_item_id.is_not(None), EscrowPayment.value_date <= last)
            .group_by(EscrowPayment.schedule_item_id).subquery())
    items = (select(Contract.agent_id, Agreement.project_name, func.sum(ScheduleItem.amount),
                    func.sum(_capped(func.coalesce(paid.c.paid, 0), ScheduleItem.amount)))
             .join(Contract, ScheduleItem.contract_id == Contract.id)
             .join(Agreement, Contract.agreement_id == Agreement.id)
             .outerjoin(paid, paid.c.item_id == ScheduleItem.id)
             .where(Contract.state.in_(LIVE_CONTRACTS), ScheduleItem.superseded_at.is_(None),
                    ScheduleItem.due_date >= first, ScheduleItem.due_date <= last)
             .group_by(Contract.agent_id, Agreement.project_name))
    dep_paid = (select(EscrowPayment.agreement_id.label("agreement_id"), func.sum(EscrowPayment.amount).label("paid"))
                .where(EscrowPayment.kind == DEPOSIT, EscrowPayment.value_date <= last,
                       EscrowPayment.agreement_id.is_not(None))
                .group_by(EscrowPayment.agreement_id).subquery())
    deposits = (select(Agreement.agent_id, Agreement.project_name, func.sum(Agreement.deposit),
                       func.sum(_capped(func.coalesce(dep_paid.c.paid, 0), Agreement.deposit)))
                .outerjoin(dep_paid, dep_paid.c.agreement_id == Agreement.id)
                .where(Agreement.created_at >= start, Agreement.created_at < end, Agreement.state != ENDED)
                .group_by(Agreement.agent_id, Agreement.project_name))
    for query in (items, deposits):
        for agent_id, project, due, got in session.execute(query):
            for rate in (out.overall, out.by_agent[agent_id], out.by_project[project]):
                rate.add(due or ZERO, got or ZERO)
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
             .where(Contract.state.in_(LIVE_CONTRACTS), ScheduleItem.superseded_at.is_(None),
                    ScheduleItem.due_date < as_of, ScheduleItem.amount > func.coalesce(paid.c.paid, 0))
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
             .where(Contract.state.in_(LIVE_CONTRACTS), ScheduleItem.superseded_at.is_(None),
                    ScheduleItem.due_date < as_of, ScheduleItem.amount > func.coalesce(paid.c.paid, 0)))
    if agent_id is not None:
        query = query.where(Contract.agent_id == agent_id)
    return session.scalar(query) or 0
