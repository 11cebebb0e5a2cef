"""The cash desk's printer badge says when the print spooler is not running (nothing would
print) and turns back to normal once it runs; at 1024×768 it fits the cash desk's header."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import landed, login_with_keypad, no_sideways_scroll
from tests.e2e.test_cashier import to_cash_desk
from tests.printers.fake_printer import FakePrinter

pytestmark = pytest.mark.e2e


def test_the_badge_says_when_the_spooler_is_not_running(page, live_server):
    fake = FakePrinter().start()
    try:
        login_with_keypad(page, live_server.url, "王建国", "9001")
        landed(page)
        page.goto(live_server.url + "/manage/printers")
        page.get_by_label("打印机名称").fill("一号收银台打印机")
        page.get_by_label("连接方式").select_option("network")
        page.get_by_label("地址").fill(f"127.0.0.1:{fake.port}")
        page.get_by_label("收银台").select_option(label="收银台 1")
        page.get_by_role("button", name="保存").click()
        to_cash_desk(page, live_server)
        badge = page.get_by_test_id("printer-badge")
        expect(badge).to_contain_text("打印服务未运行")
        expect(badge).to_have_class("printer-badge bad")
        assert no_sideways_scroll(page)
        page.screenshot(path="/tmp/h3-badge-silent.png")
        live_server.start_print_worker()
        expect(badge).to_contain_text("正常", timeout=25_000)  # the badge polls every 10 s
        expect(badge).to_have_class("printer-badge ok")
        page.screenshot(path="/tmp/h3-badge-ok.png")
    finally:
        fake.stop()
