"""At the counter and on the road: a paid voucher picked up in two parts; another becomes
a dispatch slip a driver pulls, prints and marks delivered; a cheque-paid voucher whose
funds have not arrived is refused at pickup."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login_with_keypad
from tests.e2e.test_cashier import open_voucher, pay_by_cheque, switch_to, to_cash_desk, write_up

pytestmark = pytest.mark.e2e


def pay_cash(page, live_server, query, qty_clicks=0):
    login_with_keypad(page, live_server.url, "李晓梅", "1001")
    no, total = write_up(page, live_server, query)
    if qty_clicks:
        switch_to(page, live_server, "李晓梅", "1001")
    to_cash_desk(page, live_server)
    open_voucher(page, no)
    page.get_by_label("……或直接输入现金金额").fill(f"{total // 100 + 1}")
    page.get_by_test_id("confirm-payment").click()
    expect(page.get_by_test_id("announce-text")).to_be_visible()
    return no


def open_pickup(page, live_server, no):
    page.goto(live_server.url + "/pickup")
    page.get_by_test_id("pickup-input").fill(no)
    page.get_by_test_id("pickup-input").press("Enter")


def test_picked_up_in_two_parts(page, live_server):
    login_with_keypad(page, live_server.url, "李晓梅", "1001")
    page.get_by_test_id("voucher-panel").wait_for()  # a clerk lands on the counter
    page.goto(live_server.url + "/counter")
    page.get_by_placeholder("搜索，或扫条码直接加入").fill("除味剂")
    quick = page.get_by_test_id("quick-results")
    expect(quick.locator("li").first).to_contain_text("除味剂")
    quick.locator("li").first.get_by_role("button").click()
    expect(page.get_by_test_id("line")).to_have_count(1)
    page.get_by_test_id("line").get_by_role("button", name="加一").click()
    expect(page.get_by_test_id("line").locator("input[name=quantity]")).to_have_value("2")
    page.get_by_role("button", name="开单").click()
    no = page.get_by_test_id("voucher-no").inner_text()
    to_cash_desk(page, live_server)
    open_voucher(page, no)
    page.get_by_label("……或直接输入现金金额").fill("100")
    page.get_by_test_id("confirm-payment").click()
    expect(page.get_by_test_id("announce-text")).to_be_visible()

    switch_to(page, live_server, "李晓梅", "1001")
    open_pickup(page, live_server, no)
    lines = page.get_by_test_id("pickup-lines")
    lines.locator("input").first.fill("1")
    page.get_by_label("已收回销售单店留联").check()
    page.get_by_role("button", name="确认交付").click()
    expect(page.locator(".flash")).to_contain_text("已交付")
    expect(page.get_by_test_id("voucher-status")).to_contain_text("部分交付")
    page.get_by_label("已收回销售单店留联").check()
    page.get_by_role("button", name="确认交付").click()
    expect(page.get_by_test_id("voucher-status")).to_contain_text("已全部交付")


def test_dispatch_slip_pulled_printed_delivered(page, live_server):
    no = pay_cash(page, live_server, "海尔 电视")
    switch_to(page, live_server, "李晓梅", "1001")
    open_pickup(page, live_server, no)
    form = page.get_by_test_id("delivery-form")
    form.get_by_label("顾客姓名").fill("周先生")
    form.get_by_label("顾客电话").fill("13800138001")
    form.get_by_label("完整地址").fill("上海市浦东新区张杨路500号3号楼1201室")
    form.get_by_label("时间段").fill("14:00–18:00")
    form.get_by_role("button", name="生成送货单").click()
    slip_no = page.get_by_test_id("slip-no").inner_text()
    assert slip_no.startswith("D")

    switch_to(page, live_server, "刘强", "3001")
    page.goto(live_server.url + "/delivery")
    card = page.get_by_test_id("free-slips").get_by_test_id("slip-card").filter(has_text=slip_no)
    card.get_by_role("button", name="领取").click()
    expect(page.get_by_test_id("slip-status")).to_contain_text("已指派")
    expect(page.get_by_test_id("call")).to_have_attribute("href", "tel:13800138001")
    page.get_by_role("button", name="打印").click()
    expect(page.locator(".flash")).to_contain_text("已发送到打印机")
    pdf = page.request.get(page.url + ".pdf")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    page.get_by_role("button", name="出发送货").click()
    page.get_by_label("收货人").fill("周先生本人")
    page.get_by_role("button", name="已送达").click()
    expect(page.get_by_test_id("slip-status")).to_contain_text("已送达")
    expect(page.get_by_test_id("slip-events")).to_contain_text("送货员领取")


def test_cheque_not_cleared_is_refused_at_pickup(page, live_server):
    login_with_keypad(page, live_server.url, "李晓梅", "1001")
    no, total = write_up(page, live_server, "海尔 三门冰箱")
    to_cash_desk(page, live_server)
    open_voucher(page, no)
    pay_by_cheque(page, total, "55667788", "中国银行", "上海某公司")
    switch_to(page, live_server, "李晓梅", "1001")
    open_pickup(page, live_server, no)
    expect(page.get_by_test_id("refusal")).to_contain_text("款项未到账")
    expect(page.get_by_role("button", name="确认交付")).to_have_count(0)
