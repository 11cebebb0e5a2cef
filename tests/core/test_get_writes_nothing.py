"""A GET never writes: every GET route, as every role, twice, leaves every table as it was.

The routes come from the app's url_map (a new screen is checked without anyone adding it);
the ids in their addresses are those of a small shop day made through the rules: a paid
voucher with its payment, shift, invoice and print job, a delivered-to-be voucher with its
dispatch slip, an unpaid voucher at the cash desk, a phone order waiting for review and a
clerk's open draft. A GET may answer 403/404/422 for a role or an argument; it may not change
a row — not even a flush that the end of the request would roll back (the counts are read in
the request's own session, so they see what it flushed).
"""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from pos.extensions import db
from tests.conftest import CASHIER, CLERK, DRIVER, MANAGER, login_as
from tests.helpers import row_counts

ROLES = {"clerk": CLERK, "cashier": CASHIER, "manager": MANAGER, "delivery": DRIVER, None: None}
SKIP = {"static"}  # files on disk, no database


@pytest.fixture
def shop_day(session, paid, write_up, clerk, cashier_staff, manager):
    """A day's records made through the rules; their ids and numbers, by what the routes call them."""
    from pos.cashier.models import Payment
    from pos.catalog.models import Product
    from pos.delivery import services as delivery
    from pos.invoicing import services as invoicing
    from pos.printers import services as printers
    from pos.sales import services as sales

    sold = paid()
    invoice = invoicing.issue(session, [sold.no], invoicing.Buyer("周先生", "13800138001", "上海市浦东新区张杨路500号"),
                              preparer=cashier_staff)
    delivered = paid(once="k-slip")
    slip = delivery.request_delivery(
        session, delivered.no, {line.id: str(line.quantity) for line in delivered.lines}, clerk=clerk,
        once_key="slip-1", name="周先生", phone="13800138001", address="上海市浦东新区张杨路500号3号楼1201室",
        window_day=None)
    unpaid = write_up("99.00")
    product = session.scalar(select(Product).where(Product.stock_on_hand > 2).order_by(Product.id))
    phone_order = sales.start_phone_order(session, actor=clerk, name="李女士", phone="13900139000",
                                          address="上海市黄浦区南京东路100号")
    sales.add_line(session, phone_order, product.id, "1", actor=clerk)
    sales.confirm_read_back(session, phone_order, actor=clerk)
    draft = sales.open_draft(session, clerk)
    sales.add_line(session, draft, product.id, "1", actor=clerk)
    printer = printers.printer_for(session, None)
    job = printers.enqueue(session, printers.test_document(printer), kind="test", title="test", printer=printer,
                           requested_by=manager)
    session.commit()
    payment = session.scalar(select(Payment).where(Payment.voucher_id == sold.id))
    return {
        "payment_id": payment.id, "which": "finance", "shift_id": payment.shift_id, "product_id": product.id,
        "slip_id": slip.id, "invoice_no": invoice.no, "voucher_no": sold.no, "staff_id": manager.id,
        "printer_id": printer.id, "job_id": job.id, "voucher_id": phone_order.id, "z_no": 1,
        "filename": "nothing/there.png", "unpaid_no": unpaid.no, "uninvoiced_no": delivered.no,
    }


def get_routes(app, day: dict, role: str | None):
    """(endpoint, url) for every GET route, its arguments filled from the shop's day."""
    adapter = app.url_map.bind("localhost")
    query = {  # the lookups a GET does from its query string
        "cashier.pay_open": {"no": day["unpaid_no"]}, "cashier.refund_open": {"no": day["voucher_no"]},
        "sales.pickup_find": {"no": day["voucher_no"]}, "invoicing.invoice_new": {"vouchers": day["uninvoiced_no"]},
        "sales.counter": {"q": "冰箱"}, "catalog.browse": {"q": "冰箱"},
    }
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP:
            continue
        values = {}
        for name in rule._converters:
            if name == "no":  # a voucher's, an invoice's or a Z report's number
                values[name] = (day["invoice_no"] if rule.rule.startswith("/invoices") else
                                day["z_no"] if rule.rule.startswith("/reports/z") else day["voucher_no"])
            elif name == "role":
                values[name] = role or "clerk"
            elif name in day:
                values[name] = day[name]
            else:  # a route of a domain without records in this day: a record that is not there
                values[name] = "999999" if type(rule._converters[name]).__name__ == "IntegerConverter" else "x"
        values.update(query.get(rule.endpoint, {}))
        yield rule.endpoint, adapter.build(rule.endpoint, values)


def fingerprint(session) -> tuple[dict[str, int], dict[str, str]]:
    """Every table's row count and a digest of its rows (a GET must not update a row either)."""
    counts = row_counts(session)
    digests = {}
    for name, table in db.metadata.tables.items():
        rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
        digests[name] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
    return counts, digests


@pytest.mark.parametrize("role", list(ROLES), ids=lambda r: r or "anonymous")
def test_every_get_route_writes_nothing(app, session, shop_day, role):
    client = app.test_client()
    if role:
        login_as(client, ROLES[role])
    before = fingerprint(session)
    answered = {}
    for _twice in range(2):
        for endpoint, url in get_routes(app, shop_day, role):
            resp = client.get(url)
            answered[endpoint] = resp.status_code
            # the row counts after every GET (cheap); every row of every table after each round (below)
            assert row_counts(session) == before[0], f"GET {url} as {role or 'anonymous'} added or removed rows"
            assert resp.status_code < 500, f"GET {url} as {role or 'anonymous'}: {resp.status_code}"
        after = fingerprint(session)
        changed = sorted(t for t in before[1] if before[1][t] != after[1][t])
        assert after == before, (f"a GET as {role or 'anonymous'} changed rows of {changed}: "
                                 f"{_culprit(client, app, session, shop_day, role)}")
    assert len(answered) >= 60
    assert not any(status >= 500 for status in answered.values())
    if role == "manager":  # the ids are real: the manager's screens open (not just 404s)
        opened = {e for e, status in answered.items() if status == 200}
        for endpoint in ("cashier.payment", "cashier.shift_report", "delivery.slip", "invoicing.invoice",
                         "sales.voucher", "sales.review", "printers.preview", "printers.edit", "catalog.product",
                         "staff.staff_detail", "sales.counter", "cashier.refund_open", "invoicing.invoice_new"):
            assert endpoint in opened, (endpoint, answered[endpoint])



def _culprit(client, app, session, day, role) -> str:
    """Which GET changes a row: the routes again, a fingerprint before and after each (only on failure)."""
    state = fingerprint(session)[1]
    for _endpoint, url in get_routes(app, day, role):
        client.get(url)
        now = fingerprint(session)[1]
        if now != state:
            return f"GET {url}"
        state = now
    return "(not seen again: the GET changed something the first time only)"
