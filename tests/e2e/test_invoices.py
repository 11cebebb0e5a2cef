"""As a cashier: issue an invoice for a paid voucher and see its PDF; void it with a
reason and reissue; the list shows both, linked."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login_with_keypad
from tests.e2e.test_cashier import open_voucher, to_cash_desk, write_up

pytestmark = pytest.mark.e2e


def test_issue_void_and_reissue(page, live_server):
    login_with_keypad(page, live_server.url, "李晓梅", "1001")
    no, _total = write_up(page, live_server, "海尔 三门冰箱")
    to_cash_desk(page, live_server)
    open_voucher(page, no)
    page.get_by_label("……或直接输入现金金额").fill("3000")
    page.get_by_test_id("confirm-payment").click()
    page.get_by_role("link", name="开发票").click()

    page.get_by_label("顾客全名").fill("周建华")
    page.get_by_label("顾客电话").fill("13800138001")
    page.get_by_label("地址").fill("上海市浦东新区张杨路500号")
    page.get_by_role("button", name="开具发票").click()
    first = page.get_by_test_id("invoice-no").inner_text()
    assert re.fullmatch(r"FP\d{4}-\d{6}", first)
    expect(page).to_have_url(re.compile(f"/invoices/{first}$"))  # the answer is the invoice's page, at its address
    expect(page.locator(".flash")).to_contain_text(f"已开具发票 {first}")
    expect(page.get_by_test_id("invoice")).to_contain_text("人民币")
    pdf = page.request.get(live_server.url + f"/invoices/{first}.pdf")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

    page.get_by_label("原因").fill("地址写错")
    page.get_by_role("button", name="作废并重开").click()
    expect(page.get_by_role("heading", name=f"重开 {first}")).to_be_visible()
    page.get_by_label("地址").fill("上海市浦东新区张杨路502号")
    page.get_by_role("button", name="开具发票").click()
    second = page.get_by_test_id("invoice-no").inner_text()
    assert second != first and int(second[-6:]) == int(first[-6:]) + 1
    expect(page.get_by_test_id("chain")).to_contain_text(first)

    page.goto(live_server.url + "/invoices")
    listing = page.get_by_test_id("invoice-list")
    row = listing.locator("tr").filter(has=page.get_by_role("link", name=first, exact=True))
    expect(row).to_contain_text("作废")
    row.get_by_role("link", name=second).click()
    expect(page.get_by_test_id("invoice-no")).to_have_text(second)
    expect(page.get_by_test_id("invoice")).to_contain_text("张杨路502号")
