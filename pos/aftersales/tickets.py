"""After-sales tickets (售后服务): the rules.

A ticket records a customer's problem against what they bought: a line of one of *their* vouchers,
a sold serial (pos.sales.serial_models) of theirs, or a property unit they bought (an agreement in
force or converted). Kinds: repair, installation, return/exchange request, complaint, question.

Deadlines come from the settings of the kind (``aftersales.respond_hours.<kind>``,
``aftersales.resolve_days.<kind>``): the ticket must be taken in hand (leave 'open') by
``respond_by`` and be resolved or rejected by ``resolve_by``. Overdue is decided when read
(:func:`is_overdue`, pos.clock), never stored.

States: open → in progress → waiting for the customer → resolved / rejected (see ``TRANSITIONS``);
each change carries a note, is audited and is made under the ticket's row lock (FOR UPDATE), checked
again under it. **The resolution** is the note given with the change to 'resolved': it is kept in
``Ticket.resolution`` with ``closed_at`` and ``closed_by_id`` (a rejection keeps its reason there too).

A repair or installation becomes a dispatch slip for the delivery staff (:func:`make_slip`); a
return/exchange request leads to the cashier's refund (manager's PIN) and, once refunded,
:func:`record_refund` links the refund to the ticket and puts the handed-over piece back into stock.

Who may: a manager, every ticket; a clerk, the tickets assigned to them and those of the customers
they own (pos.customers.ownership), and sees those they opened.

For other domains: :func:`open_ticket` (return visits open one on an unsatisfied answer) and
:func:`resolved_on_time` (the appraisal's "after-sales tickets resolved on time" per person).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..audit.services import KIND_LABELS, RECORD_LABELS, record
from ..dbtypes import utcnow
from ..errors import Conflict, DomainError, Forbidden, NotFound, get_or_404
from ..staff.models import Staff
from .models import (
    CLOSED,
    COMPLAINT,
    IN_PROGRESS,
    INSTALLATION,
    KINDS,
    OPEN,
    QUESTION,
    REJECTED,
    REPAIR,
    RESOLVED,
    RETURN,
    WAITING,
    Ticket,
    TicketEvent,
    TicketPhoto,
)

KIND_NAMES = {REPAIR: _l("Repair request"), INSTALLATION: _l("Installation request"),
              RETURN: _l("Return or exchange request"), COMPLAINT: _l("Customer complaint"),
              QUESTION: _l("Customer question")}
STATE_NAMES = {OPEN: _l("Open (ticket)"), IN_PROGRESS: _l("In progress (ticket)"),
               WAITING: _l("Waiting for the customer"), RESOLVED: _l("Resolved (ticket)"),
               REJECTED: _l("Rejected (ticket)")}
#: where a ticket may go from each state (a closed ticket goes nowhere)
TRANSITIONS = {OPEN: (IN_PROGRESS, REJECTED), IN_PROGRESS: (WAITING, RESOLVED, REJECTED),
               WAITING: (IN_PROGRESS, RESOLVED, REJECTED), RESOLVED: (), REJECTED: ()}
#: tickets that may go to the delivery staff, and the slip each makes: a complaint about what was bought
#: (a return visit's 不满意: "the fridge does not cool") is looked at by a repair visit
SLIP_FROM = {REPAIR: REPAIR, INSTALLATION: INSTALLATION, COMPLAINT: REPAIR}

DESCRIPTION_MAX = 1000
NOTE_MAX = 1000
PHOTO_MAX_BYTES = 5 * 1024 * 1024  # a tablet's photo is 2–4 MB
PHOTOS_PER_TICKET = 12
PHOTO_DIR = "tickets"

#: the deadlines of each kind (manager's settings): hours to respond, days to resolve
DEADLINE_DEFAULTS = {REPAIR: (24, 7), INSTALLATION: (24, 3), RETURN: (24, 7), COMPLAINT: (24, 3), QUESTION: (24, 2)}
RESPOND_HOURS_MAX, RESOLVE_DAYS_MAX = 720, 365

KIND_LABELS.update({
    "aftersales.ticket_opened": _l("After-sales ticket opened"),
    "aftersales.ticket_state": _l("After-sales ticket state changed"),
    "aftersales.ticket_assigned": _l("After-sales ticket assigned"),
    "aftersales.ticket_photo": _l("After-sales ticket photo added"),
    "aftersales.ticket_slip": _l("After-sales ticket sent to the delivery staff"),
    "aftersales.ticket_visit": _l("After-sales visit made by the delivery staff"),
    "aftersales.ticket_refund": _l("After-sales ticket refund recorded"),
    "aftersales.deadlines": _l("After-sales deadlines changed"),
})
RECORD_LABELS.update({"aftersales_ticket": _l("After-sales ticket")})


def _register_settings() -> None:
    from ..shop.services import DEFAULTS

    for kind, (hours, days) in DEADLINE_DEFAULTS.items():
        DEFAULTS.setdefault(f"aftersales.respond_hours.{kind}", str(hours))
        DEFAULTS.setdefault(f"aftersales.resolve_days.{kind}", str(days))


_register_settings()


# ------------------------------------------------------------------ deadlines (settings)
def deadlines(session: Session) -> dict[str, tuple[int, int]]:
    """kind → (hours to respond, days to resolve), as the manager set them."""
    from ..shop.services import get_setting

    out = {}
    for kind, (hours, days) in DEADLINE_DEFAULTS.items():
        try:
            h = int(get_setting(session, f"aftersales.respond_hours.{kind}"))
            d = int(get_setting(session, f"aftersales.resolve_days.{kind}"))
        except ValueError:
            h, d = hours, days
        out[kind] = (h, d)
    return out


def set_deadlines(session: Session, values: dict, *, actor: Staff) -> dict[str, tuple[int, int]]:
    """Set every kind's deadlines from ``values`` (``respond_hours.<kind>``, ``resolve_days.<kind>``)."""
    from ..shop.services import set_setting
    from ..text import parse_int

    if not actor.has_role("manager"):
        raise Forbidden(_("Only the manager sets the after-sales deadlines."))
    old = deadlines(session)
    new = {}
    for kind in KINDS:
        name = str(KIND_NAMES[kind])
        h = parse_int(values.get(f"respond_hours.{kind}", ""), label=_("%(kind)s: hours to respond", kind=name),
                      minimum=1, maximum=RESPOND_HOURS_MAX, field=f"respond_hours.{kind}")
        d = parse_int(values.get(f"resolve_days.{kind}", ""), label=_("%(kind)s: days to resolve", kind=name),
                      minimum=1, maximum=RESOLVE_DAYS_MAX, field=f"resolve_days.{kind}")
        if d * 24 < h:
            raise DomainError(_("%(kind)s: the time to resolve cannot be shorter than the time to respond.",
                                kind=name), field=f"resolve_days.{kind}")
        new[kind] = (h, d)
    for kind, (h, d) in new.items():
        set_setting(session, f"aftersales.respond_hours.{kind}", str(h))
        set_setting(session, f"aftersales.resolve_days.{kind}", str(d))
    record(session, "aftersales.deadlines", actor=actor, record_type="setting",
           summary=", ".join(f"{k} {old[k][0]}h/{old[k][1]}d→{h}h/{d}d" for k, (h, d) in new.items()),
           data={k: {"respond_hours": h, "resolve_days": d} for k, (h, d) in new.items()})
    return new


# ------------------------------------------------------------------ who may
def _owner_id(session: Session, customer_id: int) -> int | None:
    from ..customers.ownership import owner_of

    own = owner_of(session, customer_id)
    return own.staff_id if own is not None else None


def may_change(session: Session, ticket: Ticket, person: Staff) -> bool:
    """A manager; the clerk in charge of the ticket; the clerk who owns the customer."""
    if person.has_role("manager") or ticket.assigned_to_id == person.id:
        return True
    return person.has_role("clerk") and _owner_id(session, ticket.customer_id) == person.id


def may_see(session: Session, ticket: Ticket, person: Staff) -> bool:
    return ticket.opened_by_id == person.id or may_change(session, ticket, person)


def _check_change(session: Session, ticket: Ticket, person: Staff) -> None:
    if not may_change(session, ticket, person):
        raise Forbidden(_("Ticket %(no)s is %(name)s's: only they, the customer's agent and the manager change it.",
                          no=ticket.no, name=ticket.assigned_to.full_name))


def get_ticket(session: Session, ticket_id, viewer: Staff, *, for_update: bool = False,
               change: bool = False) -> Ticket:
    """The ticket, for those who may see it (403 for anyone else); ``change``: for those who may change it.
    ``for_update``: locked (FOR UPDATE) and read again under the lock."""
    def check(ticket: Ticket) -> None:
        if change:
            _check_change(session, ticket, viewer)
        elif not may_see(session, ticket, viewer):
            raise Forbidden(_("Ticket %(no)s is another clerk's customer's.", no=ticket.no))

    return get_or_404(session, Ticket, ticket_id, _("No such after-sales ticket."), check=check,
                      for_update=for_update)


# ------------------------------------------------------------------ overdue (when read)
def is_overdue(ticket: Ticket, now: datetime | None = None) -> bool:
    """Not taken in hand by ``respond_by``, or not closed by ``resolve_by``, as of now (pos.clock)."""
    if ticket.closed:
        return False
    now = now or utcnow()
    return (ticket.responded_at is None and now > ticket.respond_by) or now > ticket.resolve_by


def overdue_reason(ticket: Ticket, now: datetime | None = None) -> str:
    now = now or utcnow()
    if ticket.closed:
        return ""
    if now > ticket.resolve_by:
        return _("not resolved in time")
    if ticket.responded_at is None and now > ticket.respond_by:
        return _("not answered in time")
    return ""


def _overdue_clause(now: datetime):
    return Ticket.state.not_in(CLOSED) & ((Ticket.resolve_by < now)
                                          | (Ticket.responded_at.is_(None) & (Ticket.respond_by < now)))


# ------------------------------------------------------------------ opening a ticket
def _customer(session: Session, customer):
    from ..customers.models import Customer

    if isinstance(customer, Customer):
        return customer
    from ..text import parse_id

    found = session.get(Customer, parse_id(customer) or 0) if customer not in (None, "") else None
    if found is None:
        raise NotFound(_("No such customer."))
    return found


def _voucher_line(session: Session, voucher_line, customer_id: int):
    from ..sales.models import VoucherLine
    from ..text import parse_id

    line = voucher_line if isinstance(voucher_line, VoucherLine) else session.get(VoucherLine,
                                                                                 parse_id(voucher_line) or 0)
    if line is None:
        raise NotFound(_("No such item on a voucher."))
    _own_voucher(line.voucher, customer_id)
    return line


def _voucher(session: Session, voucher, customer_id: int):
    """A whole purchase (a complaint about the sale, not one item of it): the customer's own sold voucher."""
    from ..sales.models import Voucher
    from ..text import parse_id

    row = voucher if isinstance(voucher, Voucher) else session.get(Voucher, parse_id(voucher) or 0)
    if row is None:
        raise NotFound(_("No such voucher."))
    _own_voucher(row, customer_id)
    return row


def _own_voucher(voucher, customer_id: int) -> None:
    from ..sales.models import VoucherStatus

    if voucher.customer_id != customer_id:
        raise DomainError(_("That item was bought on voucher %(no)s by another customer: a ticket is opened on "
                            "the customer's own purchase.", no=voucher.no or "—"), field="bought")
    if voucher.status != VoucherStatus.WRITTEN_UP:
        raise DomainError(_("Voucher %(no)s was never sold (it is a draft, cancelled or rejected).",
                            no=voucher.no or "—"), field="bought")


def _serial(session: Session, serial, customer_id: int):
    from ..sales.serial_models import SoldSerial
    from ..text import parse_id

    row = serial if isinstance(serial, SoldSerial) else session.get(SoldSerial, parse_id(serial) or 0)
    if row is None:
        raise NotFound(_("No such sold serial number."))
    if row.returned_at is not None:
        raise DomainError(_("Serial number %(serial)s came back to the shop (refunded).", serial=row.serial),
                          field="bought")
    owner = row.customer_id if row.customer_id is not None else row.voucher.customer_id
    if owner != customer_id:
        raise DomainError(_("Serial number %(serial)s was sold to another customer: a ticket is opened on the "
                            "customer's own purchase.", serial=row.serial), field="bought")
    return row


def _unit(session: Session, unit, customer_id: int):
    from ..property.models import Unit
    from ..property.sale_models import CONVERTED, IN_FORCE, Agreement
    from ..text import parse_id

    row = unit if isinstance(unit, Unit) else session.get(Unit, parse_id(unit) or 0)
    if row is None:
        raise NotFound(_("No such property unit."))
    bought = session.scalar(select(Agreement.id).where(Agreement.unit_id == row.id,
                                                       Agreement.customer_id == customer_id,
                                                       Agreement.state.in_((IN_FORCE, CONVERTED))).limit(1))
    if bought is None:
        raise DomainError(_("Unit %(unit)s was not bought by this customer: a ticket is opened on the customer's "
                            "own purchase.", unit=row.number), field="bought")
    return row


def _person_in_charge(session: Session, customer_id: int, voucher, actor: Staff) -> int:
    """The customer's agent while they own them; else the clerk who sold it; else whoever opens it."""
    candidates = [_owner_id(session, customer_id), voucher.clerk_id if voucher is not None else None]
    for staff_id in candidates:
        if staff_id is None:
            continue
        person = session.get(Staff, staff_id)
        if person is not None and person.active and person.roles & {"clerk", "manager"}:
            return person.id
    return actor.id


def open_ticket(session: Session, *, customer, kind: str, description: str, actor: Staff, voucher_line=None,
                serial=None, unit=None, voucher=None, source: str = "", source_id=None,
                assigned_to_id=None) -> Ticket:
    """Open an after-sales ticket for ``customer`` (a Customer or its id) about one thing they bought:
    ``voucher_line`` (a VoucherLine or id, of one of their written-up vouchers), ``serial`` (a
    SoldSerial or id, sold to them) or ``unit`` (a property Unit or id they bought), or ``voucher`` (a
    whole sale of theirs: a return visit's complaint) — or none, for a complaint or a question about no
    one purchase. Something that is another customer's is refused
    (422, field ``bought``). ``source``/``source_id`` say where it came from (``"visit"``, the return
    visit's id). The person in charge is the customer's agent, else the clerk who sold it, else
    ``actor`` (a manager may name someone). Deadlines from the kind's settings. Audited; flushed."""
    from ..text import check_text, parse_id

    customer = _customer(session, customer)
    if kind not in KINDS:
        raise DomainError(_("Choose what kind of ticket it is."), field="kind")
    description = check_text(description, label=_("What the problem is"), max_len=DESCRIPTION_MAX, required=True,
                             field="description")
    source = check_text(source, label="source", max_len=20)
    given = [x for x in (voucher_line, serial, unit, voucher) if x not in (None, "")]
    if len(given) > 1:
        raise DomainError(_("A ticket is about one thing the customer bought."), field="bought")
    whole_sale, voucher = voucher, None
    line = serial_row = unit_row = None
    if whole_sale not in (None, ""):
        voucher = _voucher(session, whole_sale, customer.id)
    elif voucher_line not in (None, ""):
        line = _voucher_line(session, voucher_line, customer.id)
        voucher = line.voucher
    elif serial not in (None, ""):
        serial_row = _serial(session, serial, customer.id)
        line, voucher = serial_row.voucher_line, serial_row.voucher
    elif unit not in (None, ""):
        unit_row = _unit(session, unit, customer.id)
    if kind in (REPAIR, INSTALLATION, RETURN) and line is None and unit_row is None:
        raise DomainError(_("A repair, an installation or a return is about something bought: choose it."),
                          field="bought")
    if kind == RETURN and unit_row is not None:
        raise DomainError(_("A property unit is not returned through an after-sales ticket."), field="bought")
    if assigned_to_id not in (None, ""):
        if not actor.has_role("manager"):
            raise Forbidden(_("Only the manager gives a ticket to someone else."))
        person = session.get(Staff, parse_id(assigned_to_id) or 0)
        if person is None or not person.active or not person.roles & {"clerk", "manager"}:
            raise DomainError(_("Choose an active clerk or manager to be in charge."), field="assigned_to_id")
        in_charge = person.id
    else:
        in_charge = _person_in_charge(session, customer.id, voucher, actor)
    hours, days = deadlines(session)[kind]
    now = utcnow()
    from ..clock import local_today
    from ..shop.services import next_number

    day = local_today()
    n = next_number(session, "aftersales_ticket", day)
    ticket = Ticket(no=f"T{day:%Y%m%d}-{n:04d}", customer_id=customer.id, kind=kind, state=OPEN,
                    description=description, voucher_id=voucher.id if voucher is not None else None,
                    voucher_line_id=line.id if line is not None else None,
                    serial_id=serial_row.id if serial_row is not None else None,
                    serial_no=serial_row.serial if serial_row is not None else "",
                    unit_id=unit_row.id if unit_row is not None else None, source=source,
                    source_id=source_id, assigned_to_id=in_charge, opened_by_id=actor.id, opened_at=now,
                    respond_by=now + timedelta(hours=hours), resolve_by=now + timedelta(days=days))
    session.add(ticket)
    session.flush()
    ticket.events.append(TicketEvent(kind="opened", to_state=OPEN, note=description, by_id=actor.id,
                            at=now))
    session.flush()
    record(session, "aftersales.ticket_opened", actor=actor, record=ticket,
           summary=f"{ticket.no} {kind} {customer.name}: {what_it_is(ticket)}",
           data={"ticket": ticket.no, "kind": kind, "customer": customer.name, "source": source or None})
    return ticket


def what_it_is(ticket: Ticket) -> str:
    """The thing the ticket is about, in a few words."""
    if ticket.voucher_line_id is not None:
        line = ticket.voucher_line
        text = f"{ticket.voucher.no} {line.brand_name} {line.product_name} {line.model}".strip()
        return f"{text} #{ticket.serial_no}" if ticket.serial_no else text
    if ticket.unit_id is not None:
        unit = ticket.unit
        return f"{unit.building.name} {unit.number}"
    return ""


# ------------------------------------------------------------------ changing state
def _lock(session: Session, ticket_id, actor: Staff) -> Ticket:
    return get_ticket(session, ticket_id, actor, for_update=True, change=True)


def change_state(session: Session, ticket_id, to_state: str, *, actor: Staff, note: str) -> Ticket:
    """Move the ticket on (TRANSITIONS), with a note; resolved keeps the note as the resolution,
    rejected as the reason. Locked and checked under the lock."""
    from ..text import check_text

    ticket = _lock(session, ticket_id, actor)
    if to_state not in STATE_NAMES:
        raise DomainError(_("Choose the ticket's new state."), field="state")
    if to_state not in TRANSITIONS[ticket.state]:
        raise Conflict(_("Ticket %(no)s is %(now)s: it cannot become %(to)s.", no=ticket.no,
                         now=STATE_NAMES[ticket.state], to=STATE_NAMES[to_state]))
    label = {RESOLVED: _("How it was resolved"), REJECTED: _("Why it is rejected")}.get(to_state, _("Note"))
    note = check_text(note, label=label, max_len=NOTE_MAX, required=True, field="note")
    now = utcnow()
    before = ticket.state
    ticket.state = to_state
    if ticket.responded_at is None:
        ticket.responded_at = now
    if to_state in CLOSED:
        ticket.closed_at, ticket.closed_by_id, ticket.resolution = now, actor.id, note
    ticket.events.append(TicketEvent(kind="state", from_state=before, to_state=to_state, note=note,
                            by_id=actor.id, at=now))
    session.flush()
    record(session, "aftersales.ticket_state", actor=actor, record=ticket, reason=note,
           summary=f"{ticket.no} {before} → {to_state}", data={"ticket": ticket.no, "from": before, "to": to_state})
    if to_state == RESOLVED:
        _after_resolved(session, ticket, actor)
    return ticket


def _after_resolved(session: Session, ticket: Ticket, actor: Staff) -> None:
    """A resolved ticket gets its return visit (回访: how did the repair go?), from pos.aftersales.visits."""
    try:
        from . import visits
    except ImportError:  # return visits not installed
        return
    schedule = getattr(visits, "schedule_after_ticket", None)
    if schedule is not None:
        schedule(session, ticket, actor=actor)


def reassign(session: Session, ticket_id, staff_id, *, actor: Staff) -> Ticket:
    from ..text import parse_id

    if not actor.has_role("manager"):
        raise Forbidden(_("Only the manager gives a ticket to someone else."))
    ticket = _lock(session, ticket_id, actor)
    if ticket.closed:
        raise Conflict(_("Ticket %(no)s is closed.", no=ticket.no))
    person = session.get(Staff, parse_id(staff_id) or 0)
    if person is None or not person.active or not person.roles & {"clerk", "manager"}:
        raise DomainError(_("Choose an active clerk or manager to be in charge."), field="assigned_to_id")
    ticket.assigned_to_id = person.id
    ticket.events.append(TicketEvent(kind="assigned", note=person.full_name, by_id=actor.id))
    session.flush()
    session.refresh(ticket, ["assigned_to"])
    record(session, "aftersales.ticket_assigned", actor=actor, record=ticket,
           summary=f"{ticket.no} → {person.full_name}")
    return ticket


# ------------------------------------------------------------------ photos
def add_photo(session: Session, ticket_id, stream, *, actor: Staff, media_dir: str | Path) -> TicketPhoto:
    """A photo of the problem: at most ``PHOTO_MAX_BYTES``, a JPEG, PNG or WebP by its content (Pillow,
    header first: no decompression bomb), whatever its name says. Written 0600 under the media folder."""
    from ..catalog.pictures import check_picture
    from ..files import FILE_MODE, private_dir

    ticket = _lock(session, ticket_id, actor)
    if ticket.closed:
        raise Conflict(_("Ticket %(no)s is closed: no more photos.", no=ticket.no))
    if len(ticket.photos) >= PHOTOS_PER_TICKET:
        raise DomainError(_("A ticket holds at most %(n)d photos.", n=PHOTOS_PER_TICKET), field="photo")
    if stream is None:
        raise DomainError(_("Choose a photo to upload."), field="photo")
    data = stream.read(PHOTO_MAX_BYTES + 1)
    if not data:
        raise DomainError(_("Choose a photo to upload."), field="photo")
    if len(data) > PHOTO_MAX_BYTES:
        raise DomainError(_("The photo is larger than %(mb)d MB; take it again at a smaller size.",
                            mb=PHOTO_MAX_BYTES // (1024 * 1024)), field="photo")
    import io

    try:
        suffix = check_picture(io.BytesIO(data))
    except DomainError:
        raise DomainError(_("The file is not a photo: a JPEG, PNG or WebP image, please."), field="photo") from None
    folder = private_dir(Path(media_dir) / PHOTO_DIR)
    rel = f"{PHOTO_DIR}/{uuid.uuid4().hex}{suffix}"
    fd = os.open(folder / Path(rel).name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    photo = TicketPhoto(path=rel, size=len(data), by_id=actor.id)
    ticket.photos.append(photo)
    ticket.events.append(TicketEvent(kind="photo", by_id=actor.id))
    session.flush()
    record(session, "aftersales.ticket_photo", actor=actor, record=ticket, summary=f"{ticket.no} {rel}")
    return photo


def get_photo(session: Session, photo_id, viewer: Staff) -> TicketPhoto:
    photo = get_or_404(session, TicketPhoto, photo_id, _("No such photo."))
    get_ticket(session, photo.ticket_id, viewer)
    return photo


# ------------------------------------------------------------------ a dispatch slip (repair, installation)
def _service_slip(session: Session, ticket: Ticket, *, clerk: Staff, phone: str, address: str, window_day,
                  window: str, notes: str):
    """A dispatch slip of the ticket's kind (repair / installation) on its voucher, with the item to look
    at: no pickup, no goods leave stock, nothing to collect. Numbered in the slips' series."""
    from ..clock import local_today
    from ..customers import services as customers
    from ..delivery.models import DeliveryEvent, DispatchLine, DispatchSlip, SlipStatus
    from ..delivery.services import MAX_DELIVERY_AHEAD
    from ..shop.services import next_number
    from ..text import check_text, parse_day

    phone = customers.check_phone(phone)
    address = check_text(address, label=_("Address"), max_len=200, field="address")
    if len(address) < 6:
        raise DomainError(_("Enter the full address of the visit (district, street, building, room)."),
                          field="address")
    window = check_text(window, label=_("Time window"), max_len=30, field="window")
    today = local_today()
    day = parse_day(window_day, label=_("Day of the visit"), field="window_day") if window_day else today
    if day < today:
        raise DomainError(_("The day of the visit cannot be in the past."), field="window_day")
    if day > today + MAX_DELIVERY_AHEAD:
        raise DomainError(_("A visit is booked at most a year ahead (until %(day)s).",
                            day=(today + MAX_DELIVERY_AHEAD).isoformat()), field="window_day")
    n = next_number(session, "dispatch", today)
    slip = DispatchSlip(no=f"D{today:%Y%m%d}-{n:04d}", voucher_id=ticket.voucher_id, pickup_id=None,
                        kind=SLIP_FROM[ticket.kind], customer_name=ticket.customer.name[:60], phone=phone,
                        address=address,
                        window_day=day, window=window, notes=notes, collect=Decimal("0"), status=SlipStatus.OPEN,
                        created_by_id=clerk.id)
    if ticket.voucher_line_id is not None:
        slip.lines.append(DispatchLine(voucher_line_id=ticket.voucher_line_id, quantity=Decimal("1")))
    session.add(slip)
    session.add(DeliveryEvent(slip=slip, kind="created", by_id=clerk.id, note=ticket.no))
    session.flush()
    record(session, "delivery.slip_created", actor=clerk, record=slip,
           summary=f"{slip.no} {slip.kind} for {ticket.no}: {address}",
           data={"slip": slip.no, "voucher": ticket.voucher.no, "address": address, "kind": slip.kind})
    return slip


def make_slip(session: Session, ticket_id, *, actor: Staff, address: str = "", phone: str = "",
              window_day=None, window: str = "", notes: str = "") -> Ticket:
    """A repair or installation visit for the delivery staff: a dispatch slip of that kind on the
    ticket's voucher (no goods leave stock), to the customer's address. The ticket is in progress."""
    ticket = _lock(session, ticket_id, actor)
    if ticket.kind not in SLIP_FROM:
        raise DomainError(_("Only a repair, an installation or a complaint goes to the delivery staff."))
    if ticket.closed:
        raise Conflict(_("Ticket %(no)s is closed.", no=ticket.no))
    if ticket.dispatch_slip_id is not None:
        raise Conflict(_("Ticket %(no)s already has dispatch slip %(slip)s.", no=ticket.no,
                         slip=ticket.dispatch_slip.no))
    if ticket.voucher_id is None:
        raise DomainError(_("A dispatch slip is made for goods sold on a voucher; this ticket has none."))
    customer = ticket.customer
    slip = _service_slip(
        session, ticket, clerk=actor, phone=phone or customer.phone, address=address or customer.address,
        window_day=window_day, window=window,
        notes=" ".join(x for x in (f"{ticket.no}:", ticket.description[:300], notes or "") if x)[:500])
    ticket.dispatch_slip_id = slip.id
    now = utcnow()
    before = ticket.state
    if ticket.state == OPEN:
        ticket.state = IN_PROGRESS
    if ticket.responded_at is None:
        ticket.responded_at = now
    ticket.events.append(TicketEvent(kind="slip", from_state=before, to_state=ticket.state,
                            note=slip.no, by_id=actor.id, at=now))
    session.flush()
    record(session, "aftersales.ticket_slip", actor=actor, record=ticket, summary=f"{ticket.no} → {slip.no}",
           data={"ticket": ticket.no, "slip": slip.no})
    return ticket


def _visit_made(session: Session, slip, *, actor: Staff) -> None:
    """The delivery staff marked a ticket's repair or installation slip done (pos.delivery.services
    ``AFTER_VISIT``): the ticket's history says so, with who signed for it, and a ticket in progress
    now waits for the customer to say whether it is fixed — its person in charge then resolves it (the
    resolution is theirs to write). Under the ticket's row lock; a closed ticket only gets the line."""
    ticket = session.scalar(select(Ticket).where(Ticket.dispatch_slip_id == slip.id).with_for_update(of=Ticket)
                            .execution_options(populate_existing=True))
    if ticket is None:
        return
    before = ticket.state
    if ticket.state == IN_PROGRESS:
        ticket.state = WAITING
    ticket.events.append(TicketEvent(kind="visit", from_state=before, to_state=ticket.state,
                                     note=f"{slip.no} · {slip.received_by}", by_id=actor.id, at=utcnow()))
    session.flush()
    record(session, "aftersales.ticket_visit", actor=actor, record=ticket,
           summary=f"{ticket.no}: {slip.no} done, signed by {slip.received_by}",
           data={"ticket": ticket.no, "slip": slip.no, "from": before, "to": ticket.state})


def _listen_to_visits() -> None:
    from ..delivery import services as delivery

    if _visit_made not in delivery.AFTER_VISIT:
        delivery.AFTER_VISIT.append(_visit_made)


_listen_to_visits()


# ------------------------------------------------------------------ a refund (return / exchange)
def refunds_to_record(session: Session, ticket: Ticket) -> list:
    """The refunds of the ticket's voucher that pay back its item and no ticket holds yet."""
    from ..cashier.models import Refund, RefundLine

    if ticket.kind != RETURN or ticket.voucher_id is None or ticket.refund_id is not None:
        return []
    held = select(Ticket.refund_id).where(Ticket.refund_id.is_not(None))
    return list(session.scalars(select(Refund).join(RefundLine, RefundLine.refund_id == Refund.id)
                                .where(Refund.voucher_id == ticket.voucher_id,
                                       RefundLine.voucher_line_id == ticket.voucher_line_id,
                                       Refund.id.not_in(held)).distinct().order_by(Refund.id)))


def record_refund(session: Session, ticket_id, refund_id, *, actor: Staff) -> Ticket:
    """The cashier refunded the return (with the manager's PIN): link the refund to the ticket and put
    the piece back into stock — the quantity refunded on the ticket's line, at most what was handed
    over of that line less what other tickets put back (goods never handed over never left stock).
    Locks: the ticket, then the voucher (the line's put-back quantities summed under it)."""
    from ..cashier.models import Refund, RefundLine
    from ..catalog.models import Product
    from ..money import plain_number
    from ..sales.models import PickupLine, Voucher, VoucherLine
    from ..text import parse_id

    ticket = _lock(session, ticket_id, actor)
    if ticket.kind != RETURN:
        raise DomainError(_("Only a return or exchange request records a refund."))
    if ticket.refund_id is not None:
        raise Conflict(_("Ticket %(no)s already records a refund.", no=ticket.no))
    if ticket.closed:
        raise Conflict(_("Ticket %(no)s is closed.", no=ticket.no))
    refund = session.get(Refund, parse_id(refund_id) or 0)
    if refund is None or refund.voucher_id != ticket.voucher_id:
        raise DomainError(_("Choose a refund of voucher %(no)s.", no=ticket.voucher.no), field="refund_id")
    session.execute(select(Voucher.id).where(Voucher.id == ticket.voucher_id).with_for_update())
    if session.scalar(select(Ticket.id).where(Ticket.refund_id == refund.id)) is not None:
        raise Conflict(_("That refund is recorded on another ticket."))
    refunded = session.scalar(select(func.sum(RefundLine.quantity)).where(
        RefundLine.refund_id == refund.id, RefundLine.voucher_line_id == ticket.voucher_line_id))
    if not refunded:
        raise DomainError(_("That refund does not pay back the item of this ticket."), field="refund_id")
    line = session.get(VoucherLine, ticket.voucher_line_id)
    handed = session.scalar(select(func.sum(PickupLine.quantity)).where(
        PickupLine.voucher_line_id == line.id)) or Decimal("0")
    put_back = session.scalar(select(func.sum(Ticket.restocked)).where(
        Ticket.voucher_line_id == line.id, Ticket.id != ticket.id)) or Decimal("0")
    qty = max(Decimal("0"), min(Decimal(refunded), Decimal(handed) - Decimal(put_back)))
    if qty > 0:
        session.execute(update(Product).where(Product.id == line.product_id)
                        .values(stock_on_hand=Product.stock_on_hand + qty))
    ticket.refund_id, ticket.restocked = refund.id, qty
    now = utcnow()
    if ticket.responded_at is None:
        ticket.responded_at = now
    note = _("Refund %(amount)s recorded; %(qty)s back in stock.", amount=str(refund.amount),
             qty=plain_number(qty))
    ticket.events.append(TicketEvent(kind="refund", note=note, by_id=actor.id, at=now))
    session.flush()
    record(session, "aftersales.ticket_refund", actor=actor, record=ticket,
           summary=f"{ticket.no} refund #{refund.id} {refund.amount}, restocked {plain_number(qty)} "
                   f"{line.product_name}",
           data={"ticket": ticket.no, "refund": refund.id, "amount": str(refund.amount),
                 "restocked": plain_number(qty)})
    return ticket


# ------------------------------------------------------------------ lists
def ticket_list(session: Session, viewer: Staff, *, state: str = "", everyone: bool = False,
                limit: int = 200, now: datetime | None = None) -> list[Ticket]:
    """Tickets the viewer works on (their own, or everyone's for a manager who asks), overdue first,
    then by the resolve deadline. ``state``: "" the ones still open (not closed), "all", or one state."""
    from sqlalchemy import case

    now = now or utcnow()
    stmt = select(Ticket)
    if state == "":
        stmt = stmt.where(Ticket.state.not_in(CLOSED))
    elif state != "all":
        if state not in STATE_NAMES:
            raise DomainError(_("Choose a state from the list."), field="state")
        stmt = stmt.where(Ticket.state == state)
    if not (everyone and viewer.has_role("manager")):
        from ..customers.models import Ownership

        owned = select(Ownership.customer_id).where(Ownership.staff_id == viewer.id, Ownership.ended_at.is_(None),
                                                    Ownership.protected_until > now)
        stmt = stmt.where((Ticket.assigned_to_id == viewer.id) | (Ticket.opened_by_id == viewer.id)
                          | Ticket.customer_id.in_(owned))
    late = case((_overdue_clause(now), 0), else_=1)
    return list(session.scalars(stmt.order_by(late, Ticket.resolve_by, Ticket.id).limit(limit)))


def overdue(session: Session, viewer: Staff | None = None, limit: int = 50,
            now: datetime | None = None) -> list[Ticket]:
    """Overdue tickets (all, or those assigned to ``viewer``), the most overdue first."""
    now = now or utcnow()
    stmt = select(Ticket).where(_overdue_clause(now))
    if viewer is not None:
        stmt = stmt.where(Ticket.assigned_to_id == viewer.id)
    return list(session.scalars(stmt.order_by(Ticket.resolve_by, Ticket.id).limit(limit)))


def overdue_count(session: Session, viewer: Staff | None = None, now: datetime | None = None) -> int:
    stmt = select(func.count(Ticket.id)).where(_overdue_clause(now or utcnow()))
    if viewer is not None:
        stmt = stmt.where(Ticket.assigned_to_id == viewer.id)
    return session.scalar(stmt) or 0


def of_customer(session: Session, customer_id: int) -> list[Ticket]:
    return list(session.scalars(select(Ticket).where(Ticket.customer_id == customer_id)
                                .order_by(Ticket.opened_at.desc())))


@dataclass
class Bought:
    """Something the customer bought that a ticket may be about (the new-ticket form's choice)."""
    key: str  # "line:12", "serial:3", "unit:7"
    label: str
    at: datetime | None


def purchases(session: Session, customer_id: int, limit: int = 100) -> list[Bought]:
    """What this customer bought: voucher lines of their written-up vouchers, serials sold to them,
    property units on their agreements in force or converted — latest first."""
    from ..property.models import Unit
    from ..property.sale_models import CONVERTED, IN_FORCE, Agreement
    from ..sales.models import Voucher, VoucherLine, VoucherStatus
    from ..sales.serial_models import SoldSerial

    out: list[Bought] = []
    for line, voucher in session.execute(
            select(VoucherLine, Voucher).join(Voucher, Voucher.id == VoucherLine.voucher_id)
            .where(Voucher.customer_id == customer_id, Voucher.status == VoucherStatus.WRITTEN_UP)
            .order_by(Voucher.written_up_at.desc(), VoucherLine.position).limit(limit)):
        out.append(Bought(f"line:{line.id}", f"{voucher.no} · {line.brand_name} {line.product_name} {line.model}"
                                             f" ×{line.quantity.normalize():f}", voucher.written_up_at))
    for s in session.scalars(select(SoldSerial).where(SoldSerial.customer_id == customer_id,
                                                      SoldSerial.returned_at.is_(None))
                             .order_by(SoldSerial.handed_over_at.desc()).limit(limit)):
        out.append(Bought(f"serial:{s.id}", f"{s.voucher.no} · {s.product.name} #{s.serial}", s.handed_over_at))
    for a, unit in session.execute(select(Agreement, Unit).join(Unit, Unit.id == Agreement.unit_id)
                                   .where(Agreement.customer_id == customer_id,
                                          Agreement.state.in_((IN_FORCE, CONVERTED))).limit(limit)):
        out.append(Bought(f"unit:{unit.id}", f"{a.no} · {a.project_name} {a.building_name} {unit.number}",
                          a.created_at))
    out.sort(key=lambda b: b.at or datetime.min.replace(tzinfo=utcnow().tzinfo), reverse=True)
    return out


def split_bought(value: str) -> dict:
    """``"line:12"`` → ``{"voucher_line": "12"}`` (the form's one choice into open_ticket's arguments)."""
    kind, _sep, ident = (value or "").partition(":")
    key = {"line": "voucher_line", "serial": "serial", "unit": "unit"}.get(kind)
    if not value:
        return {}
    if key is None or not ident:
        raise DomainError(_("Choose what the customer bought from the list."), field="bought")
    return {key: ident}


# ------------------------------------------------------------------ for the appraisal
def resolved_on_time(session: Session, start: datetime, end: datetime) -> dict[int, tuple[int, int]]:
    """Per person in charge: (tickets resolved in [start, end), of which by their resolve deadline).
    Rejected tickets are not counted."""
    from sqlalchemy import case

    on_time = func.sum(case((Ticket.closed_at <= Ticket.resolve_by, 1), else_=0))
    rows = session.execute(select(Ticket.assigned_to_id, func.count(Ticket.id), on_time)
                           .where(Ticket.state == RESOLVED, Ticket.closed_at >= start, Ticket.closed_at < end)
                           .group_by(Ticket.assigned_to_id))
    return {staff_id: (int(n), int(ok or 0)) for staff_id, n, ok in rows}
