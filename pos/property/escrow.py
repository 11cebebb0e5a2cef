"""Payments into the project's escrow account (预售资金监管账户) at the finance desk (财务/收银).

The cashier takes property money with the counter's discipline: 查 — the agreement (or schedule
item) and what is due on it; the card terminal's or the bank transfer's reference and the day
the bank moved the money (cash only where the project allows it); 唱 — received, due, balance.
Each payment carries a one-time key (a double tap pays once), is never edited, prints a receipt
(收据) naming the account that received it, and belongs to the cashier's shift as its own
category — property money is not shop cash. A wrong payment is reversed by a new row (negative
amount) with the manager's PIN.

Locks, always in this order: the cashier's shift (orders the payment and the shift's close),
then the agreement (orders two tablets paying the same item), then the project (receipt numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..audit.services import KIND_LABELS, RECORD_LABELS, record
from ..cashier import services as cashier_services
from ..cashier.models import Shift
from ..clock import format_local, local_today, to_local
from ..dbtypes import utcnow
from ..errors import Conflict, DomainError, Forbidden, NotFound
from ..money import FEN, amount_in_words, format_money
from ..shop import services as shop
from ..staff.models import Staff
from ..text import check_text, parse_day, parse_decimal, plain
from .agreements import get_agreement, terms
from .models import Project
from .sale_models import (
    AWAITING_DEPOSIT,
    CARD,
    CARRY,
    CASH,
    DEPOSIT,
    DOWN_PAYMENT,
    ENDED,
    ESCROW_METHODS,
    IN_FORCE,
    INSTALMENT,
    LOAN,
    QUEUE_FEE,
    REFUND,
    TRANSFER,
    Agreement,
    EscrowPayment,
    ScheduleItem,
)

ZERO = Decimal("0.00")

KIND_LABELS.update({
    "property.escrow_received": _l("Payment into the escrow account"),
    "property.escrow_reversed": _l("Escrow payment reversed"),
})
RECORD_LABELS.update({"property_escrow_payment": _l("Escrow payment")})

PAYMENT_KIND_LABELS = {DEPOSIT: _l("Deposit"), DOWN_PAYMENT: _l("Down payment"), INSTALMENT: _l("Instalment"),
                       LOAN: _l("Mortgage loan"), REFUND: _l("Refund"), QUEUE_FEE: _l("Queue number fee (认筹)")}
PAYMENT_KIND_ZH = {DEPOSIT: "定金", DOWN_PAYMENT: "首付款", INSTALMENT: "分期房款", LOAN: "按揭贷款", REFUND: "退款",
                   QUEUE_FEE: "认筹金"}
METHOD_LABELS = {CARD: _l("Card terminal"), TRANSFER: _l("Bank transfer"), CASH: _l("Cash"),
                 CARRY: _l("Carried over from the replaced agreement")}
METHOD_ZH = {CARD: "刷卡", TRANSFER: "银行转账", CASH: "现金", CARRY: "转入（换房/变更）"}
#: a bank transfer is recorded at most this many days after the bank moved the money
MAX_TRANSFER_AGE_DAYS = 31


# ------------------------------------------------------------------ 查: what is due
@dataclass
class Due:
    """What the finance desk checks before taking money: the item, its amount, paid so far, due."""

    kind: str
    label: str
    amount: Decimal
    paid: Decimal
    schedule_item_id: int | None = None
    due_date: date | None = None

    @property
    def due(self) -> Decimal:
        return max(self.amount - self.paid, ZERO)


#: other modules (the purchase contract's schedule) add what may be paid on an agreement:
#: ``fn(session, agreement) -> list[Due]``
DUE_SOURCES: list = []


def payments_of(session: Session, agreement: Agreement) -> list[EscrowPayment]:
    return list(session.scalars(select(EscrowPayment).where(EscrowPayment.agreement_id == agreement.id)
                                .order_by(EscrowPayment.id)))


def paid_on(session: Session, agreement: Agreement, kind: str, schedule_item_id: int | None = None) -> Decimal:
    """What has been paid (net of reversals) on the agreement for ``kind`` (and schedule item)."""
    query = select(func.sum(EscrowPayment.amount)).where(EscrowPayment.agreement_id == agreement.id,
                                                          EscrowPayment.kind == kind)
    if schedule_item_id is not None:
        query = query.where(EscrowPayment.schedule_item_id == schedule_item_id)
    return session.scalar(query) or ZERO


def dues(session: Session, agreement: Agreement) -> list[Due]:
    """Every item that may be paid on the agreement now, with what is due on it."""
    out: list[Due] = []
    if agreement.state in (AWAITING_DEPOSIT, IN_FORCE):
        out.append(Due(DEPOSIT, str(PAYMENT_KIND_LABELS[DEPOSIT]), agreement.deposit,
                       paid_on(session, agreement, DEPOSIT)))
    for source in DUE_SOURCES:
        out.extend(source(session, agreement))
    return out


def find_due(session: Session, agreement: Agreement, kind: str, schedule_item_id: int | None) -> Due:
    for due in dues(session, agreement):
        if due.kind == kind and due.schedule_item_id == schedule_item_id:
            return due
    raise DomainError(_("Nothing of that kind is to be paid on agreement %(no)s.", no=agreement.no), field="item")


# ------------------------------------------------------------------ taking the money
@dataclass
class PaymentInput:
    item: str = ""  # "deposit" or "<kind>:<schedule item id>"
    amount: str = ""
    method: str = ""
    reference: str = ""
    value_date: str = ""
    payer: str = ""


def parse_item(item: str) -> tuple[str, int | None]:
    text = plain(item)
    kind, _sep, ident = text.partition(":")
    if kind not in (DEPOSIT, DOWN_PAYMENT, INSTALMENT, LOAN):
        raise DomainError(_("Choose what is being paid."), field="item")
    if not ident:
        return kind, None
    if not ident.isascii() or not ident.isdigit() or len(ident) > 12:
        raise DomainError(_("Choose what is being paid."), field="item")
    return kind, int(ident)


def _amount(value) -> Decimal:
    text = plain(value).replace(",", "").replace("，", "").lstrip("￥¥").removesuffix("元")
    if not text:
        raise DomainError(_("Type the amount received."), field="amount")
    amount = parse_decimal(text, label=_("Amount received"), places=2, minimum=Decimal("-1e12"),
                           maximum=Decimal("1e10"), field="amount").quantize(FEN)
    if amount <= 0:
        raise DomainError(_("The amount received must be more than 0."), field="amount")
    return amount


def _reference(method: str, value) -> str:
    text = "".join(plain(value).split()).upper()
    if method == CASH:
        return text[:64]
    if not text:
        raise DomainError(_("Type the card terminal's reference number.") if method == CARD
                          else _("Type the bank's transfer reference."), field="reference")
    if not 4 <= len(text) <= 40 or not text.isascii() or not all(c.isalnum() or c in "-/" for c in text):
        raise DomainError(_("A reference is 4 to 40 letters and digits (as printed on the slip or statement)."),
                          field="reference")
    return text


def take_payment(session: Session, agreement_id, data: PaymentInput, *, cashier: Staff, once_key: str,
                 now: datetime | None = None) -> EscrowPayment:
    """Take money into the escrow account for an agreement (deposit) or a schedule item; returns the
    payment (the same one again for a repeated ``once_key``)."""
    now = now or utcnow()
    once_key = plain(once_key)
    if not once_key or len(once_key) > 64:
        raise DomainError(_("This payment form is out of date: reload the page."))
    done = _paid_with_key(session, once_key, agreement_id)
    if done is not None:
        return done
    kind, item_id = parse_item(data.item)
    amount = _amount(data.amount)
    method = plain(data.method)
    if method not in ESCROW_METHODS:
        raise DomainError(_("Choose how the money came in: card terminal or bank transfer."), field="method")
    reference = _reference(method, data.reference)
    today = local_today()
    if method == TRANSFER:
        value_date = parse_day(data.value_date, label=_("Date of the transfer"), field="value_date")
        if value_date > today:
            raise DomainError(_("The transfer cannot be dated after today."), field="value_date")
        if value_date < today - timedelta(days=MAX_TRANSFER_AGE_DAYS):
            raise DomainError(_("A transfer older than %(n)d days is not taken at the desk: ask the manager.",
                                n=MAX_TRANSFER_AGE_DAYS), field="value_date")
    else:
        value_date = today
    payer = check_text(data.payer, label=_("Paid by"), max_len=60)

    # the locks: shift, agreement, project
    shift = cashier_services.require_shift(session, cashier, lock=True)
    if shop.day_signed_off(session, shop.business_today(session)):
        raise DomainError(_("Today has been signed off: no more payments can be taken into it."))
    agreement = get_agreement(session, agreement_id, lock=True)
    done = _paid_with_key(session, once_key, agreement.id)
    if done is not None:
        return done
    if agreement.state == ENDED:
        raise DomainError(_("Agreement %(no)s has ended: nothing more can be paid on it.", no=agreement.no))
    if method == CASH and not terms(session, agreement.project_id).escrow_cash_allowed:
        raise DomainError(_("This project takes no cash: the buyer pays by card or bank transfer into the "
                            "escrow account."), field="method")
    if item_id is not None:
        _refuse_superseded(session, item_id)
    due = find_due(session, agreement, kind, item_id)
    if due.due <= 0:
        raise Conflict(_("%(item)s of agreement %(no)s is already paid in full.", item=due.label, no=agreement.no))
    if amount > due.due:
        raise DomainError(_("%(amount)s is more than the %(due)s due on %(item)s: take at most what is due.",
                            amount=format_money(amount), due=format_money(due.due), item=due.label), field="amount")
    project = session.scalar(select(Project).where(Project.id == agreement.project_id).with_for_update())
    payment = EscrowPayment(
        once_key=once_key, receipt_no=_next_receipt_no(session, project, today), project_id=project.id,
        agreement_id=agreement.id, schedule_item_id=due.schedule_item_id, kind=kind, method=method,
        reference=reference, value_date=value_date, amount=amount, due_before=due.due,
        payer=payer or agreement.buyer_names[:60], escrow_bank=project.escrow_bank or "",
        escrow_account_name=project.escrow_account_name or "", escrow_account_no=project.escrow_account_no or "",
        shift_id=shift.id, cashier_id=cashier.id, at=now)
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
    except IntegrityError:  # under the locks this does not happen; if it does, say so rather than crash
        raise Conflict(_("This payment was just taken at another desk: reload the page.")) from None
    if kind == DEPOSIT and agreement.state == AWAITING_DEPOSIT and due.due == amount:
        agreement.state = IN_FORCE
        agreement.in_force_at = now
        record(session, "property.agreement_in_force", actor=cashier, record=agreement,
               summary=f"{agreement.no}: deposit {format_money(agreement.deposit)} paid")
    _print_receipt(session, payment, shift)
    record(session, "property.escrow_received", actor=cashier, record=payment,
           summary=f"{payment.receipt_no} {agreement.no} {kind} {format_money(amount)} {method} {reference}")
    return payment


def _refuse_superseded(session: Session, item_id: int) -> None:
    """A schedule item replaced by a contract's price change is kept for the record but is no longer
    due: a payment on it (a form opened before the change) is refused (read under the agreement's
    lock, which the price change also takes)."""
    row = session.execute(select(ScheduleItem.label, ScheduleItem.superseded_at)
                          .where(ScheduleItem.id == item_id)).first()
    if row is not None and row.superseded_at is not None:
        raise Conflict(_("%(item)s was replaced by a change of the contract's price on %(at)s and can no longer be "
                         "paid: reload the page and take the payment on the item that replaced it.",
                         item=row.label, at=format_local(row.superseded_at)), field="item")


def _paid_with_key(session: Session, once_key: str, agreement_id) -> EscrowPayment | None:
    done = session.scalar(select(EscrowPayment).where(EscrowPayment.once_key == once_key))
    if done is not None and str(done.agreement_id) != str(agreement_id).strip():
        raise Conflict(_("This payment form was already used for another agreement: reload the page."))
    return done


def _next_receipt_no(session: Session, project: Project, today: date) -> str:
    """SJ-<project>-<day>-<n>: numbered per project and day without gaps (under the project's lock)."""
    prefix = f"SJ{project.id:02d}-{today:%Y%m%d}-"
    n = session.scalar(select(func.count(EscrowPayment.id)).where(EscrowPayment.receipt_no.like(prefix + "%")))
    return f"{prefix}{(n or 0) + 1:04d}"


def announcement(payment: EscrowPayment) -> str:
    """唱: received, due, balance — in the shop's announcement language."""
    balance = payment.due_before - payment.amount
    return _("Received %(received)s yuan into the escrow account, %(due)s yuan was due, %(balance)s yuan still due.",
             received=format_money(payment.amount, sign=False), due=format_money(payment.due_before, sign=False),
             balance=format_money(balance, sign=False))


# ------------------------------------------------------------------ reversal
def reverse_payment(session: Session, payment_id, *, cashier: Staff, approver: Staff, reason: str,
                    once_key: str, now: datetime | None = None) -> EscrowPayment:
    """A wrong payment is reversed by a new record (the negative amount) that the manager approved
    with their PIN (checked by the caller with ``staff.services.verify_manager_pin``)."""
    now = now or utcnow()
    if approver is None or not approver.has_role("manager"):
        raise Forbidden(_("A manager must approve a reversal with their PIN."))
    reason = check_text(reason, label=_("Reason"), max_len=200, required=True, field="reason")
    once_key = plain(once_key)
    if not once_key or len(once_key) > 64:
        raise DomainError(_("This payment form is out of date: reload the page."))
    done = session.scalar(select(EscrowPayment).where(EscrowPayment.once_key == once_key))
    if done is not None:
        if done.reverses_id != int(payment_id):
            raise Conflict(_("This payment form was already used for another agreement: reload the page."))
        return done
    original = get_payment(session, payment_id)
    shift = cashier_services.require_shift(session, cashier, lock=True)
    if original.agreement_id is None:
        return _reverse_queue_fee(session, original, shift, cashier=cashier, approver=approver, reason=reason,
                                  once_key=once_key, now=now)
    agreement = get_agreement(session, original.agreement_id, lock=True)
    if original.reverses_id is not None or original.amount < 0:
        raise DomainError(_("A reversal cannot itself be reversed."))
    if original.method == CARRY:
        raise DomainError(_("A deposit carried over from a replaced agreement is not reversed at the desk: "
                            "the money was paid on that agreement's receipt."))
    if session.scalar(select(EscrowPayment.id).where(EscrowPayment.reverses_id == original.id)):
        raise Conflict(_("Receipt %(no)s has already been reversed.", no=original.receipt_no))
    if original.kind == DEPOSIT and agreement.state not in (AWAITING_DEPOSIT, IN_FORCE):
        raise DomainError(_("Agreement %(no)s has moved on: its deposit can no longer be reversed here.",
                            no=agreement.no))
    project = session.scalar(select(Project).where(Project.id == agreement.project_id).with_for_update())
    today = local_today()
    row = EscrowPayment(
        once_key=once_key, receipt_no=_next_receipt_no(session, project, today), project_id=project.id,
        agreement_id=agreement.id, schedule_item_id=original.schedule_item_id, kind=original.kind,
        method=original.method, reference=original.reference, value_date=today, amount=-original.amount,
        due_before=original.amount, payer=original.payer, escrow_bank=original.escrow_bank,
        escrow_account_name=original.escrow_account_name, escrow_account_no=original.escrow_account_no,
        shift_id=shift.id, cashier_id=cashier.id, at=now, reverses_id=original.id, approved_by_id=approver.id,
        reason=reason)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(_("Receipt %(no)s has already been reversed.", no=original.receipt_no)) from None
    if original.kind == DEPOSIT and agreement.state == IN_FORCE:
        agreement.state = AWAITING_DEPOSIT
        agreement.in_force_at = None
    _print_receipt(session, row, shift)
    record(session, "property.escrow_reversed", actor=cashier, record=row, reason=reason,
           summary=f"{row.receipt_no} reverses {original.receipt_no} {format_money(original.amount)}, "
                   f"approved by {approver.full_name}")
    return row


def _reverse_queue_fee(session: Session, original: EscrowPayment, shift: Shift, *, cashier: Staff, approver: Staff,
                       reason: str, once_key: str, now: datetime) -> EscrowPayment:
    from .models import QueueTicket

    ticket = session.scalar(select(QueueTicket).where(QueueTicket.id == original.queue_ticket_id).with_for_update()
                            .execution_options(populate_existing=True))
    if original.reverses_id is not None or original.amount < 0:
        raise DomainError(_("A reversal cannot itself be reversed."))
    if session.scalar(select(EscrowPayment.id).where(EscrowPayment.reverses_id == original.id)):
        raise Conflict(_("Receipt %(no)s has already been reversed.", no=original.receipt_no))
    project = session.scalar(select(Project).where(Project.id == original.project_id).with_for_update())
    row = EscrowPayment(
        once_key=once_key, receipt_no=_next_receipt_no(session, project, local_today()), project_id=project.id,
        queue_ticket_id=ticket.id, kind=original.kind, method=original.method, reference=original.reference,
        value_date=local_today(), amount=-original.amount, due_before=original.amount, payer=original.payer,
        escrow_bank=original.escrow_bank, escrow_account_name=original.escrow_account_name,
        escrow_account_no=original.escrow_account_no, shift_id=shift.id, cashier_id=cashier.id, at=now,
        reverses_id=original.id, approved_by_id=approver.id, reason=reason)
    session.add(row)
    session.flush()
    ticket.fee_state = "due"
    _print_receipt(session, row, shift)
    record(session, "property.escrow_reversed", actor=cashier, record=row, reason=reason,
           summary=f"{row.receipt_no} reverses {original.receipt_no} {format_money(original.amount)}, "
                   f"approved by {approver.full_name}")
    return row


# ------------------------------------------------------------------ the 认筹 fee of a queue number
def queue_fee_due(session: Session, ticket) -> Decimal:
    paid = session.scalar(select(func.sum(EscrowPayment.amount)).where(EscrowPayment.queue_ticket_id == ticket.id))
    return max(ticket.fee - (paid or ZERO), ZERO)


def find_ticket(session: Session, project_id, number):
    from ..text import parse_id
    from .models import QueueTicket

    ident, no = parse_id(project_id), parse_id(number)
    ticket = session.scalar(select(QueueTicket).where(QueueTicket.project_id == ident, QueueTicket.number == no)) \
        if ident and no else None
    if ticket is None:
        raise NotFound(_("No such queue number."))
    return ticket


def take_queue_fee(session: Session, ticket_id, data: PaymentInput, *, cashier: Staff, once_key: str,
                   now: datetime | None = None) -> EscrowPayment:
    """The 认筹 fee of a queue number into the project's escrow account (only with a pre-sale permit)."""
    from .models import QueueTicket

    now = now or utcnow()
    once_key = plain(once_key)
    if not once_key or len(once_key) > 64:
        raise DomainError(_("This payment form is out of date: reload the page."))
    done = session.scalar(select(EscrowPayment).where(EscrowPayment.once_key == once_key))
    if done is not None:
        if str(done.queue_ticket_id) != str(ticket_id).strip():
            raise Conflict(_("This payment form was already used for another agreement: reload the page."))
        return done
    amount = _amount(data.amount)
    method = plain(data.method)
    if method not in ESCROW_METHODS:
        raise DomainError(_("Choose how the money came in: card terminal or bank transfer."), field="method")
    reference = _reference(method, data.reference)
    shift = cashier_services.require_shift(session, cashier, lock=True)
    if shop.day_signed_off(session, shop.business_today(session)):
        raise DomainError(_("Today has been signed off: no more payments can be taken into it."))
    from ..text import parse_id

    ticket = session.scalar(select(QueueTicket).where(QueueTicket.id == (parse_id(ticket_id) or 0))
                            .with_for_update().execution_options(populate_existing=True))
    if ticket is None:
        raise NotFound(_("No such queue number."))
    project = session.scalar(select(Project).where(Project.id == ticket.project_id).with_for_update())
    if not project.has_permit:
        raise DomainError(_("No 认筹 fee may be taken before the project has its pre-sale permit."))
    if method == CASH and not terms(session, project.id).escrow_cash_allowed:
        raise DomainError(_("This project takes no cash: the buyer pays by card or bank transfer into the "
                            "escrow account."), field="method")
    due = queue_fee_due(session, ticket)
    if ticket.fee_state not in ("due", "paid") or due <= 0:
        raise Conflict(_("Queue number %(n)d has no 认筹 fee to pay.", n=ticket.number))
    if amount > due:
        raise DomainError(_("%(amount)s is more than the %(due)s due on %(item)s: take at most what is due.",
                            amount=format_money(amount), due=format_money(due),
                            item=str(PAYMENT_KIND_LABELS[QUEUE_FEE])), field="amount")
    payment = EscrowPayment(
        once_key=once_key, receipt_no=_next_receipt_no(session, project, local_today()), project_id=project.id,
        queue_ticket_id=ticket.id, kind=QUEUE_FEE, method=method, reference=reference, value_date=local_today(),
        amount=amount, due_before=due, payer=check_text(data.payer, label=_("Paid by"), max_len=60)
        or ticket.customer_name[:60], escrow_bank=project.escrow_bank or "",
        escrow_account_name=project.escrow_account_name or "", escrow_account_no=project.escrow_account_no or "",
        shift_id=shift.id, cashier_id=cashier.id, at=now)
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
    except IntegrityError:
        raise Conflict(_("This payment was just taken at another desk: reload the page.")) from None
    if amount == due:
        ticket.fee_state = "paid"
    _print_receipt(session, payment, shift)
    record(session, "property.escrow_received", actor=cashier, record=payment,
           summary=f"{payment.receipt_no} queue No.{ticket.number} {format_money(amount)} {method} {reference}")
    return payment


def get_payment(session: Session, payment_id) -> EscrowPayment:
    from ..text import parse_id

    ident = parse_id(payment_id)
    payment = session.get(EscrowPayment, ident) if ident else None
    if payment is None:
        raise NotFound(_("No such escrow payment."))
    return payment


def is_reversed(session: Session, payment: EscrowPayment) -> bool:
    return session.scalar(select(EscrowPayment.id).where(EscrowPayment.reverses_id == payment.id)) is not None


# ------------------------------------------------------------------ the receipt (收据)
def receipt_document(payment: EscrowPayment, shop_name: str):
    """The receipt on the receipt printer: what was paid, how, and into which escrow account."""
    from printing.documents import Cut, Document, KeyValue, Separator, SignatureLine, Stamp, Text, Title

    title = "收据（冲正）" if payment.reverses_id else ("退款凭证" if payment.kind == REFUND else "收据")
    blocks: list = [Title(shop_name), Text(title, align="center", bold=True),
                    KeyValue("收据号", payment.receipt_no), KeyValue("时间", format_local(payment.at)),
                    KeyValue("认购书" if payment.agreement else "排号", payment.paid_for),
                    *([KeyValue("房号", payment.unit_text)] if payment.unit_text else []),
                    KeyValue("交款人", payment.payer), Separator(),
                    KeyValue("款项", PAYMENT_KIND_ZH.get(payment.kind, payment.kind)),
                    KeyValue("应收", format_money(payment.due_before)),
                    KeyValue("实收" if payment.amount > 0 else ("退款" if payment.kind == REFUND else "冲正"),
                             format_money(payment.amount), bold=True,
                             double=True),
                    Text("人民币" + amount_in_words(abs(payment.amount))),
                    KeyValue("余额", format_money(max(payment.due_before - payment.amount, ZERO))
                             if payment.amount > 0 else "—"),
                    KeyValue("方式", METHOD_ZH.get(payment.method, payment.method)
                             + (f" {payment.reference}" if payment.reference else "")),
                    Separator(), Text("收款账户（预售资金监管账户）："), Text(payment.escrow_bank),
                    Text(payment.escrow_account_name), Text(payment.escrow_account_no, bold=True)]
    if payment.reverses_id:
        blocks.append(Text(f"冲正原因：{payment.reason}"))
    blocks += [Stamp(["财务专用章", payment.cashier.full_name, format_local(payment.at), payment.receipt_no]),
               SignatureLine("交款人签字"), Cut()]
    return Document(blocks=blocks)


def _print_receipt(session: Session, payment: EscrowPayment, shift: Shift) -> None:
    from ..printers import services as printers

    shop_name = shop.shop_name(session)
    printers.enqueue(session, receipt_document(payment, shop_name), kind="receipt",
                     title=f"收据 {payment.receipt_no}", ref=payment.receipt_no, station_id=shift.station_id,
                     requested_by=payment.cashier)


# ------------------------------------------------------------------ the shift, the day
@dataclass
class Takings:
    """Escrow money in a shift or a day: its own category, never shop cash."""

    count: int
    received: Decimal
    reversed: Decimal
    by_method: dict
    cash_net: Decimal

    @property
    def net(self) -> Decimal:
        return self.received + self.reversed


def carry_deposit(session: Session, old: Agreement, new: Agreement, *, actor: Staff, reason: str,
                  now: datetime | None = None) -> Decimal:
    """A deposit goes over to the agreement that replaced its own (换房, a new price): a pair of
    records — out of the old agreement, into the new — never an edit, and no money moves at the bank
    (outside any shift; left out of the takings). The caller holds the old agreement's lock; the
    project is locked here for the receipt numbers. Returns what was carried."""
    now = now or utcnow()
    paid = paid_on(session, old, DEPOSIT)
    if paid <= 0:
        return ZERO
    project = session.scalar(select(Project).where(Project.id == old.project_id).with_for_update())
    today = local_today()
    common = dict(project_id=project.id, kind=DEPOSIT, method=CARRY, value_date=today, payer=old.buyer_names[:60],
                  escrow_bank=project.escrow_bank or "", escrow_account_name=project.escrow_account_name or "",
                  escrow_account_no=project.escrow_account_no or "", shift_id=None, cashier_id=actor.id, at=now,
                  reason=reason[:200])
    out = EscrowPayment(once_key=f"carry-{old.id}-out", receipt_no=_next_receipt_no(session, project, today),
                        agreement_id=old.id, amount=-paid, due_before=paid, reference=new.no, **common)
    session.add(out)
    session.flush()
    into = EscrowPayment(once_key=f"carry-{old.id}-in", receipt_no=_next_receipt_no(session, project, today),
                         agreement_id=new.id, amount=paid, due_before=new.deposit, reference=old.no, **common)
    session.add(into)
    session.flush()
    if paid >= new.deposit and new.state == AWAITING_DEPOSIT:
        new.state = IN_FORCE
        new.in_force_at = now
    record(session, "property.escrow_carried", actor=actor, record=into,
           summary=f"{old.no} → {new.no}: deposit {format_money(paid)} ({out.receipt_no}, {into.receipt_no})")
    return paid


KIND_LABELS["property.escrow_carried"] = _l("Deposit carried over to the new agreement")


def _takings(session: Session, *conditions) -> Takings:
    conditions = (*conditions, EscrowPayment.method != CARRY)  # no money moved: not the desk's takings
    # one statement: per method, the payments in (count, sum) and the reversals (sum, negative)
    rows = session.execute(select(EscrowPayment.method,
                                  func.count(EscrowPayment.id).filter(EscrowPayment.amount > 0),
                                  func.sum(EscrowPayment.amount).filter(EscrowPayment.amount > 0),
                                  func.sum(EscrowPayment.amount).filter(EscrowPayment.amount < 0))
                           .where(*conditions).group_by(EscrowPayment.method)).all()
    by_method = {m: (s or ZERO) + (b or ZERO) for m, n, s, b in rows if n or b}
    return Takings(count=sum(n for _m, n, _s, _b in rows), received=sum((s or ZERO for _m, _n, s, _b in rows), ZERO),
                   reversed=sum((b or ZERO for _m, _n, _s, b in rows), ZERO), by_method=by_method,
                   cash_net=by_method.get(CASH, ZERO))


def shift_takings(session: Session, shift_id: int) -> Takings:
    return _takings(session, EscrowPayment.shift_id == shift_id)


def day_takings(session: Session, day: date) -> Takings:
    """The business day's escrow money (the shop's day boundary, as the Z report)."""
    start, end = shop.business_day_bounds(session, day)
    return _takings(session, EscrowPayment.at >= start, EscrowPayment.at < end)


def _shift_money(session: Session, shift: Shift) -> list:
    """The shift's escrow payments as their own category of the cashier's shift report."""
    takings = shift_takings(session, shift.id)
    if not takings.count and not takings.reversed:
        return []
    return [cashier_services.OtherMoney(label=str(_l("Property payments into escrow accounts")),
                                        label_zh="售楼款（预售资金监管账户）", count=takings.count,
                                        amount=takings.net, cash=takings.cash_net)]


cashier_services.OTHER_MONEY.append(_shift_money)


def day_payments(session: Session, day: date) -> list[EscrowPayment]:
    start, end = shop.business_day_bounds(session, day)
    return list(session.scalars(select(EscrowPayment).where(EscrowPayment.at >= start, EscrowPayment.at < end)
                                .order_by(EscrowPayment.id)))


def day_workbook(session: Session, day: date):
    """The day's escrow receipts as .xlsx, to reconcile with the bank statement."""
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = day.isoformat()
    sheet.append(["收据号", "时间", "项目", "认购书", "房号", "款项", "方式", "参考号", "到账日", "金额（元）",
                  "监管银行", "监管账号", "收银员", "冲正收据", "原因"])
    total = ZERO
    for p in day_payments(session, day):
        reverses = p.reverses.receipt_no if p.reverses is not None else ""
        sheet.append([p.receipt_no, to_local(p.at).strftime("%Y-%m-%d %H:%M:%S"), p.project.name, p.paid_for,
                      p.unit_text,
                      PAYMENT_KIND_ZH.get(p.kind, p.kind), METHOD_ZH.get(p.method, p.method), p.reference,
                      p.value_date.isoformat(), p.amount, p.escrow_bank, p.escrow_account_no, p.cashier.full_name,
                      reverses, p.reason])
        sheet.cell(row=sheet.max_row, column=10).number_format = "#,##0.00"
        total += p.amount
    sheet.append(["合计", "", "", "", "", "", "", "", "", total])
    sheet.cell(row=sheet.max_row, column=10).number_format = "#,##0.00"
    stream = BytesIO()
    book.save(stream)
    stream.seek(0)
    return stream
