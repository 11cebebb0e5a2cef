"""The counter screens over HTTP: adding lines, bad input (422, nothing saved), approval,
write-up, the voucher document, cancelling, phone orders and review."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from pos.sales.models import Voucher, VoucherLine, VoucherStatus
from tests.conftest import CLERK, MANAGER, login_as, staff_by_no
from tests.helpers import shown_at, statements, text

HX = {"HX-Request": "true"}


def nlines(session):
    return session.scalar(select(func.count(VoucherLine.id)))


def draft_of(session, staff_no):
    clerk = staff_by_no(staff_no)
    session.expire_all()
    return session.scalar(select(Voucher).where(Voucher.clerk_id == clerk.id, Voucher.status == "draft")
                          .order_by(Voucher.id.desc()))


def test_counter_page_opens_a_draft_saved_by_the_first_change(as_clerk, session, products):
    for _twice in range(2):  # opening the counter writes nothing: the empty voucher is not saved yet
        resp = as_clerk.get("/counter")
        assert resp.status_code == 200 and "当前销售单" in text(resp) and "开单" in text(resp)
        assert draft_of(session, CLERK) is None
    resp = as_clerk.post("/counter/lines", data={"product_id": products[0].id, "quantity": "1"}, headers=HX)
    assert resp.status_code == 200
    draft = draft_of(session, CLERK)
    assert draft is not None and len(draft.lines) == 1
    assert as_clerk.get("/counter").status_code == 200 and draft_of(session, CLERK).id == draft.id


def test_add_line_from_the_counter(as_clerk, session, products):
    as_clerk.get("/counter")
    resp = as_clerk.post("/counter/lines", data={"product_id": products[0].id, "quantity": "2"}, headers=HX)
    assert resp.status_code == 200
    body = text(resp)
    assert products[0].name in body and 'id="suggestions"' in body and "hx-swap-oob" in body
    v = draft_of(session, CLERK)
    assert v.lines[0].quantity == Decimal("2") and v.total == products[0].list_price * 2


@pytest.mark.parametrize(("qty", "message"), [
    ("0", "数量必须大于零"), ("-3", "数量必须大于零"), ("1.5", "只能按整"), ("abc", "不是有效的数量"),
    ("99999", "一次最多"),
])
def test_bad_quantity_gets_422_and_nothing_saved(as_clerk, session, products, qty, message):
    as_clerk.get("/counter")
    before = nlines(session)
    resp = as_clerk.post("/counter/lines", data={"product_id": products[0].id, "quantity": qty}, headers=HX)
    assert resp.status_code == 422 and message in text(resp)
    assert nlines(session) == before


@pytest.mark.parametrize(("price", "message"), [("-5", "不能为负数"), ("x", "不是有效的价格")])
def test_bad_price_gets_422(as_clerk, session, products, price, message):
    as_clerk.get("/counter")
    resp = as_clerk.post("/counter/lines", data={"product_id": products[0].id, "quantity": "1",
                                                 "unit_price": price}, headers=HX)
    assert resp.status_code == 422 and message in text(resp)
    assert nlines(session) == 0


def test_inactive_or_missing_product(as_clerk, session, products):
    as_clerk.get("/counter")
    products[0].active = False
    session.commit()
    resp = as_clerk.post("/counter/lines", data={"product_id": products[0].id, "quantity": "1"}, headers=HX)
    assert resp.status_code == 422 and "已停售" in text(resp)
    resp = as_clerk.post("/counter/lines", data={"product_id": 999999, "quantity": "1"}, headers=HX)
    assert resp.status_code == 404 and "没有这个商品" in text(resp)
    assert nlines(session) == 0


def test_discount_over_limit_asks_for_the_manager_pin(as_clerk, session, products):
    as_clerk.get("/counter")
    price = (products[0].list_price * Decimal("0.7")).quantize(Decimal("0.01"))
    data = {"product_id": products[0].id, "quantity": "1", "unit_price": str(price)}
    resp = as_clerk.post("/counter/lines", data=data, headers=HX)
    assert resp.status_code == 422 and "须店长输入 PIN 码批准" in text(resp) and 'data-testid="approval"' in text(resp)
    assert nlines(session) == 0
    manager = staff_by_no(MANAGER)
    resp = as_clerk.post("/counter/lines", data={**data, "manager_id": manager.id, "manager_pin": "1234"}, headers=HX)
    assert resp.status_code == 401 and "PIN 码错误" in text(resp)
    assert nlines(session) == 0
    resp = as_clerk.post("/counter/lines", data={**data, "manager_id": manager.id, "manager_pin": "9001"}, headers=HX)
    assert resp.status_code == 200 and "王建国 批准" in text(resp)
    assert draft_of(session, CLERK).lines[0].unit_price == price


def test_update_line_and_remove(as_clerk, session, products):
    as_clerk.get("/counter")
    as_clerk.post("/counter/lines", data={"product_id": products[0].id, "quantity": "1"}, headers=HX)
    line = draft_of(session, CLERK).lines[0]
    resp = as_clerk.post(f"/counter/lines/{line.id}", data={"quantity": "3", "unit_price": str(line.unit_price)},
                         headers=HX)
    assert resp.status_code == 200
    assert draft_of(session, CLERK).lines[0].quantity == Decimal("3")
    resp = as_clerk.post(f"/counter/lines/{line.id}", data={"quantity": "0", "unit_price": str(line.unit_price)},
                         headers=HX)
    assert resp.status_code == 422
    assert draft_of(session, CLERK).lines[0].quantity == Decimal("3")
    assert as_clerk.post(f"/counter/lines/{line.id}/remove", headers=HX).status_code == 200
    assert draft_of(session, CLERK).lines == []
    assert as_clerk.post("/counter/lines/999999/remove", headers=HX).status_code == 404


def test_scan_adds_one(as_clerk, session, products):
    as_clerk.get("/counter")
    resp = as_clerk.post("/counter/scan", data={"q": products[0].barcode}, headers=HX)
    assert resp.status_code == 200
    assert draft_of(session, CLERK).lines[0].product_id == products[0].id
    resp = as_clerk.post("/counter/scan", data={"q": "0000000000000"}, headers=HX)
    assert resp.status_code == 422 and "没有条码为" in text(resp)


def test_customer_on_the_voucher(as_clerk, session):
    as_clerk.get("/counter")
    resp = as_clerk.post("/counter/customer", data={"phone": "13800138001"}, headers=HX)
    assert resp.status_code == 200 and "周先生" in text(resp)
    resp = as_clerk.post("/counter/customer/clear", headers=HX)
    resp = as_clerk.post("/counter/customer", data={"phone": "123"}, headers=HX)
    assert resp.status_code == 422 and "不是有效的电话号码" in text(resp) and 'value="123"' in text(resp)
    resp = as_clerk.post("/counter/customer", data={"phone": "13612345678"}, headers=HX)
    assert resp.status_code == 422 and "新顾客" in text(resp)


def write_up_one(client, session, products, staff_no="C001"):
    client.get("/counter")
    client.post("/counter/lines", data={"product_id": products[0].id, "quantity": "2"}, headers=HX)
    resp = client.post("/counter/write-up", headers=HX)
    assert resp.status_code == 200, text(resp)
    return resp.headers["HX-Redirect"].rsplit("/", 1)[1]


def test_write_up_answers_with_the_voucher_page_drawn_from_what_it_wrote(as_clerk, session, products):
    """开单 is a plain form (the panel's line boxes added by app.js): answered with the voucher's page at once
    (pos.web.show), drawn from the voucher and lines the write-up has just read under the voucher's lock —
    no second round trip, the lines not read again, and no pickups looked for on a voucher this new."""
    as_clerk.get("/counter")
    page = text(as_clerk.get("/counter"))
    assert 'id="write-up-form"' in page and "hx-post=\"/counter/write-up\"" not in page
    as_clerk.post("/counter/lines", data={"product_id": products[0].id, "quantity": "2"}, headers=HX)
    with statements() as seen:
        resp = as_clerk.post("/counter/write-up")
    no = shown_at(resp).rsplit("/", 1)[1]
    body = text(resp)
    assert f'data-testid="voucher-no">{no}<' in body and products[0].name in body
    assert not [sql for sql, _p in seen if "FROM pickup" in sql or "FROM dispatch_slip" in sql]
    assert len([sql for sql, _p in seen if sql.lstrip().startswith("SELECT") and "FROM voucher_line" in sql]) == 1
    # the voucher read under its lock brings its clerk — the clerk writing it up — read afresh without
    # their roles; the page's header shows the roles known since the request began, not read again
    assert not [sql for sql, _p in seen if "FROM staff_role" in sql], seen
    # a reload of the page the address bar now shows is a GET of the same page
    assert f'data-testid="voucher-no">{no}<' in text(as_clerk.get(f"/vouchers/{no}"))
    # htmx (any other caller) is still sent there
    as_clerk.post("/counter/lines", data={"product_id": products[0].id, "quantity": "1"}, headers=HX)
    resp = as_clerk.post("/counter/write-up", headers=HX)
    assert resp.status_code == 200 and resp.headers["HX-Redirect"].startswith("/vouchers/V")


def test_write_up_and_the_voucher_document(as_clerk, session, products):
    resp = as_clerk.post("/counter/write-up", headers=HX)  # empty: refused
    assert resp.status_code == 422 and "请先添加至少一件商品" in text(resp)
    no = write_up_one(as_clerk, session, products)
    with statements() as seen:
        body = text(as_clerk.get(f"/vouchers/{no}"))
    # nothing handed over yet (pickup_state "none"): its pickups are not asked for (they show once there
    # are some: tests/delivery/test_web.py)
    assert not [sql for sql, _p in seen if "FROM pickup" in sql], seen
    total = products[0].list_price * 2
    from pos.money import amount_in_words, format_money
    assert no in body and "<svg" in body and format_money(total) in body
    assert "人民币" + amount_in_words(total) in body and "李晓梅" in body and "已开单，未付款" in body
    assert as_clerk.get("/vouchers/V19990101-0001").status_code == 404


def test_written_up_voucher_cannot_be_edited_by_any_route(as_clerk, session, products):
    no = write_up_one(as_clerk, session, products)
    v = session.scalar(select(Voucher).where(Voucher.no == no))
    line_id = v.lines[0].id
    # the session's open voucher is a new draft now; the old line is not on it
    resp = as_clerk.post(f"/counter/lines/{line_id}", data={"quantity": "9", "unit_price": "1"}, headers=HX)
    assert resp.status_code == 404
    resp = as_clerk.post(f"/counter/switch/{v.id}")
    assert resp.status_code == 422 and "不能再修改" in text(resp)
    session.expire_all()
    assert session.get(Voucher, v.id).lines[0].quantity == Decimal("2")


def test_cancel_from_the_voucher_page(as_clerk, session, products):
    no = write_up_one(as_clerk, session, products)
    resp = as_clerk.post(f"/vouchers/{no}/cancel", data={"reason": ""})
    assert resp.status_code == 422 and "请填写作废原因" in text(resp)
    resp = as_clerk.post(f"/vouchers/{no}/cancel", data={"reason": "顾客不要了"})
    assert resp.status_code == 303
    assert "已作废" in text(as_clerk.get(f"/vouchers/{no}"))


def test_another_clerk_cannot_cancel(client, session, products):
    login_as(client, CLERK)
    no = write_up_one(client, session, products)
    login_as(client, "C002")
    resp = client.post(f"/vouchers/{no}/cancel", data={"reason": "x"})
    assert resp.status_code == 403 and "这张销售单属于 李晓梅" in text(resp)
    assert session.scalar(select(Voucher).where(Voucher.no == no)).status == VoucherStatus.WRITTEN_UP


def test_voucher_list(as_clerk, session, products):
    no = write_up_one(as_clerk, session, products)
    assert no in text(as_clerk.get("/vouchers"))


def test_phone_order_through_review_over_http(client, session, products):
    login_as(client, CLERK)
    resp = client.post("/phone-orders/new", data={"name": "", "phone": "139"})
    assert resp.status_code == 422 and "请输入顾客姓名" in text(resp)
    resp = client.post("/phone-orders/new", data={"name": "冯先生", "phone": "13911112222",
                                                  "address": "上海市长宁区天山路1号", "notes": ""})
    assert resp.status_code == 303
    client.post("/counter/lines", data={"product_id": products[0].id, "quantity": "1"}, headers=HX)
    v = draft_of(session, CLERK)
    assert v.channel == "phone"
    body = text(client.get(f"/phone-orders/{v.id}/read-back"))
    assert "冯先生您好" in body and products[0].model in body
    assert client.post(f"/phone-orders/{v.id}/confirm").status_code == 303
    login_as(client, MANAGER)
    assert "冯先生" in text(client.get("/reviews"))
    resp = client.post(f"/reviews/{v.id}/reject", data={"reason": ""})
    assert resp.status_code == 422 and "请填写拒绝原因" in text(resp)
    resp = client.post(f"/reviews/{v.id}/approve", data={"pay_on_delivery": "1"})
    assert resp.status_code == 303
    session.expire_all()
    v = session.get(Voucher, v.id)
    assert v.status == VoucherStatus.WRITTEN_UP and v.pay_on_delivery and v.no


def test_clerk_cannot_review(as_clerk):
    assert as_clerk.get("/reviews").status_code == 403


def test_screens_in_english(as_clerk, products):
    as_clerk.post("/lang", data={"lang": "en"})
    body = text(as_clerk.get("/counter"))
    assert "Open voucher" in body and "Write up the voucher" in body
    body = text(as_clerk.get(f"/catalog/products/{products[0].id}"))
    assert "Add to voucher" in body and "Selling points" in body


def test_the_counter_reads_the_clerks_drafts_once(as_clerk, session, products):
    """The counter lists the clerk's drafts and shows the open one: that one is found among them (no
    statement of its own) — the one the tablet was on, else the latest at the counter."""
    from tests.helpers import statements

    def voucher_reads():
        with statements() as sent:
            page = text(as_clerk.get("/counter"))
        lines = page.split('data-testid="lines"')[1].split("</div>")[0]  # the open voucher's lines
        return lines, [sql for sql, _p in sent if sql.lstrip().startswith("SELECT voucher.id")]

    lines, reads = voucher_reads()
    assert len(reads) == 1
    as_clerk.post("/counter/lines", data={"product_id": products[0].id, "quantity": "1"}, headers=HX)
    first = draft_of(session, CLERK)
    as_clerk.post("/counter/new")
    as_clerk.post("/counter/lines", data={"product_id": products[2].id, "quantity": "1"}, headers=HX)
    second = draft_of(session, CLERK)
    assert second.id != first.id
    lines, reads = voucher_reads()
    assert len(reads) == 1 and products[2].name in lines and products[0].name not in lines
    as_clerk.post(f"/counter/switch/{first.id}")
    lines, reads = voucher_reads()
    assert len(reads) == 1 and products[0].name in lines and products[2].name not in lines
