"""The customer file (客户档案): one record per person with contact, source channel, needs,
classification (key customer 重点客户, A/B/C grade by the manager's rule), the owning agent,
tags and one timeline; search; merging two records of one person; the manager's export.

Privacy: the full phone and address are shown to the owning agent and the manager only
(cashiers and delivery staff read them from the voucher and the slip in their own screens);
anyone else sees 138****1234 and no address — on the page, in search and in lists. Audit
summaries carry the masked phone only.

The grade (A/B/C) is a score from three parts, each with its setting (the manager's rule):
purchases in the last 365 days (one point per ``grade.yuan_per_point`` yuan, at most
``grade.purchase_cap``), recency of the latest purchase (``grade.recent_30`` / ``grade.recent_90``
/ ``grade.recent_365`` points) and follow-ups in the last 90 days (the visitors' and the leads'
logs; ``grade.follow_up_points`` each, at most ``grade.follow_up_cap``). A score ≥ ``grade.a_min``
is A, ≥ ``grade.b_min`` B, otherwise C. The page shows the score computed now; the stored grade (for search by grade)
is brought up to date by the manager's "regrade" (and on saving the rule).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..audit.services import KIND_LABELS, record
from ..dbtypes import utcnow
from ..errors import Conflict, DomainError, Forbidden, NotFound
from ..extensions import db
from ..staff.models import Staff
from . import ownership as own
from .file_models import CustomerMerge, CustomerTag, Lead, LeadActivity
from .models import CHANNELS, Customer, CustomerInterest, FollowUp, Ownership, Visit
from .timeline import Entry, purchases, register_timeline_source

GRADES = ("A", "B", "C")
#: the grade rule's settings (the manager's screen edits them), with their defaults and allowed range
GRADE_SETTINGS = {
    "grade.yuan_per_point": ("1000", 1, 1_000_000),
    "grade.purchase_cap": ("60", 0, 1000),
    "grade.recent_30": ("20", 0, 1000),
    "grade.recent_90": ("10", 0, 1000),
    "grade.recent_365": ("5", 0, 1000),
    "grade.follow_up_points": ("5", 0, 1000),
    "grade.follow_up_cap": ("20", 0, 1000),
    "grade.a_min": ("60", 1, 10000),
    "grade.b_min": ("25", 1, 10000),
}
GRADE_LABELS = {
    "grade.yuan_per_point": _l("Yuan bought per point (last 365 days)"),
    "grade.purchase_cap": _l("Most points from purchases"),
    "grade.recent_30": _l("Points if bought in the last 30 days"),
    "grade.recent_90": _l("Points if bought in the last 90 days"),
    "grade.recent_365": _l("Points if bought in the last 365 days"),
    "grade.follow_up_points": _l("Points per follow-up (last 90 days)"),
    "grade.follow_up_cap": _l("Most points from follow-ups"),
    "grade.a_min": _l("Grade A from a score of"),
    "grade.b_min": _l("Grade B from a score of"),
}
TAG_MAX = 20
TAGS_PER_CUSTOMER = 20
SEARCH_LIMIT = 50

KIND_LABELS.update({
    "customers.profile": _l("Customer file changed"),
    "customers.tagged": _l("Customer tagged"),
    "customers.untagged": _l("Customer tag removed"),
    "customers.merged": _l("Customers merged"),
    "customers.exported": _l("Customers exported"),
    "customers.grade_rule": _l("Grade rule changed"),
    "customers.regraded": _l("Customers regraded"),
})


def _register_settings() -> None:
    from ..shop.services import DEFAULTS

    for key, (default, _lo, _hi) in GRADE_SETTINGS.items():
        DEFAULTS.setdefault(key, default)


_register_settings()


# ------------------------------------------------------------------ who may see what
def may_see_contact(viewer: Staff, ownership: Ownership | None) -> bool:
    """The full phone and address: the owning agent and the manager."""
    return own.may_see_phone(viewer, ownership)


def mask_address(address: str) -> str:
    return "****" if address else ""


def get_customer(session: Session, customer_id, *, for_update: bool = False) -> Customer:
    from ..text import parse_id

    stmt = select(Customer).where(Customer.id == (parse_id(customer_id) or 0))
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    customer = session.scalar(stmt)
    if customer is None:
        raise NotFound(_("No such customer."))
    return customer


def _check_may_edit(viewer: Staff, ownership: Ownership | None) -> None:
    if not may_see_contact(viewer, ownership):
        raise Forbidden(_("This customer belongs to another agent: only they and the manager see and change "
                          "the full details."))


# ------------------------------------------------------------------ the grade
@dataclass
class GradeRule:
    values: dict[str, int]

    def __getitem__(self, key: str) -> int:
        return self.values[key]


def grade_rule(session: Session) -> GradeRule:
    """The rule's settings, read in one query."""
    from ..shop.models import Setting

    stored = dict(session.execute(select(Setting.key, Setting.value)
                                  .where(Setting.key.in_(list(GRADE_SETTINGS)))).all())
    values = {}
    for key, (default, lo, hi) in GRADE_SETTINGS.items():
        try:
            value = int(stored.get(key, default))
        except (TypeError, ValueError):
            value = int(default)
        values[key] = value if lo <= value <= hi else int(default)
    return GradeRule(values)


def set_grade_rule(session: Session, values: dict, *, actor: Staff) -> GradeRule:
    """The manager changes the rule (each value a whole number in its range; A above B); the stored
    grades are recomputed at once."""
    from ..shop.services import set_setting
    from ..text import parse_int

    if not actor.has_role("manager"):
        raise Forbidden(_("Only the manager sets the grade rule."))
    parsed = {}
    for key, (_default, lo, hi) in GRADE_SETTINGS.items():
        parsed[key] = parse_int(values.get(key, ""), label=GRADE_LABELS[key], minimum=lo, maximum=hi, field=key)
    if parsed["grade.a_min"] <= parsed["grade.b_min"]:
        raise DomainError(_("Grade A must need a higher score than grade B."), field="grade.a_min")
    before = grade_rule(session).values
    for key, value in parsed.items():
        set_setting(session, key, str(value))
    record(session, "customers.grade_rule", actor=actor, summary=", ".join(
        f"{k.split('.', 1)[1]} {before[k]}→{v}" for k, v in parsed.items() if before[k] != v) or "-",
        data={"before": before, "after": parsed})
    regrade_all(session, actor=actor, audit=False)
    return grade_rule(session)


@dataclass
class Score:
    purchase_points: int
    recency_points: int
    follow_up_points: int
    bought: Decimal
    last_purchase: datetime | None
    follow_ups: int
    grade: str

    @property
    def total(self) -> int:
        return self.purchase_points + self.recency_points + self.follow_up_points


def score(session: Session, customer_id: int, rule: GradeRule | None = None, now: datetime | None = None) -> Score:
    rule = rule or grade_rule(session)
    now = now or utcnow()
    bought, last = purchases(session, customer_id, now - timedelta(days=365))
    purchase_points = min(int(bought // rule["grade.yuan_per_point"]), rule["grade.purchase_cap"])
    recency = 0
    if last is not None:
        age = now - last
        if age <= timedelta(days=30):
            recency = rule["grade.recent_30"]
        elif age <= timedelta(days=90):
            recency = rule["grade.recent_90"]
        elif age <= timedelta(days=365):
            recency = rule["grade.recent_365"]
    since = now - timedelta(days=90)
    follow_ups = (session.scalar(select(func.count(FollowUp.id)).where(
        FollowUp.customer_id == customer_id, FollowUp.at >= since)) or 0) + (session.scalar(
        select(func.count(LeadActivity.id)).join(Lead, Lead.id == LeadActivity.lead_id)
        .where(Lead.customer_id == customer_id, LeadActivity.at >= since)) or 0)
    follow_points = min(follow_ups * rule["grade.follow_up_points"], rule["grade.follow_up_cap"])
    total = purchase_points + recency + follow_points
    grade = "A" if total >= rule["grade.a_min"] else "B" if total >= rule["grade.b_min"] else "C"
    return Score(purchase_points, recency, follow_points, bought, last, follow_ups, grade)


def regrade_all(session: Session, *, actor: Staff, audit: bool = True, batch: int = 1000) -> dict[str, int]:
    """Recompute every (unmerged) customer's stored score and grade; returns how many per grade."""
    if not actor.has_role("manager"):
        raise Forbidden(_("Only the manager regrades the customers."))
    rule = grade_rule(session)
    now = utcnow()
    counts = dict.fromkeys(GRADES, 0)
    last_id = 0
    while True:
        ids = list(session.scalars(select(Customer.id).where(Customer.id > last_id, Customer.merged_into_id.is_(None))
                                   .order_by(Customer.id).limit(batch)))
        if not ids:
            break
        for cid in ids:
            s = score(session, cid, rule, now)
            session.execute(update(Customer).where(Customer.id == cid).values(score=s.total, grade=s.grade))
            counts[s.grade] += 1
        last_id = ids[-1]
    if audit:
        record(session, "customers.regraded", actor=actor, summary=" ".join(f"{g}:{n}" for g, n in counts.items()))
    return counts


# ------------------------------------------------------------------ the file
@dataclass
class CustomerFile:
    customer: Customer
    ownership: Ownership | None
    full: bool  # the viewer sees the full phone, address and history
    phone: str
    address: str
    tags: list[str]
    interests: list = field(default_factory=list)  # (product, at)
    needs: list[str] = field(default_factory=list)  # from visits
    score: Score | None = None
    timeline: list[Entry] = field(default_factory=list)
    merged: list[CustomerMerge] = field(default_factory=list)
    merged_into: Customer | None = None


def customer_file(session: Session, customer_id, viewer: Staff) -> CustomerFile:
    """The customer as this viewer may see them: everything for the owner and the manager; for
    others the name, masked phone, grade, owner and tags."""
    from ..catalog.models import Product

    customer = get_customer(session, customer_id)
    ownership = own.live_ownership(session, customer.id)
    full = may_see_contact(viewer, ownership)
    tags = list(session.scalars(select(CustomerTag.tag).where(CustomerTag.customer_id == customer.id)
                                .order_by(CustomerTag.tag)))
    out = CustomerFile(customer=customer, ownership=ownership, full=full,
                       phone=customer.phone if full else own.mask_phone(customer.phone),
                       address=customer.address if full else mask_address(customer.address), tags=tags)
    if customer.merged_into_id:
        out.merged_into = session.get(Customer, customer.merged_into_id)
    if not full:
        return out
    out.interests = session.execute(
        select(Product, func.max(CustomerInterest.at)).join(Product, Product.id == CustomerInterest.product_id)
        .where(CustomerInterest.customer_id == customer.id).group_by(Product.id)
        .order_by(func.max(CustomerInterest.at).desc()).limit(12)).all()
    for v in session.scalars(select(Visit).where(Visit.customer_id == customer.id).order_by(Visit.at.desc()).limit(5)):
        needs = " · ".join(x for x in (v.needs_area, v.needs_budget, v.needs_layout) if x)
        if needs and needs not in out.needs:
            out.needs.append(needs)
    out.score = score(session, customer.id)
    out.timeline = _timeline(session, customer.id)
    out.merged = list(session.scalars(select(CustomerMerge).where(CustomerMerge.kept_id == customer.id)
                                      .order_by(CustomerMerge.at)))
    return out


def _timeline(session: Session, customer_id: int) -> list[Entry]:
    from .timeline import timeline

    return timeline(session, customer_id)


def full_contact(session: Session, customer_id, viewer: Staff) -> Customer:
    """The full phone and address, for the owner and the manager; refused (403) to anyone else."""
    customer = get_customer(session, customer_id)
    _check_may_edit(viewer, own.live_ownership(session, customer.id))
    return customer


def update_profile(session: Session, customer_id, *, actor: Staff, name=None, address=None, channel=None,
                   needs=None, note=None, key_customer=None) -> Customer:
    """The owner or the manager updates the file; only the manager marks a key customer (重点客户)."""
    from ..text import check_text

    customer = get_customer(session, customer_id, for_update=True)
    if customer.merged_into_id:
        raise Conflict(_("This record was merged into another: change that one."))
    _check_may_edit(actor, own.live_ownership(session, customer.id))
    changes = []
    if name is not None:
        value = " ".join(check_text(name, label=_("Full name"), max_len=60, required=True, field="name").split())
        if value != customer.name:
            customer.name = value
            changes.append("name")
    if address is not None:
        value = check_text(address, label=_("Address"), max_len=200, field="address")
        if value != customer.address:
            customer.address = value
            changes.append("address")
    if channel is not None:
        if channel not in ("", *CHANNELS):
            raise DomainError(_("Choose where the customer came from."), field="channel")
        if channel != customer.channel:
            customer.channel = channel
            changes.append("channel")
    if needs is not None:
        value = check_text(needs, label=_("Needs and interests"), max_len=1000, field="needs")
        if value != customer.needs:
            customer.needs = value
            changes.append("needs")
    if note is not None:
        value = check_text(note, label=_("Note"), max_len=1000, field="note")
        if value != customer.note:
            customer.note = value
            changes.append("note")
    if key_customer is not None and bool(key_customer) != customer.key_customer:
        if not actor.has_role("manager"):
            raise Forbidden(_("Only the manager marks a key customer."))
        customer.key_customer = bool(key_customer)
        changes.append("key_customer")
    if changes:
        record(session, "customers.profile", actor=actor, record=customer,
               summary=f"{customer.name} {own.mask_phone(customer.phone)}: {', '.join(changes)}")
    return customer


def add_tag(session: Session, customer_id, tag: str, *, actor: Staff) -> CustomerTag:
    from ..text import check_text

    customer = get_customer(session, customer_id, for_update=True)
    _check_may_edit(actor, own.live_ownership(session, customer.id))
    value = " ".join(check_text(tag, label=_("Tag"), max_len=TAG_MAX, required=True, field="tag").split())
    existing = session.scalar(select(CustomerTag).where(CustomerTag.customer_id == customer.id,
                                                        CustomerTag.tag == value))
    if existing is not None:
        raise DomainError(_("The customer already has the tag %(tag)s.", tag=value), field="tag")
    if (session.scalar(select(func.count(CustomerTag.id)).where(CustomerTag.customer_id == customer.id)) or 0) \
            >= TAGS_PER_CUSTOMER:
        raise DomainError(_("A customer has at most %(n)s tags.", n=TAGS_PER_CUSTOMER), field="tag")
    row = CustomerTag(customer_id=customer.id, tag=value, added_by_id=actor.id)
    session.add(row)
    session.flush()
    record(session, "customers.tagged", actor=actor, record=customer, summary=value)
    return row


def remove_tag(session: Session, customer_id, tag: str, *, actor: Staff) -> None:
    customer = get_customer(session, customer_id, for_update=True)
    _check_may_edit(actor, own.live_ownership(session, customer.id))
    row = session.scalar(select(CustomerTag).where(CustomerTag.customer_id == customer.id,
                                                   CustomerTag.tag == (tag or "").strip()))
    if row is None:
        raise NotFound(_("The customer has no such tag."))
    session.delete(row)
    record(session, "customers.untagged", actor=actor, record=customer, summary=row.tag)


def assign_owner(session: Session, customer_id, staff_id, *, actor: Staff, now: datetime | None = None) -> Ownership:
    """The manager gives the customer to an agent (the old ownership ends as reassigned)."""
    from ..text import parse_id

    now = now or utcnow()
    if not actor.has_role("manager"):
        raise Forbidden(_("Only the manager assigns a customer to an agent."))
    customer = get_customer(session, customer_id, for_update=True)
    if customer.merged_into_id:
        raise Conflict(_("This record was merged into another: change that one."))
    agent = session.get(Staff, parse_id(staff_id) or 0)
    if agent is None or not agent.active or not agent.has_role("clerk"):
        raise DomainError(_("Choose an active sales agent."), field="staff_id")
    live = session.scalar(select(Ownership).where(Ownership.customer_id == customer.id, Ownership.ended_at.is_(None))
                          .with_for_update())
    channel = customer.channel if customer.channel in CHANNELS else "walk_in"
    if live is not None:
        if live.staff_id == agent.id and live.protected_until > now:
            raise DomainError(_("%(name)s already owns this customer.", name=agent.full_name), field="staff_id")
        live.ended_at = now
        live.end_reason = "reassigned" if live.protected_until > now else "lapsed"
        channel = live.channel
        session.flush()
    new = Ownership(customer_id=customer.id, staff_id=agent.id, channel=channel, started_at=now,
                    protected_until=now + timedelta(days=own.protection_days(session, channel)))
    session.add(new)
    session.flush()
    record(session, "customers.reassigned", actor=actor, record=customer,
           summary=f"{customer.name} {own.mask_phone(customer.phone)} → {agent.full_name}")
    return new


# ------------------------------------------------------------------ search
@dataclass
class Found:
    customer: Customer
    ownership: Ownership | None
    phone: str


def search(session: Session, viewer: Staff, *, name: str = "", phone: str = "", grade: str = "", owner_id="",
           tag: str = "", key_only: bool = False, limit: int = SEARCH_LIMIT) -> list[Found]:
    """Find customers by name (its beginning), phone (in full or its last four digits), grade,
    owner or tag — each through an index; phones masked unless the viewer may see them."""
    from ..text import normalise_phone, parse_id, plain

    now = utcnow()
    stmt = select(Customer).where(Customer.merged_into_id.is_(None))
    name = " ".join(plain(name or "").split())
    digits = "".join(plain(phone or "").split())
    given = False
    if name:
        stmt = stmt.where(Customer.name >= name, Customer.name < name + "\U0010ffff")
        given = True
    if digits:
        if len(digits) == 4 and digits.isascii() and digits.isdigit():
            stmt = stmt.where(Customer.phone_last4 == digits)
        else:
            number = normalise_phone(digits)
            if number is None:
                raise DomainError(_("Type the full phone number or its last 4 digits."), field="phone")
            stmt = stmt.where(Customer.phone == number)
        given = True
    if grade:
        if grade not in GRADES:
            raise DomainError(_("Choose a grade from the list."), field="grade")
        stmt = stmt.where(Customer.grade == grade)
        given = True
    if owner_id not in (None, ""):
        staff_id = parse_id(owner_id)
        if staff_id is None:
            raise DomainError(_("Choose an agent from the list."), field="owner_id")
        stmt = stmt.where(Customer.id.in_(select(Ownership.customer_id).where(
            Ownership.staff_id == staff_id, Ownership.ended_at.is_(None), Ownership.protected_until > now)))
        given = True
    tag = " ".join((tag or "").split())
    if tag:
        stmt = stmt.where(Customer.id.in_(select(CustomerTag.customer_id).where(CustomerTag.tag == tag)))
        given = True
    if key_only:
        stmt = stmt.where(Customer.key_customer.is_(True))
        given = True
    if not given:
        return []
    customers = list(session.scalars(stmt.order_by(Customer.id.desc()).limit(limit)))
    owners = {}
    if customers:
        ids = [c.id for c in customers]
        for o in session.scalars(select(Ownership).where(Ownership.customer_id.in_(ids), Ownership.ended_at.is_(None),
                                                         Ownership.protected_until > now)):
            owners[o.customer_id] = o
    found = []
    for c in customers:
        o = owners.get(c.id)
        found.append(Found(c, o, c.phone if may_see_contact(viewer, o) else own.mask_phone(c.phone)))
    return found


def agents(session: Session) -> list[Staff]:
    return [s for s in session.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.full_name)
                                       .options(selectinload(Staff.role_rows)))
            if s.has_role("clerk")]


def all_tags(session: Session, limit: int = 100) -> list[str]:
    return list(session.scalars(select(CustomerTag.tag).group_by(CustomerTag.tag)
                                .order_by(func.count(CustomerTag.id).desc()).limit(limit)))


# ------------------------------------------------------------------ merge
def _references() -> list[tuple[str, str]]:
    """Every (table, column) that points at a customer, from the app's metadata: the merge moves
    them all, whichever domain owns the table (so a new table is never forgotten)."""
    refs = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "customer" and fk.column.name == "id":
                if (table.name, fk.parent.name) in (("customer", "merged_into_id"), ("customer_merge", "kept_id"),
                                                    ("customer_merge", "merged_id")):
                    continue
                refs.append((table.name, fk.parent.name))
    return refs


def merge(session: Session, kept_id, merged_id, *, actor: Staff, reason: str = "",
          now: datetime | None = None) -> CustomerMerge:
    """Join two records of one person (合并客户): the manager keeps one; every voucher, invoice,
    visit, follow-up, interest, tag, claim and agreement of the other moves to it; the other stays
    as a record merged into the kept one (its phone kept in ``former_phone``). Audited."""
    from ..text import check_text, parse_id

    now = now or utcnow()
    if not actor.has_role("manager"):
        raise Forbidden(_("Only the manager merges customers."))
    a, b = parse_id(kept_id), parse_id(merged_id)
    if a is None or b is None:
        raise DomainError(_("Choose the record to merge."), field="merged_id")
    if a == b:
        raise DomainError(_("A record cannot be merged with itself."), field="merged_id")
    reason = check_text(reason, label=_("Reason"), max_len=500, required=True, field="reason")
    locked = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_([a, b])).order_by(Customer.id)
                                               .with_for_update().execution_options(populate_existing=True))}
    if a not in locked or b not in locked:
        raise NotFound(_("No such customer."))
    kept, gone = locked[a], locked[b]
    if kept.merged_into_id or gone.merged_into_id:
        raise Conflict(_("One of these records was already merged into another."))
    # one live ownership per customer: the kept record's owner stays; else the merged one's moves over
    kept_live = session.scalar(select(Ownership).where(Ownership.customer_id == kept.id, Ownership.ended_at.is_(None)))
    gone_live = session.scalar(select(Ownership).where(Ownership.customer_id == gone.id, Ownership.ended_at.is_(None)))
    if kept_live is not None and gone_live is not None:
        gone_live.ended_at = now
        gone_live.end_reason = "merged"
        session.flush()
    # a tag both have stays once
    session.execute(CustomerTag.__table__.delete().where(
        CustomerTag.customer_id == gone.id,
        CustomerTag.tag.in_(select(CustomerTag.tag).where(CustomerTag.customer_id == kept.id).scalar_subquery())))
    moved = {}
    try:
        with session.begin_nested():
            for table_name, column in _references():
                table = db.metadata.tables[table_name]
                n = session.execute(update(table).where(table.c[column] == gone.id).values({column: kept.id})).rowcount
                if n:
                    moved[f"{table_name}.{column}"] = n
    except IntegrityError:
        raise Conflict(_("Both records hold something only one customer may hold (e.g. a live queue number): "
                         "settle that first, then merge.")) from None
    session.expire_all()
    kept = session.get(Customer, a)
    gone = session.get(Customer, b)
    for attr in ("address", "needs", "channel", "note"):
        if not getattr(kept, attr) and getattr(gone, attr):
            setattr(kept, attr, getattr(gone, attr))
    kept.key_customer = kept.key_customer or gone.key_customer
    former = gone.phone
    gone.former_phone = former
    gone.phone = f"M{gone.id}"  # frees the phone (unique) so that it finds no one; the number is kept
    gone.merged_into_id = kept.id
    row = CustomerMerge(kept_id=kept.id, merged_id=gone.id, merged_name=gone.name, merged_phone=former, by_id=actor.id,
                        at=now, reason=reason, moved=", ".join(f"{k}: {v}" for k, v in sorted(moved.items())))
    session.add(row)
    session.flush()
    record(session, "customers.merged", actor=actor, record=kept, reason=reason,
           summary=f"#{gone.id} {gone.name} {own.mask_phone(former)} → #{kept.id} {kept.name}",
           data={"moved": moved, "merged_id": gone.id})
    return row


# ------------------------------------------------------------------ export
def export_xlsx(session: Session, *, actor: Staff) -> io.BytesIO:
    """Every customer with full details, for the manager only; the export itself is audited."""
    from openpyxl import Workbook

    if not actor.has_role("manager"):
        raise Forbidden(_("Only the manager exports the customers."))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Customers"))
    ws.append([_("No."), _("Full name"), _("Phone"), _("Address"), _("Source"), _("Grade"), _("Score"),
               _("Key customer"), _("Owner"), _("Tags"), _("Registered")])
    now = utcnow()
    owners = dict(session.execute(select(Ownership.customer_id, Staff.full_name)
                                  .join(Staff, Staff.id == Ownership.staff_id)
                                  .where(Ownership.ended_at.is_(None), Ownership.protected_until > now)).all())
    tags: dict[int, list[str]] = {}
    for cid, tag in session.execute(select(CustomerTag.customer_id, CustomerTag.tag)):
        tags.setdefault(cid, []).append(tag)
    n = 0
    for c in session.scalars(select(Customer).where(Customer.merged_into_id.is_(None)).order_by(Customer.id)
                             .execution_options(yield_per=1000)):
        ws.append([c.id, c.name, c.phone, c.address, str(own.CHANNEL_LABELS.get(c.channel, "")), c.grade, c.score,
                   _("Yes") if c.key_customer else "", owners.get(c.id, ""), ", ".join(tags.get(c.id, [])),
                   c.created_at.date().isoformat() if c.created_at else ""])
        n += 1
    record(session, "customers.exported", actor=actor, summary=f"{n}")
    data = io.BytesIO()
    wb.save(data)
    data.seek(0)
    return data


# ------------------------------------------------------------------ the customers domain's own timeline entries
@register_timeline_source
def _visits_and_follow_ups(session: Session, customer_id: int):
    for v in session.scalars(select(Visit).where(Visit.customer_id == customer_id)):
        staff = session.get(Staff, v.staff_id)
        yield Entry(at=v.at, kind="visit", title=str(_l("Visit")),
                    detail=" · ".join(x for x in (str(own.CHANNEL_LABELS.get(v.channel, v.channel)),
                                                  staff.full_name if staff else "", v.needs_area, v.needs_budget,
                                                  v.needs_layout, v.note) if x))
    for f in session.scalars(select(FollowUp).where(FollowUp.customer_id == customer_id)):
        staff = session.get(Staff, f.staff_id)
        yield Entry(at=f.at, kind="follow_up", title=str(_l("Follow-up")),
                    detail=" · ".join(x for x in (str(own.FOLLOW_UP_KINDS.get(f.kind, f.kind)),
                                                  staff.full_name if staff else "", f.note) if x))
    for m in session.scalars(select(CustomerMerge).where(CustomerMerge.kept_id == customer_id)):
        yield Entry(at=m.at, kind="merge", title=str(_l("Merged record")),
                    detail=f"#{m.merged_id} {m.merged_name} · {m.reason}")
