"""Adding a line to a long voucher, through the Flask test client (issue 19: "add line returns
only what changed"). Goal: p50 < 20 ms, independent of the voucher's size.

Measured on SQLite with the demo shop: a voucher of 3 lines and one of 60 lines, then 50 taps of
"+" each (p50 and p95 per request, the CPU time of the process per request — less
disturbed by other work on the machine — and the SQL statements and bytes of one tap):

* *a new line*: a product not on the voucher yet (the line is taken off again, untimed, so the
  voucher keeps its size);
* *one more*: a product already on the voucher at its list price (that line's quantity + 1).

Run: ``python -m bench add_line`` (or ``python -m bench.bench_add_line``). To measure older code,
put its tree first on the path: ``PYTHONPATH=/tmp/before python -m bench.bench_add_line``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, func, select, text

from bench.common import bench_app, p95

RUNS = 50


def _measure(app, size: int) -> dict[str, tuple[float, float, int]]:
    from pos.catalog.models import Product
    from pos.extensions import db
    from pos.sales.models import Voucher, VoucherLine

    hx = {"HX-Request": "true"}
    with app.app_context():
        clerk_id = db.session.scalar(text("SELECT id FROM staff WHERE staff_no = 'C001'"))
        ids = list(db.session.scalars(select(Product.id).where(Product.stock_on_hand > 5, Product.active.is_(True))
                                      .order_by(Product.id)))
    on_voucher, spare = ids[:size], ids[size:size + RUNS + 10]
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(clerk_id)
    client.post("/counter/new")
    for pid in on_voucher:
        resp = client.post("/counter/lines", data={"product_id": pid, "quantity": "1"}, headers=hx)
        assert resp.status_code == 200, resp.status_code
    with app.app_context():
        voucher_id = db.session.scalar(select(Voucher.id).where(Voucher.clerk_id == clerk_id,
                                                                Voucher.status == "draft").order_by(Voucher.id.desc()))
        assert db.session.scalar(select(func.count(VoucherLine.id)).where(VoucherLine.voucher_id == voucher_id)) == size
    statements = {"n": 0}

    def count(*_a):
        statements["n"] += 1

    out = {}
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    try:
        for name in ("new line", "one more"):
            times, cpus, counts = [], [], []
            for i in range(RUNS + 5):
                pid = spare[i] if name == "new line" else on_voucher[i % size]
                statements["n"] = 0
                start, cpu = time.perf_counter(), time.process_time()
                resp = client.post("/counter/lines", data={"product_id": pid, "quantity": "1"}, headers=hx)
                took, cpu = (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000
                assert resp.status_code == 200, (resp.status_code, resp.get_data(as_text=True)[:300])
                if i >= 5:  # warm-up
                    times.append(took)
                    cpus.append(cpu)
                    counts.append(statements["n"])
                with app.app_context():  # back to how it was, untimed
                    line_id, price = db.session.execute(select(VoucherLine.id, VoucherLine.unit_price).where(
                        VoucherLine.voucher_id == voucher_id, VoucherLine.product_id == pid)).one()
                if name == "new line":
                    client.post(f"/counter/lines/{line_id}/remove", headers=hx)
                else:
                    client.post(f"/counter/lines/{line_id}", data={"quantity": "1", "unit_price": str(price)},
                                headers=hx)
            out[name] = (statistics.median(times), p95(times), statistics.median(cpus), int(statistics.median(counts)),
                         len(resp.get_data()))
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", count)
    return out


def run() -> bool:
    import os

    app = bench_app(None, Path(tempfile.mkdtemp()))
    ok = True
    print(f"-- SQLite, demo shop; load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f}")
    for size in (3, 60):
        for name, (p50, p95_, cpu, n, size_bytes) in _measure(app, size).items():
            print(f"add a line to a {size:>2}-line voucher: {name:<9} p50 {p50:6.1f} ms  p95 {p95_:6.1f} ms  "
                  f"CPU p50 {cpu:5.1f} ms  "
                  f"{n:>3} statements  {size_bytes:>6} bytes   target p50 < 20 ms")
            ok &= p50 < 20
    with app.app_context():
        from pos.extensions import db

        db.engine.dispose()
    return ok


if __name__ == "__main__":
    run()
