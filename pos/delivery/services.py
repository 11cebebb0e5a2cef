"""Delivery (送货): dispatch slips, the drivers' queue (pull, out, delivered, failed),
the manager's assignments, and the cash collected on delivery."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..audit.services import record
from ..cashier import services as cashier
from ..clock import local_today
from ..customers import services as customers
from ..dbtypes import utcnow
from ..errors import Conflict, DomainError, Forbidden, get_or_404
from ..money import format_money
from ..sales import after_handover
from ..sales import pickup as pickups
from ..sales.models import PaymentState, Pickup
from ..shop import services as shop
from ..staff.models import Staff
from .models import DeliveryCash, DeliveryEvent, DispatchLine, DispatchSlip, SlipStatus


def _event(session: Session, slip: DispatchSlip, kind: str, by: Staff, note: str = "") -> None:
    session.add(DeliveryEvent(slip=slip, kind=kind, by_id=by.id, note=note[:200]))


#: the furthest ahead a delivery is booked (9999-12-31 is a typing slip)
MAX_DELIVERY_AHEAD = timedelta(days=366)


def request_delivery(session: Session, no: str, quantities: dict, *, clerk: Staff, once_key: str, name: str,
                     phone: str, address: str, window_day: date | None, window: str = "",
                     notes: str = "", serials: dict | None = None) -> DispatchSlip:
    """Instead of carrying the goods away, the customer has them delivered: phone and full
    address are required (saved to the customer); the goods leave stock now, and the serial
    numbers of serial-tracked pieces are recorded now (``serials``: line id → the typed box), as
    the goods are taken from the stock room for this slip, which prints them for the driver and the
    customer to check against the boxes."""
    earlier = session.scalar(select(DispatchSlip).join(Pickup, Pickup.id == DispatchSlip.pickup_id)
                             .where(Pickup.once_key == (once_key or "").strip()))
    if earlier is not None:
        return earlier  # the same form sent twice: one slip
    name = (name or "").strip()
    address = (address or "").strip()
    if not name:
        raise DomainError(_("Enter the customer's name."), field="name")
    phone = customers.check_phone(phone)
    if len(address) < 6:
        raise DomainError(_("Enter the full delivery address (district, street, building, room)."), field="address")
    if len(address) > 200 or len(notes or "") > 500 or len(window or "") > 30:
        raise DomainError(_("Address, window or notes are too long."), field="address")
    today = local_today()
    window_day = window_day or today
    if window_day < today:
        raise DomainError(_("The delivery day cannot be in the past."), field="window_day")
    if window_day > today + MAX_DELIVERY_AHEAD:
        raise DomainError(_("A delivery is booked at most a year ahead (until %(day)s).",
                            day=(today + MAX_DELIVERY_AHEAD).isoformat()), field="window_day")
    voucher = pickups.find_for_pickup(session, no)
    pickups.check_can_hand_over(voucher, for_delivery=True)
    customer = customers.find_or_register_customer(session, phone=phone, name=name, address=address, actor=clerk)
    if voucher.customer_id is None:
        voucher.customer = customer
    pickup = pickups.hand_over(session, no, quantities, clerk=clerk, once_key=once_key, shop_copy=True,
                               mode="delivery", serials=serials)
    earlier = session.scalar(select(DispatchSlip).where(DispatchSlip.pickup_id == pickup.id))
    if earlier is not None:
        return earlier  # the same form sent twice at once: the first made the slip (under the voucher's lock)
    day = today
    n = shop.next_number(session, "dispatch", day)
    unpaid = voucher.payment_state == PaymentState.UNPAID
    collect = voucher.total if (voucher.pay_on_delivery and unpaid) else Decimal("0")
    slip = DispatchSlip(no=f"D{day:%Y%m%d}-{n:04d}", voucher=voucher, pickup_id=pickup.id, customer_name=name,
                        phone=phone, address=address, window_day=window_day, window=(window or "").strip(),
                        notes=(notes or "").strip(), collect=collect, status=SlipStatus.OPEN, created_by_id=clerk.id)
    for pl in pickup.lines:
        slip.lines.append(DispatchLine(voucher_line_id=pl.voucher_line_id, quantity=pl.quantity))
    session.add(slip)
    _event(session, slip, "created", clerk)
    session.flush()
    record(session, "delivery.slip_created", actor=clerk, record=slip,
           summary=f"{slip.no} for {voucher.no}: {address}" + (f", collect {format_money(collect)}" if collect else ""),
           data={"slip": slip.no, "voucher": voucher.no, "address": address,
                 "collect": str(collect) if collect else None})
    return slip


def get_slip(session: Session, slip_id: int) -> DispatchSlip:
    return get_or_404(session, DispatchSlip, slip_id, _("No such dispatch slip."))


def check_may_see(slip: DispatchSlip, person: Staff) -> None:
    """A driver sees the open slips and their own; clerks and managers see all."""
    roles = person.roles
    if roles & {"manager", "clerk"}:
        return
    if slip.driver_id not in (None, person.id):
        raise Forbidden(_("Slip %(no)s is %(name)s's.", no=slip.no, name=slip.driver.full_name))


def queue(session: Session, driver: Staff) -> tuple[list[DispatchSlip], list[DispatchSlip]]:
    """(my slips, slips nobody has pulled yet), by delivery day."""
    mine = list(session.scalars(select(DispatchSlip).where(
        DispatchSlip.driver_id == driver.id, DispatchSlip.status.in_([SlipStatus.ASSIGNED, SlipStatus.OUT]))
        .order_by(DispatchSlip.window_day, DispatchSlip.window, DispatchSlip.id)))
    free = list(session.scalars(select(DispatchSlip).where(DispatchSlip.status == SlipStatus.OPEN)
                                .order_by(DispatchSlip.window_day, DispatchSlip.window, DispatchSlip.id)))
    return mine, free


def all_slips(session: Session, limit: int = 200) -> list[DispatchSlip]:
    return list(session.scalars(select(DispatchSlip).order_by(DispatchSlip.id.desc()).limit(limit)))


def pull(session: Session, slip_id: int, *, driver: Staff) -> DispatchSlip:
    """A driver takes an unassigned slip; two drivers at once: one wins."""
    result = session.execute(update(DispatchSlip).where(
        DispatchSlip.id == slip_id, DispatchSlip.status == SlipStatus.OPEN, DispatchSlip.driver_id.is_(None))
        .values(driver_id=driver.id, status=SlipStatus.ASSIGNED))
    slip = get_slip(session, slip_id)
    if result.rowcount != 1:
        session.refresh(slip)
        who = slip.driver.full_name if slip.driver else "?"
        raise Conflict(_("Slip %(no)s was taken by %(name)s just now.", no=slip.no, name=who))
    session.refresh(slip)
    _event(session, slip, "pulled", driver)
    return slip


def lock(session: Session, slip: DispatchSlip) -> DispatchSlip:
    """Take the slip's row lock and read it again: a driver's tap and the manager's change (or the
    same tap sent twice) are ordered, and each checks the slip as the other left it."""
    session.flush()
    session.refresh(slip, with_for_update={"of": DispatchSlip})
    return slip


def assign(session: Session, slip: DispatchSlip, driver_id: int | None, *, manager: Staff) -> DispatchSlip:
    lock(session, slip)
    if slip.status in (SlipStatus.DELIVERED,):
        raise DomainError(_("Slip %(no)s is delivered already.", no=slip.no))
    driver = session.get(Staff, driver_id) if driver_id else None
    if driver_id and (driver is None or not driver.active or "delivery" not in driver.roles):
        raise DomainError(_("Choose an active member of the delivery staff."), field="driver")
    slip.driver = driver
    slip.status = SlipStatus.ASSIGNED if driver else SlipStatus.OPEN
    _event(session, slip, "assigned", manager, driver.full_name if driver else "—")
    record(session, "delivery.assigned", actor=manager, record=slip,
           summary=f"{slip.no} → {driver.full_name if driver else '—'}")
    return slip


def _own(slip: DispatchSlip, driver: Staff) -> None:
    if slip.driver_id != driver.id:
        raise Forbidden(_("Slip %(no)s is not yours: pull it first.", no=slip.no))


def mark_out(session: Session, slip: DispatchSlip, *, driver: Staff) -> None:
    lock(session, slip)
    _own(slip, driver)
    if slip.status != SlipStatus.ASSIGNED:
        raise DomainError(_("Slip %(no)s is not waiting to go out.", no=slip.no))
    slip.status = SlipStatus.OUT
    _event(session, slip, "out", driver)


#: called when a repair or installation slip is marked done (the visit was made), in the same
#: transaction: ``fn(session, slip, actor=driver)``. After-sales (above this domain) adds its own: the
#: ticket the slip was made for records the visit (pos.aftersales.tickets).
AFTER_VISIT: list = []


def mark_delivered(session: Session, slip: DispatchSlip, received_by: str, *, driver: Staff,
                   collected: bool = False) -> None:
    lock(session, slip)
    _own(slip, driver)
    if slip.status == SlipStatus.DELIVERED:
        raise Conflict(_("Slip %(no)s is delivered already.", no=slip.no))
    if slip.status != SlipStatus.OUT:
        raise DomainError(_("Slip %(no)s is not out for delivery: mark it out first.", no=slip.no))
    received_by = (received_by or "").strip()
    if not received_by:
        raise DomainError(_("Who received the goods?"), field="received_by")
    if len(received_by) > 60:
        raise DomainError(_("A name has at most %(n)d characters.", n=60), field="received_by")
    if slip.collect > 0 and not collected:
        raise DomainError(_("Collect %(amount)s from the customer first, then tick it.",
                            amount=format_money(slip.collect)), field="collected")
    slip.status = SlipStatus.DELIVERED
    slip.received_by = received_by
    slip.delivered_at = utcnow()
    if slip.collect > 0:
        session.add(DeliveryCash(slip=slip, driver_id=driver.id, amount=slip.collect))
    _event(session, slip, "delivered", driver, received_by)
    record(session, "delivery.delivered", actor=driver, record=slip,
           summary=f"{slip.no} to {received_by}"
                   + (f", collected {format_money(slip.collect)}" if slip.collect else ""))
    if slip.kind == "delivery":  # the goods reached the customer: the return visit (after-sales)
        after_handover.notify(session, slip.voucher, how="delivered", actor=driver)
    else:  # a repair or installation visit was made
        for fn in AFTER_VISIT:
            fn(session, slip, actor=driver)


def mark_failed(session: Session, slip: DispatchSlip, reason: str, *, driver: Staff) -> None:
    """Not delivered (nobody home, wrong address …): the slip returns to the queue."""
    lock(session, slip)
    _own(slip, driver)
    if slip.status not in (SlipStatus.ASSIGNED, SlipStatus.OUT):
        raise DomainError(_("Slip %(no)s is not on its way.", no=slip.no))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why it could not be delivered."), field="reason")
    slip.status = SlipStatus.OPEN
    slip.driver = None
    _event(session, slip, "failed", driver, reason)
    record(session, "delivery.failed", actor=driver, record=slip, reason=reason, summary=slip.no)


def cash_to_receive(session: Session) -> list[DeliveryCash]:
    return list(session.scalars(select(DeliveryCash).where(DeliveryCash.payment_id.is_(None))
                                .order_by(DeliveryCash.collected_at)))


def receive_cash(session: Session, cash_id: int, *, cashier_staff: Staff) -> DeliveryCash:
    """A cashier takes the driver's cash into the drawer: the voucher is paid."""
    cash = get_or_404(session, DeliveryCash, cash_id, _("No such delivery cash."))
    if cash.payment_id is not None:
        raise Conflict(_("This cash was received already."))
    payment = cashier.take_payment(session, cash.slip.voucher.no, cashier=cashier_staff, once_key=f"cod-{cash.id}",
                                   plain_cash=str(cash.amount))
    cash.payment_id = payment.id
    return cash


def slips_of(session: Session, voucher_id: int) -> list[DispatchSlip]:
    return list(session.scalars(select(DispatchSlip).where(DispatchSlip.voucher_id == voucher_id)
                                .order_by(DispatchSlip.id)))
