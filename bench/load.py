"""Load over HTTP: the real server, simulated tablets doing the whole counter sale, a loopback printer.

Run: ``python -m bench load [--db sqlite|pg|both] [--products N] [--tablets 1,5,20] [--seconds S]
[--busy-seconds S] [--pdfs N] [--json FILE]``.

For each database (a SQLite file in a fresh instance folder; on PostgreSQL a database of its own,
created and dropped, at POS_BENCH_PG_URL, default the local server) it:

* migrates, loads the demo shop, fills the catalogue to N products, adds one clerk+cashier per
  tablet with a station and an open shift, and a network printer on loopback that notes when
  each receipt's bytes arrive (the voucher number is found in the bytes);
* starts the product's own commands: ``pos serve`` (gunicorn, its default workers and threads) and
  ``pos print-worker``, with ``POS_COUNT_SQL=1`` (each response says how many statements it sent);
* **saturation**: K tablets (own cookies, CSRF tokens, one-time keys) do sales with no think time
  for S seconds each K: sales/s, CPU per sale from /proc (gunicorn workers = app; on PostgreSQL
  the database's backends = database; on SQLite the database runs inside the app), statements per
  sale, p50/p95 per request type, errors and "database is locked";
* **busy hour**: 20 tablets, 1–4 s between taps: p50/p95/p99 per request type;
* payment → receipt bytes at the printer (p50/p95), RSS/PSS per worker before and after;
* A5 invoice PDFs over HTTP (p50/p95) and the workers' RSS after them;
* the same sale through the services (no HTTP) and as raw SQL, single thread, for the ratios;
* a yardstick of the machine's speed (:func:`machine_speed`), for comparing runs on other machines.

A sale, as the browser sends it (templates of today): keypad page, PIN answered with the counter, 3
searches as you type (quick results), 3 × "+", 开单 (write-up with the line boxes) answered with the
voucher's page (before round 9 these two were sent on, and the page fetched), pay page (查), the tallies
the page posts while counting (only if the page still posts them), 确认收款 (plain form, one-time key)
answered with the announcement, invoice form, issue answered with the invoice's page (before round 8:
a redirect each, then the page fetched), cash desk (and its printer badge, only if the page asks for it
after loading, as it did before round 4).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(os.environ.get("POS_LOAD_CODE") or Path(__file__).resolve().parent.parent)  # the code under test
POS = str(Path(sys.executable).parent / "pos")
QUERIES = ["冰箱", "净水", "海尔 白", "洗衣机", "电视", "hebx", "bcd-1", "滤芯", "空调", "热水器", "mdbx", "tv-7"]
CLK = os.sysconf("SC_CLK_TCK")
CACHE = Path(tempfile.gettempdir()) / "pos-load-cache"


def text_(sql: str):
    from sqlalchemy import text

    return text(sql)


# ---------------------------------------------------------------- small helpers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def machine_speed(rounds: int = 5) -> float:
    """This machine's speed, as a yardstick for figures from other machines: the CPU time (ms, the
    fastest of ``rounds``) of one thread doing a fixed piece of plain Python work — dicts, strings,
    a sort and integer sums, as a web request does them. The runs of this issue have met machines of
    the same kind 3–4 times apart; a figure divided by this one travels between them."""
    best = float("inf")
    for _ in range(rounds):
        start = time.thread_time()
        rows = [{"id": i, "name": f"商品{i}", "price": i * 37 % 1000} for i in range(20000)]
        rows.sort(key=lambda r: (r["price"], r["name"]))
        total = sum(r["price"] for r in rows if r["id"] % 3)
        text = "".join(r["name"] for r in rows[:5000]).encode("utf-8")
        assert total > 0 and text
        best = min(best, time.thread_time() - start)
    return round(best * 1000, 1)


def proc_cpu(pid: int, *, reaped_children: bool = False) -> float:
    """utime+stime of a process (all its threads), seconds; 0 if gone. With ``reaped_children``, the
    CPU of its children that have exited instead (cutime+cstime: gunicorn replaces a worker after
    max_requests, and the master reaps it — its CPU would otherwise be lost)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    if reaped_children:
        return (int(fields[13]) + int(fields[14])) / CLK
    return (int(fields[11]) + int(fields[12])) / CLK


def children(ppid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]) == ppid:
                    out.append(int(d.name))
            except (OSError, IndexError, ValueError):
                pass
    return out


def memory(pid: int) -> tuple[float, float]:
    """RSS and PSS in MB (smaps_rollup)."""
    rss = pss = 0.0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("Pss:"):
                pss = int(line.split()[1]) / 1024
    except OSError:
        pass
    return rss, pss


def money(text: str) -> Decimal:
    return Decimal(re.sub(r"[^0-9.]", "", text) or "0")


# ---------------------------------------------------------------- the loopback printer
class Printer:
    """A network receipt printer on loopback: notes when each job's bytes have all arrived."""

    def __init__(self) -> None:
        self.port = free_port()
        self.arrived: dict[str, float] = {}  # voucher no → monotonic time the job's bytes were in
        self.jobs = 0
        self.duplicates = 0
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", self.port))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                chunks = []
                try:
                    while data := conn.recv(65536):
                        chunks.append(data)
                except OSError:
                    pass
            at = time.monotonic()
            data = b"".join(chunks)
            self.jobs += 1
            if b"\xca\xd5\xbf\xee\xca\xd5\xbe\xdd" not in data:  # 收款收据 in GB18030: receipts only
                continue
            for no in set(re.findall(rb"V\d{8}-\d{4,}", data)):
                key = no.decode()
                if key in self.arrived:
                    self.duplicates += 1
                else:
                    self.arrived[key] = at

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()


# ---------------------------------------------------------------- one tablet
class Refused(Exception):
    pass


class Tablet:
    """One browser: its own cookies and connection; records (request type, ms, status, statements)."""

    def __init__(self, port: int, staff_id: int, pin: str, log: list, rng: random.Random, think=None):
        self.port, self.staff_id, self.pin, self.log, self.rng, self.think = port, staff_id, pin, log, rng, think
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None
        self.last_used = 0.0
        self.paid: dict[str, float] = {}  # voucher no → monotonic time the payment's answer arrived

    def request(self, kind: str, method: str, path: str, data=None, *, htmx=False, expect=(200,)):
        if self.think and kind != "follow":
            time.sleep(self.rng.uniform(*self.think))
        headers = {"Host": f"127.0.0.1:{self.port}", "Accept-Language": "zh-CN"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if htmx:
            headers["HX-Request"] = "true"
        body = None
        if data is not None:
            body = urlencode(data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.conn is None or time.monotonic() - self.last_used > 1.0:  # gunicorn's keep-alive is 2 s
            if self.conn is not None:
                self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        start = time.monotonic()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
            text = resp.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as e:
            self.conn.close()
            self.conn = None
            self.log.append((kind, (time.monotonic() - start) * 1000, 599, 0, type(e).__name__, 0))
            raise Refused(f"{kind}: {type(e).__name__}") from None
        end = time.monotonic()
        self.last_used = end
        for value in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        statements = int(resp.headers.get("X-SQL-Count", "0"))
        cpu_us = int(resp.headers.get("X-CPU-Us", "0"))  # the serving thread's CPU (pos/perf.py)
        note = "locked" if "database is locked" in text else ""
        self.log.append((kind, (end - start) * 1000, resp.status, statements, note, cpu_us))
        if resp.status not in expect:
            plain = re.sub(r"<[^>]+>|\s+", " ", text)[:200]
            raise Refused(f"{kind} {method} {path}: {resp.status} {plain}")
        return resp, text, end

    def sale(self) -> str:
        # the tablet logs its clerk in onto the counter (the bench's people also take payments: their own
        # first screen would be the cash desk). Before round 9 the keypad posted the PIN with htmx and the
        # tablet was sent there, and fetched it; since, a plain form answered with the counter (pos.web.show)
        _, page, _ = self.request("keypad", "GET", f"/login/{self.staff_id}?next=%2Fcounter")
        by_htmx = "hx-post=" in page
        resp, page, _ = self.request("login", "POST", f"/login/{self.staff_id}",
                                     {"csrf_token": csrf(page), "pin": self.pin, "next": "/counter"}, htmx=by_htmx,
                                     expect=(200, 303, 302))
        if resp.headers.get("Content-Location") != "/counter":
            _, page, _ = self.request("counter", "GET", "/counter")
        token = csrf(page)
        lines: dict[str, list[tuple[str, str]]] = {}  # the line boxes on screen, by line id, in order
        for q in self.rng.sample(QUERIES, 3):
            _, found, _ = self.request("search", "GET", "/catalog?" + urlencode({"view": "quick", "q": q}), htmx=True)
            ids = re.findall(r'name="product_id" value="(\d+)"', found)
            if not ids:
                continue
            _, answer, _ = self.request(
                "add line",
                "POST",
                "/counter/lines",
                {"csrf_token": token, "product_id": self.rng.choice(ids), "quantity": "1"},
                htmx=True,
            )
            shown_lines(answer, lines)
        shown = [box for boxes in lines.values() for box in boxes]
        form = [
            ("csrf_token", token),
            ("pending_product_id", ""),
            ("pending_quantity", ""),
            ("pending_unit_price", ""),
        ] + shown
        # before round 9 the panel posted 开单 with htmx and was sent to the voucher's page (HX-Redirect), which
        # the browser then fetched; since, a plain form answered with that page (pos.web.show)
        by_htmx = 'hx-post="/counter/write-up"' in page
        resp, _, _ = self.request("write-up", "POST", "/counter/write-up", form, htmx=by_htmx,
                                  expect=(200, 303, 302))
        target = (resp.headers.get("HX-Redirect") or resp.headers.get("HX-Location")
                  or resp.headers.get("Content-Location") or urlsplit(resp.headers.get("Location", "")).path)
        no = target.rstrip("/").rsplit("/", 1)[-1]
        if not re.match(r"V\d{8}-\d+", no):
            raise Refused(f"write-up went to {target!r}")
        if not resp.headers.get("Content-Location"):
            self.request("voucher page", "GET", target)
        _, page, _ = self.request("pay page", "GET", "/cashier/pay?" + urlencode({"no": no}))
        due = money(re.search(r'data-testid="due">([^<]+)<', page).group(1))
        notes = int(due // 100) + 1
        counts = {"count_10000": str(notes)}
        tally_url = re.search(r'hx-post="(/cashier/pay/[^"]+/tally)"', page)
        pay_token, once_key = csrf(page), re.search(r'name="once_key" value="([^"]+)"', page).group(1)
        if tally_url:  # the page posts the running total while the cashier counts: three taps
            for n in (1, max(1, notes // 2), notes):
                self.request(
                    "tally",
                    "POST",
                    tally_url.group(1),
                    {"csrf_token": pay_token, "once_key": once_key, "count_10000": str(n)},
                    htmx=True,
                )
        resp, _, end = self.request(
            "pay",
            "POST",
            f"/cashier/pay/{no}",
            {"csrf_token": pay_token, "once_key": once_key, "serials": "", **counts},
            expect=(200, 303, 302),
        )
        self.paid[no] = end
        if resp.status != 200:  # the code before pos.web.show sent the browser to fetch the announcement
            self.request("announce", "GET", urlsplit(resp.headers["Location"]).path)
        _, page, _ = self.request("invoice form", "GET", "/invoices/new?" + urlencode({"vouchers": no}))
        resp, _, _ = self.request(
            "issue",
            "POST",
            "/invoices/new",
            {
                "csrf_token": csrf(page),
                "vouchers": no,
                "name": "上海测试装饰有限公司",
                "phone": "13800138000",
                "address": "浦东新区金桥路1号",
                "tax_no": "",
            },
            expect=(200, 303, 302),
        )
        if resp.status == 200:  # answered with the invoice's page (pos.web.show)
            invoice_path = resp.headers["Content-Location"]
        else:
            invoice_path = urlsplit(resp.headers["Location"]).path
            self.request("invoice page", "GET", invoice_path)
        _, page, _ = self.request("cash desk", "GET", "/cashier")
        if 'hx-get="/printers/status" hx-trigger="load"' in page:  # a cash desk that fills its badge in after
            self.request("printer badge", "GET", "/printers/status", htmx=True)
        self.last_invoice = invoice_path
        return no


def shown_lines(answer: str, lines: dict[str, list[tuple[str, str]]]) -> None:
    """What the page shows after an add-line answer, as the browser's swaps leave it: the whole panel
    replaces every line; an answer of only the changed lines (hx-swap-oob) replaces those and appends
    a new one. ``lines``: line id → its boxes (line_id, quantity, unit_price) that 开单 sends."""
    if 'id="voucher-panel"' in answer:
        lines.clear()
    for row in re.findall(r'<form class="line-row.*?</form>', answer, re.S):
        boxes = [
            (m.group(1), m.group(2))
            for m in (
                re.search(r'name="([a-z_]+)" value="([^"]*)"', tag)
                for tag in re.findall(r"<input[^>]*\bdata-shown\b[^>]*>", row)
            )
            if m
        ]
        line_id = dict(boxes).get("line_id")
        if line_id:
            lines[line_id] = boxes


def csrf(page: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if not m:
        raise Refused("no CSRF token on the page")
    return m.group(1)


# ---------------------------------------------------------------- the shop under test
class Shop:
    def __init__(self, label: str, url: str | None, products: int, tablets: int):
        self.label, self.products, self.tablets = label, products, tablets
        self.folder = Path(tempfile.mkdtemp(prefix="pos-load-"))
        self.url = url or f"sqlite:///{self.folder / 'pos.db'}"
        self.printer = Printer()
        self.env = {
            **os.environ,
            "POS_INSTANCE_PATH": str(self.folder),
            "DATABASE_URL": self.url,
            "SECRET_KEY": "bench-load",
            "POS_COUNT_SQL": "1",
            "POS_MEDIA_DIR": str(self.folder / "media"),
            "PYTHONPATH": str(ROOT),
        }
        self.server = self.spooler = None
        self.use_cache = True

    def app(self):
        from pos import create_app

        return create_app(
            {
                "INSTANCE_PATH": str(self.folder),
                "DATABASE_URL": self.url,
                "SECRET_KEY": "bench-load",
                "POS_MEDIA_DIR": str(self.folder / "media"),
            }
        )

    def build(self) -> None:
        from sqlalchemy import func, select, text

        from pos.cashier import services as cashier
        from pos.cli import upgrade_database
        from pos.demo import load_demo
        from pos.extensions import db
        from pos.printers import services as printers
        from pos.shop.models import Station
        from pos.staff import services as staff
        from pos.staff.models import Staff

        started = time.monotonic()
        if self.from_cache():
            app = self.app()
            with app.app_context():
                upgrade_database()  # the cached shop was made by the code of another run: newer migrations
                db.session.execute(
                    text("UPDATE printer SET address = :a WHERE name = '压测打印机'"),
                    {"a": f"127.0.0.1:{self.printer.port}"},
                )
                db.session.commit()
                self.staff = [
                    (i, f"{731000 + int(no[1:]) * 7}")
                    for i, no in db.session.execute(
                        text("SELECT id, staff_no FROM staff WHERE staff_no LIKE 'B%' ORDER BY staff_no")
                    )
                ]
                self.n_products = db.session.scalar(select(func.count()).select_from(text("product")))
                db.engine.dispose()
            self.build_seconds = time.monotonic() - started
            self.cached = True
            return
        app = self.app()
        with app.app_context():
            upgrade_database()
            load_demo(db.session)
            db.session.commit()
        fill(app, self.products)
        with app.app_context():
            manager = db.session.scalar(select(Staff).where(Staff.staff_no == "M001"))
            db.session.execute(text("UPDATE product SET stock_on_hand = 100000000 WHERE active"))  # no shortages
            self.staff = []
            for i in range(self.tablets):
                pin = f"{731000 + i * 7}"
                person = staff.create_staff(
                    db.session,
                    staff_no=f"B{i:03d}",
                    full_name=f"压测{i:02d}",
                    roles=["clerk", "cashier"],
                    pin=pin,
                    actor=manager,
                )
                station = Station(code=f"B{i:02d}", name=f"压测收银台{i:02d}")
                db.session.add(station)
                db.session.flush()
                cashier.open_shift(db.session, cashier=person, station_id=station.id, counts={10000: 10})
                self.staff.append((person.id, pin))
            for p in printers.printers(db.session):
                p.is_default = False
                p.active = p.connector == "preview"
            db.session.flush()
            printers.save_printer(
                db.session,
                None,
                name="压测打印机",
                connector="network",
                address=f"127.0.0.1:{self.printer.port}",
                paper_mm=80,
                native_qr=True,
                encoding="gb18030",
                station_id=None,
                is_default=True,
                active=True,
                actor=manager,
            )
            db.session.commit()
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            self.n_products = db.session.scalar(select(func.count()).select_from(text("product")))
            db.session.commit()
            db.engine.dispose()  # SQLite: the last connection closed folds the WAL into the file
        self.build_seconds = time.monotonic() - started
        self.cached = False
        self.to_cache()

    # A shop of 100,000 products takes minutes to build on a busy machine: it is kept between runs
    # (a SQLite file in CACHE; on PostgreSQL a template database) unless --no-cache.
    def _cache_key(self) -> str:
        # another checkout's code (POS_LOAD_CODE, e.g. "before") has a schema of its own: a shop of its own
        other = "_" + hashlib.sha1(str(ROOT).encode()).hexdigest()[:8] if os.environ.get("POS_LOAD_CODE") else ""
        return f"pos_load_tpl_{self.products}_{self.tablets}{other}"

    def from_cache(self) -> bool:
        if not self.use_cache:
            return False
        if not self.url.startswith("postgresql"):
            cached = CACHE / f"{self._cache_key()}.sqlite3"
            if not cached.exists():
                return False
            shutil.copyfile(cached, self.folder / "pos.db")
            return True
        return self._pg_admin(
            lambda conn, db_name: (
                conn.execute(text_(f"SELECT 1 FROM pg_database WHERE datname = '{self._cache_key()}'")).scalar()
                and (
                    conn.execute(text_(f'DROP DATABASE "{db_name}"')),
                    conn.execute(text_(f'CREATE DATABASE "{db_name}" TEMPLATE "{self._cache_key()}"')),
                    True,
                )[-1]
            )
        )

    def to_cache(self) -> None:
        if not self.use_cache:
            return
        if not self.url.startswith("postgresql"):
            CACHE.mkdir(exist_ok=True)
            shutil.copyfile(self.folder / "pos.db", CACHE / f"{self._cache_key()}.sqlite3")
            return
        self._pg_admin(
            lambda conn, db_name: (
                conn.execute(
                    text_("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": db_name}
                ),
                time.sleep(0.5),
                conn.execute(text_(f'DROP DATABASE IF EXISTS "{self._cache_key()}"')),
                conn.execute(text_(f'CREATE DATABASE "{self._cache_key()}" TEMPLATE "{db_name}"')),
            )
        )

    def _pg_admin(self, fn):
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        url = make_url(self.url)
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                return fn(conn, url.database)
        finally:
            admin.dispose()

    def start(self) -> None:
        self.start_on(free_port())

    def start_on(self, port: int) -> None:
        """The server (and the spooler, unless it runs) on ``port``."""
        self.port = port
        log = open(self.folder / "server.log", "a")
        self.server = subprocess.Popen(
            [POS, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        if self.spooler is None or self.spooler.poll() is not None:
            self.spooler = subprocess.Popen(
                [POS, "print-worker"],
                env=self.env,
                stderr=subprocess.STDOUT,
                stdout=open(self.folder / "spool.log", "a"),
                cwd=ROOT,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("GET", "/login")
                if c.getresponse().status == 200:
                    c.close()
                    if len(self.workers()) >= 1:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"server did not start: {(self.folder / 'server.log').read_text()[-2000:]}")

    def workers(self) -> list[int]:
        return children(self.server.pid) if self.server else []

    def db_pids(self) -> list[int]:
        if not self.url.startswith("postgresql"):
            return []
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        url = make_url(self.url)
        engine = create_engine(url.set(database="postgres"))
        with engine.connect() as conn:
            pids = list(conn.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": url.database}))
        engine.dispose()
        return pids

    def cpu(self) -> dict:
        app = {p: proc_cpu(p) for p in self.workers()}
        if self.server:
            app[-1] = proc_cpu(self.server.pid, reaped_children=True)  # workers replaced during the run
            app[-2] = proc_cpu(self.server.pid)  # the master itself
        return {
            "app": app,
            "db": {p: proc_cpu(p) for p in self.db_pids()},
            "spooler": proc_cpu(self.spooler.pid) if self.spooler else 0.0,
        }

    def memory(self) -> list[dict]:
        """RSS/PSS of each worker, and of the PDF renderer (printing/pdf_service.py) marked as such."""
        out = []
        for p in self.workers():
            try:
                renderer = b"pdf_service" in Path(f"/proc/{p}/cmdline").read_bytes()
            except OSError:
                continue
            entry = dict(zip(("rss", "pss"), (round(v, 1) for v in memory(p)), strict=True)) | {"pid": p}
            out.append(entry | {"pdf_renderer": True} if renderer else entry)
        return out

    def stop(self) -> None:
        for proc in (self.spooler, self.server):
            if proc and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.server = self.spooler = None

    def close(self) -> None:
        self.stop()
        self.printer.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def fill(app, n_products: int) -> None:
    """Copy the demo catalogue until there are ``n_products`` products: the search columns built
    as the app builds them (pinyin of the repeated names computed once), inserted in batches."""
    from functools import lru_cache

    from sqlalchemy import insert, select

    from pos.catalog import search_index
    from pos.catalog import services as catalog
    from pos.catalog.models import Product
    from pos.extensions import db

    initials = lru_cache(maxsize=None)(catalog.pinyin_initials)
    with app.app_context():
        base = [(p, p.brand.name) for p in db.session.scalars(select(Product))]
        rng, n, rows = random.Random(7), len(base), []
        while n < n_products:
            p, brand = rng.choice(base)
            row = {
                "name": p.name,
                "brand_id": p.brand_id,
                "category_id": p.category_id,
                "model": f"{p.model}-{n}",
                "spec": p.spec,
                "colour": p.colour,
                "family": f"{p.family}-{n // 3}",
                "barcode": f"7{n:012d}",
                "unit": p.unit,
                "whole_units_only": True,
                "list_price": (p.list_price * Decimal(rng.randint(80, 125)) / 100).quantize(Decimal("1")),
                "vat_rate_bp": 1300,
                "stock_on_hand": p.stock_on_hand,
                "selling_points": p.selling_points,
                "functions": p.functions,
                "active": True,
            }
            parts = [p.name, brand, row["model"], p.spec, p.colour, row["barcode"], initials(p.name), initials(brand)]
            row["search_key"] = " ".join(x.strip().lower() for x in parts if x)[:400]
            row["search_grams"] = " ".join(search_index.grams(row["search_key"]))
            rows.append(row)
            n += 1
            if len(rows) >= 5000:
                db.session.execute(insert(Product), rows)
                db.session.commit()
                rows = []
        if rows:
            db.session.execute(insert(Product), rows)
        db.session.commit()


def cpu_delta(before: dict, after: dict) -> tuple[float, float, float]:
    """CPU used between two readings. A worker replaced in between is gone from ``after`` but its
    whole life's CPU is then in the master's reaped-children figure: totals are subtracted, not
    process by process (else what it used before the first reading would count twice). A
    PostgreSQL backend that exits in between takes its CPU with it (under-counted)."""

    app = sum(after["app"].values()) - sum(before["app"].values())
    dbase = sum(v - before["db"].get(p, 0.0) for p, v in after["db"].items())
    return app, dbase, after["spooler"] - before["spooler"]


# ---------------------------------------------------------------- the runs
def drive(shop: Shop, k: int, seconds: float, *, think=None, max_sales: int = 100000) -> dict:
    log: list = []
    done, errors = [], []
    deadline = time.monotonic() + seconds
    tablets = [Tablet(shop.port, *shop.staff[i], log, random.Random(i * 101 + k), think) for i in range(k)]
    lock = threading.Lock()

    def run(tablet: Tablet):
        while time.monotonic() < deadline:
            with lock:
                if len(done) >= max_sales:
                    return
            try:
                no = tablet.sale()
                with lock:
                    done.append(no)
            except Refused as e:
                with lock:
                    errors.append(str(e))
                time.sleep(0.2)

    before, t0, cpu_client0 = shop.cpu(), time.monotonic(), time.process_time()
    threads = [threading.Thread(target=run, args=(t,)) for t in tablets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, client_cpu = time.monotonic() - t0, time.process_time() - cpu_client0
    after = shop.cpu()
    app, dbase, spool = cpu_delta(before, after)
    time.sleep(3)  # the last receipts
    paid = {no: at for t in tablets for no, at in t.paid.items()}
    delays = [(shop.printer.arrived[no] - at) * 1000 for no, at in paid.items() if no in shop.printer.arrived]
    by_kind = defaultdict(list)
    statements = defaultdict(int)
    thread_cpu = defaultdict(int)
    status = defaultdict(int)
    for kind, ms, code, n, _note, cpu_us in log:
        by_kind[kind].append(ms)
        statements[kind] += n
        thread_cpu[kind] += cpu_us
        status[code] += 1
    n = len(done)
    return {
        "tablets": k,
        "seconds": round(wall, 1),
        "sales": n,
        "sales_per_s": round(n / wall, 2),
        "requests": len(log),
        "requests_per_sale": round(len(log) / n, 1) if n else None,
        "cpu_ms_per_sale_app": round(app * 1000 / n, 1) if n else None,
        "cpu_ms_per_sale_db": round(dbase * 1000 / n, 1) if n and shop.url.startswith("postgresql") else None,
        "cpu_ms_per_sale_spooler": round(spool * 1000 / n, 1) if n else None,
        "cpu_ms_per_sale_client": round(client_cpu * 1000 / n, 1) if n else None,
        "statements_per_sale": round(sum(statements.values()) / n, 1) if n else None,
        "statements_per_request": {k2: round(v / len(by_kind[k2]), 1) for k2, v in statements.items()},
        # the serving thread's CPU inside Flask (before/after_request), per request type and per sale:
        # what the app's figure adds on top of it is gunicorn, HTTP parsing and worker starts
        "thread_cpu_ms_per_request": {k2: round(v / 1000 / len(by_kind[k2]), 2) for k2, v in thread_cpu.items()},
        "thread_cpu_ms_per_sale": round(sum(thread_cpu.values()) / 1000 / n, 1) if n else None,
        "p50": {k2: round(statistics.median(v), 1) for k2, v in by_kind.items()},
        "p95": {k2: round(pct(v, 95), 1) for k2, v in by_kind.items()},
        "p99": {k2: round(pct(v, 99), 1) for k2, v in by_kind.items()},
        "status": dict(status),
        "locked": sum(1 for e in log if e[4] == "locked"),
        "errors": errors[:5],
        "error_count": len(errors),
        "receipts": len(delays),
        "receipt_p50_ms": round(statistics.median(delays), 1) if delays else None,
        "receipt_p95_ms": round(pct(delays, 95), 1) if delays else None,
        "printed_twice": shop.printer.duplicates,
        "load": loadavg(),
    }


def pdfs(shop: Shop, n: int, invoice_paths: list[str]) -> dict:
    """n A5 invoice PDFs over HTTP, one tablet after another (2 at a time)."""
    log: list = []
    tablet = Tablet(shop.port, *shop.staff[0], log, random.Random(5))
    _, page, _ = tablet.request("keypad", "GET", f"/login/{tablet.staff_id}")
    tablet.request(
        "login", "POST", f"/login/{tablet.staff_id}", {"csrf_token": csrf(page), "pin": tablet.pin}, htmx=True
    )
    before = shop.memory()
    times = []
    t0 = time.monotonic()
    for i in range(n):
        path = invoice_paths[i % len(invoice_paths)] + ".pdf"
        _, body, _ = tablet.request("pdf", "GET", path)
        times.append(log[-1][1])
    return {
        "pdfs": n,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(pct(times, 95), 1),
        "seconds": round(time.monotonic() - t0, 1),
        "rss_before": before,
        "rss_after": shop.memory(),
        "load": loadavg(),
    }


def floor_runs(shop: Shop, seconds: float) -> dict:
    """The same sale through the services (no HTTP, no templates), then as raw SQL; one thread each."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from pos.cashier import services as cashier
    from pos.catalog import services as catalog
    from pos.extensions import db
    from pos.invoicing import services as invoicing
    from pos.sales import services as sales
    from pos.staff.models import Staff

    app = shop.app()
    count = {"n": 0}

    def counter(*_a, **_k):
        count["n"] += 1

    event.listen(Engine, "before_cursor_execute", counter)
    rng = random.Random(3)
    out = {}
    try:
        with app.test_request_context():
            staff_id = shop.staff[0][0]
            n, t0, c0, count["n"] = 0, time.monotonic(), time.process_time(), 0
            while time.monotonic() - t0 < seconds:
                me = db.session.get(Staff, staff_id)
                voucher = sales.open_draft(db.session, me)
                db.session.commit()
                for q in rng.sample(QUERIES, 3):
                    found = catalog.search_products(db.session, q, limit=8).products
                    if found:
                        sales.add_line(db.session, voucher, rng.choice(found).id, "1", actor=me)
                        db.session.commit()
                sales.write_up(db.session, voucher, actor=me)
                db.session.commit()
                due = voucher.total
                cashier.take_payment(
                    db.session, voucher.no, cashier=me, once_key=uuid.uuid4().hex, counts={10000: int(due // 100) + 1}
                )
                db.session.commit()
                invoicing.issue(
                    db.session,
                    [voucher.no],
                    invoicing.Buyer("上海测试装饰有限公司", "13800138000", "浦东新区金桥路1号", ""),
                    preparer=me,
                )
                db.session.commit()
                db.session.expunge_all()
                n += 1
            wall = time.monotonic() - t0
            out["services"] = {
                "sales": n,
                "sales_per_s": round(n / wall, 2),
                "cpu_ms_per_sale_bench": round((time.process_time() - c0) * 1000 / n, 1),
                "statements_per_sale": round(count["n"] / n, 1),
            }
        with app.app_context():
            out["raw"] = raw_sales(db.engine, shop.staff[0][0], seconds, rng, count)
            db.engine.dispose()
    finally:
        event.remove(Engine, "before_cursor_execute", counter)
    return out


def raw_sales(engine, staff_id: int, seconds: float, rng: random.Random, count: dict) -> dict:
    """The sale's reads and writes as plain SQL: 3 searches (LIKE on the search key, as the index's
    final check does), a voucher with 3 lines, the stock moved, a payment with its tender, a print job."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    pg = engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        shift_id = conn.scalar(
            text("SELECT id FROM shift WHERE cashier_id = :s AND closed_at IS NULL"), {"s": staff_id}
        )
        printer_id = conn.scalar(text("SELECT id FROM printer WHERE is_default"))
        conn.commit()
        if pg:
            search = text(
                "SELECT id, name, model, list_price FROM product WHERE search_grams::tsvector @@ "
                "plainto_tsquery('simple', :g) AND search_key LIKE :q AND active LIMIT 8"
            )
        else:
            search = text(
                "SELECT p.id, p.name, p.model, p.list_price FROM product_fts f JOIN product p "
                "ON p.id = f.rowid WHERE product_fts MATCH :m AND p.search_key LIKE :q AND p.active LIMIT 8"
            )
        n, t0, count["n"] = 0, time.monotonic(), 0
        c0 = time.process_time()
        while time.monotonic() - t0 < seconds:
            lines = []
            for q in ("冰箱", "洗衣机", "电视"):
                if pg:
                    grams = " ".join(q[i : i + 2] for i in range(len(q) - 1))
                    rows = conn.execute(search, {"g": grams, "q": f"%{q}%"}).all()
                else:
                    rows = conn.execute(search, {"m": f'"{q}"', "q": f"%{q}%"}).all()
                if rows:
                    lines.append(rng.choice(rows))
            now = datetime.now(UTC).replace(tzinfo=None)
            no = f"R{now:%Y%m%d}-{uuid.uuid4().hex[:10]}"
            total = sum(int(r[3]) for r in lines)
            vid = conn.execute(
                text(
                    "INSERT INTO voucher (no, status, channel, clerk_id, total, checksum, business_day, created_at, "
                    "written_up_at, customer_name, customer_phone, delivery_address, notes, pay_on_delivery, "
                    "payment_state, pickup_state) VALUES (:no, 'written_up', 'counter', :c, :t, '', :d, :now, :now, '', '', "  # noqa: E501
                    "'', '', false, 'paid', 'pending') RETURNING id"
                ),
                {"no": no, "c": staff_id, "t": total, "d": now.date(), "now": now},
            ).scalar_one()
            for pos_, r in enumerate(lines, 1):
                conn.execute(
                    text(
                        "INSERT INTO voucher_line (voucher_id, position, product_id, product_name, brand_name, model, spec, "  # noqa: E501
                        "colour, unit, quantity, list_price, unit_price, amount, vat_rate_bp) VALUES (:v, :p, :pid, :n, '', "  # noqa: E501
                        ":m, '', '', '件', 1000, :lp, :lp, :lp, 1300)"
                    ),
                    {"v": vid, "p": pos_, "pid": r[0], "n": r[1], "m": r[2], "lp": int(r[3])},
                )
                conn.execute(text("UPDATE product SET stock_on_hand = stock_on_hand - 1000 WHERE id = :i"), {"i": r[0]})
            pid = conn.execute(
                text(
                    "INSERT INTO payment (once_key, purpose, voucher_id, shift_id, cashier_id, at, amount_due, received, "  # noqa: E501
                    "change_given, awaiting_clearance) VALUES (:k, 'sale', :v, :s, :c, :now, :t, :t, 0, false) RETURNING id"  # noqa: E501
                ),
                {"k": uuid.uuid4().hex, "v": vid, "s": shift_id, "c": staff_id, "now": now, "t": total},
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO tender (payment_id, kind, amount, reference, cheque_bank, cheque_drawer) VALUES (:p, 'cash', :t, '', '', '')"  # noqa: E501
                ),
                {"p": pid, "t": total},
            )
            conn.execute(
                text(
                    "INSERT INTO print_job (printer_id, kind, ref, title, document, copies, status, attempts, last_error, "  # noqa: E501
                    "next_attempt_at, reprint_no, created_at) VALUES (:p, 'bench', :r, '', '{}', 1, 'done', 1, '', :now, 0, "  # noqa: E501
                    ":now)"
                ),
                {"p": printer_id, "r": no, "now": now},
            )
            conn.commit()
            n += 1
        wall = time.monotonic() - t0
    return {
        "sales": n,
        "sales_per_s": round(n / wall, 2),
        "statements_per_sale": round(count["n"] / n, 1),
        "cpu_ms_per_sale_bench": round((time.process_time() - c0) * 1000 / n, 1),
    }


def run_on(label: str, url: str | None, args) -> dict:
    ks = [int(k) for k in args.tablets.split(",")]
    shop = Shop(label, url, args.products, max(ks + [20]))
    shop.use_cache = not args.no_cache
    result: dict = {"database": label, "load_at_start": loadavg(), "machine_speed_ms": machine_speed()}
    try:
        shop.build()
        result.update(products=shop.n_products, build_seconds=round(shop.build_seconds, 1))
        print(
            f"-- {label}: {shop.n_products} products, built in {shop.build_seconds:.0f} s; load {loadavg()}; "
            f"machine yardstick {result['machine_speed_ms']} ms (bench.load.machine_speed)", flush=True
        )
        shop.start()
        result["memory_start"] = shop.memory()
        warm = drive(shop, 8, 15)  # every worker and thread: imports, compiled statements, first renders, PIN checks
        result["warm_errors"] = warm["errors"]
        result["saturation"] = []
        for k in ks:
            r = drive(shop, k, args.seconds)
            result["saturation"].append(r)
            print(
                f"   saturation {k:>2} tablets: {r['sales']} sales, {r['sales_per_s']}/s, CPU/sale app "
                f"{r['cpu_ms_per_sale_app']} ms db {r['cpu_ms_per_sale_db']} ms, {r['statements_per_sale']} "
                f"statements/sale, receipt p95 {r['receipt_p95_ms']} ms, errors {r['error_count']}, locked "
                f"{r['locked']}, status {r['status']}; load {r['load']}",
                flush=True,
            )
            if r["errors"]:
                print("     e.g.", r["errors"][:2], flush=True)
        if args.busy_seconds:
            r = drive(shop, 20, args.busy_seconds, think=(1.0, 4.0))
            result["busy_hour"] = r
            print(
                f"   busy hour 20 tablets: {r['sales']} sales, p95 {r['p95']}, receipt p95 {r['receipt_p95_ms']} ms, "
                f"errors {r['error_count']}, locked {r['locked']}; load {r['load']}",
                flush=True,
            )
        result["memory_after_load"] = shop.memory()
        if args.pdfs:
            invoices = invoice_paths(shop)
            result["pdf"] = pdfs(shop, args.pdfs, invoices)
            print(
                f"   {args.pdfs} A5 invoice PDFs: p50 {result['pdf']['p50_ms']} p95 {result['pdf']['p95_ms']} ms, "
                f"workers {result['pdf']['rss_before']} → {result['pdf']['rss_after']}",
                flush=True,
            )
        shop.stop()
        if args.floor_seconds:
            result["floor"] = floor_runs(shop, args.floor_seconds)
            best = max(result["saturation"], key=lambda r: r["sales_per_s"])
            s, raw = result["floor"]["services"]["sales_per_s"], result["floor"]["raw"]["sales_per_s"]
            result["ratio"] = f"1 : {s / best['sales_per_s']:.1f} : {raw / best['sales_per_s']:.1f}"
            print(
                f"   floor: services {result['floor']['services']}, raw {result['floor']['raw']}; "
                f"HTTP : services : raw = {result['ratio']}",
                flush=True,
            )
        result["load_at_end"] = loadavg()
    finally:
        shop.close()
    return result


def invoice_paths(shop: Shop) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(shop.url)
    with engine.connect() as conn:
        nos = list(conn.scalars(text("SELECT no FROM invoice ORDER BY id DESC LIMIT 50")))
    engine.dispose()
    return [f"/invoices/{no}" for no in nos]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench load")
    parser.add_argument("--db", default="both", choices=("sqlite", "pg", "both"))
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--tablets", default="1,5,20")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--busy-seconds", type=float, default=60)
    parser.add_argument("--floor-seconds", type=float, default=10)
    parser.add_argument("--pdfs", type=int, default=200)
    parser.add_argument("--json", default="")
    parser.add_argument("--no-cache", action="store_true", help="build the shop afresh (else kept between runs)")
    parser.add_argument("--drop-cache", action="store_true", help="drop the kept shops at the end")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    results = []
    if args.db in ("sqlite", "both"):
        results.append(run_on("SQLite", None, args))
    if args.db in ("pg", "both"):
        from bench.common import pg_database

        with pg_database("pos_load") as url:
            results.append(run_on("PostgreSQL", url, args))
    if args.drop_cache:
        shutil.rmtree(CACHE, ignore_errors=True)
        if args.db in ("pg", "both"):
            from sqlalchemy import text

            from bench.common import pg_admin

            admin = pg_admin()
            with admin.connect() as conn:
                for name in conn.scalars(text("SELECT datname FROM pg_database WHERE datname LIKE 'pos_load_tpl_%'")):
                    conn.execute(text(f'DROP DATABASE "{name}"'))
            admin.dispose()
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1))
    return 0
