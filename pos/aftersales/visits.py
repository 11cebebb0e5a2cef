"""Return visits (回访) and the satisfaction question (满意 / 一般 / 不满意).

When the goods of a voucher have reached the customer — picked up at the counter, or the last dispatch
slip delivered — and when a ticket is resolved, a return visit is scheduled
``aftersales.return_visit_days`` days later (shop setting, default 3) for the customer's owner (the
voucher's clerk when nobody owns them). Sales and delivery sit below after-sales and cannot call it:
they tell :mod:`pos.sales.after_handover`, where :func:`on_handover` is registered at import.

The person calls, with the call script (what was bought, serials, tickets), and records either the
answer or "not reached" with the day to try again. An unsatisfied answer opens a complaint ticket.
The customer may also answer on their own phone (:mod:`pos.aftersales.survey`); one answer per sale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import clock
from ..audit.services import KIND_LABELS, RECORD_LABELS, record
from ..customers import ownership
from ..customers.timeline import Entry, register_timeline_source
from ..errors import Conflict, DomainError, Forbidden, get_or_404
from ..sales import after_handover
from ..sales.models import Voucher, VoucherLine
from ..shop import services as shop
from ..staff.models import Staff
from ..text import parse_day
from .visit_models import (
    NEUTRAL,
    RATINGS,
    SATISFIED,
    UNSATISFIED,
    VISIT_ANSWERED,
    VISIT_DONE,
    VISIT_OPEN,
    ReturnVisit,
    SatisfactionAnswer,
    VisitCall,
    ticket_subject,
    voucher_subject,
)

RATING_LABELS = {SATISFIED: _l("Satisfied (满意)"), NEUTRAL: _l("So-so (一般)"),
                 UNSATISFIED: _l("Unsatisfied (不满意)")}
NOT_REACHED = "not_reached"
REASON_LABELS = {"pickup": _l("Picked up at the counter"), "delivery": _l("Delivered to the customer"),
                 "ticket": _l("Ticket resolved")}
STATE_LABELS = {VISIT_OPEN: _l("Visit to make"), VISIT_DONE: _l("Visit made"),
                VISIT_ANSWERED: _l("Answered by the customer")}
#: a comment on an answer or a call (the form's box holds as much)
MAX_COMMENT = 500
#: the furthest a "not reached" call may put the next try
MAX_RETRY_AHEAD = timedelta(days=30)

KIND_LABELS.update({
    "aftersales.visit_scheduled": _l("Return visit scheduled"),
    "aftersales.visit_not_reached": _l("Return visit: customer not reached"),
    "aftersales.visit_answered": _l("Return visit answered"),
    "aftersales.survey_answered": _l("Satisfaction survey answered by the customer"),
})
RECORD_LABELS.update({"aftersales_visit": _l("Return visit"), "aftersales_satisfaction": _l("Satisfaction answer")})


# ------------------------------------------------------------------ scheduling
def return_visit_days(session: Session) -> int:
    """Days from the handover (or a ticket's resolution) to the return visit (setting, 0 … 90)."""
    try:
        days = int(shop.get_setting(session, "aftersales.return_visit_days"))
    except ValueError:
        days = int(shop.DEFAULTS["aftersales.return_visit_days"])
    return min(max(days, 0), 90)


def set_return_visit_days(session: Session, value) -> int:
    from ..text import parse_int

    days = parse_int(value, label=_("Days to the return visit"), minimum=0, maximum=90,
                     field="return_visit_days")
    shop.set_setting(session, "aftersales.return_visit_days", str(days))
    return days


def _caller_for(session: Session, customer_id: int, fallback_id: int) -> int:
    """Who makes the visit: the customer's owner (客户归属), else ``fallback_id`` (the voucher's clerk)."""
    owner = ownership.owner_of(session, customer_id, clock.utcnow())
    return owner.staff_id if owner is not None else fallback_id


def _answered(session: Session, subject: str) -> SatisfactionAnswer | None:
    return session.scalar(select(SatisfactionAnswer).where(SatisfactionAnswer.subject == subject))


def schedule(session: Session, *, subject: str, reason: str, customer_id: int, staff_id: int, actor: Staff | None,
             voucher_id: int | None = None, ticket_id: int | None = None) -> ReturnVisit | None:
    """The visit about ``subject``, made once (the unique subject holds it; a second call returns the
    first). None when the customer already answered about it on their phone."""
    earlier = session.scalar(select(ReturnVisit).where(ReturnVisit.subject == subject))
    if earlier is not None:
        return earlier
    if _answered(session, subject) is not None:
        return None
    visit = ReturnVisit(subject=subject, reason=reason, customer_id=customer_id, staff_id=staff_id,
                        voucher_id=voucher_id, ticket_id=ticket_id, state=VISIT_OPEN, attempts=0,
                        due_on=clock.local_today() + timedelta(days=return_visit_days(session)),
                        created_at=clock.utcnow())
    try:
        with session.begin_nested():
            session.add(visit)
            session.flush()
    except IntegrityError:  # scheduled at the same moment elsewhere: that one stands
        return session.scalar(select(ReturnVisit).where(ReturnVisit.subject == subject))
    record(session, "aftersales.visit_scheduled", actor=actor, record=visit,
           summary=f"{subject} → staff {staff_id} on {visit.due_on.isoformat()}",
           data={"subject": subject, "reason": reason, "due_on": visit.due_on.isoformat(), "staff_id": staff_id})
    return visit


@after_handover.register
def on_handover(session: Session, voucher: Voucher, *, how: str, actor: Staff | None) -> None:
    """Goods of ``voucher`` were handed over: once all of them are with the customer (nothing left to
    pick up, every dispatch slip delivered), schedule the return visit. The voucher is locked first, so
    two slips delivered at once both see each other and exactly one schedules."""
    from ..delivery.models import DispatchSlip, SlipStatus

    if how == "dispatch" or voucher is None or voucher.customer_id is None:
        return  # the goods are on the van, not with the customer; or nobody to call
    session.flush()
    session.refresh(voucher, with_for_update={"of": Voucher})
    if voucher.pickup_state != "complete":
        return
    waiting = session.scalar(select(func.count(DispatchSlip.id)).where(
        DispatchSlip.voucher_id == voucher.id, DispatchSlip.status != SlipStatus.DELIVERED,
        DispatchSlip.kind == "delivery"))  # a repair or installation visit is not goods on their way
    if waiting:
        return
    schedule(session, subject=voucher_subject(voucher.id), reason="delivery" if how == "delivered" else "pickup",
             customer_id=voucher.customer_id, staff_id=_caller_for(session, voucher.customer_id, voucher.clerk_id),
             actor=actor, voucher_id=voucher.id)


def schedule_after_ticket(session: Session, ticket, *, actor: Staff | None) -> ReturnVisit | None:
    """A ticket was resolved: visit the customer about it (how did the repair go?)."""
    return schedule(session, subject=ticket_subject(ticket.id), reason="ticket", customer_id=ticket.customer_id,
                    staff_id=_caller_for(session, ticket.customer_id, ticket.assigned_to_id), actor=actor,
                    voucher_id=ticket.voucher_id, ticket_id=ticket.id)


# ------------------------------------------------------------------ the person's lists
def due_lists(session: Session, staff: Staff, today: date | None = None,
              limit: int = 10) -> tuple[list[ReturnVisit], list[ReturnVisit]]:
    """(due today, overdue) of the person's open visits, oldest first, ``limit`` each."""
    today = today or clock.local_today()
    base = select(ReturnVisit).where(ReturnVisit.staff_id == staff.id, ReturnVisit.state == VISIT_OPEN)
    due = list(session.scalars(base.where(ReturnVisit.due_on == today).order_by(ReturnVisit.id).limit(limit)))
    overdue = list(session.scalars(base.where(ReturnVisit.due_on < today)
                                   .order_by(ReturnVisit.due_on, ReturnVisit.id).limit(limit)))
    return due, overdue


def due_count(session: Session, staff: Staff, today: date | None = None) -> int:
    today = today or clock.local_today()
    return session.scalar(select(func.count(ReturnVisit.id)).where(
        ReturnVisit.staff_id == staff.id, ReturnVisit.state == VISIT_OPEN, ReturnVisit.due_on <= today)) or 0


def open_visits(session: Session, viewer: Staff, limit: int = 200) -> list[ReturnVisit]:
    """The open visits, by due day: the person's own; a manager's list holds everyone's."""
    stmt = select(ReturnVisit).where(ReturnVisit.state == VISIT_OPEN)
    if not viewer.has_role("manager"):
        stmt = stmt.where(ReturnVisit.staff_id == viewer.id)
    return list(session.scalars(stmt.order_by(ReturnVisit.due_on, ReturnVisit.id).limit(limit)))


def recent_done(session: Session, viewer: Staff, limit: int = 20) -> list[ReturnVisit]:
    stmt = select(ReturnVisit).where(ReturnVisit.state != VISIT_OPEN)
    if not viewer.has_role("manager"):
        stmt = stmt.where(ReturnVisit.staff_id == viewer.id)
    return list(session.scalars(stmt.order_by(ReturnVisit.closed_at.desc(), ReturnVisit.id.desc()).limit(limit)))


# ------------------------------------------------------------------ one visit: the call script and its result
def _check_mine(viewer: Staff):
    def check(visit: ReturnVisit) -> None:
        if visit.staff_id != viewer.id and not viewer.has_role("manager"):
            raise Forbidden(_("This return visit is %(name)s's.", name=visit.staff.full_name))
    return check


def get_visit(session: Session, visit_id, viewer: Staff, *, for_update: bool = False) -> ReturnVisit:
    return get_or_404(session, ReturnVisit, visit_id, _("No such return visit."), check=_check_mine(viewer),
                      for_update=for_update)


@dataclass
class Script:
    """What the caller needs on the screen (回访话术): who, what was bought, serials, tickets, earlier calls."""

    visit: ReturnVisit
    phone: str
    lines: list[VoucherLine] = field(default_factory=list)
    serials: dict[int, list[str]] = field(default_factory=dict)  # voucher line id → serials handed over
    tickets: list = field(default_factory=list)
    answer: SatisfactionAnswer | None = None


def call_script(session: Session, visit: ReturnVisit, viewer: Staff) -> Script:
    from ..sales.serial_models import SoldSerial
    from .models import Ticket

    own = ownership.owner_of(session, visit.customer_id, clock.utcnow())
    phone = (visit.customer.phone if (viewer.has_role("manager") or visit.staff_id == viewer.id
                                      or (own is not None and own.staff_id == viewer.id))
             else ownership.mask_phone(visit.customer.phone))
    script = Script(visit=visit, phone=phone, answer=_answered(session, visit.subject))
    if visit.voucher_id is not None:
        script.lines = list(session.scalars(select(VoucherLine).where(VoucherLine.voucher_id == visit.voucher_id)
                                            .order_by(VoucherLine.position, VoucherLine.id)))
        for line_id, serial in session.execute(
                select(SoldSerial.voucher_line_id, SoldSerial.serial).where(SoldSerial.voucher_id == visit.voucher_id)
                .order_by(SoldSerial.id)):
            script.serials.setdefault(line_id, []).append(serial)
    script.tickets = list(session.scalars(select(Ticket).where(Ticket.customer_id == visit.customer_id)
                                          .order_by(Ticket.id.desc()).limit(10)))
    return script


def _comment(text: str | None) -> str:
    text = (text or "").strip()
    if len(text) > MAX_COMMENT:
        raise DomainError(_("A comment has at most %(n)d characters.", n=MAX_COMMENT), field="comment")
    return text


def showroom_of_voucher(session: Session, voucher_id: int | None) -> int | None:
    """The showroom a sale was paid in (the cashier's station's), else the shop's first."""
    from ..cashier.models import Payment, Shift
    from ..shop.models import Station

    room = None
    if voucher_id is not None:
        room = session.scalar(select(Station.showroom_id).join(Shift, Shift.station_id == Station.id)
                              .join(Payment, Payment.shift_id == Shift.id).where(Payment.voucher_id == voucher_id)
                              .order_by(Payment.id).limit(1))
    if room is None:
        main = shop.showroom(session)
        room = main.id if main is not None else None
    return room


def save_answer(session: Session, *, subject: str, channel: str, rating: str, comment: str,
                customer_id: int | None, voucher_id: int | None, ticket_id: int | None, visit_id: int | None,
                staff_id: int | None, recorded_by: Staff | None) -> SatisfactionAnswer:
    """One answer about ``subject``; a second is refused (409) — checked first, then held by the unique
    subject in a savepoint (two answers at the same moment: one is saved)."""
    if _answered(session, subject) is not None:
        raise Conflict(_("This purchase has already been rated. Thank you."))
    answer = SatisfactionAnswer(subject=subject, channel=channel, rating=rating, comment=comment, at=clock.utcnow(),
                                customer_id=customer_id, voucher_id=voucher_id, ticket_id=ticket_id,
                                visit_id=visit_id, staff_id=staff_id,
                                showroom_id=showroom_of_voucher(session, voucher_id),
                                recorded_by_id=recorded_by.id if recorded_by is not None else None)
    try:
        with session.begin_nested():
            session.add(answer)
            session.flush()
    except IntegrityError:
        raise Conflict(_("This purchase has already been rated. Thank you.")) from None
    return answer


def open_complaint(session: Session, answer: SatisfactionAnswer, *, customer, actor: Staff, source: str,
                   source_id: int | None, voucher_line=None, heading: str):
    """An unsatisfied answer becomes a complaint ticket (投诉), linked both ways — about the sale the answer
    rates (or the rated ticket's sale), so that the ticket can send a repair visit to look at it."""
    from ..sales.models import Voucher
    from . import tickets
    from .models import Ticket

    description = heading + (f"：{answer.comment}" if answer.comment else "")
    sale = answer.voucher_id
    if sale is None and answer.ticket_id is not None:
        sale = session.scalar(select(Ticket.voucher_id).where(Ticket.id == answer.ticket_id))
    customer_id = getattr(customer, "id", customer)
    if voucher_line is not None or (sale is not None and session.scalar(
            select(Voucher.customer_id).where(Voucher.id == sale)) != customer_id):
        sale = None
    ticket = tickets.open_ticket(session, customer=customer, kind="complaint", description=description,
                                 actor=actor, voucher_line=voucher_line, voucher=sale, source=source,
                                 source_id=source_id)
    answer.complaint_id = ticket.id
    return ticket


def record_result(session: Session, visit_id, *, actor: Staff, outcome: str, comment: str = "",
                  retry_on=None) -> ReturnVisit:
    """The call's result: an answer to the satisfaction question (an unsatisfied one opens a complaint
    ticket), or ``not_reached`` with the day to try again (tomorrow unless chosen)."""
    visit = get_visit(session, visit_id, actor, for_update=True)  # re-checked under the lock
    if visit.state != VISIT_OPEN:
        raise Conflict(_("This return visit is already recorded."))
    outcome = (outcome or "").strip()
    comment = _comment(comment)
    today = clock.local_today()
    now = clock.utcnow()
    if outcome == NOT_REACHED:
        day = retry_on if isinstance(retry_on, date) else (
            parse_day(retry_on, label=_("Try again on")) if str(retry_on or "").strip() else None)
        day = day or today + timedelta(days=1)
        if day < today:
            raise DomainError(_("The next try cannot be in the past."), field="retry_on")
        if day > today + MAX_RETRY_AHEAD:
            raise DomainError(_("Try again within %(n)d days.", n=MAX_RETRY_AHEAD.days), field="retry_on")
        visit.attempts += 1
        visit.due_on = day
        session.add(VisitCall(visit=visit, by_id=actor.id, at=now, reached=False, note=comment, retry_on=day))
        record(session, "aftersales.visit_not_reached", actor=actor, record=visit,
               summary=f"{visit.subject}: try {visit.attempts}, again on {day.isoformat()}",
               data={"retry_on": day.isoformat(), "attempts": visit.attempts})
        return visit
    if outcome not in RATINGS:
        raise DomainError(_("Choose the customer's answer: satisfied, so-so, unsatisfied — or not reached."),
                          field="outcome")
    if outcome == UNSATISFIED and not comment:
        raise DomainError(_("Unsatisfied: write down what the customer is unhappy about (it opens a ticket)."),
                          field="comment")
    if _answered(session, visit.subject) is not None:
        raise Conflict(_("The customer has already answered on their phone; nothing more to record."))
    answer = save_answer(session, subject=visit.subject, channel="visit", rating=outcome, comment=comment,
                         customer_id=visit.customer_id, voucher_id=visit.voucher_id, ticket_id=visit.ticket_id,
                         visit_id=visit.id, staff_id=visit.staff_id, recorded_by=actor)
    session.add(VisitCall(visit=visit, by_id=actor.id, at=now, reached=True, note=comment))
    visit.state = VISIT_DONE
    visit.closed_at = now
    ticket = None
    if outcome == UNSATISFIED:
        ticket = open_complaint(session, answer, customer=visit.customer, actor=actor, source="visit",
                                source_id=visit.id, heading=_("Return visit: unsatisfied"))
    record(session, "aftersales.visit_answered", actor=actor, record=visit,
           summary=f"{visit.subject}: {outcome}" + (f", ticket {ticket.no}" if ticket is not None else ""),
           data={"rating": outcome, "comment": comment, "ticket": ticket.no if ticket is not None else None})
    return visit


def close_for_survey(session: Session, subject: str, now: datetime) -> ReturnVisit | None:
    """The customer answered on their phone: their open visit about it has nothing left to ask."""
    visit = session.scalar(select(ReturnVisit).where(ReturnVisit.subject == subject)
                           .with_for_update(of=ReturnVisit))
    if visit is not None and visit.state == VISIT_OPEN:
        visit.state = VISIT_ANSWERED
        visit.closed_at = now
    return visit


# ------------------------------------------------------------------ satisfaction rates
def satisfaction_by_person(session: Session, start: datetime, end: datetime) -> dict[int, tuple[int, int]]:
    """Per person credited (the visit's caller, else the voucher's clerk): (answers, satisfied) among the
    answers given in ``[start, end)`` — by call or on the customer's phone, about sales and tickets."""
    rows = session.execute(
        select(SatisfactionAnswer.staff_id, func.count(SatisfactionAnswer.id),
               func.sum(case((SatisfactionAnswer.rating == SATISFIED, 1), else_=0)))
        .where(SatisfactionAnswer.at >= start, SatisfactionAnswer.at < end, SatisfactionAnswer.staff_id.is_not(None))
        .group_by(SatisfactionAnswer.staff_id))
    return {staff_id: (int(n), int(ok or 0)) for staff_id, n, ok in rows}


@dataclass
class RateRow:
    key: object
    label: str
    answers: int = 0
    satisfied: int = 0
    neutral: int = 0
    unsatisfied: int = 0

    @property
    def rate(self):
        """Satisfied answers per answer, in percent (None without answers)."""
        from decimal import ROUND_HALF_UP, Decimal

        if not self.answers:
            return None
        return (Decimal(self.satisfied * 100) / self.answers).quantize(Decimal("0.1"), ROUND_HALF_UP)

    def add(self, rating: str, n: int) -> None:
        self.answers += n
        if rating == SATISFIED:
            self.satisfied += n
        elif rating == NEUTRAL:
            self.neutral += n
        elif rating == UNSATISFIED:
            self.unsatisfied += n


@dataclass
class Report:
    total: RateRow
    by_person: list[RateRow]
    by_product: list[RateRow]
    by_showroom: list[RateRow]
    unsatisfied: list[SatisfactionAnswer]


def satisfaction_report(session: Session, start: datetime, end: datetime) -> Report:
    """Satisfaction for answers given in ``[start, end)``: overall, per person, per product (the answers
    about a sale count for each product on its voucher) and per showroom; and the unsatisfied answers."""
    from ..catalog.models import Product
    from ..shop.models import Showroom

    period = (SatisfactionAnswer.at >= start, SatisfactionAnswer.at < end)
    total = RateRow(None, _("All answers"))
    for rating, n in session.execute(select(SatisfactionAnswer.rating, func.count(SatisfactionAnswer.id))
                                     .where(*period).group_by(SatisfactionAnswer.rating)):
        total.add(rating, n)

    def grouped(stmt, label_of) -> list[RateRow]:
        rows: dict = {}
        for key, label, rating, n in session.execute(stmt):
            rows.setdefault(key, RateRow(key, label_of(key, label))).add(rating, n)
        return sorted(rows.values(), key=lambda r: (-r.answers, str(r.label)))

    by_person = grouped(
        select(SatisfactionAnswer.staff_id, Staff.full_name, SatisfactionAnswer.rating,
               func.count(SatisfactionAnswer.id))
        .outerjoin(Staff, Staff.id == SatisfactionAnswer.staff_id).where(*period)
        .group_by(SatisfactionAnswer.staff_id, Staff.full_name, SatisfactionAnswer.rating),
        lambda key, label: label or "—")
    by_product = grouped(
        select(VoucherLine.product_id, func.max(VoucherLine.product_name), SatisfactionAnswer.rating,
               func.count(func.distinct(SatisfactionAnswer.id)))
        .join(VoucherLine, VoucherLine.voucher_id == SatisfactionAnswer.voucher_id)
        .join(Product, Product.id == VoucherLine.product_id)
        .where(*period, SatisfactionAnswer.ticket_id.is_(None))
        .group_by(VoucherLine.product_id, SatisfactionAnswer.rating),
        lambda key, label: label)
    by_showroom = grouped(
        select(SatisfactionAnswer.showroom_id, Showroom.name, SatisfactionAnswer.rating,
               func.count(SatisfactionAnswer.id))
        .outerjoin(Showroom, Showroom.id == SatisfactionAnswer.showroom_id).where(*period)
        .group_by(SatisfactionAnswer.showroom_id, Showroom.name, SatisfactionAnswer.rating),
        lambda key, label: label or "—")
    unsatisfied = list(session.scalars(
        select(SatisfactionAnswer).where(*period, SatisfactionAnswer.rating == UNSATISFIED)
        .order_by(SatisfactionAnswer.at.desc()).limit(50)))
    return Report(total, by_person, by_product, by_showroom, unsatisfied)


# ------------------------------------------------------------------ the customer file's timeline
@register_timeline_source
def timeline_entries(session: Session, customer_id: int):
    """The customer's satisfaction answers (by call or on their phone) on their file's timeline."""
    for a in session.scalars(select(SatisfactionAnswer).where(SatisfactionAnswer.customer_id == customer_id)):
        how = _("return visit") if a.channel == "visit" else _("receipt QR")
        yield Entry(at=a.at, kind="satisfaction", title=f"{_('Satisfaction answer')}：{RATING_LABELS[a.rating]}",
                    detail=" · ".join(x for x in (how, a.comment[:80]) if x),
                    endpoint="visits.visit" if a.visit_id else None,
                    args={"visit_id": a.visit_id} if a.visit_id else {})
