"""The customer file's timeline entries from the cash desk: payments (and their reversal by a
bounced cheque), registered with pos.customers.timeline at import."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..customers.timeline import Entry, register_timeline_source
from ..sales.models import Voucher
from .models import Payment
from .services import TENDER_LABELS


@register_timeline_source
def payments(session: Session, customer_id: int):
    for p in session.scalars(select(Payment).join(Voucher, Voucher.id == Payment.voucher_id)
                             .where(Voucher.customer_id == customer_id)):
        kinds = ", ".join(sorted({str(TENDER_LABELS.get(t.kind, t.kind)) for t in p.tenders}))
        detail = " · ".join(x for x in (p.voucher.no if p.voucher else "", kinds, p.cashier.full_name) if x)
        yield Entry(at=p.at, kind="payment", title=str(_l("Payment")), detail=detail, amount=p.amount_due)
        if p.reversed_at is not None:
            yield Entry(at=p.reversed_at, kind="payment", title=str(_l("Payment reversed (cheque bounced)")),
                        detail=p.voucher.no if p.voucher else "", amount=-p.amount_due)
