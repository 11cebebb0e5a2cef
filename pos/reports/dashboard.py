"""The manager's dashboard: takings over a date range by day, hour of day, product, clerk and
tender, for all showrooms or one; every chart has its table and an .xlsx export."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..cashier.services import TENDER_LABELS
from ..errors import DomainError
from ..shop import services as shop
from ..shop.models import Showroom
from ..text import parse_id
from . import takings

MAX_DAYS = 366
QUICK_RANGES = (7, 30, 90, 365)
TOP_PRODUCTS = 10
TABLES = ("daily", "hourly", "products", "clerks", "tenders")


@dataclass
class Row:
    label: str
    amount: Decimal
    quantity: Decimal | None = None
    count: int | None = None


@dataclass
class Dashboard:
    first: date
    last: date
    showroom: Showroom | None
    showrooms: list[Showroom]
    daily: list[Row]
    hourly: list[Row]
    products: list[Row]
    clerks: list[Row]
    tenders: list[Row]

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def total(self) -> Decimal:
        return sum((r.amount for r in self.daily), Decimal("0.00"))

    @property
    def payments(self) -> int:
        return sum(r.count or 0 for r in self.hourly)


def parse_range(session: Session, first: date | None, last: date | None, days: str | None) -> tuple[date, date]:
    """The range asked for: ``days`` (the last 7/30/90/365 days up to today) or ``first``–``last``;
    nothing: the last 30 days. Reversed, longer than a year or outside 2000–next year: refused."""
    today = shop.business_today(session)
    if days:
        if parse_id(days) not in QUICK_RANGES:  # '²' passes isdigit and fails int
            raise DomainError(_("Choose 7, 30, 90 or 365 days."), field="days")
        return today - timedelta(days=parse_id(days) - 1), today
    last = last or today
    first = first or last - timedelta(days=29)
    for day in (first, last):
        if day.year < 2000 or day.year > today.year + 1:
            raise DomainError(_("%(day)s is outside the years this shop keeps (2000 to next year).",
                                day=day.isoformat()), field="first")
    if first > last:
        raise DomainError(_("The range starts (%(first)s) after it ends (%(last)s).",
                            first=first.isoformat(), last=last.isoformat()), field="first")
    if (last - first).days + 1 > MAX_DAYS:
        raise DomainError(_("Choose at most %(n)d days at a time.", n=MAX_DAYS), field="first")
    return first, last


def showroom_arg(session: Session, raw: str | None) -> Showroom | None:
    if not raw:
        return None
    room = session.get(Showroom, parse_id(raw)) if parse_id(raw) else None
    if room is None:
        raise DomainError(_("No such showroom."), field="showroom")
    return room


def tender_label(kind: str) -> str:
    if kind == "refund":
        return _("Refunds")
    if kind == "bounced":
        return _("Bounced cheques")
    return str(TENDER_LABELS.get(kind, kind))


def build(session: Session, first: date, last: date, showroom: Showroom | None = None) -> Dashboard:
    sums = takings.range_sums(session, first, last, showroom.id if showroom is not None else None)
    by = sums.by
    hours = by["hour"]
    busy = sorted(int(h) for h in hours) or [9, 21]
    hourly = [Row(f"{h:02d}", hours[f"{h:02d}"].amount if f"{h:02d}" in hours else Decimal("0.00"),
                  count=hours[f"{h:02d}"].count if f"{h:02d}" in hours else 0)
              for h in range(min(busy[0], 9), max(busy[-1], 21) + 1)]
    products = sorted(by["product"].values(), key=lambda c: (-c.amount, c.label))[:TOP_PRODUCTS]
    clerks = sorted(by["clerk"].values(), key=lambda c: (-c.amount, c.label))
    order = {k: i for i, k in enumerate(("cash", "wechat", "alipay", "card", "cheque", "refund", "bounced"))}
    tenders = sorted(by["tender"].items(), key=lambda kv: order.get(kv[0], 99))
    return Dashboard(
        first=first, last=last, showroom=showroom,
        showrooms=list(session.scalars(select(Showroom).order_by(Showroom.id))),
        daily=[Row(day.isoformat(), amount) for day, amount in sorted(sums.daily.items())],
        hourly=hourly,
        products=[Row(c.label, c.amount, quantity=c.quantity) for c in products],
        clerks=[Row(c.label, c.amount, quantity=c.quantity, count=c.count) for c in clerks],
        tenders=[Row(tender_label(k), c.amount, count=c.count) for k, c in tenders],
    )


def headers() -> dict[str, list[str]]:
    return {
        "daily": [_("Business day"), _("Takings (yuan)")],
        "hourly": [_("Hour"), _("Takings (yuan)"), _("Payments")],
        "products": [_("Product"), _("Takings (yuan)"), _("Quantity")],
        "clerks": [_("Clerk"), _("Takings (yuan)"), _("Pieces"), _("Payments")],
        "tenders": [_("Tender"), _("Takings (yuan)"), _("Payments")],
    }


def titles() -> dict[str, str]:
    return {"daily": _("Takings per day"), "hourly": _("By hour of day"), "products": _("Top products"),
            "clerks": _("By clerk"), "tenders": _("By tender")}


def table_rows(board: Dashboard, table: str) -> list[list]:
    rows = getattr(board, table)
    if table == "daily":
        return [[r.label, r.amount] for r in rows]
    if table == "hourly":
        return [[f"{r.label}:00", r.amount, r.count] for r in rows]
    if table == "products":
        return [[r.label, r.amount, r.quantity] for r in rows]
    if table == "clerks":
        return [[r.label, r.amount, r.quantity, r.count] for r in rows]
    return [[r.label, r.amount, r.count] for r in rows]


def to_xlsx(board: Dashboard, tables: tuple[str, ...] = TABLES) -> io.BytesIO:
    """The tables as a workbook, one sheet each; amounts as exact numbers with two decimals."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    names, heads = titles(), headers()
    room = board.showroom.name if board.showroom is not None else _("All showrooms")
    for table in tables:
        sheet = book.create_sheet(names[table][:31])
        sheet.append([f"{names[table]} · {board.first.isoformat()} – {board.last.isoformat()} · {room}"])
        sheet.append(heads[table])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table_rows(board, table):
            sheet.append(row)  # Decimal goes in as an exact number
            for cell in sheet[sheet.max_row][1:]:
                if isinstance(cell.value, Decimal):
                    cell.number_format = "#,##0.00" if cell.column == 2 else "#,##0.###"
        sheet.column_dimensions["A"].width = 28
        for column in "BCD":
            sheet.column_dimensions[column].width = 16
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out
