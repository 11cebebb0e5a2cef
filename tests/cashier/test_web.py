"""The cash desk over HTTP: open a shift, check, pay (bad input → 4xx, nothing saved),
the announcement and stamped copies, cheques for the manager, refunds, closing."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from pos.cashier.models import Payment, Refund, Shift
from tests.conftest import CASHIER, MANAGER, login_as
from tests.helpers import count, row_counts, shown_at, text


@pytest.fixture
def cashier(client, session, station):
    login_as(client, CASHIER)
    resp = client.post("/cashier/shift/open", data={"station": station.id, "count_10000": "2", "count_1000": "5"})
    assert resp.status_code == 303
    return client


def test_cash_desk_asks_for_a_shift_first(client, session, station):
    login_as(client, CASHIER)
    body = text(client.get("/cashier"))
    assert "开班" in body and "收银台 1" in body
    resp = client.post("/cashier/shift/open", data={"station": station.id, "count_10000": "-1"})
    assert resp.status_code == 422 and "张数须为整数" in text(resp)
    resp = client.post("/cashier/shift/open", data={"station": "999"})
    assert resp.status_code == 422 and "请选择收银台" in text(resp)
    assert count(session, Shift) == 0
    assert client.get("/cashier/pay?no=V1").status_code == 302  # no shift: back to the desk


def test_someone_elses_station(cashier, client, session, station):
    login_as(client, "S002")
    resp = client.post("/cashier/shift/open", data={"station": station.id})
    assert resp.status_code == 409 and "正由 陈静 当班使用" in text(resp)


def test_check_refuses_unknown_and_cancelled(cashier, session, write_up):
    resp = cashier.get("/cashier/pay?no=V19990101-0009")
    assert resp.status_code == 404 and "没有编号为" in text(resp)
    v = write_up()
    from pos.sales import services as sales
    from tests.conftest import staff_by_no
    sales.cancel(session, v, "不要了", actor=staff_by_no(MANAGER))
    session.commit()
    resp = cashier.get(f"/cashier/pay?no={v.no}")
    assert resp.status_code == 422 and "已作废，不能收款" in text(resp)


def test_pay_cash_with_a_rejected_note(cashier, session, write_up):
    v = write_up("168.00")
    page = text(cashier.get(f"/cashier/pay?no={v.no.lower()}"))  # typed in lower case: still found
    assert "￥168.00" in page and "现金：点数、验钞" in page
    key = page.split('name="once_key" value="')[1].split('"')[0]
    tally = cashier.post(f"/cashier/pay/{v.no}/tally", data={"count_10000": "3", "rej_10000": "1"})
    assert "￥32.00" in text(tally) and "−￥100.00" in text(tally)
    resp = cashier.post(f"/cashier/pay/{v.no}", data={"once_key": key, "count_10000": "3", "rej_10000": "1",
                                                      "rej_reason_10000": "damaged", "serials": "AB123"})
    payment = session.scalar(select(Payment))
    address = shown_at(resp)  # the answer is the announcement itself, at the payment's own address
    assert address == f"/cashier/payments/{payment.id}"
    for page in (text(resp), text(cashier.get(address))):  # and the same page when reloaded
        assert "收您 200.00 元，应收 168.00 元，找您 32.00 元。" in page
        assert "收款专用章" in page and "陈静" in page and v.no in page
    for which, label in (("finance", "财务联"), ("stub", "存根联"), ("customer", "客户联")):
        copy = text(cashier.get(f"/cashier/payments/{payment.id}/copy/{which}"))
        assert label in copy and "收款专用章" in copy
    assert cashier.get(f"/cashier/payments/{payment.id}/copy/nope").status_code == 404
    # the double tap: same key again pays nothing more
    again = cashier.post(f"/cashier/pay/{v.no}", data={"once_key": key, "count_10000": "3", "rej_10000": "1"})
    assert shown_at(again) == address and count(session, Payment) == 1  # the one payment's announcement


@pytest.mark.parametrize(("data", "status", "message"), [
    ({"count_10000": "1"}, 422, "还差"),
    ({"count_10000": "-2"}, 422, "张数须为整数"),
    ({"count_10000": "x"}, 422, "张数须为整数"),
    ({"count_5000": "1", "rej_5000": "2", "count_10000": "2"}, 422, "但只点了 1 张"),
    ({"cheque_amount": "168", "cheque_bank": "工行", "cheque_drawer": "张三"}, 422, "请填写支票号码"),
    ({"card_amount": "168"}, 422, "参考号"),
    ({"wechat_amount": "500", "wechat_ref": "wx"}, 422, "只能用现金找零"),
    ({"cash_amount": "abc"}, 422, "不是有效金额"),
    ({}, 422, "尚未收到款项"),
])
def test_bad_payments_are_refused_and_nothing_saved(cashier, session, write_up, data, status, message):
    v = write_up("168.00")
    resp = cashier.post(f"/cashier/pay/{v.no}", data={"once_key": "k-bad", **data})
    assert resp.status_code == status and message in text(resp)
    assert count(session, Payment) == 0
    session.refresh(v)
    assert v.payment_state == "unpaid"


def test_paying_a_paid_voucher_again(cashier, session, write_up):
    v = write_up("168.00")
    cashier.post(f"/cashier/pay/{v.no}", data={"once_key": "k1", "count_10000": "2"})
    resp = cashier.get(f"/cashier/pay?no={v.no}")
    assert resp.status_code == 409 and "已经付款" in text(resp)
    resp = cashier.post(f"/cashier/pay/{v.no}", data={"once_key": "k2", "count_10000": "2"})
    assert resp.status_code == 409 and count(session, Payment) == 1


def test_the_payments_answer_is_its_announcement_and_htmx_is_sent_there(cashier, session, write_up):
    """A plain form's payment is answered with the announcement (pos.web.show): the page names its own
    address (the address bar shows it, the language switch comes back to it); htmx is sent there."""
    v = write_up("168.00")
    resp = cashier.post(f"/cashier/pay/{v.no}", data={"once_key": "k-plain", "count_10000": "2"})
    address = shown_at(resp)
    assert f'name="back" value="{address}"' in text(resp)
    w = write_up("68.00")
    resp = cashier.post(f"/cashier/pay/{w.no}", data={"once_key": "k-htmx", "count_10000": "1"},
                        headers={"HX-Request": "true"})
    paid = session.scalar(select(Payment).where(Payment.once_key == "k-htmx"))
    assert resp.headers["HX-Redirect"] == f"/cashier/payments/{paid.id}" and "Content-Location" not in resp.headers


def test_split_card_and_cash(cashier, session, write_up):
    v = write_up("1000.00")
    resp = cashier.post(f"/cashier/pay/{v.no}", data={"once_key": "k1", "count_10000": "3", "card_amount": "800",
                                                      "card_ref": "POS-7788"})
    shown_at(resp)
    p = session.scalar(select(Payment))
    assert {t.kind: t.amount for t in p.tenders} == {"cash": Decimal("300.00"), "card": Decimal("800.00")}
    assert "找您 100.00 元" in text(resp) and "POS-7788" in text(resp)


def test_cheque_is_held_until_the_manager_clears_it(cashier, client, session, write_up):
    v = write_up("5000.00")
    resp = cashier.post(f"/cashier/pay/{v.no}", data={"once_key": "k1", "cheque_amount": "5000", "cheque_ref": "778899",
                                                      "cheque_bank": "工商银行", "cheque_drawer": "上海某公司"})
    assert "款项到账后方可提货" in text(cashier.get(shown_at(resp))) and "款项到账后方可提货" in text(resp)
    session.refresh(v)
    assert v.payment_state == "awaiting_clearance"
    assert cashier.get("/cashier/cheques").status_code == 403  # cashiers do not clear cheques
    login_as(client, MANAGER)
    assert "778899" in text(client.get("/cashier/cheques"))
    tender_id = session.scalar(select(Payment)).tenders[0].id
    resp = client.post(f"/cashier/cheques/{tender_id}", data={"outcome": "bounced", "note": ""})
    assert resp.status_code == 422 and "退票原因" in text(resp)
    resp = client.post(f"/cashier/cheques/{tender_id}", data={"outcome": "cleared"})
    assert resp.status_code == 303
    session.refresh(v)
    assert v.payment_state == "paid"


def test_refund_with_manager_pin(cashier, session, write_up):
    from tests.conftest import staff_by_no
    v = write_up("100.00", qty="2")
    cashier.post(f"/cashier/pay/{v.no}", data={"once_key": "k1", "count_10000": "2"})
    page = text(cashier.get(f"/cashier/refund?no={v.no}"))
    key = page.split('name="once_key" value="')[1].split('"')[0]
    line = v.lines[0]
    manager = staff_by_no(MANAGER)
    base = {"once_key": key, f"qty_{line.id}": "1", "method": "cash", "reason": "质量问题"}
    resp = cashier.post(f"/cashier/refund/{v.no}", data={**base})
    assert resp.status_code == 422 and "店长输入 PIN 码批准" in text(resp)
    resp = cashier.post(f"/cashier/refund/{v.no}", data={**base, f"qty_{line.id}": "3", "manager_id": manager.id,
                                                         "manager_pin": "9001"})
    assert resp.status_code == 422 and "最多还能退 2" in text(resp)
    resp = cashier.post(f"/cashier/refund/{v.no}", data={**base, "manager_id": manager.id, "manager_pin": "0000"})
    assert resp.status_code == 401
    assert count(session, Refund) == 0
    resp = cashier.post(f"/cashier/refund/{v.no}", data={**base, "manager_id": manager.id, "manager_pin": "9001"})
    assert resp.status_code == 303 and count(session, Refund) == 1


def test_close_shift_shows_over_short(cashier, session, write_up):
    v = write_up("168.00")
    cashier.post(f"/cashier/pay/{v.no}", data={"once_key": "k1", "count_10000": "2"})
    resp = cashier.post("/cashier/shift/close", data={"count_10000": "4", "count_500": "1", "count_100": "3",
                                                      "note": "少了十元"})
    assert resp.status_code == 303
    report = text(cashier.get(resp.headers["Location"]))
    assert "￥418.00" in report and "￥408.00" in report and "-￥10.00" in report
    resp = cashier.post("/cashier/shift/close", data={})
    assert resp.status_code == 302  # no open shift any more


@pytest.mark.parametrize("bad", ["²", "-1", "1.5", "x", "10001"])
def test_a_closing_count_that_is_not_a_count_is_refused(cashier, session, bad):
    before = row_counts(session)
    resp = cashier.post("/cashier/shift/close", data={"count_10000": "2", "count_100": bad, "note": "n"})
    assert resp.status_code == 422 and 'data-testid="errors"' in text(resp)
    assert 'value="2"' in text(resp)  # what was counted is kept
    session.expire_all()
    assert row_counts(session) == before and session.scalar(select(Shift)).closed_at is None


def test_someone_elses_shift_report(cashier, client, session):
    shift = session.scalar(select(Shift))
    login_as(client, "S002")
    assert client.get(f"/cashier/shifts/{shift.id}").status_code == 403
    assert client.get(f"/cashier/shifts/{shift.id}.pdf").status_code == 403
    assert client.post(f"/cashier/shifts/{shift.id}/print").status_code == 403
    login_as(client, MANAGER)
    assert client.get(f"/cashier/shifts/{shift.id}").status_code == 200  # a manager sees every shift


def test_voucher_page_shows_the_stamp_when_paid(cashier, client, session, write_up):
    v = write_up("168.00")
    cashier.post(f"/cashier/pay/{v.no}", data={"once_key": "k1", "count_10000": "2"})
    login_as(client, MANAGER)
    body = text(client.get(f"/vouchers/{v.no}"))
    assert "收款专用章" in body and "已收款" in body
