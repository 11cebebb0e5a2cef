"""The customer file's timeline entries from the sales office: unit holds and agreements
(registered with pos.customers.timeline)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..customers.credit import register_open_credit_source
from ..customers.timeline import Entry, register_timeline_source
from .models import Unit, UnitClaim
from .sale_models import Agreement


@register_timeline_source
def units_and_agreements(session: Session, customer_id: int):
    for claim, unit in session.execute(select(UnitClaim, Unit).join(Unit, Unit.id == UnitClaim.unit_id)
                                       .where(UnitClaim.customer_id == customer_id)):
        yield Entry(at=claim.created_at, kind="unit", title=str(_l("Property unit")) + f" {unit.number}",
                    detail=" · ".join(x for x in (claim.kind, claim.end_reason) if x))
    for a in session.scalars(select(Agreement).where(Agreement.customer_id == customer_id)):
        yield Entry(at=a.created_at, kind="unit", title=str(_l("Agreement")) + f" {a.no}",
                    detail=f"{a.building_name} {a.unit_number} · {a.state}", amount=a.total_price)


def _unpaid_instalments_due(session: Session, customer_id: int):
    """Open credit from the sales office: schedule items (not the bank's loan) of the customer's live
    contracts that are due and not paid in full (what is still owed on each)."""
    from sqlalchemy import func

    from ..clock import local_today
    from .collections import LIVE_CONTRACTS
    from .sale_models import Contract, EscrowPayment, ScheduleItem

    paid = (select(EscrowPayment.schedule_item_id.label("item_id"), func.sum(EscrowPayment.amount).label("paid"))
            .where(EscrowPayment.schedule_item_id.is_not(None)).group_by(EscrowPayment.schedule_item_id).subquery())
    rows = session.execute(
        select(ScheduleItem, Contract, paid.c.paid).join(Contract, ScheduleItem.contract_id == Contract.id)
        .join(Agreement, Agreement.id == Contract.agreement_id).outerjoin(paid, paid.c.item_id == ScheduleItem.id)
        .where(Agreement.customer_id == customer_id, Contract.state.in_(LIVE_CONTRACTS),
               ScheduleItem.superseded_at.is_(None), ScheduleItem.kind != "loan",
               ScheduleItem.due_date <= local_today(),
               ScheduleItem.amount > func.coalesce(paid.c.paid, 0))).all()
    out = []
    for item, contract, paid_fen in rows:
        already = paid_fen if isinstance(paid_fen, Decimal) else Decimal(paid_fen or 0) / 100
        out.append((f"{contract.no} {item.label}", item.amount - already))
    return out


register_open_credit_source(_unpaid_instalments_due)
