"""Takings summed by business day along the dashboards' dimensions (tender, clerk, product,
category, hour of day), per showroom.

A day's takings are what was paid in it, less what was refunded in it and less the cheques found
bounced in it: a correction is counted on the day it is recorded, never in the day of the original
payment, so a signed-off day keeps its figures (and its Z report) for good. Because of that, the
sums of a signed-off day are written once, at sign-off (:func:`store_day`, table ``takings_fact``),
and the dashboards read them from there; days not signed off yet are summed live from the payments.
Both paths go through :func:`live_day`, so they cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ..cashier.models import ChequeClearance, Payment, Refund, RefundLine, Shift, Tender
from ..catalog.models import Category, Product
from ..clock import to_local
from ..sales.models import Voucher, VoucherLine
from ..shop import services as shop
from ..shop.models import Station
from ..staff.models import Staff
from .models import TakingsFact

#: a product as the tables show it: its name and model (two fridges may share a name)
_NAME = VoucherLine.product_name + " " + VoucherLine.model
DIMENSIONS = ("tender", "clerk", "product", "category", "hour")
ZERO = Decimal("0.00")
NO_QTY = Decimal("0.000")


@dataclass
class Cell:
    label: str = ""
    amount: Decimal = ZERO
    quantity: Decimal = NO_QTY
    count: int = 0

    def add(self, amount: Decimal, quantity: Decimal = NO_QTY, count: int = 0, label: str = "") -> None:
        self.amount += amount
        self.quantity += quantity
        self.count += count
        if label and not self.label:
            self.label = label


#: (showroom id, dimension, key) → sums
Cells = dict[tuple[int | None, str, str], Cell]


def _main_showroom_id(session: Session) -> int | None:
    room = shop.showroom(session)
    return room.id if room is not None else None


def live_day(session: Session, day: date, *, lines: bool = True) -> Cells:
    """Sum one business day from the payments, refunds and bounced cheques recorded in it. Without
    ``lines`` the voucher lines are not read: no product or category cells and no pieces, only the
    amounts by tender, hour and clerk (what the appraisal needs, at a fraction of the cost)."""
    start, end = shop.business_day_bounds(session, day)
    main = _main_showroom_id(session)
    cells: Cells = defaultdict(Cell)

    def put(room, dimension, key, amount, quantity=NO_QTY, count=0, label=""):
        cells[(room or main, dimension, str(key))].add(amount, quantity, count, label)

    clerk = aliased(Staff)
    in_day = (Payment.at >= start) & (Payment.at < end)
    # payments taken in the day (a later bounce is a correction of its own day, below)
    payments = session.execute(
        select(Payment.id, Payment.at, Payment.amount_due, Payment.change_given, Station.showroom_id,
               Voucher.clerk_id, clerk.full_name)
        .join(Shift, Payment.shift_id == Shift.id).join(Station, Shift.station_id == Station.id)
        .outerjoin(Voucher, Payment.voucher_id == Voucher.id).outerjoin(clerk, Voucher.clerk_id == clerk.id)
        .where(in_day)).all()
    room_of = {}
    for pid, at, due, _change, room, clerk_id, clerk_name in payments:
        room_of[pid] = room
        put(room, "hour", f"{to_local(at).hour:02d}", due, count=1)
        if clerk_id is not None:
            put(room, "clerk", clerk_id, due, count=1, label=clerk_name)
    change = {pid: ch for pid, _at, _due, ch, *_ in payments}
    for pid, kind, amount in session.execute(
            select(Tender.payment_id, Tender.kind, Tender.amount).join(Payment, Tender.payment_id == Payment.id)
            .where(in_day)):
        if kind == "cash":
            amount -= change.get(pid, ZERO)
            change[pid] = ZERO  # change comes out of the cash once
        put(room_of.get(pid), "tender", kind, amount, count=1)
    # the lines of the vouchers paid, summed in the database by showroom, product and clerk
    for row in [] if not lines else session.execute(
            select(VoucherLine.product_id, func.max(VoucherLine.brand_name), func.max(_NAME),
                   Product.category_id, func.max(Category.name), func.sum(VoucherLine.quantity),
                   func.sum(VoucherLine.amount), Station.showroom_id, Voucher.clerk_id, func.max(clerk.full_name))
            .join(Payment, Payment.voucher_id == VoucherLine.voucher_id)
            .join(Voucher, VoucherLine.voucher_id == Voucher.id).join(clerk, Voucher.clerk_id == clerk.id)
            .join(Shift, Payment.shift_id == Shift.id).join(Station, Shift.station_id == Station.id)
            .join(Product, VoucherLine.product_id == Product.id)
            .outerjoin(Category, Product.category_id == Category.id)
            .where(in_day)
            .group_by(Station.showroom_id, VoucherLine.product_id, Product.category_id, Voucher.clerk_id)):
        _put_line(put, row[7], row, 1, (row[8], row[9]))

    # refunds recorded in the day
    refunds = session.execute(
        select(Refund.id, Refund.at, Refund.amount, Station.showroom_id, Voucher.clerk_id, clerk.full_name)
        .join(Shift, Refund.shift_id == Shift.id).join(Station, Shift.station_id == Station.id)
        .join(Voucher, Refund.voucher_id == Voucher.id).join(clerk, Voucher.clerk_id == clerk.id)
        .where(Refund.at >= start, Refund.at < end)).all()
    refund_room, refund_clerk = {}, {}
    for rid, at, amount, room, clerk_id, clerk_name in refunds:
        refund_room[rid], refund_clerk[rid] = room, (clerk_id, clerk_name)
        put(room, "tender", "refund", -amount, count=1)
        put(room, "hour", f"{to_local(at).hour:02d}", -amount)
        put(room, "clerk", clerk_id, -amount, label=clerk_name)
    if refunds and lines:
        for row in session.execute(
                select(RefundLine.refund_id, VoucherLine.product_id, VoucherLine.brand_name,
                       _NAME, Product.category_id, Category.name, RefundLine.quantity,
                       RefundLine.amount)
                .join(VoucherLine, RefundLine.voucher_line_id == VoucherLine.id)
                .join(Product, VoucherLine.product_id == Product.id)
                .outerjoin(Category, Product.category_id == Category.id)
                .join(Refund, RefundLine.refund_id == Refund.id).where(Refund.at >= start, Refund.at < end)):
            _put_line(put, refund_room.get(row[0]), row[1:], -1, refund_clerk.get(row[0]))

    # cheques found bounced in the day: their whole payment is taken back
    bounced = session.execute(
        select(Payment.id, ChequeClearance.at, Payment.amount_due, Station.showroom_id, Voucher.clerk_id,
               clerk.full_name, Payment.voucher_id)
        .join(Tender, ChequeClearance.tender_id == Tender.id).join(Payment, Tender.payment_id == Payment.id)
        .join(Shift, Payment.shift_id == Shift.id).join(Station, Shift.station_id == Station.id)
        .outerjoin(Voucher, Payment.voucher_id == Voucher.id).outerjoin(clerk, Voucher.clerk_id == clerk.id)
        .where(ChequeClearance.outcome == "bounced", ChequeClearance.at >= start, ChequeClearance.at < end)).all()
    for _pid, at, due, room, clerk_id, clerk_name, voucher_id in bounced:
        put(room, "tender", "bounced", -due, count=1)
        put(room, "hour", f"{to_local(at).hour:02d}", -due)
        if clerk_id is not None:
            put(room, "clerk", clerk_id, -due, label=clerk_name)
        if voucher_id is not None and lines:
            for row in session.execute(_lines().where(VoucherLine.voucher_id == voucher_id)):
                _put_line(put, room, row, -1, (clerk_id, clerk_name))
    return dict(cells)


def _lines():
    return (select(VoucherLine.product_id, VoucherLine.brand_name, _NAME, Product.category_id,
                   Category.name, VoucherLine.quantity, VoucherLine.amount)
            .join(Product, VoucherLine.product_id == Product.id)
            .outerjoin(Category, Product.category_id == Category.id))


def _put_line(put, room, row, sign: int, clerk: tuple[int | None, str] | None = None) -> None:
    """A voucher line (or the refunded part of one) into product, category and the clerk's pieces."""
    product_id, brand, name, category_id, category, quantity, amount = row[:7]
    if clerk is not None and clerk[0] is not None:
        put(room, "clerk", clerk[0], ZERO, sign * quantity, label=clerk[1])
    name = name.strip()
    label = name if name.startswith(brand) else f"{brand} {name}".strip()  # 海信立柜式空调, not 海信 海信…
    put(room, "product", product_id, sign * amount, sign * quantity, label=label)
    put(room, "category", category_id if category_id is not None else "", sign * amount, sign * quantity,
        label=category or "")


def is_stored(session: Session, day: date) -> bool:
    return session.scalar(select(TakingsFact.id).where(TakingsFact.day == day, TakingsFact.dimension == "day")
                          .limit(1)) is not None


def store_day(session: Session, day: date) -> int:
    """Write a signed-off day's sums (once; a second call changes nothing). Returns the rows written."""
    if is_stored(session, day):
        return 0
    rows = [{"day": day, "showroom_id": room, "dimension": dimension, "key": key, "label": cell.label[:200],
             "amount": cell.amount, "quantity": cell.quantity, "count": cell.count}
            for (room, dimension, key), cell in live_day(session, day).items()]
    rows.append({"day": day, "showroom_id": None, "dimension": "day", "key": "", "label": "",
                 "amount": ZERO, "quantity": NO_QTY, "count": 0})
    session.execute(TakingsFact.__table__.insert(), rows)
    return len(rows)


def day_cells(session: Session, day: date) -> Cells:
    """A day's sums: stored if the day is signed off and summed, else live."""
    if not is_stored(session, day):
        return live_day(session, day)
    cells: Cells = {}
    for room, dimension, key, label, amount, quantity, count in session.execute(
            select(TakingsFact.showroom_id, TakingsFact.dimension, TakingsFact.key, TakingsFact.label,
                   TakingsFact.amount, TakingsFact.quantity, TakingsFact.count)
            .where(TakingsFact.day == day, TakingsFact.dimension != "day")):
        cells[(room, dimension, key)] = Cell(label, amount, quantity, count)
    return cells


def collapse(cells: Cells, dimension: str, showroom_id: int | None = None) -> dict[str, Cell]:
    """One dimension's cells summed over showrooms (or of one showroom), by key."""
    out: dict[str, Cell] = defaultdict(Cell)
    for (room, dim, key), cell in cells.items():
        if dim == dimension and (showroom_id is None or room == showroom_id):
            out[key].add(cell.amount, cell.quantity, cell.count, cell.label)
    return dict(out)


@dataclass
class RangeSums:
    """A date range's takings: per day, and per key of every dimension."""

    daily: dict[date, Decimal]
    by: dict[str, dict[str, Cell]]


def range_sums(session: Session, first: date, last: date, showroom_id: int | None = None, *,
               lines: bool = True) -> RangeSums:
    """Stored sums of the signed-off days in [first, last], live sums of the others (up to today);
    ``lines=False``: the live days without their voucher lines (see :func:`live_day`)."""
    daily: dict[date, Decimal] = {first + timedelta(days=i): ZERO for i in range((last - first).days + 1)}
    by: dict[str, dict[str, Cell]] = {dimension: defaultdict(Cell) for dimension in DIMENSIONS}
    in_range = TakingsFact.day.between(first, last)
    room = (TakingsFact.showroom_id == showroom_id) if showroom_id is not None else True
    stored = set(session.scalars(select(TakingsFact.day).where(in_range, TakingsFact.dimension == "day")))
    for day, amount in session.execute(
            select(TakingsFact.day, func.sum(TakingsFact.amount))
            .where(in_range, TakingsFact.dimension == "tender", room).group_by(TakingsFact.day)):
        daily[day] = amount
    for dimension, key, label, amount, quantity, count in session.execute(
            select(TakingsFact.dimension, TakingsFact.key, func.max(TakingsFact.label), func.sum(TakingsFact.amount),
                   func.sum(TakingsFact.quantity), func.sum(TakingsFact.count))
            .where(in_range, TakingsFact.dimension.in_(DIMENSIONS), room)
            .group_by(TakingsFact.dimension, TakingsFact.key)):
        by[dimension][key].add(amount, quantity, count, label)
    for day in _live_days(session, first, last, stored):
        cells = live_day(session, day, lines=lines)
        for dimension in DIMENSIONS:
            for key, cell in collapse(cells, dimension, showroom_id).items():
                by[dimension][key].add(cell.amount, cell.quantity, cell.count, cell.label)
                if dimension == "tender":
                    daily[day] += cell.amount
    return RangeSums(daily=daily, by={d: dict(cells) for d, cells in by.items()})


def _live_days(session: Session, first: date, last: date, stored: set[date]) -> Iterable[date]:
    """The days of the range not summed yet, between the first payment ever and today."""
    earliest = session.scalar(select(func.min(Payment.at)))
    if earliest is None:
        return []
    begin = max(first, shop.business_day(session, earliest))
    end = min(last, shop.business_today(session))
    return [begin + timedelta(days=i) for i in range((end - begin).days + 1) if begin + timedelta(days=i) not in stored]
