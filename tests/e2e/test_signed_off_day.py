"""A signed-off day at 1024×768: the manager signs off in an in-page dialog that says what will be
frozen; then the counter and the cash desk say so up front — who signed off, when, and when the
next business day starts — and a cashier is not asked to count a float into it."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import confirm_in_dialog, login_with_keypad, no_sideways_scroll
from tests.e2e.test_showroom_week import shot

pytestmark = pytest.mark.e2e


def test_sign_off_then_the_counter_and_the_cash_desk_say_so(page, live_server):
    login_with_keypad(page, live_server.url, "王建国", "9001")
    page.get_by_test_id("home-title").wait_for()
    page.get_by_role("link", name="日结").first.click()
    native = []
    page.on("dialog", lambda d: (native.append(d.message), d.dismiss()))
    page.get_by_role("button", name="日结", exact=True).click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Z 报表")
    expect(dialog).to_contain_text("不能再开单")
    shot(page, "sign-off-dialog")
    confirm_in_dialog(page, "确认日结")
    expect(page.get_by_test_id("z-no")).to_have_text(re.compile(r"^Z\d{4}$"))
    assert native == []

    page.get_by_role("button", name="切换用户").click()
    login_with_keypad(page, live_server.url, "李晓梅", "1001")
    band = page.get_by_test_id("day-frozen")
    expect(band).to_be_visible()  # on the counter, where the clerk lands
    expect(band).to_contain_text("已日结")
    expect(band).to_contain_text("王建国")
    expect(band).to_contain_text("下一个营业日从")
    page.get_by_placeholder("搜索，或扫条码直接加入").fill("除味剂")
    page.get_by_test_id("quick-results").locator("li").first.get_by_role("button").click()
    expect(page.get_by_test_id("line")).to_have_count(1)
    expect(page.get_by_role("button", name="开单")).to_be_disabled()
    expect(page.get_by_test_id("why-disabled")).to_contain_text("今天已日结")
    assert no_sideways_scroll(page)
    shot(page, "signed-off-counter")

    page.get_by_role("button", name="切换用户").click()
    login_with_keypad(page, live_server.url, "陈静", "2001")
    expect(page.get_by_test_id("day-frozen")).to_be_visible()  # before any count
    expect(page.get_by_test_id("no-shift")).to_be_visible()
    expect(page.get_by_test_id("count-grid")).to_have_count(0)
    shot(page, "signed-off-cash-desk")
