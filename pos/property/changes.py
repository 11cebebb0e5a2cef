"""Changes to agreements and contracts (issue 16, "Changes"), each approved by the manager with
their PIN on the spot, each a new record (never an edit), each with a supplementary agreement
(补充协议) to print.

- **Unit change (换房) of an agreement**: the old agreement is kept as ``changed``, a new agreement
  for the other (available) unit at its price (checked like any price), the buyers, deposit and
  deadline carried; the deposit already paid goes over by a pair of escrow records
  (:func:`pos.property.escrow.carry_deposit`); the old unit is freed or locked for some days, the
  new one subscribed. Locks: the agreement, then both units in the order of their ids (two changes
  crossing the same two units cannot wait for each other), then the project (numbers). The one-live-
  claim partial unique index holds throughout: the old claim ends before the new one is written.
- **Price change of an agreement**: the same, to the same unit — a new agreement at the new price.
- **Price change of a contract**: a contract is one per agreement (a unique key), so its price
  change is a :class:`ContractChange` row (kind ``price``) keeping the price before and after and
  the schedule it replaced; the schedule is re-made so that it still adds up — the difference goes
  to its last item (the loan, or the last instalment) — and only while nothing has been paid on the
  schedule (else refused: cancel, 退房, and sign anew).
- A contract's **unit change** is not done here: cancel it (退房, :func:`contracts.cancel_contract`)
  and draft a new agreement and contract for the other unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..audit.services import KIND_LABELS, RECORD_LABELS, record
from ..clock import local_today
from ..dbtypes import utcnow
from ..errors import Conflict, DomainError, Forbidden
from ..money import format_money
from ..staff.models import Staff
from ..text import check_text, parse_int, plain
from . import contract_math, escrow, pricing, services
from .agreements import _money, agreed_unit_price, get_agreement
from .changes_models import CHANGED, PRICE_CHANGE, UNIT_CHANGE, AgreementChange
from .contracts import contract_of, get_contract
from .models import AGREEMENT, AVAILABLE, LOCKED, SUBSCRIBED, Project, Unit, UnitClaim
from .sale_models import (
    AWAITING_DEPOSIT,
    CONVERTED,
    DRAFT,
    FILED_STATE,
    IN_FORCE,
    SIGNED,
    Agreement,
    AgreementBuyer,
    ContractChange,
    EscrowPayment,
    ScheduleItem,
)

KIND_LABELS.update({
    "property.agreement_unit_changed": _l("Agreement moved to another unit (unit change)"),
    "property.agreement_price_changed": _l("Agreement replaced at a new price"),
    "property.contract_price_changed": _l("Contract price changed"),
})
RECORD_LABELS.update({"property_agreement_change": _l("Agreement change"),
                      "property_contract_change": _l("Contract change")})
CHANGE_KIND_LABELS = {UNIT_CHANGE: _l("Unit change"), PRICE_CHANGE: _l("Price change")}


def _require_approver(approver: Staff | None) -> None:
    if approver is None or not approver.has_role("manager"):
        raise Forbidden(_("A manager must approve a change with their PIN."))


def _lock_days(value) -> int:
    return parse_int(value, label=_("Lock the unit for (days)"), minimum=0, maximum=365, default=0,
                     field="lock_days")


def change_agreement(session: Session, agreement_id, *, new_unit_id=None, new_total, actor: Staff,
                     approver: Staff | None, reason: str, lock_days=None, now: datetime | None = None
                     ) -> AgreementChange:
    """换房 (``new_unit_id`` another unit) or a new price (``new_unit_id`` none or the same unit):
    the agreement is replaced by a new one; see the module's notes."""
    now = now or utcnow()
    _require_approver(approver)
    reason = check_text(reason, label=_("Reason"), max_len=200, required=True, field="reason")
    # blank: the new unit's filed price (a unit change at the list's price)
    total = _money(new_total, _("New total price"), "new_total") if plain(new_total) else None
    if total is not None and total <= 0:
        raise DomainError(_("The total price must be more than 0."), field="new_total")
    days = _lock_days(lock_days)

    old = get_agreement(session, agreement_id, lock=True)
    if old.agent_id != actor.id and not actor.has_role("manager"):
        raise Forbidden(_("This is %(name)s's agreement.", name=old.agent.full_name))
    if old.state == CONVERTED:
        raise DomainError(_("Agreement %(no)s already has a purchase contract: change the contract, or cancel it "
                            "(退房) and draft a new agreement.", no=old.no))
    if old.state not in (AWAITING_DEPOSIT, IN_FORCE):
        raise Conflict(_("Agreement %(no)s has ended or was already changed: it cannot be changed.", no=old.no))
    target_id = services._int(new_unit_id) if plain(str(new_unit_id or "")) else old.unit_id
    same_unit = target_id == old.unit_id
    if same_unit and total in (None, old.total_price):
        raise DomainError(_("Nothing changes: choose another unit or type a new price."), field="new_total")
    # both units, in the order of their ids
    locked = {uid: services._lock(session, uid) for uid in sorted({old.unit_id, target_id})}
    old_unit, new_unit = locked[old.unit_id], locked[target_id]
    if not same_unit:
        services.settle_lapsed(session, new_unit, now)
        if new_unit.building.project_id != old.project_id:
            raise DomainError(_("Unit %(number)s is in another project: a unit change stays within the project.",
                                number=new_unit.number), field="new_unit")
        services._refuse_unless(new_unit, (AVAILABLE,), session)
    if total is None:
        line = pricing.current_line(session, new_unit)
        if line is None:
            raise DomainError(_("Unit %(number)s has no price list in force: it cannot be priced yet.",
                                number=new_unit.number))
        total = line.filed_total
    check = pricing.check_price(session, new_unit, total, actor=actor, approver=approver)
    contract_math.check_deposit(old.deposit, total)
    if old.contract_deadline <= local_today():
        raise DomainError(_("Agreement %(no)s is past its deadline (%(day)s): record its outcome among the overdue "
                            "agreements instead.", no=old.no, day=old.contract_deadline.isoformat()))

    # the old agreement: kept, changed; its claim ends before the new claim is written
    old_claim = old.claim
    old_claim.ended_at = now
    old_claim.end_reason = "changed"
    old_claim.ended_by_id = approver.id
    old.state = CHANGED
    old.ended_at = now
    old.outcome = CHANGED
    session.flush()
    new_claim = UnitClaim(unit_id=new_unit.id, kind=AGREEMENT, customer_id=old.customer_id,
                          customer_name=old_claim.customer_name, staff_id=old.agent_id, created_at=now)
    try:
        with session.begin_nested():
            session.add(new_claim)
            session.flush()
    except IntegrityError:
        raise Conflict(_("Unit %(number)s was just taken by someone else.", number=new_unit.number)) from None

    project = session.scalar(select(Project).where(Project.id == old.project_id).with_for_update())
    today = local_today()
    seq = (session.scalar(select(func.max(Agreement.seq)).where(Agreement.project_id == project.id)) or 0) + 1
    new = Agreement(
        no=f"RG-{project.id:02d}-{today.year}-{seq:05d}", project_id=project.id, seq=seq, unit_id=new_unit.id,
        claim_id=new_claim.id, customer_id=old.customer_id, state=AWAITING_DEPOSIT,
        seller_name=old.seller_name, seller_licence_no=old.seller_licence_no, presale_permit_no=old.presale_permit_no,
        project_name=old.project_name, project_address=old.project_address, escrow_bank=old.escrow_bank,
        escrow_account_name=old.escrow_account_name, escrow_account_no=old.escrow_account_no,
        building_name=new_unit.building.name, unit_number=new_unit.number, layout=new_unit.layout,
        gross_area=new_unit.gross_area, inner_area=new_unit.inner_area, shared_area=new_unit.shared_area,
        pricing_basis=new_unit.pricing_basis, filed_total=check.filed_total,
        unit_price=agreed_unit_price(new_unit, total), total_price=total, discount=check.filed_total - total,
        discount_approved_by_id=check.approved_by.id if check.approved_by else None, deposit=old.deposit,
        contract_deadline=old.contract_deadline, payment_method=old.payment_method, loan_type=old.loan_type,
        down_payment_pct=old.down_payment_pct, signing_place=old.signing_place,
        note=f"由 {old.no} 变更（{'换房' if not same_unit else '变更价格'}）", agent_id=old.agent_id, created_at=now)
    for b in old.buyers:
        new.buyers.append(AgreementBuyer(position=b.position, name=b.name, id_type=b.id_type, id_number=b.id_number,
                                         phone=b.phone, address=b.address, share_bp=b.share_bp))
    session.add(new)
    session.flush()
    carried = escrow.carry_deposit(session, old, new, actor=approver, reason=reason, now=now)
    change = AgreementChange(kind=PRICE_CHANGE if same_unit else UNIT_CHANGE, old_agreement_id=old.id,
                             new_agreement_id=new.id, old_unit_id=old_unit.id, new_unit_id=new_unit.id,
                             old_total=old.total_price, new_total=total, carried=carried, reason=reason,
                             unit_locked_until=today + timedelta(days=days) if days and not same_unit else None,
                             requested_by_id=actor.id, approved_by_id=approver.id, at=now)
    session.add(change)
    session.flush()
    kind = "property.agreement_price_changed" if same_unit else "property.agreement_unit_changed"
    if same_unit:
        services._change(session, new_unit, SUBSCRIBED, actor=approver, kind=kind, claim=new_claim,
                         note=f"{old.no} → {new.no} {format_money(total)}", at=now)
    else:
        old_unit.sold_total = None
        services._change(session, old_unit, LOCKED if days else AVAILABLE, actor=approver, kind=kind,
                         claim=old_claim, note=f"{old.no} 换房 → {new_unit.number}: {reason}", at=now)
        if days:
            old_unit.locked_until = change.unit_locked_until
            old_unit.lock_reason = f"{old.no} 换房"
        services._change(session, new_unit, SUBSCRIBED, actor=approver, kind=kind, claim=new_claim,
                         note=f"{new.no} 由 {old.building_name} {old.unit_number} 换入", at=now)
    new_unit.sold_total = total
    record(session, kind, actor=approver, record=change, reason=reason,
           summary=f"{old.no} ({old.building_name} {old.unit_number} {format_money(old.total_price)}) → {new.no} "
                   f"({new.building_name} {new.unit_number} {format_money(total)}), deposit carried "
                   f"{format_money(carried)}, requested by {actor.full_name}"
                   + (f", old unit locked {days} days" if days and not same_unit else ""))
    return change


def change_of(session: Session, agreement: Agreement) -> AgreementChange | None:
    """The change that replaced this agreement, or made it (for the agreement page)."""
    return session.scalar(select(AgreementChange).where(
        (AgreementChange.old_agreement_id == agreement.id) | (AgreementChange.new_agreement_id == agreement.id))
        .order_by(AgreementChange.id.desc()).limit(1))


def get_change(session: Session, change_id) -> AgreementChange:
    from ..errors import get_or_404

    return get_or_404(session, AgreementChange, change_id, _("No such change."))


# ------------------------------------------------------------------ a contract's price
def _schedule_text(items) -> str:
    return "\n".join(f"{i.position}|{i.kind}|{i.label}|{i.due_date.isoformat()}|{i.amount}" for i in items)


def schedule_before(change: ContractChange) -> list[tuple[str, str, str, Decimal]]:
    out = []
    for line in (change.schedule_before or "").splitlines():
        _pos, _kind, label, due, amount = line.split("|")
        out.append((label, due, _kind, Decimal(amount)))
    return out


def change_contract_price(session: Session, contract_id, *, new_total, actor: Staff, approver: Staff | None,
                          reason: str, now: datetime | None = None) -> ContractChange:
    """A contract's new price (manager's PIN): a change row keeps the price before and after and the
    schedule replaced; the schedule's last item takes the difference so it still adds up — the item
    is not edited nor deleted: it is marked superseded by the change and a new item, made by the
    change, takes its place (same position). Refused once anything has been paid on the schedule.
    Locks: the agreement (the finance desk takes a payment under it: no payment lands on the item
    being replaced), then the contract, then the unit."""
    now = now or utcnow()
    _require_approver(approver)
    reason = check_text(reason, label=_("Reason"), max_len=200, required=True, field="reason")
    total = _money(new_total, _("New total price"), "new_total")
    if total <= 0:
        raise DomainError(_("The total price must be more than 0."), field="new_total")
    get_agreement(session, get_contract(session, contract_id).agreement_id, lock=True)
    contract = get_contract(session, contract_id, lock=True)
    session.refresh(contract, ["items", "all_items"])  # the schedule as it is under the locks
    if contract.agent_id != actor.id and not actor.has_role("manager"):
        raise Forbidden(_("This contract belongs to another agent."))
    if contract.state not in (DRAFT, SIGNED, FILED_STATE):
        raise Conflict(_("Contract %(no)s cannot be changed (it is handed over or cancelled).", no=contract.no))
    if total == contract.total_price:
        raise DomainError(_("Nothing changes: type a new price."), field="new_total")
    item_ids = [i.id for i in contract.all_items]
    paid = session.scalar(select(func.sum(EscrowPayment.amount)).where(EscrowPayment.schedule_item_id.in_(item_ids))) \
        if item_ids else None
    if paid:
        raise DomainError(_("%(paid)s has already been paid on the schedule of contract %(no)s: its price cannot be "
                            "changed and the schedule re-made. Cancel the contract (退房) and sign anew.",
                            paid=format_money(paid), no=contract.no), field="new_total")
    unit = services._lock(session, contract.unit_id)
    check = pricing.check_price(session, unit, total, actor=actor, approver=approver)
    items = list(contract.items)
    last = items[-1]
    new_last = last.amount + (total - contract.total_price)
    if new_last <= 0:
        raise DomainError(_("The new price leaves the schedule's last item (%(item)s) at %(amount)s: the schedule "
                            "cannot be re-made. Cancel the contract (退房) and sign anew.", item=last.label,
                            amount=format_money(new_last)), field="new_total")
    contract_math.check_schedule([contract_math.ScheduleItem(i.label, i.due_date, i.amount if i is not last
                                                             else new_last) for i in items],
                                 total, credited=contract.deposit_credited)
    change = ContractChange(contract_id=contract.id, kind="price", reason=reason,
                            paid=contract.deposit_credited, refund_due=Decimal("0.00"), old_total=contract.total_price,
                            new_total=total, schedule_before=_schedule_text(items), requested_by_id=actor.id,
                            approved_by_id=approver.id, at=now)
    session.add(change)
    session.flush()
    old_total = contract.total_price
    # the schedule re-made: the last item superseded (kept, never deleted nor edited; nothing was paid
    # on it), then a new item of the new amount in its place — the old one leaves the live positions first
    if last.superseded_at is not None:  # under the locks this does not happen
        raise Conflict(_("The schedule of contract %(no)s was just changed: reload the page.", no=contract.no))
    last.superseded_by_change_id = change.id
    last.superseded_at = now
    session.flush()
    contract.all_items.append(ScheduleItem(position=last.position, kind=last.kind, label=last.label,
                                           due_date=last.due_date, amount=new_last, made_by_change_id=change.id))
    contract.total_price = total
    contract.unit_price = agreed_unit_price(unit, total)
    unit.sold_total = total
    session.flush()
    session.expire(contract, ["items"])  # the live schedule read again when next wanted
    record(session, "property.contract_price_changed", actor=approver, record=contract, reason=reason,
           summary=f"{contract.no}: {format_money(old_total)} → {format_money(total)} "
                   f"(-{check.discount_pct}% of filed), {last.label} {format_money(last.amount)} → "
                   f"{format_money(new_last)} (item #{last.id} superseded, kept), requested by {actor.full_name}")
    return change


def contract_changes(session: Session, contract) -> list[ContractChange]:
    return list(session.scalars(select(ContractChange).where(ContractChange.contract_id == contract.id)
                                .order_by(ContractChange.id)))


@dataclass
class ScheduleChange:
    """A change of the contract for its page's history: for a price change, the schedule items it
    superseded (kept, struck through) and the items it made in their place."""

    change: ContractChange
    replaced: list[ScheduleItem] = field(default_factory=list)
    made: list[ScheduleItem] = field(default_factory=list)


def schedule_history(session: Session, contract) -> list[ScheduleChange]:
    """Every change of the contract, oldest first, with the schedule items each replaced and made
    (two queries; reads only)."""
    out = {c.id: ScheduleChange(c) for c in contract_changes(session, contract)}
    if out:
        for item in session.scalars(select(ScheduleItem).where(
                ScheduleItem.contract_id == contract.id,
                ScheduleItem.superseded_by_change_id.is_not(None) | ScheduleItem.made_by_change_id.is_not(None))
                .order_by(ScheduleItem.position, ScheduleItem.id)):
            if item.superseded_by_change_id in out:
                out[item.superseded_by_change_id].replaced.append(item)
            if item.made_by_change_id in out:
                out[item.made_by_change_id].made.append(item)
    return list(out.values())


def schedule_after(session: Session, change: ContractChange) -> list[ScheduleItem]:
    """The contract's schedule as that change left it (for its supplementary agreement, even after
    later changes): the items made by then and not superseded by then."""
    items = session.scalars(select(ScheduleItem).where(ScheduleItem.contract_id == change.contract_id)
                            .order_by(ScheduleItem.position, ScheduleItem.id))
    return [i for i in items if (i.made_by_change_id is None or i.made_by_change_id <= change.id)
            and (i.superseded_by_change_id is None or i.superseded_by_change_id > change.id)]


def get_contract_change(session: Session, change_id) -> ContractChange:
    from ..errors import get_or_404

    return get_or_404(session, ContractChange, change_id, _("No such change."))


def available_units(session: Session, agreement: Agreement, limit: int = 400) -> list[Unit]:
    """Units the agreement may move to: available, in the same project (for the form's list)."""
    from .models import Building

    return list(session.scalars(select(Unit).join(Building).where(Building.project_id == agreement.project_id,
                                                                  Unit.status == AVAILABLE)
                                .order_by(Unit.building_id, Unit.floor.desc(), Unit.number).limit(limit)))


__all__ = ["change_agreement", "change_contract_price", "contract_of"]
