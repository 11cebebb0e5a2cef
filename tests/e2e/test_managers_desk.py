"""The manager's evening: two closed shifts (one ￥10 short) reviewed, the day signed
off, the Z report printed (preview) and as a PDF, then the dashboard and its table exported."""

from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.e2e.conftest import confirm_in_dialog, login_with_keypad
from tests.e2e.test_cashier import open_voucher, switch_to, to_cash_desk, write_up

pytestmark = pytest.mark.e2e


def run_shift(page, server, name, pin, station, counted_tens):
    switch_to(page, server, name, pin)
    page.goto(server.url + "/cashier")
    page.get_by_label("收银台").select_option(label=station)
    page.locator("input[name=count_1000]").fill("10")  # ￥100 float
    page.locator("form").get_by_role("button", name="开班").click()
    page.get_by_role("link", name="交班").click()
    page.locator("input[name=count_1000]").fill(str(counted_tens))
    page.get_by_role("button", name="交班").last.click()
    confirm_in_dialog(page, "确认交班")
    expect(page.get_by_test_id("shift-report")).to_be_visible()


def sell_by_card_and_close(page, server):
    """李晓梅 writes up a fridge; 陈静 (float ￥250) takes it by card and closes her shift balanced."""
    no, total = write_up(page, server, "海尔 三门冰箱")
    to_cash_desk(page, server)
    open_voucher(page, no)
    page.get_by_test_id("tender-card").get_by_text("银行卡").click()
    page.get_by_label("银行卡 金额").fill(f"{total // 100}.{total % 100:02d}")
    page.get_by_label("银行卡 参考号").fill("POS-777")
    page.get_by_test_id("confirm-payment").click()
    expect(page.get_by_test_id("announce")).to_be_visible()
    page.goto(server.url + "/cashier")
    page.get_by_role("link", name="交班").click()
    page.locator("input[name=count_10000]").fill("2")
    page.locator("input[name=count_1000]").fill("5")
    page.get_by_role("button", name="交班").last.click()
    confirm_in_dialog(page, "确认交班")
    expect(page.get_by_test_id("over-short")).to_have_text("￥0.00")
    return total


def test_review_sign_off_and_z_report(page, live_server, tmp_path):
    login_with_keypad(page, live_server.url, "王建国", "9001")
    page.get_by_test_id("home-title").wait_for()
    total = sell_by_card_and_close(page, live_server)
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
    confirm_in_dialog(page, "确认日结")
    expect(page.get_by_test_id("z-no")).to_have_text("Z0001")
    pdf = page.request.get(live_server.url + "/reports/z/1.pdf")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    page.get_by_role("button", name="打印").click()
    expect(page.get_by_test_id("receipt-preview")).to_contain_text("Z 报表")
    expect(page.get_by_test_id("receipt-preview")).to_contain_text("-￥10.00")

    # the dashboard: the card sale in the charts and tables; the clerks' table exported
    page.get_by_role("link", name="经营看板").first.click()
    expect(page.get_by_test_id("total")).to_have_text(f"￥{total // 100:,}.{total % 100:02d}")
    for chart in ("daily", "hourly", "products", "clerks", "tenders"):
        expect(page.get_by_test_id(f"chart-{chart}").locator("svg")).to_be_visible()
    expect(page.get_by_test_id("chart-clerks").locator("table")).to_contain_text("李晓梅")
    with page.expect_download() as download:
        page.get_by_test_id("export-clerks").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(min_row=3, values_only=True))
    assert rows[0][0] == "李晓梅" and Decimal(str(rows[0][1])) * 100 == total
