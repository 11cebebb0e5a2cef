"""One helper that writes the audit log, and the queries the manager's screen uses."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import local_day_bounds
from ..staff.models import Staff
from ..tx import client_of
from .models import AuditEntry

#: what each kind of entry means, for the manager's screen; domains add theirs
KIND_LABELS = {
    "staff.login": _l("Logged in"),
    "staff.login_failed": _l("Wrong PIN or password"),
    "staff.locked": _l("Locked after wrong PINs"),
    "staff.logout": _l("Logged out"),
    "staff.created": _l("Staff added"),
    "staff.pin_reset": _l("PIN reset"),
    "staff.password_set": _l("Password set"),
    "staff.deactivated": _l("Staff deactivated"),
    "staff.reactivated": _l("Staff reactivated"),
    "staff.roles_changed": _l("Roles changed"),
    "catalog.product_created": _l("Product added"),
    "catalog.product_changed": _l("Product changed"),
    "catalog.price_changed": _l("Price changed"),
    "catalog.stock_adjusted": _l("Stock counted"),
    "catalog.relations_set": _l("Suggestions changed"),
    "catalog.brand_added": _l("Brand added"),
    "catalog.category_added": _l("Category added"),
    "customers.registered": _l("Customer registered"),
    "sales.discount_approved": _l("Discount approved"),
    "sales.voucher_written_up": _l("Voucher written up"),
    "sales.voucher_cancelled": _l("Voucher cancelled"),
    "sales.phone_order_confirmed": _l("Phone order confirmed by the customer"),
    "sales.phone_order_approved": _l("Phone order approved"),
    "sales.phone_order_rejected": _l("Phone order rejected"),
    "shop.settings_changed": _l("Settings changed"),
    "cashier.shift_opened": _l("Shift opened"),
    "cashier.shift_closed": _l("Shift closed"),
    "cashier.payment_taken": _l("Payment taken"),
    "cashier.cheque_cleared": _l("Cheque cleared"),
    "cashier.cheque_bounced": _l("Cheque bounced"),
    "cashier.refund": _l("Refund"),
    "printers.saved": _l("Printer saved"),
    "printers.reprint": _l("Reprint"),
    "printers.retry": _l("Print job retried"),
    "invoicing.issued": _l("Invoice issued"),
    "invoicing.voided": _l("Invoice void"),
    "invoicing.platform_linked": _l("数电票 number recorded"),
    "sales.picked_up": _l("Goods handed over"),
    "sales.dispatched": _l("Goods sent for delivery"),
    "delivery.slip_created": _l("Dispatch slip created"),
    "delivery.assigned": _l("Dispatch slip assigned"),
    "delivery.delivered": _l("Delivered"),
    "delivery.failed": _l("Not delivered"),
    "reports.shift_reviewed": _l("Shift reviewed"),
    "reports.day_signed_off": _l("Day signed off"),
    "reports.quota_set": _l("Sales quota set"),
    "reports.kpi_set": _l("KPI thresholds changed"),
}
#: what kind of record an entry points at
RECORD_LABELS = {
    "staff": _l("Staff member"),
    "product": _l("Product"),
    "brand": _l("Brand"),
    "category": _l("Category"),
    "customer": _l("Customer"),
    "voucher": _l("Voucher"),
    "shift": _l("Shift"),
    "payment": _l("Payment"),
    "refund": _l("Refund"),
    "printer": _l("Printer"),
    "print_job": _l("Print job"),
    "invoice": _l("Invoice"),
    "dispatch_slip": _l("Dispatch slip"),
    "z_report": _l("Z report"),
    "quota": _l("Sales quota"),
}


def record(
    session: Session,
    kind: str,
    *,
    actor: Staff | None,
    summary: str = "",
    record=None,
    record_type: str | None = None,
    record_id=None,
    reason: str | None = None,
    data: dict | None = None,
) -> AuditEntry:
    """Write one audit entry (who, when, what, which record, why) in the caller's transaction.

    ``data`` holds the event's facts (amounts as strings, numbers, codes — no sentences): the audit
    screen renders them in the reader's language (pos.audit.details). ``summary`` stays a plain
    line of names and numbers, for rows and readers without a renderer."""
    if record is not None:
        record = getattr(record, "_get_current_object", lambda: record)()
        record_type = record_type or type(record).__tablename__
        record_id = record_id if record_id is not None else getattr(record, "id", None)
    entry = AuditEntry(
        kind=kind,
        staff_id=actor.id if actor is not None else None,
        summary=summary,
        record_type=record_type,
        record_id=None if record_id is None else str(record_id),
        reason=reason or None,
        data=data or None,
        remote_addr=client_of(session),  # noted by the request's owner (pos.web.transaction)
    )
    session.add(entry)
    return entry


def search(
    session: Session,
    *,
    staff_id: int | None = None,
    kind: str | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if staff_id:
        query = query.where(AuditEntry.staff_id == staff_id)
    if kind:
        query = query.where(AuditEntry.kind.startswith(kind)) if kind.endswith(".") else query.where(
            AuditEntry.kind == kind
        )
    if day_from:
        query = query.where(AuditEntry.at >= local_day_bounds(day_from)[0])
    if day_to:
        query = query.where(AuditEntry.at < local_day_bounds(day_to)[1])
    return list(session.scalars(query.limit(limit).offset(offset)))


def kinds_in_use(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.kind).distinct().order_by(AuditEntry.kind)))
