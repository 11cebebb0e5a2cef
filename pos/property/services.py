"""Property sales rules (销控): projects, buildings and units, their status changes, the board.

Every status change locks the unit row (``SELECT … FOR UPDATE``; on SQLite the request already
holds the write lock), checks again under the lock, writes a :class:`UnitEvent` and the audit
log, and bumps the building's version in the same transaction, at its commit
(:func:`stamp_versions`) — the open boards poll that version. A hold's expiry and a lock's end
are enforced when the unit is read (:func:`shown_status`) and settled for good by the next
change under the lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..audit.services import KIND_LABELS, RECORD_LABELS, record
from ..dbtypes import utcnow
from ..errors import Conflict, DomainError, Forbidden, NotFound
from ..money import FEN, format_money, to_decimal
from ..staff.models import Staff
from ..text import plain
from .models import (
    AVAILABLE,
    BY_GROSS,
    BY_INNER,
    CONTRACTED,
    FILED,
    HELD,
    HOLD,
    LOCKED,
    NOT_FOR_SALE,
    PER_UNIT,
    PRICING_BASES,
    SOLD,
    SOLD_STATUSES,
    STATUSES,
    SUBSCRIBED,
    Building,
    Project,
    Unit,
    UnitClaim,
    UnitEvent,
    to_area,
)

STATUS_LABELS = {
    NOT_FOR_SALE: _l("Not for sale"),
    AVAILABLE: _l("Available"),
    HELD: _l("Held"),
    SUBSCRIBED: _l("Subscribed"),
    CONTRACTED: _l("Contracted"),
    FILED: _l("Filed"),
    SOLD: _l("Sold / handed over"),
    LOCKED: _l("Locked (sales control)"),
}
BASIS_LABELS = {BY_GROSS: _l("by gross area"), BY_INNER: _l("by inner area"), PER_UNIT: _l("per unit")}

KIND_LABELS.update({
    "property.project_created": _l("Property project created"),
    "property.building_created": _l("Building created"),
    "property.unit_added": _l("Unit added"),
    "property.released": _l("Units released for sale"),
    "property.withdrawn": _l("Units withdrawn from sale"),
    "property.held": _l("Unit held"),
    "property.hold_released": _l("Hold released"),
    "property.hold_expired": _l("Hold expired"),
    "property.locked": _l("Unit locked"),
    "property.unlocked": _l("Unit unlocked"),
    "property.price_list_published": _l("Price list published"),
    "property.price_approved": _l("Price below the agent's limit approved"),
    "property.demo_status": _l("Demo data"),
})
RECORD_LABELS.update({
    "property_project": _l("Property project"),
    "property_building": _l("Building"),
    "property_unit": _l("Property unit"),
    "property_price_list": _l("Price list"),
})

MAX_FLOORS = 200
MAX_UNITS_PER_FLOOR = 40
MAX_AREA = Decimal("100000")
MAX_HOLD_HOURS = 24 * 30
MAX_LOCK_DAYS = 366


# ------------------------------------------------------------------ reading
def shown_status(unit: Unit, now: datetime | None = None, today: date | None = None) -> str:
    """The status as it is now: a hold past its expiry is available again, and so is a lock
    past its last day — enforced when read, not only when somebody next changes the unit."""
    now = now or utcnow()
    if unit.status == HELD and unit.held_until is not None and unit.held_until <= now:
        return AVAILABLE
    if unit.status == LOCKED and unit.locked_until is not None:
        from ..clock import to_local

        if unit.locked_until < (today or to_local(now).date()):
            return AVAILABLE
    return unit.status


def get_project(session: Session, project_id) -> Project:
    project = session.get(Project, _int(project_id))
    if project is None:
        raise NotFound(_("No such property project."))
    return project


def get_building(session: Session, building_id) -> Building:
    building = session.get(Building, _int(building_id))
    if building is None:
        raise NotFound(_("No such building."))
    return building


def get_unit(session: Session, unit_id) -> Unit:
    unit = session.get(Unit, _int(unit_id))
    if unit is None:
        raise NotFound(_("No such unit."))
    return unit


def projects(session: Session) -> list[Project]:
    return list(session.scalars(select(Project).order_by(Project.id)))


def live_claim(session: Session, unit_id: int) -> UnitClaim | None:
    return session.scalar(select(UnitClaim).where(UnitClaim.unit_id == unit_id, UnitClaim.ended_at.is_(None)))


def history(session: Session, unit_id: int, limit: int = 30) -> list[UnitEvent]:
    return list(session.scalars(select(UnitEvent).where(UnitEvent.unit_id == unit_id)
                                .order_by(UnitEvent.at.desc(), UnitEvent.id.desc()).limit(limit)))


def _int(value) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise NotFound(_("Nothing found under %(value)s.", value=str(value)[:20])) from None


# ------------------------------------------------------------------ typing helpers
def parse_area(value, label) -> Decimal:
    text = _clean_number(value)
    if not text:
        raise DomainError(_("Enter the %(what)s.", what=label))
    try:
        area = to_area(text)
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError(_("%(what)s is not a number: %(value)s", what=label, value=str(value)[:20])) from None
    if not area.is_finite() or area >= MAX_AREA:
        raise DomainError(_("%(what)s is not a number: %(value)s", what=label, value=str(value)[:20]))
    return area


def parse_price(value, label) -> Decimal:
    text = _clean_number(value)
    if not text:
        raise DomainError(_("Enter the %(what)s.", what=label))
    try:
        price = to_decimal(text)
    except (ValueError, TypeError):
        raise DomainError(_("%(what)s is not an amount of money: %(value)s", what=label,
                            value=str(value)[:20])) from None
    if price < 0:
        raise DomainError(_("%(what)s cannot be negative.", what=label))
    return price


def _clean_number(value) -> str:
    import unicodedata

    if value is None:
        return ""
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, float):
        raise TypeError("never a float")
    text = unicodedata.normalize("NFKC", str(value)).strip()
    for unit in ("m2", "m²", "平方米", "平米", "元"):  # NFKC turns ㎡ into m2
        text = text.removesuffix(unit)
    return text.replace(",", "").replace(" ", "").lstrip("￥¥")


def total_price(basis: str, unit_price: Decimal, gross: Decimal, inner: Decimal) -> Decimal:
    """The total price of a unit: the unit price times the area it is priced by, to the fen
    (half-up); priced per unit, the unit price is the total."""
    if basis == PER_UNIT:
        return unit_price.quantize(FEN)
    area = gross if basis == BY_GROSS else inner
    return (unit_price * area).quantize(FEN, rounding=ROUND_HALF_UP)


def check_areas(gross, inner, shared=None) -> tuple[Decimal, Decimal, Decimal]:
    """Gross (建筑面积) = inner (套内) + shared (分摊), all exact to 0.01 m²; inner > 0."""
    gross = parse_area(gross, _("gross area"))
    inner = parse_area(inner, _("inner area"))
    shared = (gross - inner) if shared in (None, "") else parse_area(shared, _("shared area"))
    if gross <= 0 or inner <= 0:
        raise DomainError(_("An area must be more than 0 m²."), field="gross_area")
    if inner > gross:
        raise DomainError(_("The inner area (%(inner)s m²) cannot be more than the gross area (%(gross)s m²).",
                            inner=inner, gross=gross), field="inner_area")
    if shared < 0:
        raise DomainError(_("A shared area cannot be negative."), field="shared_area")
    if gross != inner + shared:
        raise DomainError(_("Gross area %(gross)s m² must equal inner %(inner)s m² + shared %(shared)s m² "
                            "(= %(sum)s m²).", gross=gross, inner=inner, shared=shared, sum=inner + shared),
                          field="gross_area")
    return gross, inner, shared


# ------------------------------------------------------------------ projects, buildings, units
def create_project(session: Session, *, actor: Staff, name: str, address: str = "", developer: str = "",
                   developer_licence_no: str = "", presale_permit_no: str = "", presale_permit_date=None,
                   escrow_bank: str = "", escrow_account_name: str = "", escrow_account_no: str = "",
                   hold_hours=24, agent_discount_pct=2) -> Project:
    _require_manager(actor)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise DomainError(_("Give the project a name (at most 100 characters)."), field="name")
    if session.scalar(select(Project.id).where(Project.name == name)):
        raise DomainError(_("There is already a project named %(name)s.", name=name), field="name")
    permit = (presale_permit_no or "").strip()[:60] or None
    permit_date = _date(presale_permit_date, _("permit date")) if presale_permit_date not in (None, "") else None
    if permit and permit_date is None:
        raise DomainError(_("Give the date of the pre-sale permit."), field="presale_permit_date")
    account_no = "".join(plain(escrow_account_no).split())  # any script's digits as ASCII
    if account_no and not (account_no.isascii() and account_no.isdigit()):  # '²' passes isdigit
        raise DomainError(_("An escrow account number has digits only."), field="escrow_account_no")
    hours = _int_in(hold_hours, 1, MAX_HOLD_HOURS, _("hold hours"))
    pct = _int_in(agent_discount_pct, 0, 50, _("agent's discount limit"))
    project = Project(name=name, address=(address or "").strip()[:200], developer=(developer or "").strip()[:100],
                      developer_licence_no=(developer_licence_no or "").strip()[:60], presale_permit_no=permit,
                      presale_permit_date=permit_date, escrow_bank=(escrow_bank or "").strip()[:100],
                      escrow_account_name=(escrow_account_name or "").strip()[:100],
                      escrow_account_no=account_no[:40], hold_hours=hours, agent_discount_pct=pct)
    session.add(project)
    session.flush()
    record(session, "property.project_created", actor=actor, record=project, summary=name)
    return project


def _int_in(value, low: int, high: int, label) -> int:
    try:
        number = int(_clean_number(value))
    except (TypeError, ValueError):
        raise DomainError(_("%(what)s is not a whole number: %(value)s", what=label, value=str(value)[:20])) from None
    if not low <= number <= high:
        raise DomainError(_("%(what)s must be between %(low)d and %(high)d.", what=label, low=low, high=high))
    return number


def _date(value, label) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(_clean_number(value))
    except (TypeError, ValueError):
        raise DomainError(_("%(what)s is not a date: %(value)s (use YYYY-MM-DD).", what=label,
                            value=str(value)[:20])) from None


def create_building(session: Session, project: Project, name: str, floors, units_per_floor, *,
                    actor: Staff) -> Building:
    _require_manager(actor)
    name = (name or "").strip()
    if not name or len(name) > 40:
        raise DomainError(_("Give the building a name (at most 40 characters)."), field="name")
    if session.scalar(select(Building.id).where(Building.project_id == project.id, Building.name == name)):
        raise DomainError(_("%(project)s already has a building named %(name)s.", project=project.name, name=name),
                          field="name")
    building = Building(project_id=project.id, name=name,
                        floors=_int_in(floors, 1, MAX_FLOORS, _("floors")),
                        units_per_floor=_int_in(units_per_floor, 1, MAX_UNITS_PER_FLOOR, _("units per floor")))
    session.add(building)
    session.flush()
    record(session, "property.building_created", actor=actor, record=building,
           summary=f"{project.name} {name} {building.floors}×{building.units_per_floor}")
    return building


def add_unit(session: Session, building: Building, *, number: str, floor, stack, gross_area, inner_area,
             shared_area=None, pricing_basis: str = BY_GROSS, unit_price, layout: str = "", orientation: str = "",
             actor: Staff, audit: bool = True) -> Unit:
    """Add a unit to a building (not for sale until the manager releases it)."""
    number = _clean_number(number).upper()
    if not number or len(number) > 20:
        raise DomainError(_("Give the unit a number (房号, at most 20 characters)."), field="number")
    floor = _int_in(floor, 1, building.floors, _("floor"))
    stack = _int_in(stack, 1, building.units_per_floor, _("unit position on the floor"))
    gross, inner, shared = check_areas(gross_area, inner_area, shared_area)
    if pricing_basis not in PRICING_BASES:
        raise DomainError(_("Choose how the unit is priced: by gross area, by inner area or per unit."),
                          field="pricing_basis")
    unit_price = parse_price(unit_price, _("unit price"))
    if unit_price <= 0:
        raise DomainError(_("The price must be more than 0."), field="unit_price")
    if session.scalar(select(Unit.id).where(Unit.building_id == building.id, Unit.number == number)):
        raise DomainError(_("%(building)s already has a unit %(number)s.", building=building.name, number=number),
                          field="number")
    if session.scalar(select(Unit.number).where(Unit.building_id == building.id, Unit.floor == floor,
                                                Unit.stack == stack)):
        raise DomainError(_("Floor %(floor)d position %(stack)d already has a unit.", floor=floor, stack=stack),
                          field="stack")
    unit = Unit(building_id=building.id, number=number, floor=floor, stack=stack,
                layout=(layout or "").strip()[:40], orientation=(orientation or "").strip()[:20],
                gross_area=gross, inner_area=inner, shared_area=shared, pricing_basis=pricing_basis,
                list_unit_price=unit_price, list_total=total_price(pricing_basis, unit_price, gross, inner),
                status=NOT_FOR_SALE, version=building.version)
    session.add(unit)
    session.flush()
    if audit:
        record(session, "property.unit_added", actor=actor, record=unit,
               summary=f"{building.name} {number} {gross}m² {format_money(unit.list_total)}")
    return unit


@dataclass
class StackRule:
    """What every unit of one stack (the same position on each floor) shares: layout, areas, price."""

    layout: str
    orientation: str
    gross_area: object
    inner_area: object
    unit_price: object  # the base price per m² (or per unit) on the first priced floor
    pricing_basis: str = BY_GROSS


def generate_building(session: Session, project: Project, name: str, floors, stacks: list[StackRule], *,
                      floor_premium=0, premium_from_floor=2, first_floor=1, actor: Staff) -> Building:
    """A regular building: ``floors`` × ``len(stacks)`` units numbered floor + two-digit stack
    (1801, 1802 …); each floor from ``premium_from_floor`` up costs ``floor_premium`` more per m²
    (per unit when priced per unit) than the floor below it (楼层差价)."""
    if not stacks:
        raise DomainError(_("Describe at least one unit position (layout, areas, price)."))
    building = create_building(session, project, name, floors, len(stacks), actor=actor)
    premium = parse_price(floor_premium if floor_premium not in (None, "") else "0", _("floor premium"))
    start = _int_in(premium_from_floor, 1, MAX_FLOORS, _("first floor with a premium"))
    first = _int_in(first_floor, 1, building.floors, _("first floor"))
    for floor in range(first, building.floors + 1):
        for stack, rule in enumerate(stacks, start=1):
            base = parse_price(rule.unit_price, _("unit price"))
            price = base + premium * max(0, floor - start + 1)
            add_unit(session, building, number=f"{floor}{stack:02d}", floor=floor, stack=stack,
                     gross_area=rule.gross_area, inner_area=rule.inner_area, pricing_basis=rule.pricing_basis,
                     unit_price=price, layout=rule.layout, orientation=rule.orientation, actor=actor, audit=False)
    record(session, "property.unit_added", actor=actor, record=building,
           summary=f"{building.name}: {(building.floors - first + 1) * len(stacks)} units generated")
    return building


# ------------------------------------------------------------------ status changes
def _require_manager(actor: Staff) -> None:
    if actor is None or not actor.has_role("manager"):
        raise Forbidden(_("Only the sales manager may do this."))


def _lock(session: Session, unit_id) -> Unit:
    """The unit, locked for this transaction (checked again by the caller under the lock)."""
    unit = session.scalar(select(Unit).where(Unit.id == _int(unit_id)).with_for_update()
                          .execution_options(populate_existing=True))
    if unit is None:
        raise NotFound(_("No such unit."))
    return unit


def _bump(session: Session, building_id: int) -> int:
    """The building's next version (the open boards see every unit stamped above theirs)."""
    session.execute(update(Building).where(Building.id == building_id).values(version=Building.version + 1))
    return session.scalar(select(Building.version).where(Building.id == building_id)
                          .execution_options(populate_existing=True))


_PENDING = "pos_property_changed_units"


def _mark_changed(session: Session, unit: Unit) -> None:
    session.info.setdefault(_PENDING, {}).setdefault(unit.building_id, []).append(unit)


def stamp_versions(session: Session) -> None:
    """Bump each changed building's version once and stamp its changed units with it. Runs just
    before the transaction commits (a ``before_commit`` listener), so the building row — which every
    change in the building queues on — stays locked only for the commit itself, not for the rest of
    the request (rendering the answer); versions still become visible in commit order."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    for building_id in sorted(pending):
        version = _bump(session, building_id)
        for unit in pending[building_id]:
            unit.version = version


@event.listens_for(Session, "before_commit")
def _stamp_before_commit(session):
    stamp_versions(session)


@event.listens_for(Session, "after_transaction_end")
def _forget_after_rollback(session, transaction):
    if transaction.parent is None:  # the outermost transaction ended (committed: already stamped)
        session.info.pop(_PENDING, None)


def _change(session: Session, unit: Unit, to_status: str, *, actor: Staff | None, kind: str, note: str = "",
            claim: UnitClaim | None = None, at: datetime | None = None) -> UnitEvent:
    event = UnitEvent(unit_id=unit.id, at=at or utcnow(), staff_id=actor.id if actor else None,
                      from_status=unit.status, to_status=to_status, claim_id=claim.id if claim else None,
                      note=note[:500])
    unit.status = to_status
    if to_status != HELD:
        unit.held_until = None
    if to_status != LOCKED:
        unit.locked_until = None
        unit.lock_reason = ""
    _mark_changed(session, unit)
    session.add(event)
    record(session, kind, actor=actor, record=unit,
           summary=f"{unit.building.name} {unit.number}: {event.from_status} → {to_status}"
           + (f" ({note[:120]})" if note else ""))
    return event


def settle_lapsed(session: Session, unit: Unit, now: datetime | None = None) -> None:
    """Under the unit's lock: write down a hold that expired or a lock that ended."""
    now = now or utcnow()
    if unit.status == HELD and shown_status(unit, now) == AVAILABLE:
        claim = live_claim(session, unit.id)
        if claim is not None:
            claim.ended_at = unit.held_until
            claim.end_reason = "expired"
        _change(session, unit, AVAILABLE, actor=None, kind="property.hold_expired", claim=claim,
                note=_("hold expired"), at=now)
        session.flush()
    elif unit.status == LOCKED and shown_status(unit, now) == AVAILABLE:
        _change(session, unit, AVAILABLE, actor=None, kind="property.unlocked", note=_("lock ended"), at=now)


def _refuse_unless(unit: Unit, allowed: tuple[str, ...], session: Session) -> None:
    if unit.status in allowed:
        return
    label = STATUS_LABELS[unit.status]
    if unit.status == HELD:
        claim = live_claim(session, unit.id)
        who = claim.staff.full_name if claim and claim.staff else "?"
        from ..clock import format_local

        raise Conflict(_("Unit %(number)s is already held by %(who)s until %(until)s.", number=unit.number,
                         who=who, until=format_local(unit.held_until)))
    if unit.status in SOLD_STATUSES:
        raise Conflict(_("Unit %(number)s is already taken (%(status)s).", number=unit.number, status=label))
    if unit.status == LOCKED:
        raise DomainError(_("Unit %(number)s is locked until %(until)s: %(reason)s", number=unit.number,
                            until=unit.locked_until, reason=unit.lock_reason))
    raise DomainError(_("Unit %(number)s is %(status)s.", number=unit.number, status=label))


def release_units(session: Session, unit_ids, *, actor: Staff) -> list[Unit]:
    """The manager puts units on sale (推盘): not for sale → available."""
    _require_manager(actor)
    units = _lock_many(session, unit_ids)
    for unit in units:
        if unit.status != NOT_FOR_SALE:
            raise DomainError(_("Unit %(number)s is %(status)s, not waiting to be released.", number=unit.number,
                                status=STATUS_LABELS[unit.status]))
        _change(session, unit, AVAILABLE, actor=actor, kind="property.released")
    return units


def withdraw_units(session: Session, unit_ids, *, actor: Staff, reason: str = "") -> list[Unit]:
    """The manager takes available units off sale again: available → not for sale."""
    _require_manager(actor)
    units = _lock_many(session, unit_ids)
    now = utcnow()
    for unit in units:
        settle_lapsed(session, unit, now)
        _refuse_unless(unit, (AVAILABLE,), session)
        _change(session, unit, NOT_FOR_SALE, actor=actor, kind="property.withdrawn", note=(reason or "").strip())
    return units


def _lock_many(session: Session, unit_ids) -> list[Unit]:
    ids = sorted({_int(i) for i in unit_ids})
    if not ids:
        raise DomainError(_("Choose at least one unit."))
    units = list(session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.id).with_for_update()
                                 .execution_options(populate_existing=True)))
    if len(units) != len(ids):
        raise NotFound(_("No such unit."))
    return units


def hold_unit(session: Session, unit_id, *, actor: Staff, customer_name: str, customer_id: int | None = None,
              now: datetime | None = None) -> UnitClaim:
    """An agent holds an available unit for a customer (保留); it lapses after the project's hours
    unless an agreement follows. Two agents at once: one wins, the other is told who holds it."""
    now = now or utcnow()
    name = " ".join((customer_name or "").split())
    if not name or len(name) > 60:
        raise DomainError(_("Say for which customer the unit is held (a name, at most 60 characters)."),
                          field="customer_name")
    unit = _lock(session, unit_id)
    settle_lapsed(session, unit, now)
    _refuse_unless(unit, (AVAILABLE,), session)
    hours = unit.building.project.hold_hours
    claim = UnitClaim(unit_id=unit.id, kind=HOLD, customer_id=customer_id, customer_name=name, staff_id=actor.id,
                      created_at=now, expires_at=now + timedelta(hours=hours))
    try:
        with session.begin_nested():
            session.add(claim)
            session.flush()
    except IntegrityError:
        # the partial unique index: somebody's live claim got in (cannot happen under the row lock,
        # but the database has the last word)
        raise Conflict(_("Unit %(number)s was just taken by someone else.", number=unit.number)) from None
    unit.held_until = claim.expires_at
    _change(session, unit, HELD, actor=actor, kind="property.held", claim=claim, note=name, at=now)
    unit.held_until = claim.expires_at
    return claim


def release_hold(session: Session, unit_id, *, actor: Staff, now: datetime | None = None) -> Unit:
    """The agent who holds it (or the manager) gives the unit back."""
    now = now or utcnow()
    unit = _lock(session, unit_id)
    settle_lapsed(session, unit, now)
    if unit.status != HELD:
        raise DomainError(_("Unit %(number)s is not held (it is %(status)s).", number=unit.number,
                            status=STATUS_LABELS[unit.status]))
    claim = live_claim(session, unit.id)
    if claim is not None and claim.staff_id != actor.id and not actor.has_role("manager"):
        raise Forbidden(_("Only %(who)s or the manager may release this hold.", who=claim.staff.full_name))
    if claim is not None:
        claim.ended_at = now
        claim.end_reason = "released"
        claim.ended_by_id = actor.id
    _change(session, unit, AVAILABLE, actor=actor, kind="property.hold_released", claim=claim, at=now)
    return unit


def lock_unit(session: Session, unit_id, *, actor: Staff, reason: str, until, today: date | None = None) -> Unit:
    """The manager locks a unit (锁定) with a reason until a date (e.g. 30 days after a cancellation)."""
    _require_manager(actor)
    from ..clock import local_today

    today = today or local_today()
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > 200:
        raise DomainError(_("Give the reason for the lock (at most 200 characters)."), field="reason")
    if until in (None, ""):
        raise DomainError(_("Give the last day of the lock."), field="until")
    until = _date(until, _("last day of the lock"))
    if until < today:
        raise DomainError(_("The lock's last day cannot be in the past."), field="until")
    if until > today + timedelta(days=MAX_LOCK_DAYS):
        raise DomainError(_("A lock lasts at most %(days)d days.", days=MAX_LOCK_DAYS), field="until")
    unit = _lock(session, unit_id)
    settle_lapsed(session, unit)
    _refuse_unless(unit, (AVAILABLE, NOT_FOR_SALE), session)
    _change(session, unit, LOCKED, actor=actor, kind="property.locked", note=f"{reason} ≤ {until}")
    unit.locked_until = until
    unit.lock_reason = reason
    return unit


def unlock_unit(session: Session, unit_id, *, actor: Staff) -> Unit:
    _require_manager(actor)
    unit = _lock(session, unit_id)
    if unit.status != LOCKED:
        raise DomainError(_("Unit %(number)s is not locked.", number=unit.number))
    _change(session, unit, AVAILABLE, actor=actor, kind="property.unlocked")
    return unit


# ------------------------------------------------------------------ the board (销控表)
@dataclass
class Tally:
    """Counts per status, and the area and amount sold."""

    counts: dict = field(default_factory=lambda: {s: 0 for s in STATUSES})
    total: int = 0
    sold_units: int = 0
    sold_area: Decimal = Decimal("0.00")
    sold_amount: Decimal = Decimal("0.00")

    def add(self, unit: Unit, status: str) -> None:
        self.counts[status] += 1
        self.total += 1
        if status in SOLD_STATUSES:
            self.sold_units += 1
            self.sold_area += unit.gross_area
            self.sold_amount += unit.sold_total if unit.sold_total is not None else unit.list_total

    def merge(self, other: Tally) -> None:
        for status, n in other.counts.items():
            self.counts[status] += n
        self.total += other.total
        self.sold_units += other.sold_units
        self.sold_area += other.sold_area
        self.sold_amount += other.sold_amount


@dataclass
class Board:
    building: Building
    version: int
    rows: list  # [(floor, [(unit, status) or None per stack])], top floor first
    tally: Tally
    at: datetime


def board(session: Session, building: Building, now: datetime | None = None) -> Board:
    now = now or utcnow()
    version = session.scalar(select(Building.version).where(Building.id == building.id))
    units = list(session.scalars(select(Unit).where(Unit.building_id == building.id)))
    grid: dict[int, list] = {f: [None] * building.units_per_floor for f in range(1, building.floors + 1)}
    tally = Tally()
    for unit in units:
        status = shown_status(unit, now)
        grid.setdefault(unit.floor, [None] * building.units_per_floor)[unit.stack - 1] = (unit, status)
        tally.add(unit, status)
    rows = [(f, grid[f]) for f in sorted(grid, reverse=True)]
    return Board(building=building, version=version, rows=rows, tally=tally, at=now)


def tally(session: Session, building_ids, now: datetime | None = None) -> Tally:
    now = now or utcnow()
    total = Tally()
    for unit in session.scalars(select(Unit).where(Unit.building_id.in_(list(building_ids)))):
        total.add(unit, shown_status(unit, now))
    return total


def changes_since(session: Session, building_id: int, version: int, since: datetime,
                  now: datetime | None = None) -> tuple[int, list[tuple[Unit, str]]] | None:
    """What an open board must redraw: ``None`` when nothing changed since ``version`` (one indexed
    query), else the building's version and the units stamped above it or whose hold lapsed since
    ``since`` (the board last looked)."""
    now = now or utcnow()
    current = session.scalar(select(Building.version).where(Building.id == building_id))
    if current is None:
        raise NotFound(_("No such building."))
    lapsed = select(Unit).where(Unit.building_id == building_id, Unit.status == HELD,
                                Unit.held_until > since, Unit.held_until <= now)
    if current == version:
        if not session.scalar(select(func.count()).select_from(lapsed.subquery())):
            return None
        changed = list(session.scalars(lapsed))
    else:
        changed = list(session.scalars(select(Unit).where(Unit.building_id == building_id,
                                                          Unit.version > version)))
        seen = {u.id for u in changed}
        changed += [u for u in session.scalars(lapsed) if u.id not in seen]
    return current, [(u, shown_status(u, now)) for u in changed]
