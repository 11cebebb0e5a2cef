"""Collecting payment (收款) under 查、数、验、唱, cash shifts, cheques and refunds.

* 查 check: the voucher is recomputed; one that does not add up, was changed after
  write-up, is cancelled or paid, or belongs to a signed-off day is refused.
* 数 count: cash by denomination (or a plain amount); 验 verify: rejected notes are
  recorded and left out of the tender; 唱 announce: received, due and change, with
  the change broken into notes and coins.
* Change is only ever given in cash. A cheque makes the voucher "awaiting
  clearance" until a manager marks it cleared (or bounced: the voucher is unpaid again).
* A double tap pays once (``once_key``), and a voucher is payable once (row lock on
  PostgreSQL, the write lock on SQLite, and a partial unique index on both).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload, selectinload

from ..audit.services import record
from ..dbtypes import utcnow
from ..errors import Conflict, DomainError, Forbidden, NotFound, get_or_404
from ..money import FEN, format_money, from_fen, parse_money, plain_number, to_fen
from ..sales import serials as serial_rules
from ..sales import services as sales
from ..sales.models import PaymentState, Voucher, VoucherStatus  # noqa: F401 (Voucher is used by callers too)
from ..shop import services as shop
from ..shop.models import Station
from ..staff import services as staff_services
from ..staff.models import Staff
from ..text import INT_RE, plain
from .models import (
    DENOMINATIONS,
    CashCount,
    ChequeClearance,
    DrawerOpening,
    Payment,
    PaymentCashCount,
    Refund,
    RefundLine,
    RejectedNote,
    Shift,
    Tender,
)

MAX_COUNT = 10_000  # notes of one denomination in one count
OTHER_KINDS = ("card", "wechat", "alipay", "cheque")
#: the ways of paying as the screens name them (printed documents use fixed Chinese: cashier.documents.TENDER_NAMES)
TENDER_LABELS = {
    "cash": _l("Cash"), "card": _l("Bank card"), "wechat": _l("WeChat Pay"), "alipay": _l("Alipay"),
    "cheque": _l("Cheque"),
}
REJECT_REASONS = ("counterfeit", "damaged")


# ------------------------------------------------------------------ input shapes
@dataclass
class OtherTender:
    """A non-cash tender as typed: bank card, WeChat Pay, Alipay or a cheque."""

    kind: str
    amount: str
    reference: str = ""
    bank: str = ""
    drawer: str = ""


@dataclass
class Rejected:
    denomination: int
    reason: str = "counterfeit"
    serial: str = ""


@dataclass
class Tally:
    """What the counted tenders come to against what is due (shown live, then saved)."""

    due: Decimal
    cash_counted: Decimal = Decimal("0.00")
    rejected_total: Decimal = Decimal("0.00")
    cash_accepted: Decimal = Decimal("0.00")
    other_total: Decimal = Decimal("0.00")
    received: Decimal = Decimal("0.00")
    change: Decimal = Decimal("0.00")
    short: Decimal = Decimal("0.00")
    problems: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.problems and self.short == 0 and self.received > 0


def parse_counts(raw: dict) -> dict[int, int]:
    """Denomination (fen) → count, from what the form sent ('10000' → '3')."""
    counts: dict[int, int] = {}
    for denomination in DENOMINATIONS:
        value = raw.get(denomination, raw.get(str(denomination), 0))
        text = plain(value) or "0"
        if not INT_RE.fullmatch(text) or len(text) > 12 or int(text) < 0:  # '²' passes isdigit, fails int
            raise DomainError(_("A count is a whole number of notes, not %(value)s.", value=text[:10]),
                              field="counts")
        count = int(text)
        if count > MAX_COUNT:
            raise DomainError(_("%(n)d notes of one kind? Check the count.", n=count), field="counts")
        if count:
            counts[denomination] = count
    return counts


def parse_rejected_counts(raw: dict, counts: dict[int, int]) -> dict[int, int]:
    """Rejected notes (拒收) per denomination, from what the form sent, checked before anything is
    built from them: a whole number, at most ``MAX_COUNT``, and — when the notes were counted — no
    more than were counted of that denomination."""
    out: dict[int, int] = {}
    for denomination in DENOMINATIONS:
        value = raw.get(denomination, raw.get(str(denomination), 0))
        text = plain(value) or "0"
        if not INT_RE.fullmatch(text) or len(text) > 12 or int(text) < 0:
            raise DomainError(_("A count is a whole number of notes, not %(value)s.", value=text[:10]),
                              field="rejected")
        n = int(text)
        if n > MAX_COUNT:
            raise DomainError(_("%(n)d notes of one kind? Check the count.", n=n), field="rejected")
        if counts and n > counts.get(denomination, 0):
            raise DomainError(_("%(n)d rejected %(d)s notes, but only %(c)d were counted.", n=n,
                                d=denomination_label(denomination), c=counts.get(denomination, 0)),
                              field="rejected")
        if n:
            out[denomination] = n
    return out


def counts_total(counts: dict[int, int]) -> Decimal:
    return from_fen(sum(d * c for d, c in counts.items()))


def denomination_label(fen: int) -> str:
    return format_money(from_fen(fen))


# ------------------------------------------------------------------ shifts
def current_shift(session: Session, cashier: Staff) -> Shift | None:
    return session.scalar(select(Shift).where(Shift.cashier_id == cashier.id, Shift.closed_at.is_(None)))


def require_shift(session: Session, cashier: Staff, *, lock: bool = False) -> Shift:
    """The cashier's open shift. With ``lock``, its row is locked (``SELECT … FOR UPDATE``) so that
    money moved into it and the closing count are ordered: a payment waits for a close in progress
    and is then refused (the shift is closed), a close waits for a payment in progress and counts it."""
    if lock:
        # the cashier is the caller, in the session already: not read again with the shift (a row read
        # afresh under populate_existing would also forget the roles the page's header shows)
        shift = session.scalar(
            select(Shift).where(Shift.cashier_id == cashier.id, Shift.closed_at.is_(None))
            .options(lazyload(Shift.cashier))
            .with_for_update(of=Shift).execution_options(populate_existing=True))
    else:
        shift = current_shift(session, cashier)
    if shift is None:
        raise DomainError(_("Open your shift first (count the float into the drawer)."))
    return shift


def get_station(session: Session, station_id) -> Station:
    station = session.get(Station, station_id) if station_id else None
    if station is None or not station.active:
        raise DomainError(_("Choose the cashier station."), field="station")
    return station


def open_shift(session: Session, *, cashier: Staff, station_id, counts: dict[int, int]) -> Shift:
    """Open a shift at a station with the float counted by denomination."""
    station = get_station(session, station_id)
    if current_shift(session, cashier) is not None:
        raise Conflict(_("You already have an open shift."))
    other = session.scalar(select(Shift).where(Shift.station_id == station.id, Shift.closed_at.is_(None)))
    if other is not None:
        raise Conflict(_("%(station)s is in use by %(name)s's shift.", station=station.name,
                         name=other.cashier.full_name))
    if shop.day_signed_off(session, shop.business_today(session)):
        raise DomainError(_("Today has been signed off; no new shift can be opened."))
    try:
        with session.begin_nested():  # undo only this if the database says no
            shift = Shift(cashier=cashier, station=station, opening_float=counts_total(counts))
            session.add(shift)
            for denomination, count in counts.items():
                session.add(CashCount(shift=shift, stage="opening", denomination=denomination, count=count))
            session.flush()
    except IntegrityError:  # two tablets opened at the same moment: the database said no
        raise Conflict(_("A shift is already open for you or for this station.")) from None
    record(session, "cashier.shift_opened", actor=cashier, record=shift,
           summary=f"{station.name} {format_money(shift.opening_float)}")
    return shift


# ------------------------------------------------------------------ 查 check
def check_voucher(session: Session, no: str, *, lock: bool = False, locked: Voucher | None = None) -> Voucher:
    """Open a voucher at the cash desk: recompute it and refuse what cannot be paid. ``locked``: the
    voucher as the caller has just read it under its row lock (``lock`` is then implied)."""
    lock = lock or locked is not None
    if locked is not None:
        voucher = locked
    elif lock:
        voucher = _lock_by_no(session, no)
    else:
        voucher = session.scalar(select(Voucher).where(Voucher.no == sales.normalise_no(no)))
    if voucher is None:
        raise NotFound(_("No voucher numbered %(no)s.", no=(no or "").strip()[:30]))
    if voucher.status == VoucherStatus.CANCELLED:
        raise DomainError(_("Voucher %(no)s was cancelled: it cannot be paid.", no=voucher.no))
    if voucher.status != VoucherStatus.WRITTEN_UP:
        raise DomainError(_("Voucher %(no)s is not written up.", no=voucher.no))
    if voucher.payment_state == PaymentState.PAID:
        raise Conflict(_("Voucher %(no)s is already paid.", no=voucher.no))
    if voucher.payment_state == PaymentState.AWAITING_CLEARANCE:
        raise Conflict(_("Voucher %(no)s is already paid by cheque (waiting for the funds).", no=voucher.no))
    if voucher.payment_state != PaymentState.UNPAID:
        raise Conflict(_("Voucher %(no)s cannot be paid (%(state)s).", no=voucher.no, state=voucher.payment_state))
    # the pay page and its tally only show (hold=False); the payment asks again under the day's lock
    if voucher.business_day and shop.day_signed_off(session, voucher.business_day, hold=lock):
        raise DomainError(_("Voucher %(no)s belongs to %(day)s, a day already signed off. Write a new voucher.",
                            no=voucher.no, day=voucher.business_day.isoformat()))
    problems = sales.verify(voucher)
    if problems:
        raise DomainError(_("Voucher %(no)s does not add up: %(problem)s", no=voucher.no, problem=problems[0]))
    return voucher


# ------------------------------------------------------------------ 数 验 count and verify
def _check_others(others: list[OtherTender]) -> list[tuple[OtherTender, Decimal]]:
    checked = []
    for t in others:
        if t.kind not in OTHER_KINDS:
            raise DomainError(_("Unknown way of paying: %(kind)s", kind=str(t.kind)[:10]))
        try:
            amount = parse_money(t.amount)
        except ValueError:
            raise DomainError(_("Not an amount: %(value)s", value=str(t.amount)[:20]), field=t.kind) from None
        if amount <= 0:
            raise DomainError(_("An amount must be more than zero."), field=t.kind)
        reference = (t.reference or "").strip()
        if len(reference) > 64 or len(t.bank or "") > 60 or len(t.drawer or "") > 60:
            raise DomainError(_("A reference has at most 64 characters."), field=t.kind)
        if t.kind == "card" and not reference:
            raise DomainError(_("Type the card terminal's reference number."), field="card")
        if t.kind in ("wechat", "alipay") and not reference:
            raise DomainError(_("Type the transaction reference of the payment."), field=t.kind)
        if t.kind == "cheque":
            if not reference:
                raise DomainError(_("A cheque needs its number."), field="cheque")
            if not (t.bank or "").strip() or not (t.drawer or "").strip():
                raise DomainError(_("A cheque needs the bank and the drawer (who wrote it)."), field="cheque")
        checked.append((t, amount))
    return checked


def tally(due: Decimal, *, counts: dict[int, int] | None = None, plain_cash=None,
          rejected: list[Rejected] | None = None, others: list[OtherTender] | None = None,
          max_cash: Decimal = Decimal(shop.DEFAULTS["cash.max_tendered"])) -> Tally:
    """Add up the tenders against what is due. Raises for input that is wrong in itself
    (negative, not a number, more rejected notes than counted); a shortfall is not an
    error here — it is shown as ``short`` until the customer hands over more."""
    counts = counts or {}
    rejected = rejected or []
    result = Tally(due=due)
    if plain_cash not in (None, ""):
        if counts:
            raise DomainError(_("Count the notes or type the cash amount, not both."), field="cash")
        try:
            result.cash_counted = parse_money(str(plain_cash))
        except ValueError:
            raise DomainError(_("Not an amount: %(value)s", value=str(plain_cash)[:20]), field="cash") from None
        if result.cash_counted < 0:
            raise DomainError(_("An amount cannot be negative."), field="cash")
    else:
        result.cash_counted = counts_total(counts)
    if result.cash_counted > max_cash:  # no drawer holds ￥999,999,999,999.99: a typing slip
        raise DomainError(_("%(cash)s in cash? One payment takes at most %(max)s in cash; check the amount.",
                            cash=format_money(result.cash_counted), max=format_money(max_cash)), field="cash")
    rejected_by_denomination: dict[int, int] = {}
    for note in rejected:
        if note.denomination not in DENOMINATIONS:
            raise DomainError(_("There is no %(d)s note.", d=denomination_label(note.denomination)), field="rejected")
        if note.reason not in REJECT_REASONS:
            raise DomainError(_("Say why the note is rejected."), field="rejected")
        rejected_by_denomination[note.denomination] = rejected_by_denomination.get(note.denomination, 0) + 1
    for denomination, n in rejected_by_denomination.items():
        counted = counts.get(denomination, 0) if plain_cash in (None, "") else None
        if counted is not None and n > counted:
            raise DomainError(_("%(n)d rejected %(d)s notes, but only %(c)d were counted.", n=n,
                                d=denomination_label(denomination), c=counted), field="rejected")
    result.rejected_total = from_fen(sum(d * n for d, n in rejected_by_denomination.items()))
    if result.rejected_total > result.cash_counted:
        raise DomainError(_("More notes rejected than cash received."), field="rejected")
    result.cash_accepted = result.cash_counted - result.rejected_total
    checked = _check_others(others or [])
    result.other_total = sum((amount for _t, amount in checked), Decimal("0.00"))
    if result.other_total > due:
        result.problems.append(_("Card, WeChat, Alipay and cheque together come to %(other)s, more than the "
                                 "%(due)s due: change is only given in cash.",
                                 other=format_money(result.other_total), due=format_money(due)))
    result.received = (result.cash_accepted + result.other_total).quantize(FEN)
    if result.received >= due:
        result.change = result.received - due
    else:
        result.short = due - result.received
    return result


def change_breakdown(change: Decimal) -> tuple[list[tuple[int, int]], int]:
    """Change in notes and coins, largest first; and the fen left under ￥0.10 (分币)."""
    rest = to_fen(change)
    out = []
    for denomination in DENOMINATIONS:
        n, rest = divmod(rest, denomination)
        if n:
            out.append((denomination, n))
    return out, rest


def announcement(received: Decimal, due: Decimal, change: Decimal, *, language: str = "zh_CN") -> str:
    """唱收唱找: 「收您 12,900.00 元，应收 12,868.00 元，找您 32.00 元」 — in the shop's ``language``
    (the customer hears it, whatever language the cashier reads), amounts grouped like the rest."""
    from flask_babel import force_locale

    def amount(value: Decimal) -> str:
        return format_money(value, sign=False)

    with force_locale(language):
        if change > 0:
            return _("Received %(received)s yuan, %(due)s yuan due, your change is %(change)s yuan.",
                     received=amount(received), due=amount(due), change=amount(change))
        return _("Received %(received)s yuan, %(due)s yuan due, no change.", received=amount(received),
                 due=amount(due))


# ------------------------------------------------------------------ taking the payment
def take_payment(session: Session, no: str, *, cashier: Staff, once_key: str, counts: dict[int, int] | None = None,
                 plain_cash=None, rejected: list[Rejected] | None = None,
                 others: list[OtherTender] | None = None) -> Payment:
    """Collect payment for a written-up voucher; returns the payment (the same one
    again for a repeated ``once_key``)."""
    once_key = (once_key or "").strip()
    if not once_key or len(once_key) > 64:
        raise DomainError(_("This payment form is out of date: reload the page."))
    done = _paid_with_key(session, once_key, no)
    if done is not None:
        return done  # a double tap, or the tablet sent it again: it paid once
    # locks, always in this order (shift, then voucher): the shift's row orders this payment and the
    # shift's close; the voucher's row orders it and a cancel, a refund or another till's payment
    shift = require_shift(session, cashier, lock=True)
    if shop.day_signed_off(session, shop.business_today(session)):
        raise DomainError(_("Today has been signed off: no more payments can be taken into it."))
    locked = _lock_by_no(session, no)
    done = _paid_with_key(session, once_key, no)  # the same form sent twice at once: the first one paid
    if done is not None:
        return done
    voucher = check_voucher(session, no, lock=True, locked=locked)
    result = tally(voucher.total, counts=counts, plain_cash=plain_cash, rejected=rejected, others=others,
                   max_cash=shop.max_cash_tendered(session))
    if result.problems:
        raise DomainError(result.problems[0])
    if result.received <= 0:
        raise DomainError(_("Nothing was received: count the cash or add a payment."))
    if result.short > 0:
        raise DomainError(_("Received %(given)s, %(due)s is due: %(short)s short.",
                            given=format_money(result.received), due=format_money(voucher.total),
                            short=format_money(result.short)))
    has_cheque = any(t.kind == "cheque" for t in others or [])
    # its lists made empty here, not left unread: the receipt asks for the rejected notes, and a list
    # never set is read from the database (a statement for a payment that has just been made)
    payment = Payment(
        once_key=once_key, purpose="sale", voucher=voucher, shift=shift, cashier=cashier,
        amount_due=voucher.total, received=result.received, change_given=result.change,
        awaiting_clearance=has_cheque, tenders=[], cash_counts=[], rejected_notes=[],
    )
    session.add(payment)
    if result.cash_counted > 0:
        payment.tenders.append(Tender(kind="cash", amount=result.cash_accepted))
        for denomination, count in (counts or {}).items():
            payment.cash_counts.append(PaymentCashCount(denomination=denomination, count=count))
    for t, amount in _check_others(others or []):
        payment.tenders.append(Tender(kind=t.kind, amount=amount, reference=(t.reference or "").strip(),
                                      cheque_bank=(t.bank or "").strip(),
                                      cheque_drawer=(t.drawer or "").strip()))
    for note in rejected or []:
        payment.rejected_notes.append(RejectedNote(shift_id=shift.id, denomination=note.denomination,
                                                   reason=note.reason, serial=(note.serial or "").strip()[:20]))
    voucher.payment_state = PaymentState.AWAITING_CLEARANCE if has_cheque else PaymentState.PAID
    try:
        session.flush()  # the unique indexes are the last word
    except IntegrityError:
        # under the locks above this does not happen; if it does, say so rather than crash (the request's
        # owner rolls the whole of it back before the refusal is shown: no savepoint is needed)
        raise Conflict(_("Voucher %(no)s was paid at another till just now.", no=sales.normalise_no(no))) from None
    cash = result.cash_accepted > 0 or result.change > 0
    if cash:
        session.add(DrawerOpening(shift_id=shift.id, station_id=shift.station_id, payment_id=payment.id,
                                  reason="payment", sent_at=utcnow()))
    # the receipt goes to the station's printer (its drawer pulse opens the drawer for cash only);
    # queued in this transaction: printing never blocks or undoes the sale
    from ..printers import services as printers
    from .documents import receipt_document

    printers.enqueue(session, receipt_document(payment, shop.shop_name(session), just_paid=True), kind="receipt",
                     title=f"收款收据 {voucher.no}", ref=voucher.no, station_id=shift.station_id, requested_by=cashier)
    record(session, "cashier.payment_taken", actor=cashier, record=payment,
           summary=f"{voucher.no} {format_money(voucher.total)}: "
                   + ", ".join(f"{t.kind} {format_money(t.amount)}" for t in payment.tenders)
                   + (f"; change {format_money(result.change)}" if result.change else "")
                   + (f"; {len(rejected)} note(s) rejected" if rejected else ""),
           data={"voucher": voucher.no, "total": str(voucher.total), "change": str(result.change or 0),
                 "tenders": [{"kind": t.kind, "amount": str(t.amount)} for t in payment.tenders],
                 "rejected": len(rejected or [])})
    return payment


def _paid_with_key(session: Session, once_key: str, no: str) -> Payment | None:
    """The payment this form (its one-time key) already made, if any."""
    done = session.scalar(select(Payment).where(Payment.once_key == once_key))
    if done is not None and (done.voucher is None or done.voucher.no != sales.normalise_no(no)):
        raise Conflict(_("This payment form was already used for another voucher: reload the page."))
    return done


def _lock_by_no(session: Session, no: str) -> Voucher | None:
    """Take the row lock of the voucher numbered ``no`` and read it as it is under the lock (None when
    there is none: the check says so)."""
    return session.scalar(select(Voucher).where(Voucher.no == sales.normalise_no(no))
                          .with_for_update(of=Voucher).execution_options(populate_existing=True))


def get_payment(session: Session, payment_id: int, *, shown: bool = False) -> Payment:
    """A payment by id. ``shown``: for the pages that show it (the announcement, the stamped copies),
    which show its tenders and rejected notes but neither the notes counted nor a cheque's clearance:
    those two are then read only if something asks for them."""
    options = [lazyload(Payment.cash_counts), selectinload(Payment.tenders).lazyload(Tender.clearances)] \
        if shown else None
    return get_or_404(session, Payment, payment_id, _("No such payment."), options=options)


def live_payment(session: Session, voucher: Voucher) -> Payment | None:
    return session.scalar(select(Payment).where(Payment.voucher_id == voucher.id, Payment.reversed_at.is_(None)))


def live_payment_cashier(session: Session, voucher: Voucher) -> str:
    """The name of the cashier who took the voucher's payment ("" if none): one column, where the
    payment with its tenders, counts and notes is six statements."""
    return session.scalar(select(Staff.full_name).join(Payment, Payment.cashier_id == Staff.id)
                          .where(Payment.voucher_id == voucher.id, Payment.reversed_at.is_(None))) or ""


# ------------------------------------------------------------------ cheques
def pending_cheques(session: Session) -> list[Tender]:
    """Cheques taken and not yet marked cleared or bounced (no clearance record)."""
    return list(session.scalars(
        select(Tender).join(Payment).outerjoin(ChequeClearance, ChequeClearance.tender_id == Tender.id)
        .where(Tender.kind == "cheque", Payment.reversed_at.is_(None), ChequeClearance.id.is_(None))
        .order_by(Payment.at)
    ))


def clear_cheque(session: Session, tender_id: int, outcome: str, *, manager: Staff, note: str = "") -> Tender:
    """The funds arrived (cleared: the goods may go) or the cheque bounced (the voucher is unpaid again)."""
    if "manager" not in manager.roles:
        raise Forbidden(_("Only a manager marks cheques cleared or bounced."))
    tender = session.get(Tender, tender_id)
    if tender is None or tender.kind != "cheque":
        raise NotFound(_("No such cheque."))
    if outcome not in ("cleared", "bounced"):
        raise DomainError(_("A cheque is either cleared or bounced."))
    # the voucher's row lock (the payment's when there is none): two managers marking one cheque, or a
    # bounce racing a refund, are ordered; the clearances are read again under it
    if tender.payment.voucher is not None:
        sales.lock(session, tender.payment.voucher)
    else:
        session.refresh(tender.payment, with_for_update={"of": Payment})
    session.refresh(tender, ["clearances"])
    if tender.cheque_state != "pending":
        raise Conflict(_("Cheque %(no)s was already marked.", no=tender.reference))
    note = (note or "").strip()
    if outcome == "bounced" and not note:
        raise DomainError(_("Say what the bank said about the bounced cheque."), field="note")
    if outcome == "bounced" and shop.day_signed_off(session, shop.business_today(session)):
        # a bounce takes the payment back on the day it is recorded: that day must still be open
        raise DomainError(_("Today has been signed off: record the bounced cheque tomorrow."))
    if len(note) > 200:
        raise DomainError(_("A note has at most %(n)d characters.", n=200), field="note")
    session.add(ChequeClearance(tender=tender, outcome=outcome, by=manager, note=note))
    payment = tender.payment
    voucher = payment.voucher
    if outcome == "cleared":
        if voucher is not None and not any(t.cheque_state == "pending" for t in payment.tenders if t is not tender):
            voucher.payment_state = PaymentState.PAID
    else:
        payment.reversed_at = utcnow()
        if voucher is not None:
            voucher.payment_state = PaymentState.UNPAID
            from ..customers import credit  # the customer who paid with it is flagged for a credit review

            credit.flag_for_review(session, voucher.customer_id, _("Cheque %(no)s bounced: %(note)s",
                                                                   no=tender.reference, note=note), actor=manager)
    session.flush()
    record(session, f"cashier.cheque_{outcome}", actor=manager, record=payment, reason=note or None,
           summary=f"{tender.reference} {tender.cheque_bank} {format_money(tender.amount)}"
                   + (f" ({voucher.no})" if voucher is not None else ""))
    return tender


# ------------------------------------------------------------------ refunds
def refunded_quantities(session: Session, voucher: Voucher) -> dict[int, Decimal]:
    rows = session.execute(
        select(RefundLine.voucher_line_id, func.sum(RefundLine.quantity))
        .join(Refund).where(Refund.voucher_id == voucher.id).group_by(RefundLine.voucher_line_id)
    ).all()
    return {line_id: total or Decimal("0") for line_id, total in rows}  # summed in the Quantity type


def refunded_amounts(session: Session, voucher: Voucher) -> dict[int, Decimal]:
    """Voucher line id → the money already refunded for it."""
    rows = session.execute(
        select(RefundLine.voucher_line_id, func.sum(RefundLine.amount))
        .join(Refund).where(Refund.voucher_id == voucher.id).group_by(RefundLine.voucher_line_id)
    ).all()
    return {line_id: total or Decimal("0.00") for line_id, total in rows}


def refund_amount(line, qty: Decimal, already_qty: Decimal, already_amount: Decimal) -> Decimal:
    """What refunding ``qty`` of a sold line pays back: ``qty × unit price`` to the fen, and never
    more than is left of what was paid for the line; the last of the line pays exactly what is left,
    so a line refunded in parts pays back what was paid for it, to the fen."""
    left_amount = line.amount - already_amount
    if already_qty + qty >= line.quantity:
        return left_amount
    return min(sales.line_amount(qty, line.unit_price), left_amount)


def refund(session: Session, no: str, quantities: dict[int, str], *, method: str, reason: str, cashier: Staff,
           approval: sales.Approval | None, once_key: str, serials: dict[int, str] | None = None) -> Refund:
    """Pay back (part of) a paid voucher, by line and quantity, approved by a manager. Pieces with serial
    numbers that come back free their serials (``serials``: line id → the serials typed as coming back;
    see :func:`pos.sales.serials.release_for_refund`)."""
    once_key = (once_key or "").strip()
    if not once_key or len(once_key) > 64:
        raise DomainError(_("This refund form is out of date: reload the page."))
    done = session.scalar(select(Refund).where(Refund.once_key == once_key))
    if done is not None:
        return done
    shift = require_shift(session, cashier, lock=True)  # locks: the shift, then the voucher (as a payment)
    if shop.day_signed_off(session, shop.business_today(session)):
        raise DomainError(_("Today has been signed off: no more refunds can be dated into it."))
    stmt = select(Voucher).where(Voucher.no == sales.normalise_no(no)).with_for_update(of=Voucher)
    voucher = session.scalar(stmt.execution_options(populate_existing=True))
    if voucher is None:
        raise NotFound(_("No voucher numbered %(no)s.", no=(no or "").strip()[:30]))
    done = session.scalar(select(Refund).where(Refund.once_key == once_key))
    if done is not None:  # the same form sent twice at once: the other one refunded, under the lock
        return done
    if voucher.payment_state == PaymentState.AWAITING_CLEARANCE:
        raise DomainError(_("Voucher %(no)s was paid by a cheque not yet cleared: wait for the funds.",
                            no=voucher.no))
    if voucher.payment_state not in (PaymentState.PAID,):
        raise DomainError(_("Voucher %(no)s is not paid: there is nothing to refund.", no=voucher.no))
    if method not in ("cash", "original"):
        raise DomainError(_("Refund in cash or to the original payment."), field="method")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the money is refunded."), field="reason")
    if len(reason) > 200:
        raise DomainError(_("A reason has at most %(n)d characters.", n=200), field="reason")
    payment = live_payment(session, voucher)
    already = refunded_quantities(session, voucher)
    already_paid_back = refunded_amounts(session, voucher)
    lines = {line.id: line for line in voucher.lines}
    wanted: list[tuple] = []
    for line_id, raw in quantities.items():
        if str(raw if raw is not None else "").strip() in ("", "0"):
            continue
        line = lines.get(int(line_id)) if str(line_id).isdecimal() else None
        if line is None:
            raise NotFound(_("That line is not on this voucher."))
        # the one quantity parser (whole units, at most three decimals): what is refunded is what is recorded
        qty = sales.parse_quantity(line.product, raw)
        done_qty = already.get(line.id, Decimal("0"))
        left = line.quantity - done_qty
        if qty > left:
            raise DomainError(_("%(name)s: only %(left)s can still be refunded, not %(qty)s.",
                                name=line.product_name, left=plain_number(left), qty=plain_number(qty)),
                              field="quantity")
        amount = refund_amount(line, qty, done_qty, already_paid_back.get(line.id, Decimal("0.00")))
        wanted.append((line, qty, amount))
    if not wanted:
        raise DomainError(_("Choose what is refunded: a quantity on at least one line."), field="quantity")
    total = sum((amount for _line, _qty, amount in wanted), Decimal("0.00"))
    if "manager" in cashier.roles:
        approver = cashier
    elif approval is None:
        raise sales.NeedsApproval(_("A refund needs a manager's approval with their PIN."))
    else:
        approver = staff_services.verify_manager_pin(session, approval.manager_id, approval.pin,
                                                     client=approval.client)
    row = Refund(once_key=once_key, voucher=voucher, payment_id=payment.id, shift_id=shift.id, cashier_id=cashier.id,
                 approved_by_id=approver.id, amount=total, method=method, reason=reason)
    for line, qty, amount in wanted:
        row.lines.append(RefundLine(voucher_line=line, quantity=qty, amount=amount))
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # this form's key was used for another voucher's refund
        raise Conflict(_("This refund form was already used: reload the page.")) from None
    serial_rules.release_for_refund(session, voucher, [(line, qty) for line, qty, _amount in wanted], already,
                                    serials, refund_id=row.id)
    after = dict(already)
    for line, qty, _amount in wanted:
        after[line.id] = after.get(line.id, Decimal("0")) + qty
    if all(after.get(line.id, Decimal("0")) >= line.quantity for line in voucher.lines):
        voucher.payment_state = PaymentState.REFUNDED  # everything came back
    if method == "cash":
        session.add(DrawerOpening(shift_id=shift.id, station_id=shift.station_id, refund_id=row.id, reason="refund",
                                  sent_at=utcnow()))
    # the refund slip (退款单) for the customer to sign; a cash refund's slip opens the drawer
    from ..printers import services as printers
    from .documents import refund_document

    printers.enqueue(session, refund_document(row, shop.shop_name(session)), kind="refund",
                     title=f"退款单 {voucher.no}", ref=voucher.no, station_id=shift.station_id, requested_by=cashier)
    record(session, "cashier.refund", actor=cashier, record=row, reason=reason,
           summary=f"{voucher.no} {format_money(total)} ({method}), approved by {approver.full_name}",
           data={"voucher": voucher.no, "amount": str(total), "method": method, "approved_by": approver.full_name})
    return row


# ------------------------------------------------------------------ closing the shift
@dataclass
class OtherMoney:
    """Money a higher domain took at this desk that is not the shop's takings (e.g. property
    payments into a project's escrow account): shown in the shift as its own category. Its net
    cash (``cash``) is in the drawer, so it counts in the cash expected."""

    label: str  # on screen (translated)
    label_zh: str  # on the printed report
    count: int
    amount: Decimal  # net of reversals
    cash: Decimal = Decimal("0.00")


#: filled by higher domains (the cashier never imports them): ``fn(session, shift) -> list[OtherMoney]``
OTHER_MONEY: list = []


@dataclass
class ShiftSummary:
    shift: Shift
    payments: int
    cash_in: Decimal
    change_out: Decimal
    cash_refunds: Decimal
    other_refunds: Decimal
    expected_cash: Decimal
    by_tender: dict[str, Decimal]
    cheques_pending: list[Tender]
    rejected: list[RejectedNote]
    refunds: list[Refund]
    drawer_openings: int
    other_money: list[OtherMoney] = field(default_factory=list)


def summarise(session: Session, shift: Shift) -> ShiftSummary:
    """The shift's figures, summed in the database (a busy shift has hundreds of payments): one
    statement counts and sums; the refunds, rejected notes and cheques waiting are read only when the
    shift has some (most have none)."""
    def scalar(column, *where):
        return select(column).where(*where).scalar_subquery()

    count, change_out, openings, n_refunds, n_rejected = session.execute(select(
        scalar(func.count(Payment.id), Payment.shift_id == shift.id),
        scalar(func.sum(Payment.change_given), Payment.shift_id == shift.id),
        scalar(func.count(DrawerOpening.id), DrawerOpening.shift_id == shift.id),
        scalar(func.count(Refund.id), Refund.shift_id == shift.id),
        scalar(func.count(RejectedNote.id), RejectedNote.shift_id == shift.id),
    )).one()
    change_out = change_out or Decimal("0.00")
    by_tender: dict[str, Decimal] = dict(session.execute(
        select(Tender.kind, func.sum(Tender.amount)).join(Payment, Tender.payment_id == Payment.id)
        .where(Payment.shift_id == shift.id).group_by(Tender.kind).order_by(Tender.kind)).all()) if count else {}
    cash_in = by_tender.get("cash", Decimal("0.00"))
    cheques = list(session.scalars(
        select(Tender).join(Payment, Tender.payment_id == Payment.id)
        .outerjoin(ChequeClearance, ChequeClearance.tender_id == Tender.id)
        .where(Payment.shift_id == shift.id, Tender.kind == "cheque", ChequeClearance.id.is_(None))
        .order_by(Payment.at))) if "cheque" in by_tender else []
    if "cash" in by_tender:
        by_tender["cash"] -= change_out  # net cash kept
    refunds = list(session.scalars(select(Refund).where(Refund.shift_id == shift.id).order_by(Refund.at))) \
        if n_refunds else []
    cash_refunds = sum((r.amount for r in refunds if r.method == "cash"), Decimal("0.00"))
    other_refunds = sum((r.amount for r in refunds if r.method != "cash"), Decimal("0.00"))
    rejected = list(session.scalars(select(RejectedNote).where(RejectedNote.shift_id == shift.id))) \
        if n_rejected else []
    other = [money for source in OTHER_MONEY for money in source(session, shift)]
    other_cash = sum((m.cash for m in other), Decimal("0.00"))
    return ShiftSummary(
        shift=shift, payments=count, cash_in=cash_in, change_out=change_out, cash_refunds=cash_refunds,
        other_refunds=other_refunds,
        expected_cash=(shift.opening_float + cash_in - change_out - cash_refunds + other_cash).quantize(FEN),
        by_tender=by_tender, cheques_pending=cheques, rejected=rejected, refunds=refunds,
        drawer_openings=openings or 0, other_money=other,
    )


def close_shift(session: Session, shift: Shift, counts: dict[int, int], *, actor: Staff,
                note: str = "") -> ShiftSummary:
    """Count the drawer by denomination: expected, counted and over/short are kept; the shift is frozen."""
    if shift.cashier_id != actor.id and "manager" not in actor.roles:
        raise Forbidden(_("This is %(name)s's shift.", name=shift.cashier.full_name))
    # the shift's row lock: a payment or refund in progress finishes first and is counted; one that
    # comes after finds the shift closed and is refused
    session.flush()
    session.refresh(shift, with_for_update={"of": Shift})
    if not shift.is_open:
        raise Conflict(_("This shift is already closed."))
    if len(note or "") > 1000:
        raise DomainError(_("Notes have at most %(n)d characters.", n=1000), field="note")
    summary = summarise(session, shift)
    counted = counts_total(counts)
    for denomination, count in counts.items():
        session.add(CashCount(shift=shift, stage="closing", denomination=denomination, count=count))
    shift.closed_at = utcnow()
    shift.expected_cash = summary.expected_cash
    shift.counted_cash = counted
    shift.over_short = counted - summary.expected_cash
    shift.close_note = (note or "").strip()
    session.add(DrawerOpening(shift_id=shift.id, station_id=shift.station_id, reason="count"))
    record(session, "cashier.shift_closed", actor=actor, record=shift,
           summary=f"expected {format_money(summary.expected_cash)}, counted {format_money(counted)}, "
                   f"over/short {format_money(shift.over_short)}",
           data={"expected": str(summary.expected_cash), "counted": str(counted), "over_short": str(shift.over_short)})
    return summary


def get_shift(session: Session, shift_id: int) -> Shift:
    return get_or_404(session, Shift, shift_id, _("No such shift."))


def get_shift_for(session: Session, shift_id: int, viewer: Staff) -> Shift:
    """A shift its own cashier or a manager may see (its report, its PDF, its print)."""
    def check(shift: Shift) -> None:
        if shift.cashier_id != viewer.id and "manager" not in viewer.roles:
            raise Forbidden(_("This is %(name)s's shift.", name=shift.cashier.full_name))

    return get_or_404(session, Shift, shift_id, _("No such shift."), check=check)
