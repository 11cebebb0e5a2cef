"""The counter with 100,000 products: search as you type, and adding a line to a voucher.

Targets (issue: the counter): search-as-you-type p95 server time < 30 ms, adding a
line p95 < 30 ms, on SQLite and on PostgreSQL. Set POS_BENCH_PG_URL (default the
local server) to measure PostgreSQL; the run creates and drops its own database.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

from sqlalchemy import insert, select, text

from bench.common import bench_app, measure, on_both_databases, report

N_PRODUCTS = int(os.environ.get("POS_BENCH_PRODUCTS", "100000"))
QUERIES = ["冰箱", "hebx", "bcd-1", "海尔 白", "美的 洗衣机 10公斤", "tv-7", "不存在的东西", "净水", "gl", "滤芯"]


def _fill(app) -> None:
    """Copy the demo catalogue until there are N_PRODUCTS products (bulk insert)."""
    from pos.catalog.models import Product
    from pos.catalog.services import index_product
    from pos.extensions import db

    with app.app_context():
        base = list(db.session.scalars(select(Product)))
        rows = []
        rng = random.Random(7)
        n = len(base)
        while n < N_PRODUCTS:
            p = rng.choice(base)
            model = f"{p.model}-{n}"
            row = {
                "name": p.name, "brand_id": p.brand_id, "category_id": p.category_id, "model": model,
                "spec": p.spec, "colour": p.colour, "family": f"{p.family}-{n // 3}", "barcode": f"7{n:012d}",
                "unit": p.unit, "whole_units_only": True, "list_price": p.list_price, "vat_rate_bp": 1300,
                "stock_on_hand": p.stock_on_hand, "selling_points": p.selling_points, "functions": p.functions,
                "active": True,
            }
            fake = Product(**{k: v for k, v in row.items() if k not in ("brand_id", "category_id")})
            index_product(fake, p.brand.name)
            row["search_key"], row["search_grams"] = fake.search_key, fake.search_grams
            rows.append(row)
            n += 1
            if len(rows) >= 5000:
                db.session.execute(insert(Product), rows)
                rows = []
        if rows:
            db.session.execute(insert(Product), rows)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()


def _run_on(label: str, url: str | None, folder: Path) -> bool:
    from pos.extensions import db

    app = bench_app(url, folder)
    with app.app_context():
        clerk_id = db.session.scalar(text("SELECT id FROM staff WHERE staff_no = 'C001'"))
        product_ids = list(db.session.scalars(text("SELECT id FROM product WHERE stock_on_hand > 0 LIMIT 50")))
    _fill(app)
    with app.app_context():
        total = db.session.scalar(text("SELECT count(*) FROM product"))
        barcode = db.session.scalar(text("SELECT barcode FROM product ORDER BY id DESC LIMIT 1"))
    print(f"-- {label}: {total} products")
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(clerk_id)
    queries = QUERIES + [barcode]
    i = {"n": 0}

    def search():
        q = queries[i["n"] % len(queries)]
        i["n"] += 1
        resp = client.get("/catalog", query_string={"view": "quick", "q": q})
        assert resp.status_code == 200, (resp.status_code, resp.get_data(as_text=True)[:300])

    ok = report(f"[{label}] search as you type (GET /catalog?view=quick)", measure(search, runs=300), 30)

    def typing():
        # each keystroke of "hebx" as the clerk types it
        for prefix in ("h", "he", "heb", "hebx"):
            client.get("/catalog", query_string={"view": "quick", "q": prefix})

    ok &= report(f"[{label}] 4 keystrokes of 'hebx' (÷4 for one)", measure(typing, runs=50), 120)
    client.get("/counter")
    n = {"i": 0, "per_voucher": 10}

    def add_line():
        n["i"] += 1
        if n["i"] % n["per_voucher"] == 0:
            client.post("/counter/new")
        pid = product_ids[n["i"] % len(product_ids)]
        resp = client.post("/counter/lines", data={"product_id": pid, "quantity": "1"}, headers={"HX-Request": "true"})
        assert resp.status_code == 200, (resp.status_code, resp.get_data(as_text=True)[:200])

    ok &= report(f"[{label}] add a line to a voucher of up to 10 lines", measure(add_line, runs=300), 30)
    client.post("/counter/new")
    n["i"], n["per_voucher"] = 0, 60
    report(f"[{label}] (information) add a line to a voucher of up to 60 lines",
           measure(add_line, runs=59, warmup=0), 60)
    with app.app_context():
        db.engine.dispose()
    return ok


def run() -> bool:
    return on_both_databases(_run_on)
