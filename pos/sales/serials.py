"""Serial numbers and warranty (序列号与保修): the rules.

A product with ``requires_serial`` is handed over piece by piece with each piece's serial number
(at the counter's pickup, or when the goods leave for delivery: :func:`pos.sales.pickup.hand_over`
checks them with :func:`check_serials` and records them with :func:`record_serials`). A serial is
live once per product until the piece comes back: a refund of the piece sets ``returned_at``
(:func:`release_for_refund`, called by the cashier's refund) and the serial may be sold again.
The row is also the piece's warranty record: the product's warranty months from the handover day.

Public for other domains (after-sales, delivery, the receipt):
:func:`find_sold` (a typed serial → the live :class:`SoldSerial` or None), :func:`search`,
:func:`serials_by_line` (a voucher's serials for the prints), :func:`of_customer`."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..clock import local_today
from ..dbtypes import utcnow
from ..errors import Conflict, DomainError
from ..money import plain_number
from ..text import plain
from .models import Pickup, Voucher, VoucherLine
from .serial_models import SoldSerial

__all__ = ["SoldSerial", "normalise_serial", "parse_serials", "check_serials", "record_serials", "find_sold",
           "search", "serials_by_line", "of_customer", "release_for_refund", "warranty_until"]

#: a serial as printed on a label: letters, digits and - _ / . (after normalising), 3–40 long
SERIAL_RE = re.compile(r"^[A-Z0-9][A-Z0-9_./-]{2,39}$")
#: how typed serials are separated: lines (a scanner's Enter), commas, semicolons, spaces
SEPARATORS = re.compile(r"[\s,;、，；]+")


def normalise_serial(raw) -> str:
    """What was typed or scanned → the stored form: NFKC (full-width → half-width), every script's
    digits as ASCII, trimmed, upper case. ``' ｓｎ－１２３ '`` → ``'SN-123'``."""
    return plain(raw).strip().upper()


def parse_serials(raw) -> list[str]:
    """One box of typed serials (one per line, or separated by commas or spaces) → normalised serials,
    in the order typed. A serial that is not one is refused with its text."""
    out = []
    for part in SEPARATORS.split(normalise_serial(raw)):
        if not part:
            continue
        if not SERIAL_RE.match(part):
            raise DomainError(_("“%(serial)s” is not a serial number: 3 to 40 letters, digits or - _ / .",
                                serial=part[:40]), field="serials")
        out.append(part)
    return out


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def warranty_until(handed_over_on: date, months: int) -> date | None:
    """The last day a piece is under warranty: ``months`` from the handover day, that day not
    counted twice (12 months from 2026-11-26 → 2027-11-25). None when the product has no warranty."""
    if not months:
        return None
    return add_months(handed_over_on, months) - timedelta(days=1)


def live(session: Session, product_id: int, serial: str) -> SoldSerial | None:
    return session.scalar(select(SoldSerial).where(SoldSerial.product_id == product_id, SoldSerial.serial == serial,
                                                   SoldSerial.returned_at.is_(None)))


def _sold_message(row: SoldSerial) -> str:
    return _("Serial %(serial)s of %(name)s was already sold (voucher %(no)s, %(day)s) and has not come back.",
             serial=row.serial, name=row.product.name, no=row.voucher.no, day=row.handed_over_on.isoformat())


def check_serials(session: Session, wanted: list[tuple[VoucherLine, Decimal]], typed: dict | None,
                  all_lines: list[VoucherLine] | None = None) -> dict[int, list[str]]:
    """The serials of a handover, checked: one per piece of each line of a serial product, none on a
    product without serials, none twice in this handover, none already sold and not returned.
    ``typed``: voucher line id → what was typed in its box. Returns line id → serials."""
    typed = {int(k): v for k, v in (typed or {}).items() if str(k).isdecimal()}
    handed = {line.id for line, _qty in wanted}
    for line in all_lines or []:  # serials typed on a line that is not handed over now
        if line.id not in handed and typed.get(line.id, "").strip():
            if not line.product.requires_serial:
                raise DomainError(_("%(name)s has no serial numbers: leave its serial box empty.",
                                    name=line.product_name), field="serials")
            raise DomainError(_("%(name)s: serials typed but no quantity handed over.", name=line.product_name),
                              field="serials")
    out: dict[int, list[str]] = {}
    seen: dict[tuple[int, str], str] = {}
    for line, qty in wanted:
        serials = parse_serials(typed.get(line.id, ""))
        if not line.product.requires_serial:
            if serials:
                raise DomainError(_("%(name)s has no serial numbers: leave its serial box empty.",
                                    name=line.product_name), field="serials")
            continue
        if not serials:
            raise DomainError(_("%(name)s needs a serial number for each piece: scan or type %(n)s.",
                                name=line.product_name, n=plain_number(qty)), field="serials")
        if len(serials) != qty:
            raise DomainError(_("%(name)s: %(qty)s handed over, but %(n)d serial numbers typed — one per piece.",
                                name=line.product_name, qty=plain_number(qty), n=len(serials)), field="serials")
        for serial in serials:
            key = (line.product_id, serial)
            if key in seen:
                raise DomainError(_("Serial %(serial)s is typed twice in this handover.", serial=serial),
                                  field="serials")
            seen[key] = serial
            earlier = live(session, line.product_id, serial)
            if earlier is not None:
                raise Conflict(_sold_message(earlier))
        out[line.id] = serials
    return out


def record_serials(session: Session, pickup: Pickup, voucher: Voucher,
                   checked: dict[int, list[str]]) -> list[SoldSerial]:
    """Write the checked serials of a handover with their warranty. The partial unique index has the
    last word: another tablet handing over the same serial at this moment makes this one a 409."""
    if not checked:
        return []
    lines = {line.id: line for line in voucher.lines}
    today = local_today()
    now = utcnow()
    rows = []
    for line_id, serials in checked.items():
        line = lines[line_id]
        months = line.product.warranty_months or 0
        for serial in serials:
            rows.append(SoldSerial(product_id=line.product_id, serial=serial, voucher_id=voucher.id,
                                   voucher_line_id=line.id, pickup_id=pickup.id, customer_id=voucher.customer_id,
                                   handed_over_at=now, handed_over_on=today, warranty_months=months,
                                   warranty_until=warranty_until(today, months)))
    try:
        with session.begin_nested():
            session.add_all(rows)
            session.flush()
    except IntegrityError:
        session.expire_all()
        for row in rows:
            earlier = live(session, row.product_id, row.serial)
            if earlier is not None and earlier.pickup_id != pickup.id:
                raise Conflict(_sold_message(earlier)) from None
        raise Conflict(_("One of these serial numbers was just handed over on another tablet: check them.")) from None
    return rows


# ------------------------------------------------------------------ reading
def find_sold(session: Session, serial_text, *, product_id: int | None = None) -> SoldSerial | None:
    """The piece sold with this serial and not returned (the newest when two products share the
    serial and no ``product_id`` is given), or None. ``serial_text`` is normalised here."""
    serial = normalise_serial(serial_text)
    if not serial:
        return None
    stmt = select(SoldSerial).where(SoldSerial.serial == serial, SoldSerial.returned_at.is_(None))
    if product_id is not None:
        stmt = stmt.where(SoldSerial.product_id == product_id)
    return session.scalar(stmt.order_by(SoldSerial.id.desc()).limit(1))


def search(session: Session, serial_text, limit: int = 50) -> list[SoldSerial]:
    """Every sale of a serial (the live one first, then returned ones, newest first)."""
    serial = normalise_serial(serial_text)
    if not serial:
        return []
    return list(session.scalars(select(SoldSerial).where(SoldSerial.serial == serial)
                                .order_by(SoldSerial.returned_at.is_not(None), SoldSerial.id.desc()).limit(limit)))


def serials_by_line(session: Session, voucher_id: int, *, pickup_id: int | None = None) -> dict[int, list[str]]:
    """Voucher line id → the serials handed over (of one pickup if given), not returned, in order."""
    stmt = select(SoldSerial.voucher_line_id, SoldSerial.serial).where(SoldSerial.voucher_id == voucher_id,
                                                                      SoldSerial.returned_at.is_(None))
    if pickup_id is not None:
        stmt = stmt.where(SoldSerial.pickup_id == pickup_id)
    out: dict[int, list[str]] = {}
    for line_id, serial in session.execute(stmt.order_by(SoldSerial.id)):
        out.setdefault(line_id, []).append(serial)
    return out


def of_customer(session: Session, customer_id: int, limit: int = 200) -> list[SoldSerial]:
    return list(session.scalars(select(SoldSerial).where(SoldSerial.customer_id == customer_id)
                                .order_by(SoldSerial.id.desc()).limit(limit)))


@dataclass
class Lookup:
    """One row of the serial search, as shown."""

    row: SoldSerial
    under_warranty: bool


def look_up(session: Session, serial_text) -> list[Lookup]:
    today = local_today()
    return [Lookup(row, row.under_warranty(today)) for row in search(session, serial_text)]


# ------------------------------------------------------------------ refunds free the serial
def release_for_refund(session: Session, voucher: Voucher, refunded: list[tuple[VoucherLine, Decimal]],
                       already: dict[int, Decimal], typed: dict | None, *, refund_id: int) -> list[SoldSerial]:
    """A refund of serial pieces frees their serials (``returned_at``). Called by the cashier's refund
    under the voucher's lock. ``refunded``: (line, quantity refunded now); ``already``: line id → the
    quantity refunded before; ``typed``: line id → the serials the cashier typed as coming back.

    Pieces never handed over are refunded first (they are still in the shop). Past them the pieces
    come back from the customer: when every live serial of the line comes back they are freed
    without asking; otherwise the cashier types which ones (one per piece), each a live serial of
    this line."""
    typed = {int(k): v for k, v in (typed or {}).items() if str(k).isdecimal()}
    freed: list[SoldSerial] = []
    now = utcnow()
    for line, qty in refunded:
        box = parse_serials(typed.get(line.id, "")) if typed.get(line.id, "").strip() else []
        if not line.product.requires_serial:
            if box:
                raise DomainError(_("%(name)s has no serial numbers: leave its serial box empty.",
                                    name=line.product_name), field="serials")
            continue
        rows = list(session.scalars(select(SoldSerial).where(SoldSerial.voucher_line_id == line.id,
                                                             SoldSerial.returned_at.is_(None))
                                    .order_by(SoldSerial.id).with_for_update()))
        not_handed = line.quantity - already.get(line.id, Decimal("0")) - len(rows)
        coming_back = int(max(Decimal("0"), qty - max(not_handed, Decimal("0"))))
        if coming_back == 0 and not box:
            continue
        by_serial = {row.serial: row for row in rows}
        if not box and coming_back == len(rows):
            chosen = rows
        else:
            if len(box) != coming_back:
                raise DomainError(_("%(name)s: %(n)d piece(s) come back from the customer: type their serial "
                                    "numbers, one per piece (%(typed)d typed).", name=line.product_name,
                                    n=coming_back, typed=len(box)), field="serials")
            if len(set(box)) != len(box):
                raise DomainError(_("A serial number is typed twice."), field="serials")
            unknown = [s for s in box if s not in by_serial]
            if unknown:
                raise DomainError(_("Serial %(serial)s was not handed over on this line (or came back already).",
                                    serial=unknown[0]), field="serials")
            chosen = [by_serial[s] for s in box]
        for row in chosen:
            row.returned_at = now
            row.refund_id = refund_id
            freed.append(row)
    return freed
