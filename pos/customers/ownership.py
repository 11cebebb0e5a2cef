"""Visitors, follow-ups, customer ownership and collisions (来访登记, 跟进, 客户归属, 撞单).

The first agent to register a phone owns the customer for a protection period set per channel
(settings ``ownership.days.<channel>``; e.g. a call 15 days, a visit 30), renewed by each
effective follow-up; after it the customer is back in the pool. A referral (老带新) belongs to the
referring customer's owner. When another agent registers an owned phone, they are told at once
who owns it (the name only) and a collision is recorded for the manager, who rules: settled by
the agents, escalated to the manager (``collision.pct.manager`` % of each agent's base pay,
default 30) or to leadership (``collision.pct.leadership``, default 50), or malicious grabbing
(恶意抢单, flagged on the agent). An agent never rules on their own collision.

The customer's row is locked while ownership is decided, and one live ownership per customer is
a partial unique index, so two agents registering the same new phone at once get one owner and
one collision. Registration times are the server's: a registration cannot be back-dated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..audit.services import KIND_LABELS, RECORD_LABELS, record
from ..dbtypes import utcnow
from ..errors import Conflict, DomainError, Forbidden, NotFound
from ..staff.models import Staff
from .models import CHANNELS, Collision, Customer, FollowUp, HouseholdMember, Ownership, Visit

CHANNEL_LABELS = {
    "walk_in": _l("Walk-in"), "phone": _l("Phone call"), "referral": _l("Referral"), "online": _l("Online"),
    "event": _l("Event"), "agency": _l("Agency"),
}
FOLLOW_UP_KINDS = {"call": _l("Call"), "visit": _l("Visit"), "note": _l("Note")}
RULINGS = {
    "settled": _l("Settled by the agents"),
    "manager": _l("Escalated to the manager"),
    "leadership": _l("Escalated to leadership"),
    "malicious": _l("Malicious grabbing"),
}
DEFAULT_SETTINGS = {
    "ownership.days.walk_in": "30", "ownership.days.phone": "15", "ownership.days.referral": "30",
    "ownership.days.online": "15", "ownership.days.event": "30", "ownership.days.agency": "30",
    "collision.pct.manager": "30", "collision.pct.leadership": "50",
}
#: a registration's time may lag the clock a little (a slow tablet), never more
BACKDATE_TOLERANCE = timedelta(minutes=5)

KIND_LABELS.update({
    "customers.visit_registered": _l("Visitor registered"),
    "customers.collision": _l("Customer collision"),
    "customers.collision_ruled": _l("Collision ruled"),
    "customers.follow_up": _l("Follow-up"),
    "customers.reassigned": _l("Customer reassigned"),
    "customers.exported": _l("Customers exported"),
    "customers.household_linked": _l("Family member linked"),
})
RECORD_LABELS.update({"customer_collision": _l("Collision")})


def setting(session: Session, key: str) -> str:
    from ..shop.models import Setting

    row = session.get(Setting, key)
    return row.value if row is not None else DEFAULT_SETTINGS[key]


def protection_days(session: Session, channel: str) -> int:
    return int(setting(session, f"ownership.days.{channel}"))


def mask_phone(phone: str) -> str:
    """138****1234 (a landline keeps its area code and last four)."""
    if len(phone) <= 7:
        return phone[:1] + "*" * (len(phone) - 1)
    return phone[:3] + "****" + phone[-4:]


def may_see_phone(viewer: Staff, ownership: Ownership | None) -> bool:
    return viewer.has_role("manager") or (ownership is not None and ownership.staff_id == viewer.id)


def shown_phone(viewer: Staff, customer: Customer, ownership: Ownership | None) -> str:
    return customer.phone if may_see_phone(viewer, ownership) else mask_phone(customer.phone)


def live_ownership(session: Session, customer_id: int, now: datetime | None = None) -> Ownership | None:
    """The customer's owner while protected; ``None`` when in the pool (a lapsed period counts as
    ended when read)."""
    now = now or utcnow()
    own = session.scalar(select(Ownership).where(Ownership.customer_id == customer_id, Ownership.ended_at.is_(None)))
    if own is None or own.protected_until <= now:
        return None
    return own


def household_head(session: Session, customer_id: int) -> int | None:
    return session.scalar(select(HouseholdMember.head_id).where(HouseholdMember.customer_id == customer_id))


def owner_of(session: Session, customer_id: int, now: datetime | None = None) -> Ownership | None:
    """Who owns the customer: their own protected ownership, else their household head's (直系亲属
    count as one household: the household's owner owns them all)."""
    own = live_ownership(session, customer_id, now)
    if own is None and (head := household_head(session, customer_id)) is not None:
        own = live_ownership(session, head, now)
    return own


def link_household(session: Session, member_id, head_phone: str, *, actor: Staff,
                   relation: str = "") -> HouseholdMember:
    """Link a customer to a close family member's household. The head's owner (or the manager) links;
    a member another agent owns cannot be taken this way (that is a collision for the manager)."""
    from .. import text as texts

    member = _get_customer(session, member_id)
    head = session.scalar(select(Customer).where(Customer.phone == texts.phone(head_phone, field="head_phone")))
    if head is None:
        raise DomainError(_("No customer with that phone: register the family member first."), field="head_phone")
    if head.id == member.id:
        raise DomainError(_("A customer cannot be their own family member."), field="head_phone")
    head_owner = owner_of(session, head.id)
    if not actor.has_role("manager") and (head_owner is None or head_owner.staff_id != actor.id):
        raise Forbidden(_("Only the agent who owns the household (or the manager) links its members."))
    if household_head(session, head.id) is not None:
        raise DomainError(_("%(name)s is already a member of another household.", name=head.name), field="head_phone")
    member_owner = live_ownership(session, member.id)
    if member_owner is not None and head_owner is not None and member_owner.staff_id != head_owner.staff_id:
        raise Conflict(_("%(name)s is owned by %(owner)s: the manager settles it as a collision.",
                         name=member.name, owner=member_owner.staff.full_name))
    if session.scalar(select(HouseholdMember.id).where(HouseholdMember.customer_id == member.id)):
        raise DomainError(_("%(name)s already belongs to a household.", name=member.name))
    link = HouseholdMember(customer_id=member.id, head_id=head.id, relation=(relation or "").strip()[:20],
                           linked_by_id=actor.id)
    session.add(link)
    session.flush()
    record(session, "customers.household_linked", actor=actor, record=member,
           summary=f"{member.name} → {head.name} ({link.relation})")
    return link


@dataclass
class Registration:
    customer: Customer
    visit: Visit
    owner: Staff | None  # who owns the customer now
    collision: Collision | None
    new_owner: bool


def register_visit(session: Session, *, actor: Staff, phone: str, name: str, channel: str, needs_area: str = "",
                   needs_budget: str = "", needs_layout: str = "", note: str = "", referrer_phone: str = "",
                   at: datetime | None = None, now: datetime | None = None) -> Registration:
    """Register a visitor or caller. Returns who owns them; a collision when it is someone else."""
    from .. import text as texts

    now = now or utcnow()
    if at is not None and at < now - BACKDATE_TOLERANCE:
        raise DomainError(_("A registration cannot be back-dated: it is recorded at the time it is made."),
                          field="at")
    number = texts.phone(phone)
    name = " ".join((name or "").split())
    if not name or len(name) > 60:
        raise DomainError(_("Give the customer's name (at most 60 characters)."), field="name")
    if channel not in CHANNELS:
        raise DomainError(_("Choose where the customer came from."), field="channel")
    needs = [(v or "").strip()[:40] for v in (needs_area, needs_budget, needs_layout)]
    referrer = None
    if channel == "referral":
        if not (referrer_phone or "").strip():
            raise DomainError(_("A referral needs the referring customer's phone."), field="referrer_phone")
        referrer = session.scalar(select(Customer).where(Customer.phone == texts.phone(referrer_phone,
                                                                                        field="referrer_phone")))
        if referrer is None:
            raise DomainError(_("No customer with the referrer's phone: register them first."),
                              field="referrer_phone")

    customer = _customer_for_update(session, number, name, actor)
    owner_now = live_ownership(session, customer.id, now)
    if owner_now is None:  # a household member: the household's owner owns them
        head = household_head(session, customer.id)
        if head is not None:
            owner_now = live_ownership(session, head, now)
    visit = Visit(customer_id=customer.id, staff_id=actor.id, channel=channel, at=now, needs_area=needs[0],
                  needs_budget=needs[1], needs_layout=needs[2], note=(note or "").strip()[:1000],
                  referrer_id=referrer.id if referrer else None)
    session.add(visit)
    collision = None
    new_owner = False
    if owner_now is None:
        owner_staff_id = actor.id
        if referrer is not None:  # 老带新: the referring customer's agent
            ref_owner = live_ownership(session, referrer.id, now)
            if ref_owner is not None:
                owner_staff_id = ref_owner.staff_id
        owner_now = _take_ownership(session, customer, owner_staff_id, channel, now)
        new_owner = True
    elif owner_now.staff_id == actor.id:
        _renew(session, owner_now, now)
    visit.owner_id = owner_now.staff_id
    session.flush()
    if owner_now.staff_id != actor.id and not new_owner:
        collision = Collision(customer_id=customer.id, owner_id=owner_now.staff_id, other_id=actor.id,
                              visit_id=visit.id, at=now)
        session.add(collision)
        session.flush()
        record(session, "customers.collision", actor=actor, record=collision,
               summary=f"{mask_phone(number)}: {actor.full_name} / {owner_now.staff.full_name}")
    record(session, "customers.visit_registered", actor=actor, record=customer,
           summary=f"{name} {mask_phone(number)} {channel}")
    owner = session.get(Staff, owner_now.staff_id)
    return Registration(customer=customer, visit=visit, owner=owner, collision=collision, new_owner=new_owner)


def _customer_for_update(session: Session, number: str, name: str, actor: Staff) -> Customer:
    stmt = select(Customer).where(Customer.phone == number).with_for_update().execution_options(
        populate_existing=True)
    customer = session.scalar(stmt)
    if customer is None:
        try:
            with session.begin_nested():
                customer = Customer(name=name, phone=number, created_by_id=actor.id)
                session.add(customer)
                session.flush()
        except IntegrityError:  # registered by someone else this very moment
            customer = session.scalar(stmt)
    return customer


def _take_ownership(session: Session, customer: Customer, staff_id: int, channel: str, now: datetime) -> Ownership:
    stale = session.scalar(select(Ownership).where(Ownership.customer_id == customer.id,
                                                   Ownership.ended_at.is_(None)))
    if stale is not None:  # its protection lapsed: back to the pool first
        stale.ended_at = min(stale.protected_until, now)
        stale.end_reason = "lapsed"
        session.flush()
    own = Ownership(customer_id=customer.id, staff_id=staff_id, channel=channel, started_at=now,
                    protected_until=now + timedelta(days=protection_days(session, channel)))
    try:
        with session.begin_nested():
            session.add(own)
            session.flush()
    except IntegrityError:
        raise Conflict(_("Another agent registered this customer this very moment; try again.")) from None
    return own


def _renew(session: Session, own: Ownership, now: datetime) -> None:
    own.protected_until = max(own.protected_until, now + timedelta(days=protection_days(session, own.channel)))


def add_follow_up(session: Session, customer_id, *, actor: Staff, kind: str, note: str = "", next_on=None,
                  now: datetime | None = None) -> FollowUp:
    """The owner follows up; a call or a visit with a note renews the protection period."""
    from ..clock import local_today
    from ..text import parse_day

    now = now or utcnow()
    customer = _get_customer(session, customer_id)
    own = live_ownership(session, customer.id, now)
    if own is None or own.staff_id != actor.id:
        raise Forbidden(_("Only the agent who owns this customer follows them up."))
    if kind not in FOLLOW_UP_KINDS:
        raise DomainError(_("Choose a call, a visit or a note."), field="kind")
    note = (note or "").strip()
    if not note or len(note) > 1000:
        raise DomainError(_("Say what was discussed (at most 1000 characters)."), field="note")
    next_day = None
    if next_on not in (None, ""):
        next_day = parse_day(next_on, label=_("next follow-up"), field="next_on")
        if next_day < local_today():
            raise DomainError(_("The next follow-up cannot be in the past."), field="next_on")
    effective = kind in ("call", "visit")
    follow = FollowUp(customer_id=customer.id, staff_id=actor.id, kind=kind, at=now, note=note, next_on=next_day,
                      effective=effective)
    session.add(follow)
    if effective:
        session.execute(select(Ownership.id).where(Ownership.id == own.id).with_for_update())
        _renew(session, own, now)
    session.flush()
    record(session, "customers.follow_up", actor=actor, record=customer, summary=f"{kind}: {note[:80]}")
    return follow


def _get_customer(session: Session, customer_id) -> Customer:
    from ..text import parse_id

    customer = session.get(Customer, parse_id(customer_id) or 0)
    if customer is None:
        raise NotFound(_("No such customer."))
    return customer


@dataclass
class MyCustomer:
    customer: Customer
    ownership: Ownership
    last_visit: Visit | None
    next_on: date | None
    due: bool


def my_customers(session: Session, agent: Staff, today: date | None = None,
                 now: datetime | None = None) -> list[MyCustomer]:
    """The agent's protected customers, those due for a follow-up today (or overdue) first."""
    from ..clock import local_today

    today = today or local_today()
    now = now or utcnow()
    rows = session.execute(select(Ownership, Customer).join(Customer, Customer.id == Ownership.customer_id)
                           .where(Ownership.staff_id == agent.id, Ownership.ended_at.is_(None),
                                  Ownership.protected_until > now)).all()
    out = []
    for own, customer in rows:
        last_visit = session.scalar(select(Visit).where(Visit.customer_id == customer.id)
                                    .order_by(Visit.at.desc()).limit(1))
        last_follow = session.scalar(select(FollowUp).where(FollowUp.customer_id == customer.id)
                                     .order_by(FollowUp.at.desc(), FollowUp.id.desc()).limit(1))
        next_on = last_follow.next_on if last_follow else None
        out.append(MyCustomer(customer, own, last_visit, next_on, next_on is not None and next_on <= today))
    out.sort(key=lambda m: (not m.due, m.next_on or date.max, m.customer.name))
    return out


def customer_file(session: Session, customer_id, viewer: Staff):
    """A customer as this viewer may see them: others' customers with the phone masked and without
    their notes and follow-ups."""
    customer = _get_customer(session, customer_id)
    own = owner_of(session, customer.id)
    mine = may_see_phone(viewer, own)
    visits = list(session.scalars(select(Visit).where(Visit.customer_id == customer.id).order_by(Visit.at.desc())))
    follow_ups = list(session.scalars(select(FollowUp).where(FollowUp.customer_id == customer.id)
                                      .order_by(FollowUp.at.desc()))) if mine else []
    return customer, own, mine, visits if mine else [], follow_ups


# ------------------------------------------------------------------ collisions
def pending_collisions(session: Session) -> list[Collision]:
    return list(session.scalars(select(Collision).where(Collision.status == "pending").order_by(Collision.at)))


def ruled_collisions(session: Session, limit: int = 50) -> list[Collision]:
    return list(session.scalars(select(Collision).where(Collision.status == "ruled")
                                .order_by(Collision.ruled_at.desc()).limit(limit)))


def rule_collision(session: Session, collision_id, *, actor: Staff, ruling: str, note: str = "",
                   malicious_id=None, now: datetime | None = None) -> Collision:
    """The manager rules on a collision, once; never on one they are part of."""
    from ..text import parse_id

    now = now or utcnow()
    if not actor.has_role("manager"):
        raise Forbidden(_("Only the sales manager rules on collisions."))
    collision = session.scalar(select(Collision).where(Collision.id == (parse_id(collision_id) or 0))
                               .with_for_update().execution_options(populate_existing=True))
    if collision is None:
        raise NotFound(_("No such collision."))
    if actor.id in (collision.owner_id, collision.other_id):
        raise Forbidden(_("You are part of this collision: another manager must rule on it."))
    if collision.status != "pending":
        raise Conflict(_("This collision was already ruled on by %(name)s.",
                         name=collision.ruled_by.full_name if collision.ruled_by else "?"))
    if ruling not in RULINGS:
        raise DomainError(_("Choose a ruling."), field="ruling")
    pct = 0
    if ruling in ("manager", "leadership"):
        pct = int(setting(session, f"collision.pct.{ruling}"))
    grabber = None
    if ruling == "malicious":
        grabber = parse_id(malicious_id) if malicious_id not in (None, "") else collision.other_id
        if grabber not in (collision.owner_id, collision.other_id):
            raise DomainError(_("Malicious grabbing is flagged on one of the two agents."), field="malicious_id")
    note = (note or "").strip()
    if len(note) > 500:
        raise DomainError(_("A note has at most 500 characters."), field="note")
    collision.status = "ruled"
    collision.ruling = ruling
    collision.deduction_pct = pct
    collision.malicious_id = grabber
    collision.ruled_by_id = actor.id
    collision.ruled_at = now
    collision.note = note
    record(session, "customers.collision_ruled", actor=actor, record=collision,
           summary=f"{ruling} {pct}% ({collision.owner.full_name} / {collision.other.full_name})", reason=note or None)
    return collision


def collision_deductions(session: Session, start: datetime, end: datetime) -> dict[int, int]:
    """For the commission report (part 2): per agent, the sum of deduction percentages ruled in the
    period (each ruling deducts its percentage of each party's base pay)."""
    out: dict[int, int] = {}
    for c in session.scalars(select(Collision).where(Collision.status == "ruled", Collision.ruled_at >= start,
                                                     Collision.ruled_at < end, Collision.deduction_pct > 0)):
        for staff_id in (c.owner_id, c.other_id):
            out[staff_id] = out.get(staff_id, 0) + c.deduction_pct
    return out


def malicious_flags(session: Session, staff_id: int) -> int:
    return len(list(session.scalars(select(Collision.id).where(Collision.malicious_id == staff_id))))


def search_customers(session: Session, query: str, viewer: Staff, limit: int = 20):
    """Find by name or the last digits of a phone; phones masked unless the viewer owns them."""
    from ..text import plain

    q = plain(query).strip()
    if not q:
        return []
    stmt = select(Customer).where(or_(Customer.name.contains(q), Customer.phone.endswith(q))).limit(limit)
    out = []
    for customer in session.scalars(stmt):
        own = owner_of(session, customer.id)
        out.append((customer, own, shown_phone(viewer, customer, own)))
    return out


# ------------------------------------------------------------------ the manager: the pool and exports
def pool(session: Session, now: datetime | None = None, limit: int = 200) -> list[Customer]:
    """Customers registered through the sales office whose protection has lapsed (or never had an owner)."""
    now = now or utcnow()
    protected = select(Ownership.customer_id).where(Ownership.ended_at.is_(None), Ownership.protected_until > now)
    return list(session.scalars(select(Customer).where(Customer.id.in_(select(Visit.customer_id)),
                                                       Customer.id.not_in(protected))
                                .order_by(Customer.id.desc()).limit(limit)))


def reassign(session: Session, customer_id, to_staff_id, *, actor: Staff, now: datetime | None = None) -> Ownership:
    """The manager gives a customer from the pool to an agent (a new protection period, as walk-in)."""
    from ..staff.models import Staff as StaffModel
    from ..text import parse_id

    now = now or utcnow()
    if not actor.has_role("manager"):
        raise Forbidden(_("Only the sales manager reassigns customers."))
    customer = session.scalar(select(Customer).where(Customer.id == (parse_id(customer_id) or 0))
                              .with_for_update().execution_options(populate_existing=True))
    if customer is None:
        raise NotFound(_("No such customer."))
    agent = session.get(StaffModel, parse_id(to_staff_id) or 0)
    if agent is None or not agent.active or not agent.has_role("clerk"):
        raise DomainError(_("Choose an active agent."), field="staff_id")
    current = live_ownership(session, customer.id, now)
    if current is not None:
        raise Conflict(_("%(name)s still owns this customer until %(until)s.", name=current.staff.full_name,
                         until=current.protected_until.date()))
    own = _take_ownership(session, customer, agent.id, "walk_in", now)
    record(session, "customers.reassigned", actor=actor, record=customer,
           summary=f"{customer.name} → {agent.full_name}")
    return own


def export_customers(session: Session, *, actor: Staff):
    """The sales office's customers as .xlsx — for the manager only, and audited."""
    import io

    from openpyxl import Workbook

    if not actor.has_role("manager"):
        raise Forbidden(_("Only the manager exports customers."))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("客户")
    ws.append(["姓名", "电话", "归属顾问", "保护期至", "来源渠道", "登记次数"])
    rows = 0
    for customer in session.scalars(select(Customer).where(Customer.id.in_(select(Visit.customer_id)))
                                    .order_by(Customer.id)):
        own = live_ownership(session, customer.id)
        visits = session.scalars(select(Visit).where(Visit.customer_id == customer.id)).all()
        ws.append([customer.name, customer.phone, own.staff.full_name if own else "",
                   own.protected_until.date().isoformat() if own else "", str(CHANNEL_LABELS[visits[0].channel]),
                   len(visits)])
        rows += 1
    record(session, "customers.exported", actor=actor, summary=f"{rows} customers")
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out
