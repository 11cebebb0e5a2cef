"""The manager's evening (日结): review each closed shift, see the whole business day,
sign it off (it freezes: nothing more is dated into it) and get its Z report.

A business day runs from the boundary (setting ``day.boundary``, 04:00 by default)
to the same time next day, shop time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..audit.services import record
from ..cashier import services as cashier
from ..cashier.models import TENDER_KINDS, Payment, Shift
from ..delivery.models import DispatchSlip, SlipStatus
from ..errors import Conflict, DomainError, NotFound
from ..invoicing.models import Invoice, InvoiceVoid
from ..money import format_money
from ..sales.models import PaymentState, Voucher, VoucherStatus
from ..shop import services as shop
from ..shop.models import DaySignOff
from ..staff.models import Staff
from . import takings
from .models import ShiftReview, ZReport


def shifts_of_day(session: Session, day: date) -> list[Shift]:
    start, end = shop.business_day_bounds(session, day)
    return list(session.scalars(select(Shift).where(Shift.opened_at >= start, Shift.opened_at < end)
                                .order_by(Shift.opened_at)))


def review_of(session: Session, shift: Shift) -> ShiftReview | None:
    return session.scalar(select(ShiftReview).where(ShiftReview.shift_id == shift.id))


def review_shift(session: Session, shift: Shift, note: str, *, manager: Staff) -> ShiftReview:
    """The manager reviewed a closed shift; a difference (over/short) needs a note."""
    session.flush()
    session.refresh(shift, with_for_update={"of": Shift})  # two managers reviewing at once: one review
    if shift.is_open:
        raise DomainError(_("%(name)s's shift is still open: it can be reviewed once it is closed.",
                            name=shift.cashier.full_name))
    if review_of(session, shift) is not None:
        raise Conflict(_("This shift was reviewed already."))
    note = (note or "").strip()
    if shift.over_short and not note:
        raise DomainError(_("The drawer was %(diff)s: write a note on the difference.",
                            diff=format_money(shift.over_short)), field="note")
    if len(note) > 1000:
        raise DomainError(_("Notes have at most %(n)d characters.", n=1000), field="note")
    row = ShiftReview(shift_id=shift.id, reviewer_id=manager.id, note=note)
    session.add(row)
    session.flush()
    record(session, "reports.shift_reviewed", actor=manager, record=shift, reason=note or None,
           summary=f"{shift.cashier.full_name} {format_money(shift.over_short or 0)}")
    return row


@dataclass
class DaySummary:
    day: date
    shifts: list[Shift]
    reviews: dict[int, ShiftReview]
    by_tender: dict[str, Decimal] = field(default_factory=dict)
    by_clerk: dict[str, Decimal] = field(default_factory=dict)
    by_category: dict[str, Decimal] = field(default_factory=dict)
    takings: Decimal = Decimal("0.00")
    refunds: Decimal = Decimal("0.00")
    bounced: Decimal = Decimal("0.00")  # cheques of earlier payments found bounced this day
    over_short: Decimal = Decimal("0.00")
    written_up: int = 0
    paid: int = 0
    cancelled: int = 0
    outstanding: int = 0
    pickups_outstanding: int = 0
    deliveries_out: int = 0
    invoices: int = 0
    invoices_void: int = 0
    cheques_pending: int = 0
    signed: DaySignOff | None = None
    z: ZReport | None = None
    #: property money into escrow accounts that day: its own category, not shop takings
    escrow: object | None = None

    @property
    def net(self) -> Decimal:
        """What the day brought in: takings less refunds and bounced cheques."""
        return self.takings - self.refunds - self.bounced


def day_summary(session: Session, day: date) -> DaySummary:
    start, end = shop.business_day_bounds(session, day)
    shifts = shifts_of_day(session, day)
    summary = DaySummary(day=day, shifts=shifts, reviews={})
    for shift in shifts:
        review = review_of(session, shift)
        if review is not None:
            summary.reviews[shift.id] = review
        summary.over_short += shift.over_short or Decimal("0.00")
    cells = takings.day_cells(session, day)
    tenders = takings.collapse(cells, "tender")
    for kind in TENDER_KINDS:
        if kind in tenders:
            summary.by_tender[kind] = tenders[kind].amount
    summary.takings = sum(summary.by_tender.values(), Decimal("0.00"))
    summary.refunds = -tenders["refund"].amount if "refund" in tenders else Decimal("0.00")
    summary.bounced = -tenders["bounced"].amount if "bounced" in tenders else Decimal("0.00")
    for cell in sorted(takings.collapse(cells, "clerk").values(), key=lambda c: -c.amount):
        summary.by_clerk[cell.label] = summary.by_clerk.get(cell.label, Decimal("0.00")) + cell.amount
    for cell in sorted(takings.collapse(cells, "category").values(), key=lambda c: -c.amount):
        summary.by_category[cell.label or "—"] = cell.amount
    written = Voucher.business_day == day
    summary.written_up = session.scalar(select(func.count(Voucher.id)).where(written)) or 0
    summary.cancelled = session.scalar(select(func.count(Voucher.id)).where(
        written, Voucher.status == VoucherStatus.CANCELLED)) or 0
    summary.paid = session.scalar(select(func.count(Payment.id)).where(Payment.at >= start, Payment.at < end)) or 0
    summary.outstanding = session.scalar(select(func.count(Voucher.id)).where(
        Voucher.status == VoucherStatus.WRITTEN_UP, Voucher.payment_state == PaymentState.UNPAID)) or 0
    summary.pickups_outstanding = session.scalar(select(func.count(Voucher.id)).where(
        Voucher.pickup_state.in_(("none", "partial")), Voucher.payment_state == PaymentState.PAID)) or 0
    summary.deliveries_out = session.scalar(select(func.count(DispatchSlip.id)).where(
        DispatchSlip.status != SlipStatus.DELIVERED)) or 0
    summary.invoices = session.scalar(select(func.count(Invoice.id)).where(
        Invoice.issued_at >= start, Invoice.issued_at < end)) or 0
    summary.invoices_void = session.scalar(select(func.count(InvoiceVoid.id)).where(
        InvoiceVoid.at >= start, InvoiceVoid.at < end)) or 0
    summary.cheques_pending = len(cashier.pending_cheques(session))
    summary.signed = session.scalar(select(DaySignOff).where(DaySignOff.day == day))
    summary.z = session.scalar(select(ZReport).where(ZReport.day == day))
    from ..property import escrow

    summary.escrow = escrow.day_takings(session, day)
    return summary


def sign_off(session: Session, day: date, *, manager: Staff, note: str = "") -> ZReport:
    """Freeze the day: every shift closed and reviewed; then its Z report gets the next Z number."""
    if day > shop.business_today(session):
        raise DomainError(_("%(day)s has not happened yet.", day=day.isoformat()))
    # the day's exclusive lock: payments, shifts, refunds and invoices dated into it finish first
    # (and are in the Z), those after find it signed off; a second sign-off finds the first
    shop.hold_day(session, day, exclusive=True)
    if shop.day_signed_off(session, day):
        raise Conflict(_("%(day)s is signed off already.", day=day.isoformat()))
    shifts = shifts_of_day(session, day)
    still_open = [s for s in shifts if s.is_open]
    if still_open:
        raise DomainError(_("%(name)s's shift at %(station)s is still open: close it first.",
                            name=still_open[0].cashier.full_name, station=still_open[0].station.name))
    unreviewed = [s for s in shifts if review_of(session, s) is None]
    if unreviewed:
        raise DomainError(_("Review %(name)s's shift first.", name=unreviewed[0].cashier.full_name))
    session.add(DaySignOff(day=day, signed_by_id=manager.id, note=(note or "").strip()[:400]))
    z = ZReport(no=shop.next_number(session, "z"), day=day, signed_by_id=manager.id)
    session.add(z)
    session.flush()
    shop.forget_sign_offs(session)
    takings.store_day(session, day)
    record(session, "reports.day_signed_off", actor=manager, record=z, summary=f"{day.isoformat()} Z{z.no:04d}")
    return z


def get_z(session: Session, no: int) -> ZReport:
    z = session.scalar(select(ZReport).where(ZReport.no == no))
    if z is None:
        raise NotFound(_("No Z report number %(no)s.", no=no))
    return z
