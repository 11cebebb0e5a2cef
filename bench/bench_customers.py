"""The customer file with 200,000 customers and a year of history: the search (by the last four
digits of the phone, by the beginning of a name, by grade, by tag) and one customer's page (as the
manager: full details and the timeline).

Targets (issue: customers 1/2): customer search and the customer page p95 < 50 ms (server time,
through the test client) on SQLite and on PostgreSQL. Set POS_BENCH_PG_URL (default the local
server) to measure PostgreSQL; the run creates and drops its own database. POS_BENCH_CUSTOMERS
and POS_BENCH_VOUCHERS make it smaller for a quick look.
"""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, text

from bench.common import bench_app, measure, on_both_databases, report

N_CUSTOMERS = int(os.environ.get("POS_BENCH_CUSTOMERS", "200000"))
N_VOUCHERS = int(os.environ.get("POS_BENCH_VOUCHERS", "500000"))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
TAGS = ("装修中", "老客户", "团购", "新房", "以旧换新")


def _fill(app) -> None:
    from bench.history import generate_history
    from pos.customers.file_models import CustomerTag
    from pos.customers.models import Customer
    from pos.extensions import db

    rng = random.Random(11)
    with app.app_context():
        rows, tags, n = [], [], db.session.scalar(text("SELECT count(*) FROM customer"))
        now = datetime.now(UTC)
        while n < N_CUSTOMERS:
            phone = f"1{rng.choice('3456789')}{n:09d}"
            rows.append({"name": rng.choice(SURNAMES) + rng.choice(("先生", "女士", "小姐", "总")), "phone": phone,
                         "phone_last4": phone[-4:], "address": "上海市某区某路1号", "note": "", "channel": "walk_in",
                         "needs": "", "key_customer": rng.random() < 0.02, "grade": rng.choice("AABBBCCCCC"),
                         "score": rng.randrange(0, 90), "former_phone": "", "created_at": now})
            n += 1
            if len(rows) >= 10000:
                db.session.execute(insert(Customer), rows)
                rows = []
        if rows:
            db.session.execute(insert(Customer), rows)
        db.session.commit()
        ids = list(db.session.scalars(text("SELECT id FROM customer ORDER BY id")))
        for cid in rng.sample(ids, min(len(ids), 20000)):
            tags.append({"customer_id": cid, "tag": rng.choice(TAGS), "at": now})
        db.session.execute(insert(CustomerTag), tags)
        db.session.commit()
        generate_history(db.session, vouchers=N_VOUCHERS, lines=N_VOUCHERS * 3)
        # a year of history spread over the customers: most vouchers name one (some customers have many)
        db.session.execute(text("UPDATE voucher SET customer_id = 1 + (CAST(id AS BIGINT) * 7919) % :n "
                                "WHERE id % 4 <> 0"), {"n": len(ids)})
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def _run_on(label: str, url: str | None, folder: Path) -> bool:
    from pos.extensions import db

    app = bench_app(url, folder)
    _fill(app)
    with app.app_context():
        manager_id = db.session.scalar(text("SELECT id FROM staff WHERE staff_no = 'M001'"))
        clerk_id = db.session.scalar(text("SELECT id FROM staff WHERE staff_no = 'C001'"))
        total = db.session.scalar(text("SELECT count(*) FROM customer"))
        vouchers = db.session.scalar(text("SELECT count(*) FROM voucher WHERE customer_id IS NOT NULL"))
        busiest = list(db.session.scalars(text(
            "SELECT customer_id FROM voucher WHERE customer_id IS NOT NULL GROUP BY customer_id "
            "ORDER BY count(*) DESC LIMIT 20")))
        phones = list(db.session.scalars(text("SELECT phone FROM customer ORDER BY id DESC LIMIT 50")))
    print(f"-- {label}: {total:,} customers, {vouchers:,} vouchers naming one")
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(clerk_id)
    rng = random.Random(3)
    searches = ([{"phone": p[-4:]} for p in phones] + [{"phone": p} for p in phones[:10]]
                + [{"name": s} for s in SURNAMES[:20]] + [{"grade": g} for g in "ABC"] + [{"tag": t} for t in TAGS])

    def search():
        r = client.post("/customers/search", data=rng.choice(searches), headers={"HX-Request": "true"})  # as the form
        assert r.status_code == 200, r.status_code

    ok = report(f"{label}: customer search (clerk)", measure(search, runs=200), 50)
    with client.session_transaction() as sess:
        sess["_user_id"] = str(manager_id)

    def page():
        r = client.get(f"/customers/{rng.choice(busiest)}")
        assert r.status_code == 200, r.status_code

    ok &= report(f"{label}: customer page with its timeline (manager)", measure(page, runs=100), 50)
    return ok


def run() -> bool:
    return on_both_databases(_run_on)
