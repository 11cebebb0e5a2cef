"""A clerk hands over an appliance with its serial number (scanned into the box), then finds it in
the serial search: the customer, the voucher and the warranty. Screenshots at 1024×768 for a look:
/tmp/serials-pickup.png and /tmp/serials-search.png."""

import sqlite3

import pytest
from playwright.sync_api import expect

from tests.e2e.test_cashier import switch_to
from tests.e2e.test_pickup_delivery import open_pickup, pay_cash

pytestmark = pytest.mark.e2e


def test_handed_over_with_its_serial_and_found_again(page, live_server):
    with sqlite3.connect(live_server.folder / "pos.sqlite3") as db:
        db.execute("UPDATE product SET requires_serial = 1, warranty_months = 36 WHERE name LIKE '%对开门冰箱'")
    no = pay_cash(page, live_server, "海尔 对开门冰箱")
    switch_to(page, live_server, "李晓梅", "1001")
    open_pickup(page, live_server, no)
    box = page.get_by_test_id("pickup-lines").locator("textarea")
    expect(box).to_have_count(1)
    page.get_by_label("已收回销售单店留联").check()
    page.get_by_role("button", name="确认交付").click()
    expect(page.get_by_test_id("errors")).to_contain_text("每件都要登记序列号")
    box = page.get_by_test_id("pickup-lines").locator("textarea")
    box.fill("ｈｒ２０２６１１２６ａ００１")  # a scanner on a full-width input method
    page.get_by_label("已收回销售单店留联").check()
    page.screenshot(path="/tmp/serials-pickup.png", full_page=False)
    page.get_by_role("button", name="确认交付").click()
    expect(page.locator(".flash")).to_contain_text("已交付")
    expect(page.get_by_test_id("serials-done")).to_contain_text("HR20261126A001")

    page.goto(live_server.url + "/serials")
    page.get_by_test_id("serial-input").fill("hr20261126a001")
    page.get_by_test_id("serial-input").press("Enter")
    row = page.get_by_test_id("serial-row")
    expect(row).to_contain_text(no)
    expect(row.get_by_test_id("under-warranty")).to_contain_text("是，在保修期内")
    page.screenshot(path="/tmp/serials-search.png", full_page=False)
