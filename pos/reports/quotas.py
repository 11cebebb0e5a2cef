"""Sales quotas (销售定额): the manager sets each clerk's (or property agent's) monthly target;
the board shows achievement against it and the KPI thresholds of the sales regulations —
monthly target reached, collection rate (回款率 = paid ÷ written up), new customers per quarter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import case, func, select, type_coerce
from sqlalchemy.orm import Session

from ..audit.services import record
from ..customers.models import Customer
from ..dbtypes import Money
from ..errors import DomainError
from ..money import format_money, parse_money
from ..sales.models import PaymentState, Voucher, VoucherStatus
from ..shop import services as shop
from ..staff.models import Staff, StaffRole
from ..text import DECIMAL_RE, INT_RE, parse_id, parse_int, plain
from . import takings
from .models import Quota

MAX_TARGET = Decimal("100000000")  # ￥1 亿 a month: anything above is a typing slip
MAX_UNITS = 100000
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return (self.next().first - timedelta(days=1))

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    @property
    def quarter_first(self) -> date:
        return date(self.year, (self.month - 1) // 3 * 3 + 1, 1)


def parse_month(session: Session, raw: str | None) -> Month:
    """``YYYY-MM``; nothing: this month. Years outside 2000 to next year are refused."""
    today = shop.business_today(session)
    if not raw:
        return Month(today.year, today.month)
    try:
        year, month = (int(x) for x in plain(raw).split("-") if INT_RE.fullmatch(x) and len(x) <= 4)
        if not 1 <= month <= 12:
            raise ValueError
    except ValueError:
        raise DomainError(_("Not a month: %(value)s (use YYYY-MM).", value=raw[:20]), field="month") from None
    if year < 2000 or year > today.year + 1:
        raise DomainError(_("%(value)s is outside the years this shop keeps (2000 to next year).",
                            value=raw[:20]), field="month")
    return Month(year, month)


def set_quota(session: Session, staff_id: int, month: Month, amount: str, units: str, *, manager: Staff) -> Quota:
    """Set (or change) a person's target for a month: an amount in yuan and, optionally, units.
    The person's row is locked first (FOR NO KEY UPDATE): two managers setting the same target at
    once are ordered, the second changes the first's row instead of failing on the unique key."""
    person = session.get(Staff, staff_id, with_for_update={"key_share": True})
    if person is None or not person.active:
        raise DomainError(_("No such member of staff."), field="amount")
    try:
        target = parse_money(amount)
    except ValueError:
        raise DomainError(_("A target is an amount in yuan, such as 150000."), field="amount") from None
    if target < 0:
        raise DomainError(_("A target cannot be negative."), field="amount")
    if target >= MAX_TARGET:
        raise DomainError(_("A monthly target is below %(max)s.", max=format_money(MAX_TARGET)), field="amount")
    pieces = None
    if (units or "").strip():
        try:  # any script's digits; '²' passes isdigit and fails int
            pieces = parse_int(units, minimum=0, maximum=MAX_UNITS)
        except DomainError:
            raise DomainError(_("Units are a whole number from 0 to %(max)d.", max=MAX_UNITS), field="units") from None
    quota = session.scalar(select(Quota).where(Quota.staff_id == person.id, Quota.month == str(month)))
    before = "" if quota is None else f"{format_money(quota.amount)} / {quota.units or '—'} → "
    if quota is None:
        quota = Quota(staff_id=person.id, month=str(month), amount=target, units=pieces, set_by_id=manager.id)
        session.add(quota)
    else:
        quota.amount, quota.units, quota.set_by_id = target, pieces, manager.id
    session.flush()
    record(session, "reports.quota_set", actor=manager, record=quota,
           summary=f"{person.full_name} {month}: {before}{format_money(target)} / {pieces or '—'}")
    return quota


@dataclass(frozen=True)
class Thresholds:
    achievement: Decimal  # % of the monthly target
    collection_rate: Decimal  # %
    new_customers: int  # per quarter


def thresholds(session: Session) -> Thresholds:
    def number(key: str) -> Decimal:
        try:
            return Decimal(shop.get_setting(session, key))
        except InvalidOperation:
            return Decimal(shop.DEFAULTS[key])

    return Thresholds(number("kpi.achievement"), number("kpi.collection_rate"),
                      int(number("kpi.new_customers_quarter")))


def set_thresholds(session: Session, achievement: str, collection_rate: str, new_customers: str, *,
                   manager: Staff) -> Thresholds:
    values = {}
    for key, raw, low, high in (("kpi.achievement", achievement, 1, 1000),
                                ("kpi.collection_rate", collection_rate, 0, 100),
                                ("kpi.new_customers_quarter", new_customers, 0, 10000)):
        try:
            value = Decimal(plain(raw)) if DECIMAL_RE.fullmatch(plain(raw)) else None
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or not low <= value <= high or (
                key == "kpi.new_customers_quarter" and value != value.to_integral_value()):
            raise DomainError(_("%(what)s is a number from %(low)d to %(high)d.", what=_kpi_names()[key],
                                low=low, high=high), field=key)
        values[key] = value
    before = thresholds(session)
    for key, value in values.items():
        shop.set_setting(session, key, str(value.normalize() if value == value.to_integral_value() else value))
    after = thresholds(session)
    record(session, "reports.kpi_set", actor=manager,
           summary=f"{before.achievement}% {before.collection_rate}% {before.new_customers} → "
                   f"{after.achievement}% {after.collection_rate}% {after.new_customers}")
    return after


def _kpi_names() -> dict[str, str]:
    return {"kpi.achievement": _("Target reached"), "kpi.collection_rate": _("Collection rate"),
            "kpi.new_customers_quarter": _("New customers per quarter")}


@dataclass
class BoardRow:
    staff: Staff
    quota: Quota | None
    achieved: Decimal
    pieces: Decimal
    due: Decimal  # written up this month (not cancelled)
    collected: Decimal  # of which paid
    new_customers: int  # this quarter, up to the month's end

    @property
    def achievement(self) -> Decimal | None:
        if self.quota is None or not self.quota.amount:
            return None
        return (self.achieved * HUNDRED / self.quota.amount).quantize(Decimal("0.1"))

    @property
    def units_achievement(self) -> Decimal | None:
        if self.quota is None or not self.quota.units:
            return None
        return (self.pieces * HUNDRED / self.quota.units).quantize(Decimal("0.1"))

    @property
    def collection_rate(self) -> Decimal | None:
        return (self.collected * HUNDRED / self.due).quantize(Decimal("0.1")) if self.due else None


@dataclass
class Board:
    month: Month
    rows: list[BoardRow]
    thresholds: Thresholds

    def above(self, row: BoardRow) -> dict[str, bool | None]:
        """Each KPI: reached (True), missed (False) or not measurable (None)."""
        t = self.thresholds
        return {
            "achievement": None if row.achievement is None else row.achievement >= t.achievement,
            "units": None if row.units_achievement is None else row.units_achievement >= t.achievement,
            "collection": None if row.collection_rate is None else row.collection_rate >= t.collection_rate,
            "customers": row.new_customers >= t.new_customers,
        }


def board(session: Session, month: Month) -> Board:
    today = shop.business_today(session)
    last = min(month.last, today)
    by_clerk = takings.range_sums(session, month.first, last).by["clerk"] if last >= month.first else {}
    quotas = {q.staff_id: q for q in session.scalars(select(Quota).where(Quota.month == str(month)))}
    clerks = set(session.scalars(select(StaffRole.staff_id).where(StaffRole.role == "clerk")))
    ids = clerks | set(quotas) | {parse_id(k) for k in by_clerk if parse_id(k)}
    people = [p for p in session.scalars(select(Staff).where(Staff.id.in_(ids)).order_by(Staff.staff_no))
              if p.active or p.id in quotas or str(p.id) in by_clerk]
    written = (Voucher.business_day >= month.first) & (Voucher.business_day <= month.last) & (
        Voucher.status == VoucherStatus.WRITTEN_UP)
    collection = {clerk_id: (due, paid) for clerk_id, due, paid in session.execute(
        select(Voucher.clerk_id, func.sum(Voucher.total),
               type_coerce(func.sum(case((Voucher.payment_state == PaymentState.PAID, Voucher.total), else_=0)), Money))
        .where(written).group_by(Voucher.clerk_id))}
    start = shop.business_day_bounds(session, month.quarter_first)[0]
    end = shop.business_day_bounds(session, month.last)[1]
    registered = dict(session.execute(
        select(Customer.created_by_id, func.count(Customer.id))
        .where(Customer.created_at >= start, Customer.created_at < end, Customer.created_by_id.is_not(None))
        .group_by(Customer.created_by_id)).all())
    # property sales: the agents' schedule items and deposits due this month, and what came in
    from ..property import collections as property_collections

    for agent_id, (due, paid) in property_collections.by_agent(session, month.first, month.last).items():
        shop_due, shop_paid = collection.get(agent_id, (None, None))
        collection[agent_id] = ((shop_due or Decimal("0.00")) + due, (shop_paid or Decimal("0.00")) + paid)
        if agent_id not in {p.id for p in people}:
            people.append(session.get(Staff, agent_id))
    rows = []
    for person in people:
        cell = by_clerk.get(str(person.id))
        due, paid = collection.get(person.id, (None, None))
        rows.append(BoardRow(
            staff=person, quota=quotas.get(person.id),
            achieved=cell.amount if cell else Decimal("0.00"), pieces=cell.quantity if cell else Decimal("0"),
            due=due or Decimal("0.00"), collected=paid or Decimal("0.00"), new_customers=registered.get(person.id, 0)))
    rows.sort(key=lambda r: (-(r.achievement if r.achievement is not None else Decimal(-1)), -r.achieved))
    return Board(month=month, rows=rows, thresholds=thresholds(session))



def to_xlsx(board: Board):
    """The board as a workbook: one row a person, the thresholds on top."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = str(board.month)
    t = board.thresholds
    sheet.append([f"{_('Sales quotas')} {board.month}", f"{_('Target reached')} ≥ {t.achievement}%",
                  f"{_('Collection rate')} ≥ {t.collection_rate}%",
                  f"{_('New customers per quarter')} ≥ {t.new_customers}"])
    sheet.append([_("Staff no."), _("Clerk"), _("Monthly target"), _("Achieved"), "%", _("Target units"),
                  _("Pieces"), _("Collection rate") + " %", _("New customers (quarter)")])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in board.rows:
        sheet.append([row.staff.staff_no, row.staff.full_name, row.quota.amount if row.quota else None, row.achieved,
                      row.achievement, row.quota.units if row.quota else None, row.pieces, row.collection_rate,
                      row.new_customers])
        for cell in sheet[sheet.max_row][2:4]:
            cell.number_format = "#,##0.00"
    for column, width in zip("ABCDEFGHI", (10, 12, 16, 16, 8, 10, 10, 14, 14), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out
