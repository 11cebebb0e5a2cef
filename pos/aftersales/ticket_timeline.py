"""The customer file's timeline entries from after-sales: tickets opened and closed (registered with
pos.customers.timeline)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..customers.timeline import Entry, register_timeline_source
from .models import Ticket
from .tickets import KIND_NAMES, STATE_NAMES


@register_timeline_source
def tickets(session: Session, customer_id: int):
    for t in session.scalars(select(Ticket).where(Ticket.customer_id == customer_id)):
        yield Entry(at=t.opened_at, kind="ticket", title=str(_l("After-sales ticket")) + f" {t.no}",
                    detail=" · ".join(x for x in (str(KIND_NAMES.get(t.kind, t.kind)),
                                                  str(STATE_NAMES.get(t.state, t.state)), t.description[:80]) if x),
                    endpoint="aftersales.ticket", args={"ticket_id": t.id})
        if t.closed_at is not None:
            yield Entry(at=t.closed_at, kind="ticket", title=str(STATE_NAMES.get(t.state, t.state)) + f" {t.no}",
                        detail=t.resolution[:120], endpoint="aftersales.ticket", args={"ticket_id": t.id})
