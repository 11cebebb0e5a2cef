"""Faults under load: the server and the spooler killed (SIGKILL) in the middle of sales, then restarted.

Run: ``python -m bench faults [--db sqlite|pg|both] [--rounds N] [--tablets K]`` (long); the suite
runs two rounds on SQLite (tests/core/test_faults.py).

Each round: K tablets do whole counter sales (bench/load.py) while, after a random 0.5–3 s, the
gunicorn master and its workers — and every other round the print spooler — are killed with
SIGKILL, wherever they are (inside a payment, an invoice, a receipt being sent). The tablets keep
what they were doing; a payment whose answer never came is sent again with the same one-time key
after the restart, as a browser's resubmit would. At the end the database must hold no half-written
sale and no duplicate, the invoice numbers no gap, and the printer no receipt twice.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import threading
import time

from bench.common import pg_database
from bench.load import Printer, Refused, Shop, Tablet, children


def kill_server(shop: Shop, *, spooler: bool) -> None:
    pids = [shop.server.pid] + shop.workers()
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    shop.server.wait()
    if spooler:
        shop.spooler.kill()
        shop.spooler.wait()
    for pid in pids[1:]:  # the workers, reaped by init: wait until they are gone
        for _ in range(100):
            if not os.path.exists(f"/proc/{pid}"):
                break
            time.sleep(0.05)
    shop.server = None


HOT = threading.Event()  # a tablet is about to pay or issue an invoice: the moment to kill


class ResendingTablet(Tablet):
    """A tablet whose payment is sent again (same one-time key) when its answer did not come."""

    def request(self, kind, method, path, data=None, **kw):
        tries = 40 if kind in ("pay", "issue") else 1
        for attempt in range(tries):
            try:
                answer = super().request(kind, method, path, data, **kw)
                if kind in ("pay page", "invoice form"):
                    HOT.set()
                return answer
            except Refused as e:
                if kind == "issue" and "422" in str(e) and attempt:
                    raise  # the first try went through: this voucher has its invoice
                if attempt == tries - 1 or "599" not in self._last_status():
                    raise
                time.sleep(0.5)

    def _last_status(self) -> str:
        return str(self.log[-1][2]) if self.log else ""


def run_rounds(shop: Shop, rounds: int, tablets: int, seed: int = 1) -> dict:
    rng = random.Random(seed)
    log: list = []
    stop = threading.Event()
    done: list[str] = []
    port_box = {}

    def tablet_loop(i: int):
        t = ResendingTablet(0, *shop.staff[i], log, random.Random(seed * 100 + i))
        while not stop.is_set():
            t.port = port_box.get("port", 0)
            try:
                done.append(t.sale())
            except (Refused, AttributeError, TypeError):
                time.sleep(0.3)
            except Exception:  # a page not as expected mid-restart (e.g. no CSRF token): try again
                time.sleep(0.3)

    shop.start()
    port_box["port"] = shop.port
    threads = [threading.Thread(target=tablet_loop, args=(i,), daemon=True) for i in range(tablets)]
    for th in threads:
        th.start()
    for r in range(rounds):
        HOT.clear()
        HOT.wait(60)  # a payment or an invoice is next on some tablet: kill during it (or just before/after)
        time.sleep(rng.uniform(0.0, 0.4))
        kill_server(shop, spooler=r % 2 == 0)
        time.sleep(rng.uniform(0.2, 1.0))  # the database unreachable through the app for a moment
        port = shop.port
        shop.start_on(port)
    time.sleep(3)
    stop.set()
    for th in threads:
        th.join(60)
    time.sleep(3)  # the spooler's last receipts
    shop.stop()
    resent = sum(1 for kind, _ms, status, *_rest in log if kind == "pay" and status == 599)
    return {
        "sales": len(done),
        "rounds": rounds,
        "payments_cut_off_and_resent": resent,
        "printer_duplicates": shop.printer.duplicates,
        "problems": invariants(shop),
    }


COUNTED = {  # table → the money column summed beside its count
    "voucher": "total", "voucher_line": "amount", "payment": "received", "tender": "amount",
    "invoice": None, "print_job": None, "audit_entry": None,
}


def tally_rows(url: str) -> dict[str, tuple[int, int]]:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    out = {}
    with engine.connect() as conn:
        for table, money in COUNTED.items():
            total = f"coalesce(sum({money}), 0)" if money else "0"
            out[table] = tuple(int(x) for x in conn.exec_driver_sql(f"SELECT count(*), {total} FROM {table}").one())
    engine.dispose()
    return out


def backup_under_load(shop: Shop, tablets: int, seconds: float = 8.0) -> dict:
    """`pos backup` taken while the tablets write, restored with `pos restore` into a database of its
    own: every table's count and money total lies between the live database's just before the backup
    started and just after it ended, and the restored shop breaks none of the invariants."""
    import subprocess

    from bench.load import POS, ROOT, drive

    shop.start()
    result = {}

    def backup_midway():
        time.sleep(seconds / 2)
        result["before"] = tally_rows(shop.url)
        out = subprocess.run([POS, "backup", "--dir", str(shop.folder / "backups")], env=shop.env, cwd=ROOT,
                             capture_output=True, text=True, timeout=300)
        result["after"] = tally_rows(shop.url)
        result["output"] = out.stdout.strip() or out.stderr[-500:]

    th = threading.Thread(target=backup_midway)
    th.start()
    drive(shop, tablets, seconds)
    th.join()
    shop.stop()
    files = sorted((shop.folder / "backups").glob("*"))
    if not files:
        return {"problems": [f"no backup written: {result.get('output')}"]}
    restored = Shop(shop.label + " restored", None, 0, 0)
    admin = None
    if shop.url.startswith("postgresql"):
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        url = make_url(shop.url)
        name = f"{url.database}_restored"
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        restored.url = url.set(database=name).render_as_string(hide_password=False)
        restored.env["DATABASE_URL"] = restored.url
    try:
        out = subprocess.run([POS, "restore", str(files[-1]), "--yes"], env=restored.env, cwd=ROOT,
                             capture_output=True, text=True, timeout=600)
        if out.returncode:
            return {"problems": [f"pos restore failed: {out.stdout[-300:]} {out.stderr[-300:]}"]}
        got = tally_rows(restored.url)
        problems = [f"{table}: restored {got[table]} not between {result['before'][table]} and "
                    f"{result['after'][table]}" for table in COUNTED
                    if not (result["before"][table][0] <= got[table][0] <= result["after"][table][0]
                            and result["before"][table][1] <= got[table][1] <= result["after"][table][1])]
        problems += invariants(restored)
        return {"backup": files[-1].name, "live_before": result["before"], "restored": got,
                "live_after": result["after"], "problems": problems}
    finally:
        restored.close()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()


def invariants(shop: Shop) -> list[str]:
    """What must hold whatever was killed when: returns the problems found (none is right)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(shop.url)
    problems = []
    checks = {
        "a written-up voucher whose lines do not add up to its total": "SELECT v.no FROM voucher v WHERE v.status = 'written_up' AND v.total != "  # noqa: E501
        "(SELECT coalesce(sum(l.amount), 0) FROM voucher_line l WHERE l.voucher_id = v.id)",
        "a voucher paid twice": "SELECT voucher_id FROM payment WHERE voucher_id IS NOT NULL AND reversed_at IS NULL "
        "GROUP BY voucher_id HAVING count(*) > 1",
        "a payment without its tenders, or tenders not adding up to what was received": "SELECT p.id FROM payment p WHERE p.received != (SELECT coalesce(sum(t.amount), 0) FROM tender t "  # noqa: E501
        "WHERE t.payment_id = p.id)",
        "a voucher marked paid without a payment": "SELECT v.no FROM voucher v WHERE v.payment_state = 'paid' AND NOT EXISTS "  # noqa: E501
        "(SELECT 1 FROM payment p WHERE p.voucher_id = v.id AND p.reversed_at IS NULL)",
        "a payment without its receipt queued": "SELECT p.id FROM payment p JOIN voucher v ON v.id = p.voucher_id WHERE NOT EXISTS "  # noqa: E501
        "(SELECT 1 FROM print_job j WHERE j.kind = 'receipt' AND j.title LIKE '%' || v.no)",
        "a gap in the invoice numbers": "SELECT series FROM invoice GROUP BY series HAVING max(seq) != count(*) OR min(seq) != 1",  # noqa: E501
        "a voucher on two live invoices": "SELECT iv.voucher_id FROM invoice_voucher iv WHERE NOT EXISTS "
        "(SELECT 1 FROM invoice_void d WHERE d.invoice_id = iv.invoice_id) "
        "GROUP BY iv.voucher_id HAVING count(*) > 1",
    }
    with engine.connect() as conn:
        for what, sql in checks.items():
            rows = conn.execute(text(sql)).all()  # text(): its '%' is no placeholder on psycopg
            if rows:
                problems.append(f"{what}: {[r[0] for r in rows[:5]]}")
    engine.dispose()
    if shop.printer.duplicates:
        problems.append(f"{shop.printer.duplicates} receipt(s) printed twice")
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench faults")
    parser.add_argument("--db", default="sqlite", choices=("sqlite", "pg", "both"))
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--tablets", type=int, default=5)
    parser.add_argument("--products", type=int, default=2000)
    args = parser.parse_args(argv)
    ok = True
    for label in ["sqlite", "pg"] if args.db == "both" else [args.db]:
        with pg_database("pos_faults") if label == "pg" else contextlib.nullcontext() as url:
            shop = Shop(label, url, args.products, args.tablets)
            shop.use_cache = False
            try:
                shop.build()
                result = run_rounds(shop, args.rounds, args.tablets)
                print(f"{label}: {result}")
                ok &= not result["problems"]
                backup = backup_under_load(shop, args.tablets)
                print(f"{label} backup while writing: {backup}")
                ok &= not backup["problems"]
            finally:
                shop.close()
    return 0 if ok else 1


__all__ = ["Printer", "children", "invariants", "kill_server", "main", "run_rounds"]
