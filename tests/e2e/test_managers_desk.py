"""The manager's evening: two closed shifts (one ￥10 short) reviewed, the day signed
off, the Z report printed (preview) and as a PDF."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login_with_keypad
from tests.e2e.test_cashier import switch_to

pytestmark = pytest.mark.e2e


def run_shift(page, server, name, pin, station, counted_tens):
    switch_to(page, server, name, pin)
    page.goto(server.url + "/cashier")
    page.get_by_label("收银台").select_option(label=station)
    page.locator("input[name=count_1000]").fill("10")  # ￥100 float
    page.locator("form").get_by_role("button", name="开班").click()
    page.get_by_role("link", name="交班").click()
    page.locator("input[name=count_1000]").fill(str(counted_tens))
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="交班").last.click()
    expect(page.get_by_test_id("shift-report")).to_be_visible()


def test_review_sign_off_and_z_report(page, live_server):
    login_with_keypad(page, live_server.url, "王建国", "9001")
    page.get_by_test_id("home-title").wait_for()
    run_shift(page, live_server, "陈静", "2001", "收银台 1", 10)
    run_shift(page, live_server, "赵敏", "2002", "收银台 2", 9)  # ￥10 short
    expect(page.get_by_test_id("over-short")).to_have_text("-￥10.00")

    switch_to(page, live_server, "王建国", "9001")
    page.get_by_role("link", name="日结").first.click()
    shifts = page.get_by_test_id("shifts")
    expect(shifts.locator("tr.short")).to_contain_text("赵敏")
    for row_text, note in (("陈静", ""), ("赵敏", "找零多给十元")):
        row = shifts.locator("tr", has_text=row_text)
        row.get_by_label("长短款说明").fill(note)
        row.get_by_role("button", name="审核").click()
        expect(page.get_by_test_id("shifts").locator("tr", has_text=row_text)).to_contain_text("✓")
    page.get_by_role("button", name="日结", exact=True).click()
    expect(page.get_by_test_id("z-no")).to_have_text("Z0001")
    pdf = page.request.get(live_server.url + "/reports/z/1.pdf")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    page.get_by_role("button", name="打印").click()
    expect(page.get_by_test_id("receipt-preview")).to_contain_text("Z 报表")
    expect(page.get_by_test_id("receipt-preview")).to_contain_text("-￥10.00")
