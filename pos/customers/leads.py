"""Leads and follow-up (销售线索, 跟进).

A lead is a customer (found or registered by phone) with what they want, the channel and the
campaign or event they came from. The manager assigns it to an agent, or leaves it to the rule:
round robin over the active sales staff, one turn pointer per showroom (``leads.rr.<showroom>``,
taken under the showroom's row lock so two leads at once go to two people). A clerk who
registers a lead keeps it; a customer in the pool is owned by the lead's agent from then on.
The assignee (or the manager) logs follow-ups — a call, a visit, a
message, a note or a result — each with the next contact date (never in the past). Open leads
due today and overdue are listed for the assignee. A lead ends converted (linked to the voucher
or the agreement it became, which must be the same customer's) or closed with a reason.

The conversion report (by channel and by person, for a period) is in pos/reports/leads.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select
from sqlalchemy.orm import Session, selectinload

from ..audit.services import KIND_LABELS, RECORD_LABELS, record
from ..dbtypes import utcnow
from ..errors import Conflict, DomainError, Forbidden, NotFound
from ..extensions import db
from ..staff.models import Staff
from . import ownership as own
from .file_models import LEAD_CLOSED, LEAD_CONVERTED, LEAD_OPEN, Lead, LeadActivity
from .models import CHANNELS
from .timeline import Entry, register_timeline_source

ACTIVITY_KINDS = {"call": _l("Call"), "visit": _l("Visit"), "message": _l("Message"), "note": _l("Note"),
                  "result": _l("Result")}
STATUS_LABELS = {LEAD_OPEN: _l("Being followed up"), LEAD_CONVERTED: _l("Converted"), LEAD_CLOSED: _l("Closed")}

KIND_LABELS.update({
    "customers.lead": _l("Lead registered"),
    "customers.lead_assigned": _l("Lead assigned"),
    "customers.lead_follow_up": _l("Lead followed up"),
    "customers.lead_converted": _l("Lead converted"),
    "customers.lead_closed": _l("Lead closed"),
})
RECORD_LABELS.update({"customer_lead": _l("Lead")})


def _next_day(value, today: date | None = None) -> date | None:
    from ..clock import local_today
    from ..text import parse_day

    if value in (None, ""):
        return None
    day = parse_day(value, label=_("next contact date"), field="next_contact_on")
    if day < (today or local_today()):
        raise DomainError(_("The next contact date cannot be in the past."), field="next_contact_on")
    return day


def _agents(session: Session) -> list[Staff]:
    return [s for s in session.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.id)
                                       .options(selectinload(Staff.role_rows)))
            if s.has_role("clerk") and not s.has_role("manager")]


def _round_robin(session: Session, showroom_id: int | None) -> Staff:
    """The next agent in turn for this showroom (the showroom's row locked while the turn moves on)."""
    from ..shop.models import Setting, Showroom
    from ..shop.services import showroom

    room = session.get(Showroom, showroom_id) if showroom_id else showroom(session)
    if room is not None:
        session.execute(select(Showroom.id).where(Showroom.id == room.id).with_for_update())
    key = f"leads.rr.{room.id if room else 0}"
    agents = _agents(session)
    if not agents:
        raise DomainError(_("There is no active sales agent to give the lead to."), field="assigned_to_id")
    row = session.get(Setting, key, with_for_update=True, populate_existing=True)
    last = int(row.value) if row is not None and row.value.isdigit() else 0
    after = [a for a in agents if a.id > last]
    agent = after[0] if after else agents[0]
    if row is None:
        session.add(Setting(key=key, value=str(agent.id)))
    else:
        row.value = str(agent.id)
    session.flush()
    return agent


def create_lead(session: Session, *, actor: Staff, phone: str, name: str, want: str = "", channel: str,
                campaign: str = "", assigned_to_id=None, next_contact_on=None, showroom_id=None) -> Lead:
    """Register a lead. A clerk keeps the lead they register; the manager gives it to an agent or,
    leaving the choice empty, to the round-robin rule."""
    from .. import text as texts

    number = texts.phone(phone)
    name = " ".join(texts.check_text(name, label=_("Full name"), max_len=60, required=True, field="name").split())
    want = texts.check_text(want, label=_("What they want"), max_len=1000, required=True, field="want")
    if channel not in CHANNELS:
        raise DomainError(_("Choose where the customer came from."), field="channel")
    campaign = texts.check_text(campaign, label=_("Campaign or event"), max_len=60, field="campaign")
    next_day = _next_day(next_contact_on)
    if actor.has_role("manager"):
        if assigned_to_id in (None, ""):
            agent, by = _round_robin(session, texts.parse_id(showroom_id) if showroom_id else None), None
        else:
            agent, by = session.get(Staff, texts.parse_id(assigned_to_id) or 0), actor.id
            if agent is None or not agent.active or not agent.has_role("clerk"):
                raise DomainError(_("Choose an active sales agent."), field="assigned_to_id")
    else:
        if assigned_to_id not in (None, "", str(actor.id), actor.id):
            raise Forbidden(_("Only the manager gives a lead to someone else."))
        agent, by = actor, actor.id
    from .models import Customer

    known = session.scalar(select(Customer.id).where(Customer.phone == number)) is not None
    customer = own._customer_for_update(session, number, name, actor)
    if not customer.channel:
        customer.channel = channel
    now = utcnow()
    if own.live_ownership(session, customer.id, now) is None:  # in the pool: the lead's agent owns them now
        own._take_ownership(session, customer, agent.id, channel, now)
    lead = Lead(customer_id=customer.id, want=want, channel=channel, campaign=campaign,
                showroom_id=texts.parse_id(showroom_id) if showroom_id else None, assigned_to_id=agent.id,
                assigned_by_id=by, next_contact_on=next_day, created_by_id=actor.id, created_at=now)
    session.add(lead)
    session.flush()
    lead.for_known_customer = known  # a new lead for a customer already on file: the screen says so
    record(session, "customers.lead", actor=actor, record=lead,
           summary=f"{name} {own.mask_phone(number)} {channel} → {agent.full_name}"
                   + ("" if by else " (round robin)"))
    return lead


def get_lead(session: Session, lead_id, viewer: Staff, *, for_update: bool = False) -> Lead:
    """The lead, for its assignee or the manager (403 for anyone else)."""
    from ..text import parse_id

    stmt = select(Lead).where(Lead.id == (parse_id(lead_id) or 0))
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    lead = session.scalar(stmt)
    if lead is None:
        raise NotFound(_("No such lead."))
    if lead.assigned_to_id != viewer.id and not viewer.has_role("manager"):
        raise Forbidden(_("This lead is assigned to someone else."))
    return lead


def _open(lead: Lead) -> None:
    if lead.status != LEAD_OPEN:
        raise Conflict(_("This lead is already %(status)s.", status=STATUS_LABELS[lead.status]))


def log_follow_up(session: Session, lead_id, *, actor: Staff, kind: str, note: str,
                  next_contact_on=None) -> LeadActivity:
    from ..text import check_text

    lead = get_lead(session, lead_id, actor, for_update=True)
    _open(lead)
    if kind not in ACTIVITY_KINDS:
        raise DomainError(_("Choose a call, a visit, a message, a note or a result."), field="kind")
    note = check_text(note, label=_("What was said"), max_len=1000, required=True, field="note")
    next_day = _next_day(next_contact_on)
    row = LeadActivity(lead_id=lead.id, staff_id=actor.id, kind=kind, note=note, next_contact_on=next_day, at=utcnow())
    lead.activities.insert(0, row)  # latest first, as read back
    lead.next_contact_on = next_day
    session.flush()
    record(session, "customers.lead_follow_up", actor=actor, record=lead, summary=f"{kind}: {note[:80]}")
    return row


def reassign(session: Session, lead_id, staff_id, *, actor: Staff) -> Lead:
    from ..text import parse_id

    if not actor.has_role("manager"):
        raise Forbidden(_("Only the manager gives a lead to someone else."))
    lead = get_lead(session, lead_id, actor, for_update=True)
    _open(lead)
    agent = session.get(Staff, parse_id(staff_id) or 0)
    if agent is None or not agent.active or not agent.has_role("clerk"):
        raise DomainError(_("Choose an active sales agent."), field="assigned_to_id")
    lead.assigned_to_id, lead.assigned_by_id = agent.id, actor.id
    record(session, "customers.lead_assigned", actor=actor, record=lead, summary=agent.full_name)
    return lead


def convert(session: Session, lead_id, *, actor: Staff, voucher_no: str = "", agreement_no: str = "") -> Lead:
    """The lead became a sale: link the voucher (written up) or the agreement, which must be this
    customer's. Looked up by table: customers does not import sales or property."""
    from ..text import plain

    lead = get_lead(session, lead_id, actor, for_update=True)
    _open(lead)
    voucher_no, agreement_no = plain(voucher_no or "").strip().upper(), plain(agreement_no or "").strip().upper()
    if bool(voucher_no) == bool(agreement_no):
        raise DomainError(_("Give the voucher number or the agreement number it became."), field="voucher_no")
    if voucher_no:
        t = db.metadata.tables["voucher"]
        row = session.execute(select(t.c.id, t.c.customer_id, t.c.status).where(t.c.no == voucher_no)).first()
        if row is None or row.status not in ("written_up", "awaiting_review"):
            raise DomainError(_("No written-up voucher %(no)s.", no=voucher_no), field="voucher_no")
        lead.voucher_id = row.id
    else:
        t = db.metadata.tables["property_agreement"]
        row = session.execute(select(t.c.id, t.c.customer_id).where(t.c.no == agreement_no)).first()
        if row is None:
            raise DomainError(_("No agreement %(no)s.", no=agreement_no), field="agreement_no")
        lead.agreement_id = row.id
    if row.customer_id != lead.customer_id:
        raise DomainError(_("That sale is another customer's, not this lead's."),
                          field="voucher_no" if voucher_no else "agreement_no")
    lead.status, lead.ended_at, lead.ended_by_id = LEAD_CONVERTED, utcnow(), actor.id
    lead.next_contact_on = None
    record(session, "customers.lead_converted", actor=actor, record=lead, summary=voucher_no or agreement_no)
    return lead


def close(session: Session, lead_id, *, actor: Staff, reason: str) -> Lead:
    from ..text import check_text

    lead = get_lead(session, lead_id, actor, for_update=True)
    _open(lead)
    reason = check_text(reason, label=_("Reason"), max_len=500, required=True, field="reason")
    lead.status, lead.ended_at, lead.ended_by_id, lead.close_reason = LEAD_CLOSED, utcnow(), actor.id, reason
    lead.next_contact_on = None
    record(session, "customers.lead_closed", actor=actor, record=lead, reason=reason)
    return lead


@dataclass
class Worklist:
    overdue: list[Lead]
    due_today: list[Lead]
    later: list[Lead]


def worklist(session: Session, agent: Staff, today: date | None = None, limit: int = 200) -> Worklist:
    """The agent's open leads: overdue, due today, and the rest (no date or later)."""
    from ..clock import local_today

    today = today or local_today()
    base = select(Lead).where(Lead.assigned_to_id == agent.id, Lead.status == LEAD_OPEN)
    overdue = list(session.scalars(base.where(Lead.next_contact_on < today).order_by(Lead.next_contact_on)
                                   .limit(limit)))
    due = list(session.scalars(base.where(Lead.next_contact_on == today).order_by(Lead.id).limit(limit)))
    later = list(session.scalars(base.where((Lead.next_contact_on > today) | Lead.next_contact_on.is_(None))
                                 .order_by(Lead.next_contact_on, Lead.id).limit(limit)))
    return Worklist(overdue, due, later)


def due_count(session: Session, agent: Staff, today: date | None = None) -> int:
    from sqlalchemy import func

    from ..clock import local_today

    today = today or local_today()
    return session.scalar(select(func.count(Lead.id)).where(
        and_(Lead.assigned_to_id == agent.id, Lead.status == LEAD_OPEN, Lead.next_contact_on <= today))) or 0


@dataclass
class Due:
    """One line of the home's short lists: a lead or a customer's follow-up, with its date."""
    kind: str  # "lead" or "follow_up"
    id: int  # the lead's or the customer's id
    name: str
    phone: str  # masked unless the viewer may see it
    day: date


def due_lists(session: Session, agent: Staff, today: date | None = None,
              limit: int = 10) -> tuple[list[Due], list[Due]]:
    """The agent's own leads and protected customers to contact today and those overdue (the
    customer's latest follow-up set the date): at most ``limit`` each, oldest date first."""
    from ..clock import local_today
    from .models import Customer, FollowUp, Ownership

    today = today or local_today()
    now = utcnow()
    next_on = (select(FollowUp.next_on).where(FollowUp.customer_id == Customer.id)
               .order_by(FollowUp.at.desc(), FollowUp.id.desc()).limit(1).correlate(Customer).scalar_subquery())
    lists = []
    for on_day in (lambda col: col == today, lambda col: col < today):
        got = [Due("lead", lead.id, lead.customer.name,
                   own.shown_phone(agent, lead.customer, own.owner_of(session, lead.customer_id, now)),
                   lead.next_contact_on)
               for lead in session.scalars(
                   select(Lead).where(Lead.assigned_to_id == agent.id, Lead.status == LEAD_OPEN,
                                      on_day(Lead.next_contact_on))
                   .order_by(Lead.next_contact_on, Lead.id).limit(limit))]
        got += [Due("follow_up", customer.id, customer.name, own.shown_phone(agent, customer, ownership), day)
                for customer, ownership, day in session.execute(
                    select(Customer, Ownership, next_on).join(Ownership, Ownership.customer_id == Customer.id)
                    .where(Ownership.staff_id == agent.id, Ownership.ended_at.is_(None),
                           Ownership.protected_until > now, on_day(next_on))
                    .order_by(next_on, Customer.id).limit(limit))]
        got.sort(key=lambda d: (d.day, d.kind, d.id))
        lists.append(got[:limit])
    return lists[0], lists[1]


def all_open(session: Session, limit: int = 200) -> list[Lead]:
    return list(session.scalars(select(Lead).where(Lead.status == LEAD_OPEN).order_by(Lead.created_at.desc())
                                .limit(limit)))


@dataclass
class ConversionRow:
    key: str
    label: str
    leads: int
    converted: int
    closed: int

    @property
    def rate(self):
        from decimal import Decimal

        return (Decimal(self.converted) * 100 / self.leads).quantize(Decimal("0.1")) if self.leads else Decimal(0)


def conversion(session: Session, start: datetime, end: datetime) -> tuple[list[ConversionRow], list[ConversionRow]]:
    """Leads registered in [start, end): how many, converted, closed — by channel and by person."""
    by_channel: dict[str, ConversionRow] = {}
    by_person: dict[int, ConversionRow] = {}
    names = {s.id: s.full_name for s in session.scalars(select(Staff))}
    for channel, staff_id, status in session.execute(select(Lead.channel, Lead.assigned_to_id, Lead.status).where(
            Lead.created_at >= start, Lead.created_at < end)):
        for table, key, label in ((by_channel, channel, str(own.CHANNEL_LABELS.get(channel, channel))),
                                  (by_person, staff_id, names.get(staff_id, "?"))):
            row = table.setdefault(key, ConversionRow(str(key), label, 0, 0, 0))
            row.leads += 1
            row.converted += status == LEAD_CONVERTED
            row.closed += status == LEAD_CLOSED
    order = lambda rows: sorted(rows, key=lambda r: (-r.leads, r.label))  # noqa: E731
    return order(by_channel.values()), order(by_person.values())


@register_timeline_source
def _lead_entries(session: Session, customer_id: int):
    for lead in session.scalars(select(Lead).where(Lead.customer_id == customer_id)):
        yield Entry(at=lead.created_at, kind="lead", title=str(_l("Lead")),
                    detail=" · ".join(x for x in (str(STATUS_LABELS[lead.status]), lead.want, lead.campaign,
                                                  lead.assigned_to.full_name) if x),
                    endpoint="leads.lead", args={"lead_id": lead.id})
        for a in lead.activities:
            yield Entry(at=a.at, kind="follow_up", title=str(_l("Follow-up")),
                        detail=" · ".join(x for x in (str(ACTIVITY_KINDS.get(a.kind, a.kind)), a.staff.full_name,
                                                      a.note) if x))
