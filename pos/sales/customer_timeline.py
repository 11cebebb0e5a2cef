"""The customer file's timeline entries and purchase totals from sales: vouchers and pickups
(registered with pos.customers.timeline at import; customers never imports sales)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..customers.credit import register_open_credit_source
from ..customers.timeline import Entry, register_purchase_source, register_timeline_source
from ..staff.models import Staff
from .models import PaymentState, Pickup, Voucher, VoucherStatus

STATUS_LABELS = {
    VoucherStatus.DRAFT: _l("Draft"), VoucherStatus.AWAITING_REVIEW: _l("Awaiting review"),
    VoucherStatus.WRITTEN_UP: _l("Written up"), VoucherStatus.REJECTED: _l("Rejected"),
    VoucherStatus.CANCELLED: _l("Cancelled"),
}


@register_timeline_source
def vouchers_and_pickups(session: Session, customer_id: int):
    """Columns only (no lines, no eager loads): a customer with years of vouchers opens fast."""
    rows = session.execute(
        select(Voucher.no, Voucher.status, Voucher.channel, Voucher.total, Voucher.written_up_at, Voucher.created_at,
               Staff.full_name).join(Staff, Staff.id == Voucher.clerk_id)
        .where(Voucher.customer_id == customer_id, Voucher.status != VoucherStatus.DRAFT)).all()
    for no, status, channel, total, written_up_at, created_at, clerk in rows:
        yield Entry(at=written_up_at or created_at, kind="voucher", title=str(_l("Voucher")) + f" {no or ''}",
                    detail=" · ".join(x for x in (str(STATUS_LABELS.get(status, status)), clerk,
                                                  str(_l("Phone order")) if channel == "phone" else "") if x),
                    endpoint="sales.voucher" if no else None, args={"no": no} if no else {}, amount=total)
    rows = session.execute(
        select(Pickup.at, Pickup.mode, Voucher.no, Staff.full_name).join(Voucher, Voucher.id == Pickup.voucher_id)
        .join(Staff, Staff.id == Pickup.clerk_id).where(Voucher.customer_id == customer_id)).all()
    for at, mode, no, clerk in rows:
        yield Entry(at=at, kind="pickup", title=str(_l("Pickup")) + f" {no or ''}",
                    detail=" · ".join((str(_l("For delivery")) if mode == "delivery" else str(_l("At the counter")),
                                       clerk)))


@register_purchase_source
def purchases(session: Session, customer_id: int, since: datetime) -> tuple[Decimal, datetime | None]:
    """What the customer bought (written-up, paid vouchers) since then, and when last."""
    total, last = session.execute(
        select(func.coalesce(func.sum(Voucher.total), 0), func.max(Voucher.written_up_at))
        .where(Voucher.customer_id == customer_id, Voucher.status == VoucherStatus.WRITTEN_UP,
               Voucher.payment_state == PaymentState.PAID, Voucher.written_up_at >= since)).one()
    return Decimal(total or 0), last


def _open_pay_on_delivery(session: Session, customer_id: int) -> list[tuple[str, Decimal]]:
    """Open credit from sales: written-up pay-on-delivery vouchers not paid yet."""
    rows = session.execute(select(Voucher.no, Voucher.total).where(
        Voucher.customer_id == customer_id, Voucher.pay_on_delivery.is_(True),
        Voucher.status == VoucherStatus.WRITTEN_UP, Voucher.payment_state != PaymentState.PAID)).all()
    return [(str(_l("Pay on delivery")) + f" {no}", total) for no, total in rows]


register_open_credit_source(_open_pay_on_delivery)


@register_timeline_source
def serials_and_warranty(session: Session, customer_id: int):
    """Each piece handed over with its serial number, and whether it is still under warranty."""
    from ..catalog.models import Product
    from ..clock import local_today
    from .serial_models import SoldSerial

    today = local_today()
    rows = session.execute(
        select(SoldSerial.handed_over_at, SoldSerial.serial, SoldSerial.warranty_until, SoldSerial.returned_at,
               Product.name, Voucher.no).join(Product, Product.id == SoldSerial.product_id)
        .join(Voucher, Voucher.id == SoldSerial.voucher_id).where(SoldSerial.customer_id == customer_id)).all()
    for at, serial, until, returned_at, name, no in rows:
        if returned_at is not None:
            state = str(_l("Returned (refunded)"))
        elif until is None:
            state = str(_l("No warranty"))
        elif today <= until:
            state = str(_l("Under warranty until %(day)s", day=until.isoformat()))
        else:
            state = str(_l("Warranty ended %(day)s", day=until.isoformat()))
        yield Entry(at=at, kind="serial", title=f"{name} · {serial}", detail=f"{state} · {no}",
                    endpoint="sales.serial_search", args={"q": serial})
