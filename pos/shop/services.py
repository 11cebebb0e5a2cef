"""Shop settings and gapless numbering."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import stamps, tx
from ..clock import format_local, shop_zone, to_local
from ..dbtypes import utcnow
from ..errors import DomainError
from ..staff.models import Staff
from ..text import parse_id
from .models import Counter, DaySignOff, Setting, Showroom, Station

NO_DAY = date(2000, 1, 1)

#: settings with their defaults; the manager's settings screen edits these
DEFAULTS = {
    "discount_limit.clerk": "10",  # % below list price a clerk may give without approval
    "discount_limit.cashier": "0",
    "discount_limit.manager": "100",
    "discount_limit.delivery": "0",
    "invoice.prefix": "FP{year}",  # invoice series; {year} becomes the year of issue
    "invoice.vat": "1",  # 1: the shop is set up for VAT (tax rate and tax on invoices)
    "day.boundary": "04:00",  # a business day runs from this local time to the same time next day
    # KPI thresholds of the sales regulations (quota board): % of the monthly target, collection rate
    # (回款率, % of what was written up that is paid), new customers a clerk registers per quarter
    "kpi.achievement": "100",
    "kpi.collection_rate": "90",
    "kpi.new_customers_quarter": "10",
    # appraisal (绩效考核): % of last month's customers who bought again, % satisfied answers, % of
    # after-sales tickets resolved on time; the bonus: % of net sales, and % more on what exceeds the target
    "kpi.retention": "85",
    "kpi.satisfaction": "90",
    "kpi.tickets_on_time": "90",
    "bonus.sales_rate": "1",
    "bonus.excess_extra": "25",
    "cash.max_tendered": "1000000",  # the most cash one payment may hand over (what a drawer can hold)
    "announce.language": "zh_CN",  # the language the customer hears 唱收唱找 in, whatever the cashier reads
    # after-sales: a return visit (回访) this many days after the goods reached the customer or a ticket was
    # resolved; the shop's address on the LAN that the receipt's survey QR points at ("" prints no QR)
    "aftersales.return_visit_days": "3",
    "aftersales.survey_base_url": "",
}

#: the languages of the announcement (唱收唱找), each named in itself
ANNOUNCE_LANGUAGES = {"zh_CN": "中文", "en": "English"}


def _settings(session: Session) -> dict:
    """The shop's settings as this transaction sees them (key → stored value; a key not stored takes
    its default): every one read with the first, in one statement, and kept for the transaction — a
    payment read four of them, each in a statement of its own. ``set_setting`` makes the next read
    read them again (the new value flushed first)."""
    known = tx.memo(session, "pos_settings")
    if not known:
        # kept by this worker between requests until a setting changes (pos.stamps, kind "settings"); a
        # transaction that changed one reads its own. The whole table (a few dozen rows): binding every
        # key of DEFAULTS costs more than the rows
        known.update(stamps.remembered(session, "settings", None, lambda: {
            k: v for k, v in session.execute(select(Setting.key, Setting.value)) if k in DEFAULTS}))
        known[_READ] = True
    return known


_READ = object()  # marks the memo as read (a shop with no stored setting has an empty one)
stamps.watch(Setting, "settings", lambda row: row.key in DEFAULTS)  # not the spooler's heartbeat


def get_setting(session: Session, key: str) -> str:
    value = _settings(session).get(key)
    return DEFAULTS[key] if value is None else value


def set_setting(session: Session, key: str, value: str) -> None:
    if key not in DEFAULTS:
        raise DomainError(_("Unknown setting: %(key)s", key=key))
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
    stamps.changed(session, "settings")
    _settings(session).clear()


def announce_language(session: Session) -> str:
    """The shop's language for 唱收唱找 (setting ``announce.language``, default Chinese)."""
    value = get_setting(session, "announce.language")
    return value if value in ANNOUNCE_LANGUAGES else DEFAULTS["announce.language"]


def set_announce_language(session: Session, value: str) -> None:
    value = (value or "").strip()
    if value not in ANNOUNCE_LANGUAGES:
        raise DomainError(_("Choose the language of the announcement from the list."), field="announce_language")
    set_setting(session, "announce.language", value)


def max_cash_tendered(session: Session) -> Decimal:
    """The most cash one payment may hand over (setting ``cash.max_tendered``, yuan)."""
    try:
        value = Decimal(get_setting(session, "cash.max_tendered"))
    except InvalidOperation:
        value = Decimal(DEFAULTS["cash.max_tendered"])
    return value if value.is_finite() and value > 0 else Decimal(DEFAULTS["cash.max_tendered"])


def set_max_cash_tendered(session: Session, value) -> Decimal:
    """Set the most cash one payment may hand over (yuan): from ￥100 to ￥100,000,000."""
    from ..money import parse_money

    try:
        amount = parse_money(value)
    except ValueError:
        amount = None
    if amount is None or not Decimal(100) <= amount <= Decimal(100_000_000):
        raise DomainError(_("The most cash one payment takes is an amount from 100 to 100,000,000 yuan."),
                          field="max_cash_tendered")
    set_setting(session, "cash.max_tendered", str(amount))
    return amount


def discount_limit(session: Session, roles) -> Decimal:
    """The largest discount (percent of list price) this person may give on their own."""
    best = Decimal("0")
    for role in roles:
        key = f"discount_limit.{role}"
        if key in DEFAULTS:
            try:
                best = max(best, Decimal(get_setting(session, key)))
            except InvalidOperation:
                continue
    return best


def set_discount_limit(session: Session, role: str, percent) -> Decimal:
    try:
        value = Decimal(str(percent).strip())
    except InvalidOperation:
        raise DomainError(_("A discount limit is a number from 0 to 100."), field=role) from None
    if not value.is_finite() or value < 0 or value > 100:
        raise DomainError(_("A discount limit is a number from 0 to 100."), field=role)
    set_setting(session, f"discount_limit.{role}", str(value.quantize(Decimal("0.1"))))
    return value


def set_invoice_settings(session: Session, prefix: str, vat: bool) -> None:
    """The invoice series prefix ({year} becomes the year of issue) and whether the shop charges VAT."""
    prefix = (prefix or "").strip()
    if not prefix or len(prefix.replace("{year}", "2026")) > 12 or not all(
            ch.isalnum() or ch in "-_{}" for ch in prefix):
        raise DomainError(_("An invoice prefix is 1 to 12 letters or digits; {year} stands for the year."),
                          field="invoice_prefix")
    set_setting(session, "invoice.prefix", prefix)
    set_setting(session, "invoice.vat", "1" if vat else "0")


def next_number(session: Session, series: str, day: date | None = None) -> int:
    """The next number in a series, without gaps: the increment happens in the
    caller's transaction under the row's write lock (PostgreSQL row lock; the
    SQLite write lock), so a rollback gives the number back and two cashiers
    never get the same one."""
    day = day or NO_DAY
    for _attempt in range(5):
        result = session.execute(
            update(Counter).where(Counter.series == series, Counter.day == day)
            .values(last=Counter.last + 1).returning(Counter.last)
        )
        value = result.scalar()
        if value is not None:
            return int(value)
        try:
            with session.begin_nested():
                session.add(Counter(series=series, day=day, last=1))
            return 1
        except IntegrityError:
            continue  # somebody created the row at the same moment: increment theirs
    raise RuntimeError(f"could not take a number in series {series}")


def day_boundary(session: Session) -> time:
    try:
        hours, minutes = (int(x) for x in get_setting(session, "day.boundary").split(":"))
        return time(hours, minutes)
    except ValueError:
        return time(4, 0)


def business_day(session: Session, instant: datetime | None = None) -> date:
    """The business day an instant belongs to: before the boundary (e.g. 04:00) it is still yesterday."""
    local = to_local(instant or utcnow())
    day = local.date()
    return day - timedelta(days=1) if local.time() < day_boundary(session) else day


def business_today(session: Session) -> date:
    return business_day(session)


def business_day_bounds(session: Session, day: date) -> tuple[datetime, datetime]:
    """The UTC instants a business day starts and ends (boundary to boundary, shop time)."""
    zone = shop_zone()
    start = datetime.combine(day, day_boundary(session), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), day_boundary(session), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


_DAY_LOCK = 0x504F53  # advisory-lock namespace of business days ("POS")


def hold_day(session: Session, day: date, *, exclusive: bool = False) -> None:
    """Order work dated into a business day against its sign-off (PostgreSQL advisory lock, held to
    the end of the transaction): whatever checks that the day is still open and then writes into it
    holds the day shared; the sign-off holds it exclusive — it waits for the work in progress, and
    the work after it sees the day signed off. SQLite: the write lock already orders them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    session.execute(text(f"SELECT {fn}(:ns, :day)"), {"ns": _DAY_LOCK, "day": day.toordinal()})


def day_signed_off(session: Session, day: date, *, hold: bool = True) -> bool:
    """Has the manager signed this business day off (日结)? Then it is frozen. (Holds the day: see
    :func:`hold_day`.) ``hold=False``: only to show or refuse early on a page that writes nothing —
    today's answer as the banner has it (kept by the worker), another day's read without the lock;
    work into the day asks again, holding it."""
    if not hold:
        if day == business_today(session):
            return frozen_today(session, hold=False) is not None
        return session.scalar(select(DaySignOff.id).where(DaySignOff.day == day)) is not None
    known = tx.memo(session, "pos_days_signed_off")  # a page asks two or three times
    if day not in known:
        hold_day(session, day)
        known[day] = session.scalar(select(DaySignOff.id).where(DaySignOff.day == day))
    return known[day] is not None


def forget_sign_offs(session: Session) -> None:
    """After writing a sign-off: this transaction's memo of open days no longer holds."""
    tx.memo(session, "pos_days_signed_off").clear()
    tx.memo(session, "pos_days_seen").clear()


class FrozenDay:
    """Today's business day, signed off (日结): when, by whom, and when the next business day starts —
    what the counter and the cash desk say up front, and the message of every refusal into it."""

    def __init__(self, session: Session, sign_off: DaySignOff):
        self.day = sign_off.day
        self.signed_at = sign_off.signed_at
        signer = session.get(Staff, sign_off.signed_by_id)
        self.signed_by = signer.full_name if signer is not None else "?"
        self.next_starts = business_day_bounds(session, sign_off.day)[1]

    @property
    def message(self) -> str:
        return _("Business day %(day)s was signed off at %(at)s by %(name)s: nothing more can be written into "
                 "it. The next business day starts at %(next)s.", day=self.day.isoformat(),
                 at=format_local(self.signed_at, "%m-%d %H:%M"), name=self.signed_by,
                 next=format_local(self.next_starts, "%m-%d %H:%M"))


def frozen_today(session: Session, *, hold: bool = True) -> FrozenDay | None:
    """Today's business day if the manager has signed it off, else None. ``hold=False``: only to show
    it (a page's banner) — the day is not held (:func:`hold_day`); work into it checks again, holding it."""
    today = business_today(session)
    held = tx.memo(session, "pos_days_signed_off")
    if held.get(today, 0) is None:
        return None  # this transaction already found it open (and holds it: see hold_day)
    seen = tx.memo(session, "pos_days_seen")
    if hold:
        hold_day(session, today)
    elif today in seen:
        return seen[today]
    elif (kept := stamps.kept(session, "days", today)) is not None:
        seen[today] = kept[0]  # only to show: kept by this worker until a day is signed off (pos.stamps)
        return kept[0]
    under = stamps.token(session, "days")
    row = session.scalar(select(DaySignOff).where(DaySignOff.day == today))
    if hold:
        held[today] = row.id if row is not None else None
    seen[today] = FrozenDay(session, row) if row is not None else None
    stamps.keep(session, "days", today, (seen[today],), under)
    return seen[today]


# what the banner says of a signed-off day: the sign-off, who signed it, when the next day starts
stamps.watch(DaySignOff, "days")
stamps.watch(Setting, "days", lambda row: row.key == "day.boundary")
stamps.watch(Staff, "days")


def check_day_open(session: Session) -> None:
    """Refuse new work into a signed-off day, saying when and by whom it was signed off and when the
    next business day starts (the shop's choice: the day boundary does not move; see the README)."""
    frozen = frozen_today(session)
    if frozen is not None:
        raise DomainError(frozen.message)


def stations(session: Session) -> list[Station]:
    return list(session.scalars(select(Station).where(Station.active.is_(True)).order_by(Station.code)))


def showroom(session: Session) -> Showroom | None:
    return session.scalar(select(Showroom).order_by(Showroom.id))


def shop_name(session: Session) -> str:
    """The first showroom's name, as receipts and stamped copies print it ('' before there is one): kept
    by this worker until a showroom changes (pos.stamps, kind "showroom")."""
    return stamps.remembered(session, "showroom", "name", lambda: getattr(showroom(session), "name", ""))


stamps.watch(Showroom, "showroom")


def showrooms(session: Session) -> list[Showroom]:
    return list(session.scalars(select(Showroom).order_by(Showroom.id)))


def _code_and_name(code: str, name: str, max_name: int) -> tuple[str, str]:
    code, name = (code or "").strip().upper(), (name or "").strip()
    if not code or len(code) > 20 or not all(ch.isalnum() or ch in "-_" for ch in code):
        raise DomainError(_("A code is 1 to 20 letters or digits."), field="code")
    if not name or len(name) > max_name:
        raise DomainError(_("A name has 1 to %(n)d characters.", n=max_name), field="name")
    return code, name


def add_showroom(session: Session, code: str, name: str, address: str = "") -> Showroom:
    """Another showroom of the shop (the first one's name heads receipts and invoices)."""
    code, name = _code_and_name(code, name, 100)
    if session.scalar(select(Showroom.id).where(Showroom.code == code)) is not None:
        raise DomainError(_("The code %(code)s is taken.", code=code), field="code")
    room = Showroom(code=code, name=name, address=(address or "").strip()[:200])
    session.add(room)
    session.flush()
    return room


def add_station(session: Session, code: str, name: str, showroom_id: str | int | None = None) -> Station:
    code, name = _code_and_name(code, name, 60)
    if session.scalar(select(Station.id).where(Station.code == code)) is not None:
        raise DomainError(_("The code %(code)s is taken.", code=code), field="code")
    station = Station(code=code, name=name)
    session.add(station)
    session.flush()
    set_station_showroom(session, station, showroom_id)
    return station


def set_station_showroom(session: Session, station: Station, showroom_id: str | int | None) -> None:
    """Which showroom a cash station stands in (its takings count there on the dashboard)."""
    if showroom_id in (None, ""):
        station.showroom_id = None
        return
    room = session.get(Showroom, parse_id(showroom_id)) if parse_id(showroom_id) else None
    if room is None:
        raise DomainError(_("No such showroom."), field="showroom")
    station.showroom_id = room.id
