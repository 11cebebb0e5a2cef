"""The month's appraisal (绩效考核) for 50 staff over a year of history (POS_BENCH_VOUCHERS vouchers,
default 150,000, about three lines each, from bench/history.py; 20,000 customers registered by the
clerks over the year, each clerk's vouchers naming customers of their own pool so that retention has
something to count; a target for every clerk; collision rulings in the month).

Target (issue 18): the month's appraisal p95 < 500 ms, server time of the whole page, on SQLite and
PostgreSQL — last month (every day signed off) and this month (its last days still live). Also shown,
without a target: a person's sheet, the A4 PDF, the year and the dashboard's 环比/同比 (30 days).
"""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text

from bench.common import bench_app, measure, on_both_databases, p95, report

STAFF = 50
N_CUSTOMERS = 20_000
N_VOUCHERS = int(os.environ.get("POS_BENCH_VOUCHERS", 150_000))
POOL = 400  # customers a clerk sells to again and again


def _fill(app) -> dict:
    from bench.history import generate_history
    from pos.customers.models import Collision, Customer
    from pos.extensions import db
    from pos.reports import quotas
    from pos.reports.models import Quota
    from pos.staff import services as staff
    from pos.staff.models import Staff, StaffRole

    rng = random.Random(18)
    with app.app_context():
        session = db.session
        clerks = set(session.scalars(select(StaffRole.staff_id).join(Staff, Staff.id == StaffRole.staff_id)
                                     .where(StaffRole.role == "clerk", Staff.active.is_(True))))
        i = 0
        while len(clerks) < STAFF:
            person = staff.create_staff(session, staff_no=f"B{i:03d}", full_name=f"营业员{i:02d}", roles=("clerk",),
                                        pin=f"{6000 + i}", actor=None)
            clerks.add(person.id)
            i += 1
        session.commit()
        clerk_ids = sorted(clerks)
        now = datetime.now(UTC)
        rows, n = [], 0
        while n < N_CUSTOMERS:
            phone = f"1{rng.choice('3456789')}{n:09d}"
            rows.append({"name": f"顾客{n}", "phone": phone, "phone_last4": phone[-4:], "address": "", "note": "",
                         "channel": "walk_in", "needs": "", "key_customer": False, "grade": "C", "score": 0,
                         "former_phone": "", "created_by_id": rng.choice(clerk_ids),
                         "created_at": now - timedelta(days=rng.randrange(0, 365), minutes=rng.randrange(0, 600))})
            n += 1
            if len(rows) >= 10000:
                session.execute(insert(Customer), rows)
                rows = []
        if rows:
            session.execute(insert(Customer), rows)
        session.commit()
        generate_history(session, vouchers=N_VOUCHERS, lines=N_VOUCHERS * 3)
        first_id = session.scalar(text("SELECT min(id) FROM customer"))
        total = session.scalar(text("SELECT count(*) FROM customer"))
        # three vouchers in four name a customer from the clerk's own pool: repeat buyers
        session.execute(text("UPDATE voucher SET customer_id = :first + (clerk_id * :pool + (id * 7919) % :pool) % :n "
                             "WHERE id % 4 <> 0"), {"first": first_id, "pool": POOL, "n": total})
        month = quotas.parse_month(session, None)
        manager = staff.by_number(session, "M001")
        for m in (month.previous(), month):
            session.execute(insert(Quota), [{"staff_id": c, "month": str(m), "amount": rng.randrange(20, 80) * 10000,
                                             "set_by_id": manager.id, "at": now} for c in clerk_ids])
        customers = list(session.scalars(text("SELECT id FROM customer ORDER BY id LIMIT 200")))
        ruled = now - timedelta(days=now.day + 3)  # last month
        for k in range(30):
            owner, other = rng.sample(clerk_ids, 2)
            session.add(Collision(customer_id=customers[k], owner_id=owner, other_id=other, status="ruled",
                                  ruling="manager", deduction_pct=rng.choice((5, 10, 20)), ruled_by_id=manager.id,
                                  ruled_at=ruled, at=ruled))
        session.commit()
        session.execute(text("ANALYZE"))
        session.commit()
        return {"month": month, "manager_id": manager.id, "clerk_id": clerk_ids[0]}


def _run_on(label: str, url: str | None, folder: Path) -> bool:
    app = bench_app(url, folder)
    started = time.perf_counter()
    facts = _fill(app)
    print(f"-- {label}: filled in {time.perf_counter() - started:.0f} s; load average {os.getloadavg()}")
    month = facts["month"]
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(facts["manager_id"])

    def page(path: str):
        def fetch():
            resp = client.get(path)
            assert resp.status_code == 200, (path, resp.status_code)
            return resp
        return fetch

    body = page(f"/reports/appraisal?month={month.previous()}")().get_data(as_text=True)
    print(f"-- {label}: {body.count('data-staff=')} people on last month's appraisal")
    runs = 30
    ok = True
    for name, path in (("last month", f"/reports/appraisal?month={month.previous()}"),
                       ("this month", f"/reports/appraisal?month={month}")):
        cpu: list[float] = []
        fetch = page(path)

        def timed(fetch=fetch, cpu=cpu):
            started = time.process_time()
            fetch()
            cpu.append((time.process_time() - started) * 1000)

        ok &= report(f"{label}: appraisal, {name} ({STAFF} staff)", measure(timed, runs=runs, warmup=3), 500)
        cpu = cpu[3:]  # without the warm-up
        # the app's own CPU (this process; on PostgreSQL the server's work is elsewhere): what the page
        # costs without the other processes of a loaded machine in its way
        print(f"{'':<55} app CPU p50 {statistics.median(cpu):8.3f} ms   p95 {p95(cpu):8.3f} ms   "
              f"load average {os.getloadavg()[0]:.1f}")
    report(f"{label}: a person's sheet (no target)",
           measure(page(f"/reports/appraisal/{month.previous()}/{facts['clerk_id']}"), runs=10, warmup=1), 10_000)
    report(f"{label}: a person's A4 PDF (no target)",
           measure(page(f"/reports/appraisal/{month.previous()}/{facts['clerk_id']}.pdf"), runs=5, warmup=1), 10_000)
    report(f"{label}: the year (no target)", measure(page(f"/reports/appraisal/year?year={month.year}"),
                                                     runs=5, warmup=1), 10_000)
    report(f"{label}: dashboard 30 days with 环比/同比 (no target)", measure(page("/reports/dashboard?days=30"),
                                                                         runs=10, warmup=1), 10_000)
    return ok


def run() -> bool:
    return on_both_databases(_run_on)
