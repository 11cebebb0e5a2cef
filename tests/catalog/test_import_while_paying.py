"""A long catalogue import never holds SQLite's write lock for long: every row is checked
before anything is written (reading only), then rows are written in batches of at most
tx.BATCH_SECONDS. Payments made at the cash desk during the import succeed at once."""

from __future__ import annotations

import io
import threading
import time

from openpyxl import Workbook
from sqlalchemy import func, select

from pos.cashier.models import Payment
from pos.catalog.models import Product
from tests.conftest import login_as
from tests.helpers import shown_at

ROWS = 1500  # about 15 s of import on this machine


def big_workbook(rows: int) -> io.BytesIO:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["条码", "名称", "品牌", "品类", "型号", "规格", "颜色", "单位", "零售价", "税率%", "库存"])
    for n in range(rows):
        ws.append([f"69{n:011d}", f"导入电饭煲 {n}", "美的", "电饭煲", f"FB-{n}", "3升", "白色", "个", 399, 13, 5])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def test_payments_during_a_long_import_are_not_blocked(app, session, station, write_up):
    vouchers = [write_up("168.00").no for _ in range(4)]
    before = session.scalar(select(func.count(Product.id)))
    manager, cashier = app.test_client(), app.test_client()
    login_as(manager, "M001")
    login_as(cashier, "S001")
    assert cashier.post("/cashier/shift/open", data={"station": station.id, "count_10000": "2"}).status_code == 303
    data = big_workbook(ROWS)
    result = {}

    def run_import():
        started = time.monotonic()
        resp = manager.post("/manage/products/import", data={"file": (data, "big.xlsx")},
                            content_type="multipart/form-data")
        result["import"] = (resp.status_code, time.monotonic() - started)

    importer = threading.Thread(target=run_import)
    importer.start()
    time.sleep(0.3)
    waits, during = [], []
    for n, no in enumerate(vouchers):
        started = time.monotonic()
        resp = cashier.post(f"/cashier/pay/{no}", data={"once_key": f"k{n}", "count_10000": "2"})
        waits.append(time.monotonic() - started)
        during.append(importer.is_alive())  # paid while the import was still writing
        shown_at(resp)  # paid: the announcement
        time.sleep(0.4)
    importer.join(180)
    status, took = result["import"]
    assert status == 200
    # The payments went through between the import's batches, not after it: the import takes no
    # write lock while it parses and commits in short batches. (How long a payment waits — under a
    # second on a quiet machine — is a timing and is measured in bench/, not asserted here: on a
    # loaded CI machine SQLite's busy handler may let the importer take the lock again first.)
    assert all(during[:-1]), (took, waits, during)
    session.expire_all()
    assert session.scalar(select(func.count(Product.id))) == before + ROWS
    assert session.scalar(select(func.count(Payment.id))) == len(vouchers)
