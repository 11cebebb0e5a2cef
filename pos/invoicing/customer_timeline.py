"""The customer file's timeline entries from invoicing (registered with pos.customers.timeline)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..customers.timeline import Entry, register_timeline_source
from .models import Invoice


@register_timeline_source
def invoices(session: Session, customer_id: int):
    for inv in session.scalars(select(Invoice).where(Invoice.customer_id == customer_id)):
        yield Entry(at=inv.issued_at, kind="invoice", title=str(_l("Invoice")) + f" {inv.no}",
                    detail=inv.buyer_name, endpoint="invoicing.invoice", args={"no": inv.no}, amount=inv.total)
