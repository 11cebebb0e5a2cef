"""Price lists (一房一价): the manager publishes a versioned list per building with an effective
date; each unit has a filed price (备案价, the ceiling) and a floor price (底价, nothing lower).
A list is never rewritten: a change is a new version from its own effective date.

An agent may sell down to the project's discount limit below the filed price; lower (never below
the floor) needs the manager's approval — the manager's PIN on the spot — and is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..audit.services import record
from ..clock import local_today
from ..errors import DomainError, Forbidden, NotFound
from ..money import FEN, format_money
from ..staff.models import Staff
from . import services
from .models import Building, PriceList, PriceListLine, Unit


@dataclass(frozen=True)
class LinePrice:
    """One unit's prices as typed: the filed unit price and the floor total."""

    unit_id: int
    filed_unit_price: object
    floor_total: object


def publish(session: Session, building: Building, *, effective_on, lines: list[LinePrice], actor: Staff,
            note: str = "", today: date | None = None) -> PriceList:
    """Publish a new version of the building's price list. Every line is checked; one bad line
    refuses the whole list (nothing is saved)."""
    services._require_manager(actor)
    today = today or local_today()
    effective_on = services._date(effective_on, _("effective date")) if effective_on not in (None, "") else None
    if effective_on is None:
        raise DomainError(_("Give the date the price list takes effect."), field="effective_on")
    if effective_on < today:
        raise DomainError(_("A price list cannot take effect in the past (history is never rewritten)."),
                          field="effective_on")
    if not lines:
        raise DomainError(_("A price list needs at least one unit."))
    # one publisher at a time per building: the version number is taken under the building's lock
    session.scalar(select(Building.id).where(Building.id == building.id).with_for_update())
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.building_id == building.id))}
    seen: set[int] = set()
    checked = []
    for line in lines:
        unit = units.get(int(line.unit_id))
        if unit is None:
            raise NotFound(_("Unit %(id)s is not in %(building)s.", id=line.unit_id, building=building.name))
        if unit.id in seen:
            raise DomainError(_("Unit %(number)s appears twice in the price list.", number=unit.number))
        seen.add(unit.id)
        filed_unit = services.parse_price(line.filed_unit_price, _("filed price"))
        filed_total = services.total_price(unit.pricing_basis, filed_unit, unit.gross_area, unit.inner_area)
        floor_total = services.parse_price(line.floor_total, _("floor price"))
        if filed_total <= 0 or floor_total <= 0:
            raise DomainError(_("Unit %(number)s: prices must be more than 0.", number=unit.number))
        if floor_total > filed_total:
            raise DomainError(_("Unit %(number)s: the floor price %(floor)s is above the filed price %(filed)s.",
                                number=unit.number, floor=format_money(floor_total), filed=format_money(filed_total)))
        checked.append(PriceListLine(unit_id=unit.id, filed_unit_price=filed_unit, filed_total=filed_total,
                                     floor_total=floor_total))
    last = session.scalar(select(func.max(PriceList.version_no)).where(PriceList.building_id == building.id)) or 0
    latest_day = session.scalar(select(func.max(PriceList.effective_on)).where(PriceList.building_id == building.id))
    if latest_day is not None and effective_on < latest_day:
        raise DomainError(_("A newer price list already takes effect on %(day)s; publish one from that day on.",
                            day=latest_day), field="effective_on")
    price_list = PriceList(building_id=building.id, version_no=last + 1, effective_on=effective_on,
                           note=(note or "").strip()[:200], published_by_id=actor.id, lines=checked)
    session.add(price_list)
    session.flush()
    record(session, "property.price_list_published", actor=actor, record=price_list,
           summary=f"{building.name} v{price_list.version_no} {effective_on} ({len(checked)} units)")
    return price_list


def publish_from_list(session: Session, building: Building, *, effective_on, floor_pct, actor: Staff,
                      note: str = "", today: date | None = None) -> PriceList:
    """A price list from the units' list prices: filed = list, floor = filed less ``floor_pct`` %."""
    pct = services._int_in(floor_pct, 0, 50, _("floor price discount"))
    units = list(session.scalars(select(Unit).where(Unit.building_id == building.id).order_by(Unit.id)))
    lines = [LinePrice(u.id, u.list_unit_price,
                       (u.list_total * (100 - pct) / 100).quantize(FEN, rounding=ROUND_HALF_UP)) for u in units]
    return publish(session, building, effective_on=effective_on, lines=lines, actor=actor, note=note, today=today)


def current_line(session: Session, unit: Unit, day: date | None = None) -> PriceListLine | None:
    """The unit's prices in force on ``day``: the newest version effective by then."""
    day = day or local_today()
    return session.scalar(
        select(PriceListLine).join(PriceList)
        .where(PriceListLine.unit_id == unit.id, PriceList.effective_on <= day)
        .order_by(PriceList.effective_on.desc(), PriceList.version_no.desc()).limit(1))


def price_history(session: Session, unit: Unit) -> list[PriceListLine]:
    return list(session.scalars(select(PriceListLine).join(PriceList).where(PriceListLine.unit_id == unit.id)
                                .order_by(PriceList.version_no.desc())))


@dataclass
class PriceCheck:
    total: Decimal
    filed_total: Decimal
    floor_total: Decimal
    discount_pct: Decimal  # below the filed price, in %
    approved_by: Staff | None


def within_bounds(session: Session, unit: Unit, total: Decimal, *, field: str,
                  day: date | None = None) -> tuple[PriceListLine, Decimal]:
    """The unit's price line in force and the discount ``total`` makes on its filed price (per cent,
    two places) — refused when there is no price list, above the filed price (the ceiling) or below
    the floor price."""
    line = current_line(session, unit, day)
    if line is None:
        raise DomainError(_("Unit %(number)s has no price list in force: it cannot be priced yet.",
                            number=unit.number))
    if total > line.filed_total:
        raise DomainError(_("%(price)s is above the filed price %(filed)s of unit %(number)s (the ceiling).",
                            price=format_money(total), filed=format_money(line.filed_total), number=unit.number),
                          field=field)
    if total < line.floor_total:
        raise DomainError(_("%(price)s is below the floor price %(floor)s of unit %(number)s: nobody may sell lower.",
                            price=format_money(total), floor=format_money(line.floor_total), number=unit.number),
                          field=field)
    return line, ((line.filed_total - total) * 100 / line.filed_total).quantize(Decimal("0.01"))


def check_price(session: Session, unit: Unit, total, *, actor: Staff, approver: Staff | None = None,
                day: date | None = None, approved_request=None, audit: bool = True) -> PriceCheck:
    """May ``actor`` sell ``unit`` at ``total``? Never above the filed price, never below the floor;
    below the agent's limit only with a manager's approval (``approver``, whose PIN the view has
    checked with ``staff.services.verify_manager_pin``) — and that approval is audited. The other
    way: ``approved_request``, a price request the manager approved on their tablet, already
    checked by :func:`pos.property.price_requests.check_use` (its use is audited there)."""
    total = services.parse_price(total, _("price"))
    line, discount = within_bounds(session, unit, total, field="price", day=day)
    limit = Decimal(unit.building.project.agent_discount_pct)
    needs_manager = discount > limit and not actor.has_role("manager")
    if needs_manager and approver is None and approved_request is not None:
        return PriceCheck(total=total, filed_total=line.filed_total, floor_total=line.floor_total,
                          discount_pct=discount, approved_by=approved_request.answer.answered_by)
    if needs_manager:
        if approver is None:
            raise Forbidden(_("%(pct)s %% below the filed price is more than an agent's %(limit)s %%: "
                              "a manager must approve it with their PIN.", pct=discount, limit=limit))
        if not approver.has_role("manager"):
            raise Forbidden(_("%(name)s is not a sales manager.", name=approver.full_name))
        if audit:
            record(session, "property.price_approved", actor=approver, record=unit,
                   summary=f"{unit.building.name} {unit.number} {format_money(total)} (-{discount}%) "
                           f"for {actor.full_name}")
    return PriceCheck(total=total, filed_total=line.filed_total, floor_total=line.floor_total, discount_pct=discount,
                      approved_by=approver if needs_manager else None)
