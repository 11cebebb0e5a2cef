"""The manager's desk over one year of history (500,000 vouchers, 2,000,000 lines; smaller with
POS_BENCH_VOUCHERS / POS_BENCH_LINES / POS_BENCH_DAYS).

Targets (issue: the manager's desk), server time of the whole page, on SQLite and PostgreSQL:
the day view < 300 ms (a signed-off day and today's, still open), a 90-day dashboard < 500 ms,
a Z report < 300 ms (the screen, and the receipt's ESC/POS bytes). Also shown, without a target:
the 365-day dashboard, the quota board and the .xlsx export.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bench.common import bench_app, measure, on_both_databases, report


def _run_on(label: str, url: str | None, folder: Path) -> bool:
    from bench.history import generate_history
    from pos.extensions import db
    from pos.reports import signoff as services
    from pos.reports.documents import z_document
    from pos.reports.models import ZReport
    from pos.shop import services as shop
    from pos.staff import services as staff
    from printing.escpos import render as to_escpos

    app = bench_app(url, folder)
    size = {"days": int(os.environ.get("POS_BENCH_DAYS", 365)),
            "vouchers": int(os.environ.get("POS_BENCH_VOUCHERS", 500_000)),
            "lines": int(os.environ.get("POS_BENCH_LINES", 2_000_000))}
    with app.app_context():
        started = time.perf_counter()
        counts = generate_history(db.session, **size)
        db.session.commit()
        print(f"-- {label}: generated {counts} in {time.perf_counter() - started:.0f} s")
        today = shop.business_today(db.session)
        z = db.session.scalar(select(ZReport).order_by(ZReport.no.desc()).limit(1))
        signed_day = z.day
        open_day = today - timedelta(days=1)
        manager_id = staff.by_number(db.session, "M001").id
        shop_name = shop.showroom(db.session).name
        total = db.session.scalar(select(func.count()).select_from(ZReport))
        print(f"-- {label}: {total} Z reports; signed day {signed_day}, open day {open_day}")

    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(manager_id)

    def page(path: str):
        def fetch():
            resp = client.get(path)
            assert resp.status_code == 200, (path, resp.status_code)
        return fetch

    def z_bytes():
        with app.test_request_context():
            zr = services.get_z(db.session, z.no)
            to_escpos(z_document(services.day_summary(db.session, zr.day), zr, shop_name))
            db.session.remove()

    runs = 30
    ok = True
    ok &= report(f"{label}: day view, signed-off day", measure(page(f"/reports/day?day={signed_day}"),
                                                                runs=runs, warmup=3), 300)
    ok &= report(f"{label}: day view, day not signed off", measure(page(f"/reports/day?day={open_day}"),
                                                                    runs=runs, warmup=3), 300)
    ok &= report(f"{label}: dashboard, 90 days", measure(page("/reports/dashboard?days=90"), runs=runs, warmup=3),
                 500)
    ok &= report(f"{label}: Z report screen", measure(page(f"/reports/z/{z.no}"), runs=runs, warmup=3), 300)
    ok &= report(f"{label}: Z report to ESC/POS bytes", measure(z_bytes, runs=runs, warmup=3), 300)
    report(f"{label}: dashboard, 365 days (no target)", measure(page("/reports/dashboard?days=365"), runs=10,
                                                                warmup=1), 10_000)
    report(f"{label}: quota board, this month (no target)", measure(page("/reports/quotas"), runs=10, warmup=1),
           10_000)
    report(f"{label}: dashboard .xlsx, 90 days (no target)", measure(page("/reports/dashboard.xlsx?days=90"),
                                                                     runs=10, warmup=1), 10_000)
    return ok


def run() -> bool:
    return on_both_databases(_run_on)
