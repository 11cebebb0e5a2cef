"""The monthly appraisal (绩效考核) and its bonus, and the yearly view.

Per person, for a month (or a year): net sales against the target (the quotas), new customers
(against the quarter's target), retention (of the customers who bought from them in the previous
period, the share who bought again in this one), the collection rate (retail vouchers written up in
the period and paid; property deposits and schedule items due and collected), the satisfaction rate
of the return visits and the after-sales tickets resolved on time — each against the KPI thresholds
the manager sets (settings ``kpi.*``).

The bonus (settings ``bonus.*``): ``bonus.sales_rate`` % of net sales, plus, on the part of net sales
above the target, that rate again increased by ``bonus.excess_extra`` % (超额奖励 20–30 %); less the
collision deductions ruled in the month (撞单扣罚: each ruling's percentage of the bonus, at most all
of it); plus the manager's adjustments, each a row with its reason. Rounded half-up to the fen.

A month is computed on demand until the manager approves it; approving stores every person's line
and the rules then in force, and from then on the month is read from those rows and cannot change.
Adjusting and approving lock the month's row (FOR UPDATE) and check again under the lock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..audit.services import KIND_LABELS, record
from ..customers.models import Customer
from ..dbtypes import Money, utcnow
from ..errors import Conflict, DomainError, Forbidden
from ..money import FEN, format_money, parse_money, plain_number
from ..sales.models import PaymentState, Voucher, VoucherStatus
from ..shop import services as shop
from ..staff.models import Staff, StaffRole
from ..text import DECIMAL_RE, check_text, plain
from . import takings
from .appraisal_models import AppraisalAdjustment, AppraisalLine, AppraisalMonth
from .models import Quota
from .quotas import Month, parse_month  # noqa: F401  (parse_month: the views parse a month here)

KIND_LABELS.update({
    "reports.appraisal_rules_set": _l("Appraisal thresholds and bonus rules set"),
    "reports.appraisal_adjusted": _l("Appraisal bonus adjusted"),
    "reports.appraisal_approved": _l("Appraisal month approved"),
    "reports.appraisal_exported": _l("Appraisal exported for payroll"),
})

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
ONE_DECIMAL = Decimal("0.1")
MAX_ADJUSTMENT = Decimal("1000000")
BOUGHT = (PaymentState.PAID, PaymentState.AWAITING_CLEARANCE)

#: every setting the appraisal screen edits: key → (lowest, highest, whole numbers only)
RULE_RANGES = {
    "kpi.achievement": (Decimal(1), Decimal(1000), False),
    "kpi.new_customers_quarter": (Decimal(0), Decimal(10000), True),
    "kpi.retention": (Decimal(0), Decimal(100), False),
    "kpi.collection_rate": (Decimal(0), Decimal(100), False),
    "kpi.satisfaction": (Decimal(0), Decimal(100), False),
    "kpi.tickets_on_time": (Decimal(0), Decimal(100), False),
    "bonus.sales_rate": (Decimal(0), Decimal(10), False),
    "bonus.excess_extra": (Decimal(0), Decimal(100), False),
}


def rule_names() -> dict[str, str]:
    return {
        "kpi.achievement": _("Target reached (%)"),
        "kpi.new_customers_quarter": _("New customers per quarter"),
        "kpi.retention": _("Customer retention (%)"),
        "kpi.collection_rate": _("Collection rate (%)"),
        "kpi.satisfaction": _("Satisfaction rate (%)"),
        "kpi.tickets_on_time": _("Tickets resolved on time (%)"),
        "bonus.sales_rate": _("Bonus rate on net sales (%)"),
        "bonus.excess_extra": _("Extra on sales above target (%)"),
    }


@dataclass(frozen=True)
class Rules:
    achievement: Decimal
    new_customers: int  # a quarter
    retention: Decimal
    collection_rate: Decimal
    satisfaction: Decimal
    tickets_on_time: Decimal
    sales_rate: Decimal
    excess_extra: Decimal

    def as_json(self) -> str:
        return json.dumps({k: str(v) for k, v in self.__dict__.items()}, sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> Rules:
        data = json.loads(raw)
        return cls(**{k: (int(v) if k == "new_customers" else Decimal(v)) for k, v in data.items()})


def _number(session: Session, key: str) -> Decimal:
    try:
        value = Decimal(shop.get_setting(session, key))
    except InvalidOperation:
        value = Decimal(shop.DEFAULTS[key])
    low, high, _whole = RULE_RANGES[key]
    return value if value.is_finite() and low <= value <= high else Decimal(shop.DEFAULTS[key])


def rules(session: Session) -> Rules:
    n = {key: _number(session, key) for key in RULE_RANGES}
    return Rules(achievement=n["kpi.achievement"], new_customers=int(n["kpi.new_customers_quarter"]),
                 retention=n["kpi.retention"], collection_rate=n["kpi.collection_rate"],
                 satisfaction=n["kpi.satisfaction"], tickets_on_time=n["kpi.tickets_on_time"],
                 sales_rate=n["bonus.sales_rate"], excess_extra=n["bonus.excess_extra"])


def set_rules(session: Session, typed: dict[str, str], *, manager: Staff) -> Rules:
    """The manager sets the thresholds and bonus rates; every value is checked against its range
    before any is saved (one out of range: nothing changes)."""
    if not manager.has_role("manager"):
        raise Forbidden(_("Only the manager sets the appraisal rules."))
    names = rule_names()
    values: dict[str, Decimal] = {}
    for key, (low, high, whole) in RULE_RANGES.items():
        raw = plain(typed.get(key, ""))
        try:
            value = Decimal(raw) if DECIMAL_RE.fullmatch(raw) else None
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or not low <= value <= high or (
                whole and value != value.to_integral_value()) or value.as_tuple().exponent < -2:
            raise DomainError(_("%(what)s is a number from %(low)s to %(high)s.", what=names[key],
                                low=low, high=high), field=key)
        values[key] = value
    before = rules(session)
    for key, value in values.items():
        shop.set_setting(session, key, plain_number(value))
    after = rules(session)
    changed = [f"{names[k]} {_shown(getattr(before, f))} → {_shown(getattr(after, f))}"
               for k, f in _FIELDS.items() if getattr(before, f) != getattr(after, f)]
    record(session, "reports.appraisal_rules_set", actor=manager, summary="; ".join(changed) or "—")
    return after


_FIELDS = {"kpi.achievement": "achievement", "kpi.new_customers_quarter": "new_customers",
           "kpi.retention": "retention", "kpi.collection_rate": "collection_rate",
           "kpi.satisfaction": "satisfaction", "kpi.tickets_on_time": "tickets_on_time",
           "bonus.sales_rate": "sales_rate", "bonus.excess_extra": "excess_extra"}


def _shown(value) -> str:
    return plain_number(value) if isinstance(value, Decimal) else str(value)


def rule_values(r: Rules) -> dict[str, str]:
    """The rules as the form shows them, by setting key."""
    return {key: _shown(getattr(r, f)) for key, f in _FIELDS.items()}


# ------------------------------------------------------------------ measures
def _pct(part, whole) -> Decimal | None:
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(ONE_DECIMAL) if whole else None


@dataclass
class Sheet:
    """One person's appraisal for a period."""

    staff: Staff
    target: Decimal | None = None
    net_sales: Decimal = ZERO
    new_customers: int = 0
    new_customers_target: int = 0
    retained: int = 0
    retention_base: int = 0
    due: Decimal = ZERO
    collected: Decimal = ZERO
    survey: tuple[int, int] | None = None  # (answers, satisfied); None: no data
    tickets: tuple[int, int] | None = None  # (resolved, on time); None: no data
    deduction_pct: int = 0
    sales_bonus: Decimal = ZERO
    excess_bonus: Decimal = ZERO
    deduction: Decimal = ZERO
    adjustment: Decimal = ZERO
    adjustments: list[AppraisalAdjustment] = field(default_factory=list)

    @property
    def achievement(self) -> Decimal | None:
        return _pct(self.net_sales, self.target) if self.target else None

    @property
    def excess(self) -> Decimal:
        return max(self.net_sales - self.target, ZERO) if self.target else ZERO

    @property
    def retention(self) -> Decimal | None:
        return _pct(self.retained, self.retention_base)

    @property
    def collection_rate(self) -> Decimal | None:
        return _pct(self.collected, self.due)

    @property
    def satisfaction(self) -> Decimal | None:
        return _pct(self.survey[1], self.survey[0]) if self.survey else None

    @property
    def on_time(self) -> Decimal | None:
        return _pct(self.tickets[1], self.tickets[0]) if self.tickets else None

    @property
    def computed_bonus(self) -> Decimal:
        return self.sales_bonus + self.excess_bonus - self.deduction

    @property
    def bonus(self) -> Decimal:
        return self.computed_bonus + self.adjustment

    def marks(self, r: Rules, quarters: int = 1) -> dict[str, bool | None]:
        """Each KPI: reached (True), missed (False), not measurable (None)."""
        def at_least(value, threshold):
            return None if value is None else value >= threshold

        return {
            "achievement": at_least(self.achievement, r.achievement),
            "customers": self.new_customers >= self.new_customers_target,
            "retention": at_least(self.retention, r.retention),
            "collection": at_least(self.collection_rate, r.collection_rate),
            "satisfaction": at_least(self.satisfaction, r.satisfaction),
            "tickets": at_least(self.on_time, r.tickets_on_time),
        }


@dataclass
class Appraisal:
    label: str  # 2026-11 or 2026
    first: date
    last: date
    sheets: list[Sheet]
    rules: Rules
    month: AppraisalMonth | None = None  # the month's row, once adjusted or approved
    survey_source: bool = False  # the return visits' measure exists
    tickets_source: bool = False  # the after-sales tickets' measure exists
    is_year: bool = False

    @property
    def approved(self) -> bool:
        return self.month is not None and self.month.approved_at is not None

    @property
    def total_bonus(self) -> Decimal:
        return sum((s.bonus for s in self.sheets), ZERO)

    def sheet_of(self, staff_id: int) -> Sheet | None:
        return next((s for s in self.sheets if s.staff.id == staff_id), None)


def _survey_source():
    """The return visits' satisfaction per person, where the after-sales domain has it."""
    try:
        from ..aftersales import visits as source
    except ImportError:
        try:
            from ..aftersales import survey as source
        except ImportError:
            return None
    return getattr(source, "satisfaction_by_person", None)


def _tickets_source():
    try:
        from ..aftersales import tickets as source
    except ImportError:
        return None
    return getattr(source, "resolved_on_time", None)


def _months(first: date, last: date) -> tuple[str, str]:
    return f"{first.year:04d}-{first.month:02d}", f"{last.year:04d}-{last.month:02d}"


def _retention(session: Session, previous: tuple[date, date], first: date, last: date) -> dict[int, tuple[int, int]]:
    """Per clerk: (customers who bought from them in ``previous`` and again in [first, last], customers
    who bought from them in ``previous``) — counted in the database in one pass over both periods'
    vouchers (read through the business-day index), never pair by pair."""
    before = (Voucher.business_day >= previous[0]) & (Voucher.business_day <= previous[1])
    now = (Voucher.business_day >= first) & (Voucher.business_day <= last)
    pairs = (select(Voucher.clerk_id.label("clerk_id"),
                    func.max(case((before, 1), else_=0)).label("was"),
                    func.max(case((now, 1), else_=0)).label("is_"))
             .where(before | now, Voucher.status == VoucherStatus.WRITTEN_UP, Voucher.payment_state.in_(BOUGHT),
                    Voucher.customer_id.is_not(None))
             .group_by(Voucher.clerk_id, Voucher.customer_id).subquery())
    rows = session.execute(select(pairs.c.clerk_id, func.sum(pairs.c.was), func.sum(pairs.c.was * pairs.c.is_))
                           .group_by(pairs.c.clerk_id))
    return {clerk_id: (int(retained or 0), int(base or 0)) for clerk_id, base, retained in rows if base}


def measure(session: Session, first: date, last: date, previous: tuple[date, date], customers_from: date,
            quarters: int, r: Rules, label: str) -> Appraisal:
    """Every person's measures for the period [first, last] (shop days); ``previous`` is the period
    retention looks back to, ``customers_from`` where new customers are counted from (the quarter's
    start for a month), ``quarters`` how many quarters' new-customer targets apply."""
    today = shop.business_today(session)
    upto = min(last, today)
    # amounts only: the live days' voucher lines (products, pieces) are not needed here
    by_clerk = takings.range_sums(session, first, upto, lines=False).by["clerk"] if upto >= first else {}
    first_month, last_month = _months(first, last)
    targets: dict[int, Decimal] = dict(session.execute(
        select(Quota.staff_id, type_coerce(func.sum(Quota.amount), Money))
        .where(Quota.month >= first_month, Quota.month <= last_month).group_by(Quota.staff_id)).all())
    written = (Voucher.business_day >= first) & (Voucher.business_day <= last) & (
        Voucher.status == VoucherStatus.WRITTEN_UP)
    collection = {clerk_id: (due or ZERO, paid or ZERO) for clerk_id, due, paid in session.execute(
        select(Voucher.clerk_id, func.sum(Voucher.total),
               type_coerce(func.sum(case((Voucher.payment_state == PaymentState.PAID, Voucher.total), else_=0)), Money))
        .where(written).group_by(Voucher.clerk_id))}
    from ..property import collections as property_collections

    for agent_id, (due, paid) in property_collections.by_agent(session, first, last).items():
        shop_due, shop_paid = collection.get(agent_id, (ZERO, ZERO))
        collection[agent_id] = (shop_due + due, shop_paid + paid)
    start = shop.business_day_bounds(session, customers_from)[0]
    end = shop.business_day_bounds(session, last)[1]
    registered = dict(session.execute(
        select(Customer.created_by_id, func.count(Customer.id))
        .where(Customer.created_at >= start, Customer.created_at < end, Customer.created_by_id.is_not(None))
        .group_by(Customer.created_by_id)).all())
    retention = _retention(session, previous, first, last)
    survey_fn, tickets_fn = _survey_source(), _tickets_source()
    period_start = shop.business_day_bounds(session, first)[0]
    survey = survey_fn(session, period_start, end) if survey_fn else {}
    tickets = tickets_fn(session, period_start, end) if tickets_fn else {}
    from ..customers import ownership

    deductions = ownership.collision_deductions(session, period_start, end)

    clerks = set(session.scalars(select(StaffRole.staff_id).where(StaffRole.role == "clerk")))
    sold = {int(k) for k in by_clerk if k.isdigit()} | set(targets) | set(collection)
    others = set(registered) | set(deductions) | set(retention) | set(survey) | set(tickets)
    # everyone who sold, had a target or money due; the active clerks; the active with anything else
    people = [p for p in session.scalars(select(Staff).where(Staff.id.in_(clerks | sold | others))
                                         .order_by(Staff.staff_no))
              if p.id in sold or (p.active and (p.id in clerks or p.id in others))]
    sheets = []
    for person in people:
        cell = by_clerk.get(str(person.id))
        due, paid = collection.get(person.id, (ZERO, ZERO))
        retained, base = retention.get(person.id, (0, 0))
        s = Sheet(staff=person, target=targets.get(person.id) or None, net_sales=cell.amount if cell else ZERO,
                  new_customers=registered.get(person.id, 0), new_customers_target=r.new_customers * quarters,
                  retained=retained, retention_base=base, due=due,
                  collected=min(paid, due), deduction_pct=deductions.get(person.id, 0))
        if survey_fn:
            s.survey = tuple(survey.get(person.id, (0, 0)))
            if not s.survey[0]:
                s.survey = None
        if tickets_fn:
            s.tickets = tuple(tickets.get(person.id, (0, 0)))
            if not s.tickets[0]:
                s.tickets = None
        _bonus(s, r)
        sheets.append(s)
    return Appraisal(label, first, last, sheets, r, survey_source=survey_fn is not None,
                     tickets_source=tickets_fn is not None)


def _bonus(s: Sheet, r: Rules) -> None:
    base = max(s.net_sales, ZERO)
    s.sales_bonus = (base * r.sales_rate / HUNDRED).quantize(FEN, rounding=ROUND_HALF_UP)
    s.excess_bonus = (s.excess * r.sales_rate / HUNDRED * r.excess_extra / HUNDRED).quantize(
        FEN, rounding=ROUND_HALF_UP)
    pct = min(s.deduction_pct, 100)
    s.deduction = ((s.sales_bonus + s.excess_bonus) * pct / HUNDRED).quantize(FEN, rounding=ROUND_HALF_UP)


def _row(session: Session, month: Month) -> AppraisalMonth | None:
    return session.scalar(select(AppraisalMonth).where(AppraisalMonth.month == str(month)))


def month_appraisal(session: Session, month: Month) -> Appraisal:
    """The month's appraisal: the stored lines once approved, else computed now with the adjustments."""
    row = _row(session, month)
    if row is not None and row.approved_at is not None:
        return _frozen(session, month, row)
    r = rules(session)
    quarter_start = month.quarter_first
    appraisal = measure(session, month.first, month.last, (month.previous().first, month.previous().last),
                        quarter_start, 1, r, str(month))
    appraisal.month = row
    if row is not None:
        _apply_adjustments(session, appraisal, row)
    return appraisal


def _apply_adjustments(session: Session, appraisal: Appraisal, row: AppraisalMonth) -> None:
    adjustments = session.scalars(select(AppraisalAdjustment).where(AppraisalAdjustment.month_id == row.id)
                                  .order_by(AppraisalAdjustment.id)).all()
    by_staff = {s.staff.id: s for s in appraisal.sheets}
    for a in adjustments:
        sheet = by_staff.get(a.staff_id)
        if sheet is None:  # adjusted, then left the list (e.g. no longer a clerk): still on the sheet
            sheet = by_staff[a.staff_id] = Sheet(staff=session.get(Staff, a.staff_id),
                                                 new_customers_target=appraisal.rules.new_customers)
            appraisal.sheets.append(sheet)
        sheet.adjustments.append(a)
        sheet.adjustment += a.amount


def _frozen(session: Session, month: Month, row: AppraisalMonth) -> Appraisal:
    r = Rules.from_json(row.rules)
    sheets = []
    for line in session.scalars(select(AppraisalLine).where(AppraisalLine.month_id == row.id)):
        sheets.append(Sheet(
            staff=line.staff, target=line.target, net_sales=line.net_sales, new_customers=line.new_customers,
            new_customers_target=r.new_customers, retained=line.retained, retention_base=line.retention_base,
            due=line.due, collected=line.collected,
            survey=None if line.survey_answers is None else (line.survey_answers, line.survey_satisfied),
            tickets=None if line.tickets_resolved is None else (line.tickets_resolved, line.tickets_on_time),
            deduction_pct=line.deduction_pct, sales_bonus=line.sales_bonus, excess_bonus=line.excess_bonus,
            deduction=line.deduction, adjustment=line.adjustment))
    sheets.sort(key=lambda s: s.staff.staff_no)
    appraisal = Appraisal(str(month), month.first, month.last, sheets, r, month=row,
                          survey_source=any(s.survey for s in sheets) or _survey_source() is not None,
                          tickets_source=any(s.tickets for s in sheets) or _tickets_source() is not None)
    for a in session.scalars(select(AppraisalAdjustment).where(AppraisalAdjustment.month_id == row.id)
                             .order_by(AppraisalAdjustment.id)):
        sheet = appraisal.sheet_of(a.staff_id)
        if sheet is not None:
            sheet.adjustments.append(a)
    return appraisal


def year_appraisal(session: Session, year: int) -> Appraisal:
    """The year: measures over the whole year (retention against the year before, new customers
    against four quarters' target); the bonus is what the approved months gave."""
    today = shop.business_today(session)
    if not 2000 <= year <= today.year + 1:
        raise DomainError(_("%(value)s is outside the years this shop keeps (2000 to next year).", value=year),
                          field="year")
    first, last = date(year, 1, 1), date(year, 12, 31)
    r = rules(session)
    appraisal = measure(session, first, last, (date(year - 1, 1, 1), date(year - 1, 12, 31)), first, 4, r, str(year))
    appraisal.is_year = True
    bonuses = dict(session.execute(
        select(AppraisalLine.staff_id, type_coerce(func.sum(AppraisalLine.bonus), Money))
        .join(AppraisalMonth, AppraisalLine.month_id == AppraisalMonth.id)
        .where(AppraisalMonth.month >= f"{year:04d}-01", AppraisalMonth.month <= f"{year:04d}-12")
        .group_by(AppraisalLine.staff_id)).all())
    for s in appraisal.sheets:  # approved months' bonus, as paid: computed figures are not a year's pay
        s.sales_bonus, s.excess_bonus, s.deduction = bonuses.get(s.staff.id) or ZERO, ZERO, ZERO
    return appraisal


def approved_months(session: Session, year: int) -> list[str]:
    return list(session.scalars(select(AppraisalMonth.month).where(
        AppraisalMonth.month >= f"{year:04d}-01", AppraisalMonth.month <= f"{year:04d}-12",
        AppraisalMonth.approved_at.is_not(None)).order_by(AppraisalMonth.month)))


# ------------------------------------------------------------------ the manager's changes
def _lock_month(session: Session, month: Month) -> AppraisalMonth:
    """The month's row, made if missing (a unique key: two tablets making it at once make one), then
    locked FOR UPDATE and read again under the lock."""
    row = _row(session, month)
    if row is None:
        try:
            with session.begin_nested():
                session.add(AppraisalMonth(month=str(month), rules=""))
                session.flush()
        except IntegrityError:
            pass  # the other tablet made it: lock theirs
    row = session.scalar(select(AppraisalMonth).where(AppraisalMonth.month == str(month))
                         .with_for_update(of=AppraisalMonth).execution_options(populate_existing=True))
    return row


def _refuse_if_approved(row: AppraisalMonth, month: Month) -> None:
    if row.approved_at is not None:
        raise Conflict(_("The appraisal of %(month)s was approved by %(name)s on %(day)s: it cannot change.",
                         month=str(month), name=row.approved_by.full_name if row.approved_by else "—",
                         day=row.approved_at.date().isoformat()))


def adjust(session: Session, month: Month, staff_id: int, amount: str, reason: str, *,
           manager: Staff) -> AppraisalAdjustment:
    """The manager changes a person's bonus for the month by an amount (+ or −) with a reason."""
    if not manager.has_role("manager"):
        raise Forbidden(_("Only the manager adjusts a bonus."))
    try:
        value = parse_money(amount)
    except ValueError:
        raise DomainError(_("An adjustment is an amount in yuan, such as 200 or -150.50."), field="amount") from None
    if value == 0 or abs(value) > MAX_ADJUSTMENT:
        raise DomainError(_("An adjustment is not zero and at most %(max)s either way.",
                            max=format_money(MAX_ADJUSTMENT)), field="amount")
    reason = check_text(reason, label=_("Reason"), max_len=500, field="reason")
    if len(reason) < 2:
        raise DomainError(_("Say why the bonus is adjusted."), field="reason")
    row = _lock_month(session, month)
    _refuse_if_approved(row, month)
    appraisal = month_appraisal(session, month)
    sheet = appraisal.sheet_of(staff_id)
    if sheet is None:
        raise DomainError(_("%(month)s has no appraisal for this person.", month=str(month)), field="amount")
    if sheet.bonus + value < 0:
        raise DomainError(_("The bonus would go below zero (it is %(bonus)s now).", bonus=format_money(sheet.bonus)),
                          field="amount")
    adjustment = AppraisalAdjustment(month_id=row.id, staff_id=staff_id, amount=value, reason=reason.strip(),
                                     by_id=manager.id, at=utcnow())
    session.add(adjustment)
    session.flush()
    record(session, "reports.appraisal_adjusted", actor=manager, record=adjustment, reason=reason.strip(),
           summary=f"{sheet.staff.full_name} {month}: "
                   f"{format_money(sheet.bonus)} → {format_money(sheet.bonus + value)}")
    return adjustment


def approve(session: Session, month: Month, *, manager: Staff) -> AppraisalMonth:
    """The manager approves the month once it is over: every line is stored and frozen."""
    if not manager.has_role("manager"):
        raise Forbidden(_("Only the manager approves the appraisal."))
    if month.last >= shop.business_today(session):
        raise DomainError(_("%(month)s is not over yet: approve it once it has ended.", month=str(month)),
                          field="month")
    row = _lock_month(session, month)
    _refuse_if_approved(row, month)
    appraisal = month_appraisal(session, month)
    for s in appraisal.sheets:
        session.add(AppraisalLine(
            month_id=row.id, staff_id=s.staff.id, target=s.target, net_sales=s.net_sales,
            new_customers=s.new_customers, retained=s.retained, retention_base=s.retention_base, due=s.due,
            collected=s.collected, survey_answers=s.survey[0] if s.survey else None,
            survey_satisfied=s.survey[1] if s.survey else None, tickets_resolved=s.tickets[0] if s.tickets else None,
            tickets_on_time=s.tickets[1] if s.tickets else None, sales_bonus=s.sales_bonus,
            excess_bonus=s.excess_bonus, deduction_pct=s.deduction_pct, deduction=s.deduction,
            adjustment=s.adjustment, bonus=s.bonus))
    row.approved_by_id, row.approved_at, row.rules = manager.id, utcnow(), appraisal.rules.as_json()
    session.flush()
    record(session, "reports.appraisal_approved", actor=manager, record=row,
           summary=f"{month}: {len(appraisal.sheets)} people, {format_money(appraisal.total_bonus)}")
    return row


# ------------------------------------------------------------------ payroll workbook
def payroll_xlsx(session: Session, appraisal: Appraisal, *, manager: Staff):
    """The month's bonuses for payroll as .xlsx — the manager's, written to the audit log."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    if not manager.has_role("manager"):
        raise Forbidden(_("Only the manager exports the appraisal."))
    book = Workbook()
    sheet = book.active
    sheet.title = appraisal.label
    state = _("Approved (frozen)") if appraisal.approved else _("Draft (not approved)")
    sheet.append([_("Appraisal"), appraisal.label, state])
    sheet.append([_("Staff no."), _("Person appraised"), _("Monthly target"), _("Net sales"),
                  _("Target reached") + " %", _("Bonus on sales"), _("Bonus above target"),
                  _("Collision deduction"), _("Adjustments"), _("Bonus")])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for s in appraisal.sheets:
        sheet.append([s.staff.staff_no, s.staff.full_name, s.target, s.net_sales, s.achievement, s.sales_bonus,
                      s.excess_bonus, -s.deduction, s.adjustment, s.bonus])
    sheet.append(["", _("Total"), None, None, None, None, None, None, None, appraisal.total_bonus])
    for row in sheet.iter_rows(min_row=3, min_col=3, max_col=10):
        for cell in row:
            if cell.column != 5:
                cell.number_format = "#,##0.00"
    for column, width in zip("ABCDEFGHIJ", (10, 12, 14, 14, 10, 14, 14, 14, 12, 14), strict=True):
        sheet.column_dimensions[column].width = width
    record(session, "reports.appraisal_exported", actor=manager,
           summary=f"{appraisal.label}: {len(appraisal.sheets)} people, "
                   f"{format_money(appraisal.total_bonus)} ({state})")
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


# ------------------------------------------------------------------ dashboard comparisons
@dataclass
class Compared:
    name: str
    now: Decimal | None
    month_before: Decimal | None  # the same length of time just before (环比)
    year_before: Decimal | None  # the same dates a year earlier (同比)
    is_money: bool = False
    is_pct: bool = False

    @staticmethod
    def _change(now, then) -> Decimal | None:
        if now is None or then is None or not then:
            return None
        return ((now - then) * HUNDRED / abs(then)).quantize(ONE_DECIMAL)

    @property
    def mom(self) -> Decimal | None:
        return self._change(self.now, self.month_before)

    @property
    def yoy(self) -> Decimal | None:
        return self._change(self.now, self.year_before)


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def comparisons(session: Session, first: date, last: date, showroom_id: int | None = None,
                takings_now: Decimal | None = None) -> list[Compared]:
    """Takings, customers (distinct buyers) and the satisfaction rate of [first, last] beside the
    period of the same length just before it (环比) and the same dates a year earlier (同比).
    ``takings_now``: the period's takings when the caller has them already (the dashboard)."""
    length = (last - first).days + 1
    periods = [(first, last), (first - timedelta(days=length), first - timedelta(days=1)),
               (_year_earlier(first), _year_earlier(last))]
    takings_total, buyers, satisfaction = [], [], []
    survey_fn = _survey_source()
    for i, (a, b) in enumerate(periods):
        if i == 0 and takings_now is not None:
            takings_total.append(takings_now)
        else:
            sums = takings.range_sums(session, a, b, showroom_id, lines=False)
            takings_total.append(sum(sums.daily.values(), ZERO))
        query = (select(func.count(func.distinct(Voucher.customer_id)))
                 .where(Voucher.business_day >= a, Voucher.business_day <= b,
                        Voucher.status == VoucherStatus.WRITTEN_UP, Voucher.payment_state.in_(BOUGHT)))
        buyers.append(Decimal(session.scalar(query) or 0))
        if survey_fn is None:
            satisfaction.append(None)
        else:
            start, end = shop.business_day_bounds(session, a)[0], shop.business_day_bounds(session, b)[1]
            answers = satisfied = 0
            for n, ok in survey_fn(session, start, end).values():
                answers, satisfied = answers + n, satisfied + ok
            satisfaction.append(_pct(satisfied, answers))
    return [Compared(_("Net takings"), *takings_total, is_money=True),
            Compared(_("Customers who bought"), *buyers),
            Compared(_("Satisfaction rate"), *satisfaction, is_pct=True)]
