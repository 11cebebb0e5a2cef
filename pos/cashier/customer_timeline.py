"""The customer file's timeline entries from the cash desk: payments (and their reversal by a
bounced cheque), registered with pos.customers.timeline at import."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..customers.timeline import Entry, register_timeline_source
from ..sales.models import Voucher
from ..staff.models import Staff
from .models import Payment, Tender
from .services import TENDER_LABELS


@register_timeline_source
def payments(session: Session, customer_id: int):
    """Columns only (no tenders, counts or notes loaded one by one)."""
    rows = session.execute(
        select(Payment.id, Payment.at, Payment.amount_due, Payment.reversed_at, Voucher.no, Staff.full_name)
        .join(Voucher, Voucher.id == Payment.voucher_id).join(Staff, Staff.id == Payment.cashier_id)
        .where(Voucher.customer_id == customer_id)).all()
    kinds: dict[int, set] = {}
    if rows:
        for payment_id, kind in session.execute(select(Tender.payment_id, Tender.kind).where(
                Tender.payment_id.in_([r.id for r in rows]))):
            kinds.setdefault(payment_id, set()).add(str(TENDER_LABELS.get(kind, kind)))
    for payment_id, at, due, reversed_at, no, cashier in rows:
        detail = " · ".join(x for x in (no or "", ", ".join(sorted(kinds.get(payment_id, ()))), cashier) if x)
        yield Entry(at=at, kind="payment", title=str(_l("Payment")), detail=detail, amount=due)
        if reversed_at is not None:
            yield Entry(at=reversed_at, kind="payment", title=str(_l("Payment reversed (cheque bounced)")),
                        detail=no or "", amount=-due)
