"""The cash desk: a complete cash payment, and closing a shift with 5,000 payments.

Targets (issue: the cashier): a complete cash payment (open the voucher, tender,
confirm) p95 server time < 50 ms; closing a shift with 5,000 payments < 1 s; on
SQLite and PostgreSQL (POS_BENCH_PG_URL, default the local server).
"""

from __future__ import annotations

import time
import uuid
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, select, text

from bench.common import bench_app, measure, on_both_databases, report

N_SHIFT_PAYMENTS = 5000


def _run_on(label: str, url: str | None, folder: Path) -> bool:
    from pos.cashier import services as cashier
    from pos.cashier.models import Payment, Shift, Tender
    from pos.catalog.models import Product
    from pos.extensions import db
    from pos.sales import services as sales
    from pos.shop.models import Station
    from pos.staff import services as staff

    app = bench_app(url, folder)
    runs = 200
    with app.app_context():
        manager = staff.by_number(db.session, "M001")
        products = list(db.session.scalars(select(Product.id).limit(20)))
        numbers = []
        for i in range(runs + 10):
            v = sales.open_draft(db.session, manager)
            sales.add_line(db.session, v, products[i % 20], "1", "168.00", actor=manager)
            sales.write_up(db.session, v, actor=manager)
            numbers.append(v.no)
        db.session.commit()
        cashier_id = staff.by_number(db.session, "S001").id
        station_id = db.session.scalar(select(Station.id).where(Station.code == "T1"))
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(cashier_id)
    assert client.post("/cashier/shift/open", data={"station": station_id, "count_10000": "2"}).status_code == 303
    queue = iter(numbers)
    form = {"count_10000": "2", "count_5000": "1", "rej_5000": "1"}

    def pay():
        no = next(queue)
        assert client.get("/cashier/pay", query_string={"no": no}).status_code == 200
        assert client.post(f"/cashier/pay/{no}/tally", data=form).status_code == 200
        resp = client.post(f"/cashier/pay/{no}", data={"once_key": uuid.uuid4().hex, **form})
        assert resp.status_code == 200 and resp.headers["Content-Location"], resp.get_data(as_text=True)[:300]

    ok = report(f"[{label}] complete cash payment (open, tally, confirm)", measure(pay, runs=runs, warmup=5), 50)

    # a shift with 5,000 payments (bulk-inserted), then closed
    with app.app_context():
        shift_id = db.session.scalar(select(Shift.id).where(Shift.closed_at.is_(None)))
        start_id = (db.session.scalar(text("SELECT max(id) FROM payment")) or 0) + 1
        payments, tenders = [], []
        for i in range(N_SHIFT_PAYMENTS):
            pid = start_id + i
            payments.append({"id": pid, "once_key": f"bulk-{pid}", "purpose": "sale", "voucher_id": None,
                             "shift_id": shift_id, "cashier_id": cashier_id, "amount_due": Decimal("168.00"),
                             "received": Decimal("200.00"), "change_given": Decimal("32.00"),
                             "awaiting_clearance": False})
            tenders.append({"payment_id": pid, "kind": "cash" if i % 3 else "card", "amount": Decimal("200.00"),
                            "reference": "" if i % 3 else f"T{i}"})
        db.session.execute(insert(Payment), payments)
        db.session.execute(insert(Tender), tenders)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SELECT setval('payment_id_seq', (SELECT max(id) FROM payment))"))
            db.session.commit()
        shift = db.session.get(Shift, shift_id)
        cashier_staff = staff.by_number(db.session, "S001")
        started = time.perf_counter()
        summary = cashier.close_shift(db.session, shift, {10000: 3}, actor=cashier_staff)
        db.session.commit()
        elapsed = (time.perf_counter() - started) * 1000
        assert summary.payments >= N_SHIFT_PAYMENTS
        ok &= report(f"[{label}] close a shift with {summary.payments} payments", [elapsed], 1000)
        db.engine.dispose()
    return ok


def run() -> bool:
    return on_both_databases(_run_on)
