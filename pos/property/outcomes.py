"""Agreements past their deadline without a contract, and how the manager ends them (定金罚则):

* converted late — the manager makes the contract after the deadline (:func:`contracts.create_contract`);
* buyer withdrew — the deposit is forfeited (kept by the seller, no refund);
* seller withdrew — the deposit is refunded double (民法典 第五百八十七条);
* neither at fault (or cancelled by agreement, 退房) — the deposit is refunded.

The ruling is a new record (:class:`AgreementOutcome`), never an edit of the agreement's terms; the
agreement ends, its claim on the unit ends, and the unit is freed or locked for a period. A refund
due is paid out at the finance desk as an escrow payment of kind ``refund`` (a negative amount),
once, with its one-time key, never more than is due.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..audit.services import KIND_LABELS, record
from ..cashier import services as cashier_services
from ..clock import local_today
from ..dbtypes import utcnow
from ..errors import Conflict, DomainError, Forbidden
from ..money import format_money
from ..shop import services as shop
from ..staff.models import Staff
from ..text import check_text, parse_int, plain
from . import contract_math, escrow, services
from .agreements import get_agreement, terms
from .models import AVAILABLE, LOCKED, Project
from .sale_models import (
    AWAITING_DEPOSIT,
    CASH,
    DEPOSIT,
    ENDED,
    ESCROW_METHODS,
    IN_FORCE,
    REFUND,
    Agreement,
    AgreementOutcome,
    EscrowPayment,
)

KIND_LABELS.update({"property.agreement_ended": _l("Subscription agreement ended by the manager"),
                    "property.refund_paid": _l("Deposit refunded from the escrow account")})

OUTCOMES = {contract_math.BUYER_WITHDREW: _l("Buyer withdrew: deposit forfeited"),
            contract_math.SELLER_WITHDREW: _l("Seller withdrew: deposit refunded double"),
            contract_math.NO_FAULT: _l("Neither at fault: deposit refunded")}
MAX_LOCK_DAYS = 365
ZERO = Decimal("0.00")


def overdue_agreements(session: Session, today: date | None = None) -> list[Agreement]:
    """Agreements whose contract deadline has passed without a contract (oldest deadline first)."""
    today = today or local_today()
    return list(session.scalars(select(Agreement).where(Agreement.state.in_((AWAITING_DEPOSIT, IN_FORCE)),
                                                        Agreement.contract_deadline < today)
                                .order_by(Agreement.contract_deadline, Agreement.id)))


def end_agreement(session: Session, agreement_id, outcome: str, *, manager: Staff, reason: str,
                  lock_days=None, now: datetime | None = None) -> AgreementOutcome:
    """The manager ends an agreement with one of the outcomes; the unit is freed, or locked for
    ``lock_days`` days (e.g. 30 after a cancellation)."""
    now = now or utcnow()
    if manager is None or not manager.has_role("manager"):
        raise Forbidden(_("Only the sales manager may do this."))
    if outcome not in OUTCOMES:
        raise DomainError(_("Choose what happened to the agreement."), field="outcome")
    reason = check_text(reason, label=_("Reason"), max_len=200, required=True, field="reason")
    days = parse_int(lock_days, label=_("Lock the unit for (days)"), minimum=0, maximum=MAX_LOCK_DAYS, default=0,
                     field="lock_days")
    agreement = get_agreement(session, agreement_id, lock=True)
    if agreement.state not in (AWAITING_DEPOSIT, IN_FORCE):
        raise Conflict(_("Agreement %(no)s has already ended or become a contract.", no=agreement.no))
    paid = escrow.paid_on(session, agreement, DEPOSIT)
    settlement = contract_math.deposit_settlement(paid, outcome) if paid > 0 else None
    row = AgreementOutcome(agreement_id=agreement.id, outcome=outcome, reason=reason, deposit_paid=paid,
                           refund_due=settlement.refund_to_buyer if settlement else ZERO,
                           kept_by_seller=settlement.kept_by_seller if settlement else ZERO,
                           unit_locked_until=local_today() + timedelta(days=days) if days else None,
                           decided_by_id=manager.id, at=now)
    session.add(row)
    agreement.state = ENDED
    agreement.outcome = outcome
    agreement.ended_at = now
    unit = services._lock(session, agreement.unit_id)
    claim = agreement.claim
    if claim.ended_at is None:
        claim.ended_at = now
        claim.end_reason = outcome[:20]
        claim.ended_by_id = manager.id
    session.flush()
    unit.sold_total = None
    if days:
        services._change(session, unit, LOCKED, actor=manager, kind="property.agreement_ended", claim=claim,
                         note=f"{agreement.no}: {reason}", at=now)
        unit.locked_until = row.unit_locked_until
        unit.lock_reason = f"{agreement.no} {reason}"[:200]
    else:
        services._change(session, unit, AVAILABLE, actor=manager, kind="property.agreement_ended", claim=claim,
                         note=f"{agreement.no}: {reason}", at=now)
    record(session, "property.agreement_ended", actor=manager, record=agreement, reason=reason,
           summary=f"{agreement.no} {outcome}: deposit paid {format_money(paid)}, refund "
                   f"{format_money(row.refund_due)}, kept {format_money(row.kept_by_seller)}"
                   + (f", unit locked until {row.unit_locked_until}" if days else ", unit freed"))
    return row


def outcome_of(session: Session, agreement: Agreement) -> AgreementOutcome | None:
    return session.scalar(select(AgreementOutcome).where(AgreementOutcome.agreement_id == agreement.id))


def refunded(session: Session, agreement: Agreement) -> Decimal:
    value = session.scalar(select(func.sum(EscrowPayment.amount)).where(EscrowPayment.agreement_id == agreement.id,
                                                                        EscrowPayment.kind == REFUND))
    return -(value or ZERO)


def refund_owed(session: Session, agreement: Agreement) -> Decimal:
    """What the rulings on the agreement (its outcome, or its contract's cancellation) owe the buyer."""
    from .sale_models import Contract, ContractChange

    row = outcome_of(session, agreement)
    owed = row.refund_due if row else ZERO
    changes = session.scalar(select(func.sum(ContractChange.refund_due)).join(Contract)
                             .where(Contract.agreement_id == agreement.id, ContractChange.kind == "cancel"))
    return owed + (changes or ZERO)


def refund_still_due(session: Session, agreement: Agreement) -> Decimal:
    return max(refund_owed(session, agreement) - refunded(session, agreement), ZERO)


def pay_refund(session: Session, agreement_id, *, method: str, reference: str, cashier: Staff, once_key: str,
               now: datetime | None = None) -> EscrowPayment:
    """The finance desk pays out the refund the manager's ruling made due (all of it, once)."""
    now = now or utcnow()
    once_key = plain(once_key)
    if not once_key or len(once_key) > 64:
        raise DomainError(_("This payment form is out of date: reload the page."))
    done = session.scalar(select(EscrowPayment).where(EscrowPayment.once_key == once_key))
    if done is not None:
        return done
    method = plain(method)
    if method not in ESCROW_METHODS:
        raise DomainError(_("Choose how the money goes back: card terminal or bank transfer."), field="method")
    ref = escrow._reference(method, reference)
    shift = cashier_services.require_shift(session, cashier, lock=True)
    if shop.day_signed_off(session, shop.business_today(session)):
        raise DomainError(_("Today has been signed off: no more payments can be taken into it."))
    agreement = get_agreement(session, agreement_id, lock=True)
    if method == CASH and not terms(session, agreement.project_id).escrow_cash_allowed:
        raise DomainError(_("This project takes no cash: the buyer pays by card or bank transfer into the "
                            "escrow account."), field="method")
    due = refund_still_due(session, agreement)
    if due <= 0:
        raise Conflict(_("Nothing is to be refunded on agreement %(no)s.", no=agreement.no))
    project = session.scalar(select(Project).where(Project.id == agreement.project_id).with_for_update())
    payment = EscrowPayment(
        once_key=once_key, receipt_no=escrow._next_receipt_no(session, project, local_today()),
        project_id=project.id, agreement_id=agreement.id, kind=REFUND, method=method, reference=ref,
        value_date=local_today(), amount=-due, due_before=due, payer=agreement.buyer_names[:60],
        escrow_bank=project.escrow_bank or "", escrow_account_name=project.escrow_account_name or "",
        escrow_account_no=project.escrow_account_no or "", shift_id=shift.id, cashier_id=cashier.id, at=now,
        reason=str(OUTCOMES.get(agreement.outcome, "退房"))[:200])
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
    except IntegrityError:
        raise Conflict(_("This payment was just taken at another desk: reload the page.")) from None
    escrow._print_receipt(session, payment, shift)
    record(session, "property.refund_paid", actor=cashier, record=payment,
           summary=f"{payment.receipt_no} {agreement.no} refund {format_money(due)} {method} {ref}")
    return payment

