"""A year of shop history for benchmarks, generated fast.

:func:`generate_history` fills a migrated database that has the demo data loaded
(:func:`pos.demo.load_demo`) with closed shifts, written-up and cancelled vouchers with
their lines, payments and tenders, cheques with their clearances, a few refunds, shift
reviews, day sign-offs and Z reports — as the app would have written them, day after day.

Speed: rows are built as plain tuples of what the columns hold (money in integer fen,
quantities in thousandths, naive UTC datetimes), so no ``TypeDecorator`` runs per value,
and written in chunks: on SQLite with the driver's ``executemany``, on PostgreSQL with
``COPY`` (psycopg's executemany manages ~40k rows/s on this machine, COPY ~180k).
Ids are assigned here (after each table's current maximum), so lines and payments
point at their vouchers without a round trip; PostgreSQL's sequences are moved past
them at the end. The numbering counters (vouchers per day, Z reports) are left where
the app would have left them.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

CHUNK = 20_000  # voucher lines per write (the other tables in proportion), committed each time
FLOAT_FEN = 100_000  # every shift opens with ￥1,000.00: ten ￥100 notes
OPEN_AT = time(9, 0)  # shifts open at 09:00 and close at 21:30 (shop time)
SHIFT_SECONDS = 12 * 3600 + 1800
SELL_SECONDS = 12 * 3600  # vouchers are written up between 09:00 and 21:00
SIGN_OFF_SECONDS = 13 * 3600 + 600  # the manager signs the day off at 22:10
DENOMINATIONS_FEN = (10000, 5000, 2000, 1000, 500, 100, 50, 10)

CANCELLED = 0.03
UNPAID_ON_OPEN_DAYS = 0.01  # written up on a day not signed off yet, still waiting at the cash desk
REFUNDED = 0.005
BOUNCED = 0.05  # of the cheques
OVER_SHORT = 0.04  # of the shifts: ±￥10.00 in the drawer
PICKUP_PENDING = 0.04  # of the paid vouchers of the last fortnight: goods not collected yet
DISCOUNTED = 0.15  # lines sold 5 % below the list price
WITH_CUSTOMER = 0.35
#: cumulative shares of the ways of paying (kinds as the cashier records them)
KIND_SHARES = (("cash", 0.35), ("wechat", 0.60), ("alipay", 0.80), ("card", 0.98), ("cheque", 1.0))

BANKS = ("中国工商银行", "中国建设银行", "中国银行", "招商银行", "交通银行", "上海浦东发展银行")
DRAWERS = ("上海锦程装饰工程有限公司", "上海华庭物业管理有限公司", "浦东新区金桥家园业主委员会",
           "上海东方明珠酒店管理有限公司", "上海恒润建筑安装有限公司")
CANCEL_REASONS = ("客户改变主意", "型号写错，重新开单", "客户暂不购买", "颜色选错，重新开单")
BOUNCE_NOTE = "存款不足，银行退票"
REFUND_REASON = "质量问题"
OVER_NOTE, SHORT_NOTE = "长款 ￥10.00，已入账", "短款 ￥10.00，收银员已补齐"

#: what is written, in the order it must be written (foreign keys), with the columns given.
#: Every NOT NULL column of the models must be here (checked at start); nullable ones left
#: out are NULL.
COLUMNS: dict[str, tuple[str, ...]] = {
    "shift": ("id", "cashier_id", "station_id", "opened_at", "opening_float", "closed_at", "expected_cash",
              "counted_cash", "over_short", "close_note"),
    "cash_count": ("id", "shift_id", "stage", "denomination", "count"),
    "voucher": ("id", "no", "status", "channel", "clerk_id", "customer_id", "customer_name", "customer_phone",
                "delivery_address", "notes", "total", "checksum", "business_day", "created_at", "written_up_at",
                "cancelled_at", "cancelled_by_id", "cancel_reason", "pay_on_delivery", "payment_state",
                "pickup_state"),
    "voucher_line": ("id", "voucher_id", "position", "product_id", "product_name", "brand_name", "model", "spec",
                     "colour", "unit", "quantity", "list_price", "unit_price", "amount", "vat_rate_bp"),
    "payment": ("id", "once_key", "purpose", "voucher_id", "shift_id", "cashier_id", "at", "amount_due", "received",
                "change_given", "awaiting_clearance", "reversed_at"),
    "tender": ("id", "payment_id", "kind", "amount", "reference", "cheque_bank", "cheque_drawer"),
    "cheque_clearance": ("id", "tender_id", "outcome", "by_id", "at", "note"),
    "refund": ("id", "once_key", "voucher_id", "payment_id", "shift_id", "cashier_id", "approved_by_id", "at",
               "amount", "method", "reason"),
    "refund_line": ("id", "refund_id", "voucher_line_id", "quantity", "amount"),
    "shift_review": ("id", "shift_id", "reviewer_id", "note", "at"),
    "day_sign_off": ("id", "day", "signed_by_id", "signed_at", "note"),
    "z_report": ("id", "no", "day", "signed_by_id", "at"),
    "counter": ("id", "series", "day", "last"),
}


def generate_history(session: Session, *, days: int = 365, vouchers: int = 500_000, lines: int = 2_000_000,
                     end_day: date | None = None, seed: int = 7, signed_through: int = 2) -> dict:
    """Fill the database with ``days`` business days of history ending at ``end_day`` (default:
    the business day before today): ``vouchers`` vouchers with about ``lines`` lines in all, a
    shift per active station and day, every day signed off (reviews, sign-off, Z report) except
    the last ``signed_through``. Commits as it goes. Returns counts of what was written."""
    if days < 1 or vouchers < 0 or lines < 0 or signed_through < 0:
        raise ValueError("days must be at least 1; vouchers, lines and signed_through not negative")
    started = perf_counter()
    history = _History(session, days=days, vouchers=vouchers, lines=lines, end_day=end_day, seed=seed,
                       signed_through=signed_through)
    counts = history.run()
    counts["seconds"] = round(perf_counter() - started, 1)
    print(f"history: {counts['vouchers']:,} vouchers, {counts['lines']:,} lines, {counts['payments']:,} payments "
          f"over {counts['days']} days ({counts['signed_days']} signed off) in {counts['seconds']} s", flush=True)
    counts.update(_store_facts(session, history.signed_days))
    return counts


def _store_facts(session: Session, signed_days: list[date]) -> dict:
    """The dashboards' summary rows of every signed-off day, if the app has them yet."""
    try:
        from pos.reports.takings import store_day
    except ImportError as e:
        print(f"history: no facts stored (pos.reports.takings.store_day: {e})", flush=True)
        return {"facts_days": 0, "facts_seconds": None}
    started = perf_counter()
    for i, day in enumerate(signed_days, start=1):
        store_day(session, day)
        if i % 30 == 0 or i == len(signed_days):
            session.commit()
            print(f"history: facts stored for {i}/{len(signed_days)} days ({perf_counter() - started:.1f} s)",
                  flush=True)
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))
        session.commit()
    seconds = round(perf_counter() - started, 1)
    print(f"history: facts of {len(signed_days)} signed days in {seconds} s", flush=True)
    return {"facts_days": len(signed_days), "facts_seconds": seconds}


# ---------------------------------------------------------------------------------------------- writing
class _Writer:
    """Buffers rows per table and writes them all, in foreign-key order, then commits."""

    def __init__(self, session: Session) -> None:
        self.session = session
        dialect = session.get_bind().dialect
        self.postgres = dialect.name == "postgresql"
        quote = dialect.identifier_preparer.quote
        self.rows: dict[str, list[tuple]] = {name: [] for name in COLUMNS}
        self.written: dict[str, int] = defaultdict(int)
        self.sql = {}
        for name, columns in COLUMNS.items():
            names = ", ".join(quote(c) for c in columns)
            if self.postgres:
                self.sql[name] = f"COPY {quote(name)} ({names}) FROM STDIN"
            else:
                self.sql[name] = f"INSERT INTO {quote(name)} ({names}) VALUES ({', '.join('?' * len(columns))})"

    def timestamp(self):
        """How a naive UTC datetime is given to the driver: SQLite gets SQLAlchemy's own text form."""
        return _identity if self.postgres else _sqlite_timestamp

    def day(self):
        return _identity if self.postgres else date.isoformat

    def flush(self) -> None:
        conn = self.session.connection()
        for name, rows in self.rows.items():
            if not rows:
                continue
            if self.postgres:
                with conn.connection.driver_connection.cursor() as cursor, cursor.copy(self.sql[name]) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                conn.exec_driver_sql(self.sql[name], rows)
            self.written[name] += len(rows)
            rows.clear()
        self.session.commit()


def _identity(value):
    return value


def _sqlite_timestamp(value: datetime) -> str:
    return value.isoformat(" ", "microseconds")  # 2026-11-22 01:00:00.000000, as SQLAlchemy stores it


def _check_columns(tables) -> None:
    """Refuse to start if a model gained a NOT NULL column this generator does not fill."""
    problems = []
    for name, columns in COLUMNS.items():
        table = tables[name]
        problems += [f"{name}.{c}: no such column" for c in columns if c not in table.c]
        problems += [f"{name}.{c.name}: NOT NULL, not generated" for c in table.columns
                     if not c.nullable and c.server_default is None and c.name not in columns]
    if problems:
        raise RuntimeError("bench.history is out of date with the models: " + "; ".join(problems))


def _clock(day: date, zone):
    """Seconds after 09:00 shop time on ``day`` → naive UTC (fast when no clock change falls in the day)."""
    start = datetime.combine(day, OPEN_AT, tzinfo=zone)
    if start.utcoffset() == datetime.combine(day, time(23, 0), tzinfo=zone).utcoffset():
        base = start.astimezone(UTC).replace(tzinfo=None)
        return lambda seconds: base + timedelta(seconds=seconds)
    return lambda seconds: (start + timedelta(seconds=seconds)).astimezone(UTC).replace(tzinfo=None)


def _notes(fen: int) -> list[tuple[int, int]]:
    out = []
    for denomination in DENOMINATIONS_FEN:
        n, fen = divmod(fen, denomination)
        if n:
            out.append((denomination, n))
    return out  # what is left (under ￥0.10) is not counted, as at the cash desk


def _spread(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights``, exactly (largest remainders)."""
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: shares[i] - counts[i], reverse=True)
    for i in by_remainder[:total - sum(counts)]:
        counts[i] += 1
    return counts


def _day_weight(day: date, rng: random.Random) -> float:
    weight = (0.9, 0.85, 0.9, 0.95, 1.05, 1.45, 1.35)[day.weekday()]
    if day.month == 10 and day.day <= 7:  # National Day golden week
        weight *= 1.6
    elif (day.month == 6 and 10 <= day.day <= 18) or (day.month == 11 and day.day <= 11):  # 618, Double 11
        weight *= 1.3
    return weight * rng.uniform(0.85, 1.15)


# ---------------------------------------------------------------------------------------------- the history
class _History:
    def __init__(self, session: Session, *, days: int, vouchers: int, lines: int, end_day: date | None, seed: int,
                 signed_through: int) -> None:
        from pos.clock import shop_zone
        from pos.sales.models import Voucher
        from pos.shop import services as shop

        _check_columns(Voucher.__table__.metadata.tables)
        self.session = session
        self.rng = random.Random(seed)
        today = shop.business_today(session)
        self.end_day = end_day or today - timedelta(days=1)
        if self.end_day >= today:
            raise ValueError(f"end_day {self.end_day} is not before today's business day {today}: history only")
        if shop.day_boundary(session) > OPEN_AT:
            raise ValueError("the business day starts after 09:00 (setting day.boundary): shifts would fall "
                             "into the day before")
        self.first_day = self.end_day - timedelta(days=days - 1)
        self.days = [self.first_day + timedelta(days=i) for i in range(days)]
        self.signed_days = self.days[:max(0, days - signed_through)]
        self.n_vouchers = vouchers
        self.mean_lines = min(7.0, max(1.0, lines / vouchers)) if vouchers else 4.0
        self.zone = shop_zone()
        self.now = datetime.now(UTC).replace(tzinfo=None)
        self.writer = _Writer(session)
        self.ts = self.writer.timestamp()
        self.iso_day = self.writer.day()
        self._load()

    # ------------------------------------------------------------------ what is there already
    def _load(self) -> None:
        from pos.cashier.models import Shift
        from pos.catalog.models import Brand, Product
        from pos.customers.models import Customer
        from pos.money import to_fen
        from pos.reports.models import ZReport
        from pos.shop import services as shop
        from pos.shop.models import Counter, DaySignOff, Station
        from pos.staff.models import Staff, StaffRole

        session = self.session
        roles: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for staff_id, staff_no, role in session.execute(
                select(Staff.id, Staff.staff_no, StaffRole.role).join(StaffRole, StaffRole.staff_id == Staff.id)
                .where(Staff.active.is_(True)).order_by(Staff.staff_no)):
            roles[role].append((staff_id, staff_no))
        self.clerks = [i for i, _no in roles["clerk"]]
        self.cashiers = [i for i, _no in roles["cashier"]]
        managers = roles["manager"]
        self.stations = list(session.scalars(select(Station.id).where(Station.active.is_(True))
                                             .order_by(Station.code)))
        products = session.execute(
            select(Product.id, Product.name, Brand.name, Product.model, Product.spec, Product.colour, Product.unit,
                   Product.list_price, Product.vat_rate_bp)
            .join(Brand, Product.brand_id == Brand.id).where(Product.active.is_(True)).order_by(Product.id)).all()
        if not (self.clerks and self.cashiers and managers and self.stations and products):
            raise ValueError("load the demo data first: clerks, cashiers, a manager, stations and products needed")
        self.manager = next((i for i, no in managers if no == "M001"), managers[0][0])
        # (id, name, brand, model, spec, colour, unit, list price in fen, VAT rate): small things sell by two or three
        rows = [(p[0], p[1], p[2], p[3], p[4], p[5], p[6], to_fen(p[7]), p[8]) for p in products]
        self.small = [p for p in rows if p[7] < 50_000] or rows
        self.big = [p for p in rows if p[7] >= 50_000] or rows
        self.n_products = len(rows)
        self.customers = session.execute(select(Customer.id, Customer.name, Customer.phone)
                                         .order_by(Customer.id)).all()

        tables = {name: table for name, table in Product.__table__.metadata.tables.items() if name in COLUMNS}
        self.next_id = {name: (session.scalar(select(func.max(table.c.id))) or 0) + 1
                        for name, table in tables.items()}

        start, _ = shop.business_day_bounds(session, self.first_day)
        _, end = shop.business_day_bounds(session, self.end_day)
        in_range = (DaySignOff.day >= self.first_day) & (DaySignOff.day <= self.end_day)
        if (session.scalar(select(func.count(Shift.id)).where(Shift.opened_at >= start, Shift.opened_at < end))
                or session.scalar(select(func.count(DaySignOff.id)).where(in_range))
                or session.scalar(select(func.count(ZReport.id)).where(ZReport.day.between(self.first_day,
                                                                                          self.end_day)))):
            raise ValueError(f"the database has shifts or sign-offs between {self.first_day} and {self.end_day} "
                             "already: no history generated over them")
        # numbering: carry on from the counters the app keeps (and leave them where it would)
        self.voucher_counters = {day: (cid, last) for cid, day, last in session.execute(
            select(Counter.id, Counter.day, Counter.last).where(
                Counter.series == "voucher", Counter.day.between(self.first_day, self.end_day)))}
        z_counter = session.execute(select(Counter.id, Counter.last).where(
            Counter.series == "z", Counter.day == shop.NO_DAY)).first()
        self.z_counter_id = z_counter[0] if z_counter else None
        self.z_no = max(z_counter[1] if z_counter else 0, session.scalar(select(func.max(ZReport.no))) or 0)
        self.no_day = shop.NO_DAY

    # ------------------------------------------------------------------ the whole run
    def run(self) -> dict:
        started = perf_counter()
        rng = self.rng
        per_day = _spread(self.n_vouchers, [_day_weight(d, rng) for d in self.days])
        self.refunds_due: dict[date, list[tuple]] = defaultdict(list)
        self.voucher_last: dict[date, int] = {}
        self.stats = defaultdict(int)
        signed = set(self.signed_days)
        rows = self.writer.rows
        for index, (day, n) in enumerate(zip(self.days, per_day, strict=True)):
            self._day(index, day, n, day in signed)
            if len(rows["voucher_line"]) >= CHUNK or len(rows["payment"]) >= CHUNK:
                self.writer.flush()
            if (index + 1) % 30 == 0 or index + 1 == len(self.days):
                print(f"history: {index + 1}/{len(self.days)} days (to {day}), {self.stats['vouchers']:,} vouchers, "
                      f"{self.stats['lines']:,} lines ({perf_counter() - started:.1f} s)", flush=True)
        self._counters()
        self.writer.flush()
        self._finish()
        written = self.writer.written
        return {"days": len(self.days), "signed_days": len(self.signed_days), "first_day": self.first_day,
                "end_day": self.end_day, "vouchers": written["voucher"], "lines": written["voucher_line"],
                "payments": written["payment"], "tenders": written["tender"], "shifts": written["shift"],
                "cancelled": self.stats["cancelled"], "cheques": self.stats["cheques"],
                "bounced": self.stats["bounced"], "refunds": written["refund"], "z_reports": written["z_report"]}

    def _ids(self, table: str, n: int = 1) -> int:
        first = self.next_id[table]
        self.next_id[table] = first + n
        return first

    # ------------------------------------------------------------------ one business day
    def _day(self, index: int, day: date, n_vouchers: int, signed: bool) -> None:
        r, randrange = self.rng.random, self.rng.randrange
        ts, rows, stats = self.ts, self.writer.rows, self.stats
        at = _clock(day, self.zone)
        next_day_at = _clock(day + timedelta(days=1), self.zone)
        recent = (self.end_day - day).days < 14

        # the shifts: one per station, cashiers taking turns; [id, cashier, station, cash in, change, refunds]
        shifts = []
        for i, station in enumerate(self.stations):
            cashier = self.cashiers[(i + index) % len(self.cashiers)]
            shifts.append([self._ids("shift"), cashier, station, 0, 0, 0])
        n_shifts = len(shifts)

        voucher_rows, line_rows, payment_rows = rows["voucher"], rows["voucher_line"], rows["payment"]
        tender_rows, clearance_rows = rows["tender"], rows["cheque_clearance"]
        clerks, n_clerks = self.clerks, len(self.clerks)
        customers, n_customers = self.customers, len(self.customers)
        small, big, n_small, n_big = self.small, self.big, len(self.small), len(self.big)
        p_line = (self.mean_lines - 1) / 6  # 1 + six coin tosses: 1 to 7 lines
        max_lines = min(7, self.n_products)
        sha256, seconds = hashlib.sha256, timedelta
        iso_day = self.iso_day(day)
        prefix = f"V{day:%Y%m%d}-"
        seq = self.voucher_counters.get(day, (None, 0))[1]
        self.voucher_last[day] = seq + n_vouchers
        voucher_id = self._ids("voucher", n_vouchers)
        n_lines_total = 0

        for secs in sorted(randrange(SELL_SECONDS) for _ in range(n_vouchers)):
            seq += 1
            no = f"{prefix}{seq:04d}"
            clerk = clerks[int(r() * n_clerks)]
            n_lines = 1 + (r() < p_line) + (r() < p_line) + (r() < p_line) + (r() < p_line) + (r() < p_line) \
                + (r() < p_line)
            n_lines = min(n_lines, max_lines)
            line_id = self._ids("voucher_line", n_lines)
            total = 0
            chosen = set()
            parts = [no, str(clerk), ""]
            for position in range(1, n_lines + 1):
                while True:
                    if r() < 0.35:
                        product = small[int(r() * n_small)]
                        qty = 1 if r() < 0.6 else (2 if r() < 0.75 else 3)
                    else:
                        product = big[int(r() * n_big)]
                        qty = 1 if r() < 0.85 else (2 if r() < 0.8 else 3)
                    if product[0] not in chosen:
                        break
                chosen.add(product[0])
                list_fen = product[7]
                unit_fen = list_fen if r() >= DISCOUNTED else (list_fen * 95 + 50) // 100
                amount = unit_fen * qty
                total += amount
                line_rows.append((line_id + position - 1, voucher_id, position, product[0], product[1], product[2],
                                  product[3], product[4], product[5], product[6], qty * 1000, list_fen, unit_fen,
                                  amount, product[8]))
                parts.append(f"{product[0]}|{qty * 1000}|{unit_fen}|{amount}")
            parts[2] = str(total)
            n_lines_total += n_lines
            written_up = at(secs)
            created = written_up - seconds(seconds=randrange(60, 1200))
            customer = customers[int(r() * n_customers)] if n_customers and r() < WITH_CUSTOMER else None

            status, payment_state, pickup_state = "written_up", "paid", "complete"
            cancelled_at = cancelled_by = reason = None
            u = r()
            if u < CANCELLED:
                status, payment_state, pickup_state = "cancelled", "unpaid", "none"
                cancelled_at = ts(written_up + seconds(seconds=randrange(120, 1800)))
                cancelled_by, reason = clerk, CANCEL_REASONS[int(r() * len(CANCEL_REASONS))]
                stats["cancelled"] += 1
            elif not signed and u < CANCELLED + UNPAID_ON_OPEN_DAYS:
                payment_state, pickup_state = "unpaid", "none"
            else:
                payment_id = self._ids("payment")
                tender_id = self._ids("tender")
                shift = shifts[int(r() * n_shifts)]
                paid_at = written_up + seconds(seconds=randrange(60, 900))
                k = r()
                kind = next(name for name, share in KIND_SHARES if k < share)
                received, change, awaiting, reversed_at = total, 0, False, None
                reference = bank = drawer = ""
                if kind == "cash":
                    if r() >= 0.25:
                        received = -(-total // 10000) * 10000  # rounded up to the next ￥100 note
                    change = received - total
                    shift[3] += received
                    shift[4] += change
                elif kind == "card":
                    reference = f"{randrange(10**11, 10**12)}"
                elif kind == "wechat":
                    reference = f"4200{randrange(10**23, 10**24)}"
                elif kind == "alipay":
                    reference = f"{day:%Y%m%d}2200{randrange(10**15, 10**16)}"
                else:
                    stats["cheques"] += 1
                    awaiting = True
                    reference = f"{randrange(10**7, 10**8)}"
                    bank, drawer = BANKS[int(r() * len(BANKS))], DRAWERS[int(r() * len(DRAWERS))]
                    cleared_at = next_day_at(randrange(3600, 7200))  # the manager marks it the next morning
                    if cleared_at > self.now:
                        payment_state, pickup_state = "awaiting_clearance", "none"
                    elif r() < BOUNCED:
                        stats["bounced"] += 1
                        payment_state, pickup_state = "unpaid", "none"
                        reversed_at = ts(cleared_at)
                        clearance_rows.append((self._ids("cheque_clearance"), tender_id, "bounced", self.manager,
                                               ts(cleared_at), BOUNCE_NOTE))
                    else:
                        clearance_rows.append((self._ids("cheque_clearance"), tender_id, "cleared", self.manager,
                                               ts(cleared_at), ""))
                payment_rows.append((payment_id, f"hist-{payment_id}", "sale", voucher_id, shift[0], shift[1],
                                     ts(paid_at), total, received, change, awaiting, reversed_at))
                tender_rows.append((tender_id, payment_id, kind, received, reference, bank, drawer))
                if payment_state == "paid":
                    if recent and r() < PICKUP_PENDING:
                        pickup_state = "none"
                    if kind != "cheque" and r() < REFUNDED:
                        refund_day = day + timedelta(days=1 + randrange(10))
                        if refund_day <= self.end_day:
                            which = randrange(n_lines)
                            line = line_rows[-n_lines + which]
                            self.refunds_due[refund_day].append((voucher_id, payment_id, line[0], line[10], line[13]))
                            if n_lines == 1:
                                payment_state = "refunded"  # everything came back
            cname, cphone = (customer[1], customer[2]) if customer else ("", "")
            voucher_rows.append((voucher_id, no, status, "counter", clerk, customer[0] if customer else None, cname,
                                 cphone, "", "", total, sha256("\n".join(parts).encode()).hexdigest(), iso_day,
                                 ts(created), ts(written_up), cancelled_at, cancelled_by, reason, False,
                                 payment_state, pickup_state))
            voucher_id += 1
        stats["vouchers"] += n_vouchers
        stats["lines"] += n_lines_total

        self._refunds(day, at, shifts)
        self._close(day, at, shifts, signed)

    def _refunds(self, day: date, at, shifts: list[list]) -> None:
        """Refunds asked for today, of vouchers paid on earlier days: in cash, one line each."""
        ts, rows, randrange = self.ts, self.writer.rows, self.rng.randrange
        for voucher_id, payment_id, line_id, quantity, amount in self.refunds_due.pop(day, ()):
            shift = shifts[randrange(len(shifts))]
            refund_id = self._ids("refund")
            rows["refund"].append((refund_id, f"hist-r{refund_id}", voucher_id, payment_id, shift[0], shift[1],
                                   self.manager, ts(at(randrange(3600, 11 * 3600))), amount, "cash", REFUND_REASON))
            rows["refund_line"].append((self._ids("refund_line"), refund_id, line_id, quantity, amount))
            shift[5] += amount

    def _close(self, day: date, at, shifts: list[list], signed: bool) -> None:
        """Close the day's shifts (the drawer counted), and on a signed day review them and sign the day off."""
        ts, rows, r, randrange = self.ts, self.writer.rows, self.rng.random, self.rng.randrange
        opened, closed = ts(at(0)), at(SHIFT_SECONDS)
        for shift_id, cashier, station, cash_in, change, refunds in shifts:
            expected = FLOAT_FEN + cash_in - change - refunds
            over_short = 0 if r() >= OVER_SHORT else (1000 if r() < 0.5 else -1000)
            counted = expected + over_short
            rows["shift"].append((shift_id, cashier, station, opened, FLOAT_FEN, ts(closed), expected, counted,
                                  over_short, ""))
            rows["cash_count"].append((self._ids("cash_count"), shift_id, "opening", 10000, FLOAT_FEN // 10000))
            for denomination, count in _notes(counted):
                rows["cash_count"].append((self._ids("cash_count"), shift_id, "closing", denomination, count))
            if signed:
                note = "" if not over_short else OVER_NOTE if over_short > 0 else SHORT_NOTE
                rows["shift_review"].append((self._ids("shift_review"), shift_id, self.manager, note,
                                             ts(closed + timedelta(seconds=randrange(300, 2100)))))
        if signed:
            signed_at = ts(at(SIGN_OFF_SECONDS))
            self.z_no += 1
            rows["day_sign_off"].append((self._ids("day_sign_off"), self.iso_day(day), self.manager, signed_at, ""))
            rows["z_report"].append((self._ids("z_report"), self.z_no, self.iso_day(day), self.manager, signed_at))

    # ------------------------------------------------------------------ after the last day
    def _counters(self) -> None:
        """Leave the voucher numbers of each day and the Z numbers where the app carries on from."""
        from pos.shop.models import Counter

        session, rows = self.session, self.writer.rows["counter"]
        for day, last in self.voucher_last.items():
            existing = self.voucher_counters.get(day)
            if existing is not None:
                session.execute(update(Counter).where(Counter.id == existing[0]).values(last=last))
            elif last:
                rows.append((self._ids("counter"), "voucher", self.iso_day(day), last))
        if self.z_counter_id is not None:
            session.execute(update(Counter).where(Counter.id == self.z_counter_id).values(last=self.z_no))
        elif self.z_no:
            rows.append((self._ids("counter"), "z", self.iso_day(self.no_day), self.z_no))

    def _finish(self) -> None:
        session = self.session
        if not self.writer.postgres:  # as the app does at every sign-off
            from pos.extensions import refresh_statistics

            refresh_statistics(session)
            session.commit()
            return
        for name in COLUMNS:
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                 f"(SELECT max(id) FROM {name}))"))
        session.commit()
        started = perf_counter()
        session.execute(text("ANALYZE"))
        session.commit()
        print(f"history: ANALYZE in {perf_counter() - started:.1f} s", flush=True)
