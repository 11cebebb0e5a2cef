"""The customer file's timeline entries from delivery: dispatch slips (registered with
pos.customers.timeline)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..customers.timeline import Entry, register_timeline_source
from ..sales.models import Voucher
from .models import DispatchSlip


@register_timeline_source
def dispatch_slips(session: Session, customer_id: int):
    for s in session.scalars(select(DispatchSlip).join(Voucher, Voucher.id == DispatchSlip.voucher_id)
                             .where(Voucher.customer_id == customer_id)):
        yield Entry(at=s.delivered_at or s.created_at, kind="delivery", title=str(_l("Dispatch slip")) + f" {s.no}",
                    detail=" · ".join(x for x in (s.status, s.window_day.isoformat(), s.window,
                                                  s.driver.full_name if s.driver else "") if x),
                    endpoint="delivery.slip", args={"slip_id": s.id})
