"""Queue numbers and opening day (认筹/排号, 开盘选房).

Before opening, an agent issues a customer a queue number for a project — gapless per project,
taken under the project's row lock; a 认筹 fee only once the project has its pre-sale permit
(before it, no fee of any kind). On opening day the manager opens a selection session: numbers
are called in queue order, ``call_window`` at a time; the agent taps the unit a called buyer
chooses and it is held for them at once (the unit's own lock and one-live-claim index make the
first valid choice win); each choice calls the next waiting number. A skipped number can be
recalled later.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..audit.services import KIND_LABELS, record
from ..dbtypes import utcnow
from ..errors import Conflict, DomainError, NotFound
from ..money import format_money
from ..staff.models import Staff
from . import services
from .models import Building, Project, QueueTicket, SelectionSession, Unit

TICKET_LABELS = {
    "waiting": _l("Waiting to be called"), "called": _l("Called"), "chosen": _l("Chose a unit"),
    "skipped": _l("Skipped"), "cancelled": _l("Ticket cancelled"),
}
KIND_LABELS.update({
    "property.queue_issued": _l("Queue number issued"),
    "property.session_opened": _l("Selection session opened"),
    "property.session_closed": _l("Selection session closed"),
    "property.number_called": _l("Queue number called"),
    "property.number_skipped": _l("Queue number skipped"),
    "property.unit_chosen": _l("Unit chosen on opening day"),
})
MAX_WINDOW = 50


def issue_ticket(session: Session, project: Project, *, actor: Staff, phone: str, name: str, fee="0",
                 now: datetime | None = None) -> QueueTicket:
    from .. import text as texts
    from ..customers.models import Customer

    now = now or utcnow()
    number_phone = texts.phone(phone)
    name = " ".join((name or "").split())
    if not name or len(name) > 60:
        raise DomainError(_("Give the customer's name (at most 60 characters)."), field="name")
    amount = services.parse_price(fee if fee not in (None, "") else "0", _("认筹 fee"))
    # the project row is the lock that makes numbers gapless and the permit check stable
    project = session.scalar(select(Project).where(Project.id == project.id).with_for_update()
                             .execution_options(populate_existing=True))
    if amount > 0 and not project.has_permit:
        raise DomainError(_("No 认筹 fee may be taken before the project has its pre-sale permit."), field="fee")
    customer = session.scalar(select(Customer).where(Customer.phone == number_phone))
    if customer is None:
        customer = Customer(name=name, phone=number_phone, created_by_id=actor.id)
        session.add(customer)
        session.flush()
    held = session.scalar(select(QueueTicket).where(QueueTicket.project_id == project.id,
                                                    QueueTicket.customer_id == customer.id,
                                                    QueueTicket.status != "cancelled"))
    if held is not None:
        raise Conflict(_("This customer already holds queue number %(no)d.", no=held.number))
    number = (session.scalar(select(func.max(QueueTicket.number)).where(QueueTicket.project_id == project.id))
              or 0) + 1
    ticket = QueueTicket(project_id=project.id, number=number, customer_id=customer.id, customer_name=name,
                         staff_id=actor.id, issued_at=now, fee=amount, fee_state="due" if amount > 0 else "none")
    try:
        with session.begin_nested():
            session.add(ticket)
            session.flush()
    except IntegrityError:
        raise Conflict(_("That queue number was just used; try again.")) from None
    record(session, "property.queue_issued", actor=actor, record=ticket,
           summary=f"{project.name} #{number} {name}" + (f" {format_money(amount)}" if amount else ""))
    return ticket


def tickets(session: Session, project: Project, *, with_units: bool = False) -> list[QueueTicket]:
    stmt = select(QueueTicket).where(QueueTicket.project_id == project.id).order_by(QueueTicket.number)
    if with_units:
        from sqlalchemy.orm import joinedload

        stmt = stmt.options(joinedload(QueueTicket.unit).joinedload(Unit.building), joinedload(QueueTicket.staff))
    return list(session.scalars(stmt))


def skipped(session: Session, sel: SelectionSession) -> list[QueueTicket]:
    return list(session.scalars(select(QueueTicket).where(QueueTicket.project_id == sel.project_id,
                                                          QueueTicket.status == "skipped")
                                .order_by(QueueTicket.number)))


def open_session(session: Session, project: Project, *, actor: Staff, call_window=1) -> SelectionSession:
    services._require_manager(actor)
    if not project.has_permit:
        raise DomainError(_("Units cannot be sold before the project has its pre-sale permit."))
    window = services._int_in(call_window, 1, MAX_WINDOW, _("numbers called at once"))
    if current_session(session, project) is not None:
        raise Conflict(_("A selection session is already open for this project."))
    sel = SelectionSession(project_id=project.id, call_window=window, opened_by_id=actor.id)
    try:
        with session.begin_nested():
            session.add(sel)
            session.flush()
    except IntegrityError:
        raise Conflict(_("A selection session is already open for this project.")) from None
    record(session, "property.session_opened", actor=actor, record=project, summary=f"window {window}")
    fill_window(session, sel)
    return sel


def current_session(session: Session, project: Project) -> SelectionSession | None:
    return session.scalar(select(SelectionSession).where(SelectionSession.project_id == project.id,
                                                         SelectionSession.closed_at.is_(None)))


def get_session(session: Session, session_id) -> SelectionSession:
    sel = session.get(SelectionSession, services._int(session_id))
    if sel is None:
        raise NotFound(_("No such selection session."))
    return sel


def _open(sel: SelectionSession) -> None:
    if sel.closed_at is not None:
        raise DomainError(_("This selection session is closed."))


def called(session: Session, sel: SelectionSession) -> list[QueueTicket]:
    return list(session.scalars(select(QueueTicket).where(QueueTicket.project_id == sel.project_id,
                                                          QueueTicket.status == "called")
                                .order_by(QueueTicket.number)))


def fill_window(session: Session, sel: SelectionSession, now: datetime | None = None) -> list[QueueTicket]:
    """Call waiting numbers in queue order until ``call_window`` are called. Concurrent callers skip
    the numbers another is calling (SKIP LOCKED on PostgreSQL; SQLite has one writer anyway)."""
    now = now or utcnow()
    open_now = session.scalar(select(func.count(QueueTicket.id)).where(QueueTicket.project_id == sel.project_id,
                                                                        QueueTicket.status == "called")) or 0
    wanted = sel.call_window - open_now
    if wanted <= 0:
        return []
    batch = list(session.scalars(select(QueueTicket).where(QueueTicket.project_id == sel.project_id,
                                                           QueueTicket.status == "waiting")
                                 .order_by(QueueTicket.number).limit(wanted)
                                 .with_for_update(skip_locked=True)))
    for ticket in batch:
        ticket.status = "called"
        ticket.called_at = now
    return batch


def _ticket_for_update(session: Session, sel: SelectionSession, ticket_id) -> QueueTicket:
    ticket = session.scalar(select(QueueTicket).where(QueueTicket.id == services._int(ticket_id),
                                                      QueueTicket.project_id == sel.project_id)
                            .with_for_update().execution_options(populate_existing=True))
    if ticket is None:
        raise NotFound(_("No such queue number in this project."))
    return ticket


def choose(session: Session, sel: SelectionSession, ticket_id, unit_id, *, actor: Staff,
           now: datetime | None = None) -> QueueTicket:
    """The called buyer chose a unit: hold it for them at once, then call the next number."""
    now = now or utcnow()
    _open(sel)
    ticket = _ticket_for_update(session, sel, ticket_id)
    if ticket.status == "chosen":
        raise Conflict(_("Queue number %(no)d has already chosen unit %(unit)s.", no=ticket.number,
                         unit=ticket.unit.number if ticket.unit else "?"))
    if ticket.status != "called":
        raise DomainError(_("Queue number %(no)d has not been called (%(state)s).", no=ticket.number,
                            state=TICKET_LABELS[ticket.status]))
    unit = services.get_unit(session, unit_id)
    if unit.building.project_id != sel.project_id:
        raise DomainError(_("Unit %(number)s is not in this project.", number=unit.number))
    claim = services.hold_unit(session, unit.id, actor=actor,
                               customer_name=f"#{ticket.number} {ticket.customer_name}"[:60],
                               customer_id=ticket.customer_id, now=now)
    ticket.status = "chosen"
    ticket.unit_id = unit.id
    ticket.claim_id = claim.id
    ticket.chosen_at = now
    record(session, "property.unit_chosen", actor=actor, record=unit,
           summary=f"#{ticket.number} {ticket.customer_name} → {unit.building.name} {unit.number}")
    fill_window(session, sel, now)
    return ticket


def find_unit(session: Session, project_id: int, building_id, number: str) -> Unit:
    unit = session.scalar(select(Unit).join(Building).where(Building.project_id == project_id,
                                                            Building.id == services._int(building_id),
                                                            Unit.number == services._clean_number(number).upper()))
    if unit is None:
        raise NotFound(_("No unit %(number)s in that building.", number=(number or "").strip()[:20]))
    return unit


def skip(session: Session, sel: SelectionSession, ticket_id, *, actor: Staff) -> QueueTicket:
    services._require_manager(actor)
    _open(sel)
    ticket = _ticket_for_update(session, sel, ticket_id)
    if ticket.status != "called":
        raise DomainError(_("Only a called number can be skipped."))
    ticket.status = "skipped"
    record(session, "property.number_skipped", actor=actor, record=ticket, summary=f"#{ticket.number}")
    fill_window(session, sel)
    return ticket


def recall(session: Session, sel: SelectionSession, ticket_id, *, actor: Staff) -> QueueTicket:
    """A skipped buyer is back: called again now (beyond the window if need be)."""
    services._require_manager(actor)
    _open(sel)
    ticket = _ticket_for_update(session, sel, ticket_id)
    if ticket.status != "skipped":
        raise DomainError(_("Only a skipped number can be recalled."))
    ticket.status = "called"
    ticket.called_at = utcnow()
    record(session, "property.number_called", actor=actor, record=ticket, summary=f"#{ticket.number} recalled")
    return ticket


def close_session(session: Session, sel: SelectionSession, *, actor: Staff) -> None:
    services._require_manager(actor)
    _open(sel)
    sel.closed_at = utcnow()
    for ticket in called(session, sel):
        ticket.status = "waiting"  # not chosen: back in the queue for another day
        ticket.called_at = None
    record(session, "property.session_closed", actor=actor, record=sel.project, summary=f"session {sel.id}")
