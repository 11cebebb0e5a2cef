"""The customer file's timeline entries from the sales office: unit holds and agreements
(registered with pos.customers.timeline)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

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
