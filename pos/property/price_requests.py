"""Price approvals asked of the manager's own tablet (issue 15, 一房一价).

Below the agent's discount limit a price needs the manager: either their PIN on the spot
(:func:`pos.property.pricing.check_price`), or — this module — a request the agent sends (unit,
asked price, reason) and the manager answers on their tablet (approve or decline, with a note).
An approved price may be used once, by the agent who asked, for that unit, until it lapses
(:data:`VALID_HOURS`), and never below the floor nor above the filed price in force then.

Nothing is edited: the request is a row, its answer another (one per request by a unique key,
written under the request's row lock), its use a third (one per request by a unique key).
A manager never answers their own request.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..audit.services import KIND_LABELS, RECORD_LABELS, record
from ..dbtypes import utcnow
from ..errors import Conflict, DomainError, Forbidden, get_or_404
from ..money import format_money
from ..staff.models import Staff
from ..text import check_text, plain
from . import pricing, services
from .changes_models import PriceAnswer, PriceRequest, PriceUse

KIND_LABELS.update({
    "property.price_requested": _l("Price approval requested of the manager"),
    "property.price_request_approved": _l("Price request approved on the manager's tablet"),
    "property.price_request_declined": _l("Price request declined on the manager's tablet"),
    "property.price_request_used": _l("Approved price used"),
})
RECORD_LABELS.update({"property_price_request": _l("Price request")})

#: how long an approved price may be used
VALID_HOURS = 48

PENDING, APPROVED, DECLINED, USED, LAPSED = "pending", "approved", "declined", "used", "lapsed"
STATE_LABELS = {PENDING: _l("Waiting for the manager"), APPROVED: _l("Price approved"),
                DECLINED: _l("Price declined"), USED: _l("Approved price used"), LAPSED: _l("Approval lapsed")}


def state_of(req: PriceRequest, now: datetime | None = None) -> str:
    if req.use is not None:
        return USED
    if req.answer is None:
        return PENDING
    if not req.answer.approved:
        return DECLINED
    now = now or utcnow()
    return APPROVED if req.answer.valid_until and now < req.answer.valid_until else LAPSED


def _money(value) -> Decimal:
    text = plain(value).replace(",", "").replace("，", "").lstrip("￥¥").removesuffix("元")
    if not text:
        raise DomainError(_("Type the price you ask the manager to approve."), field="asked_total")
    return services.parse_price(text, _("price"))


def request_price(session: Session, unit_id, asked_total, reason: str, *, agent: Staff,
                  now: datetime | None = None) -> PriceRequest:
    """The agent asks the manager to approve ``asked_total`` for ``unit``. Only a price that needs
    the manager is asked (below the agent's limit), never one outside the floor and the filed price."""
    now = now or utcnow()
    reason = check_text(reason, label=_("Reason"), max_len=200, required=True, field="reason")
    total = _money(asked_total)
    unit = services.get_unit(session, unit_id)
    if services.shown_status(unit, now) not in (services.AVAILABLE, services.HELD):
        raise DomainError(_("Unit %(number)s is %(status)s: no price can be asked for it.", number=unit.number,
                            status=services.STATUS_LABELS[services.shown_status(unit, now)]))
    line, discount = pricing.within_bounds(session, unit, total, field="asked_total")
    if agent.has_role("manager") or discount <= Decimal(unit.building.project.agent_discount_pct):
        raise DomainError(_("%(price)s is within your discount limit: no approval is needed.",
                            price=format_money(total)), field="asked_total")
    req = PriceRequest(unit_id=unit.id, agent_id=agent.id, asked_total=total, filed_total=line.filed_total,
                       floor_total=line.floor_total, reason=reason, created_at=now)
    session.add(req)
    session.flush()
    record(session, "property.price_requested", actor=agent, record=req, reason=reason,
           summary=f"{unit.building.name} {unit.number} {format_money(total)} (-{discount}%)")
    return req


def get_request(session: Session, request_id, *, lock: bool = False) -> PriceRequest:
    return get_or_404(session, PriceRequest, request_id, _("No such price request."), for_update=lock)


def answer(session: Session, request_id, *, manager: Staff, approve: bool, note: str = "",
           now: datetime | None = None) -> PriceAnswer:
    """The manager approves or declines, once. The request row is locked and the answer looked for
    again under the lock; the unique key on the answer is the last word (a second answer: 409)."""
    now = now or utcnow()
    if manager is None or not manager.has_role("manager"):
        raise Forbidden(_("Only the sales manager may answer a price request."))
    note = check_text(note, label=_("Note"), max_len=200, field="note")
    if not approve and not note:
        raise DomainError(_("Say why the price is declined (the agent reads it)."), field="note")
    req = get_request(session, request_id, lock=True)
    if req.agent_id == manager.id:
        raise Forbidden(_("You asked for this price yourself: another manager must answer it."))
    existing = session.scalar(select(PriceAnswer).where(PriceAnswer.request_id == req.id))
    if existing is not None:
        raise Conflict(_("This request was already answered by %(name)s.", name=existing.answered_by.full_name))
    row = PriceAnswer(request_id=req.id, approved=bool(approve), note=note, answered_by_id=manager.id, at=now,
                      valid_until=now + timedelta(hours=VALID_HOURS) if approve else None)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(_("This request was just answered by another manager.")) from None
    unit = req.unit
    record(session, "property.price_request_approved" if approve else "property.price_request_declined",
           actor=manager, record=req, reason=note,
           summary=f"{unit.building.name} {unit.number} {format_money(req.asked_total)} for {req.agent.full_name}")
    return row


def check_use(session: Session, request_id, unit, total: Decimal, *, agent: Staff,
              now: datetime | None = None) -> PriceRequest:
    """May ``agent`` sell ``unit`` at ``total`` on this approval? The request row locked (two
    agreements cannot use it at once). Refusals name what is wrong."""
    now = now or utcnow()
    req = get_request(session, request_id, lock=True)
    if req.agent_id != agent.id:
        raise Forbidden(_("This approved price was asked by %(name)s: only they may use it.",
                          name=req.agent.full_name), field="price_request")
    if req.unit_id != unit.id:
        raise DomainError(_("This approval is for unit %(number)s, not for this unit.", number=req.unit.number),
                          field="price_request")
    if session.scalar(select(PriceUse.id).where(PriceUse.request_id == req.id)):
        raise Conflict(_("This approved price has already been used."), field="price_request")
    state = state_of(req, now)
    if state == PENDING:
        raise DomainError(_("The manager has not answered this request yet."), field="price_request")
    if state == DECLINED:
        raise DomainError(_("The manager declined this price."), field="price_request")
    if state == LAPSED:
        raise DomainError(_("This approval lapsed on %(when)s: ask again.",
                            when=_local(req.answer.valid_until)), field="price_request")
    if total < req.asked_total:
        raise DomainError(_("%(price)s is below the approved %(approved)s.", price=format_money(total),
                            approved=format_money(req.asked_total)), field="total_price")
    return req


def mark_used(session: Session, req: PriceRequest, agreement, *, agent: Staff, now: datetime | None = None) -> None:
    row = PriceUse(request_id=req.id, agreement_id=agreement.id, at=now or utcnow())
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(_("This approved price has already been used.")) from None
    record(session, "property.price_request_used", actor=agent, record=req,
           summary=f"{agreement.no} {format_money(agreement.total_price)}")


def _local(when) -> str:
    from ..clock import format_local

    return format_local(when)


# ------------------------------------------------------------------ lists
def pending(session: Session, limit: int = 100) -> list[PriceRequest]:
    """Requests waiting for a manager, oldest first."""
    return list(session.scalars(select(PriceRequest).outerjoin(PriceAnswer)
                                .where(PriceAnswer.id.is_(None)).order_by(PriceRequest.id).limit(limit)))


def pending_count(session: Session, viewer: Staff | None = None) -> int:
    query = select(func.count(PriceRequest.id)).outerjoin(PriceAnswer).where(PriceAnswer.id.is_(None))
    if viewer is not None:
        query = query.where(PriceRequest.agent_id != viewer.id)
    return session.scalar(query) or 0


def recent(session: Session, *, agent: Staff | None = None, limit: int = 50) -> list[PriceRequest]:
    query = select(PriceRequest).order_by(PriceRequest.id.desc()).limit(limit)
    if agent is not None:
        query = query.where(PriceRequest.agent_id == agent.id)
    return list(session.scalars(query))


def usable(session: Session, unit_id: int, agent: Staff, now: datetime | None = None) -> list[PriceRequest]:
    """The agent's approved, unused, unexpired prices for the unit (for the agreement form)."""
    now = now or utcnow()
    rows = session.scalars(select(PriceRequest).where(PriceRequest.unit_id == unit_id,
                                                      PriceRequest.agent_id == agent.id)
                           .order_by(PriceRequest.id.desc()).limit(20))
    return [r for r in rows if state_of(r, now) == APPROVED]
