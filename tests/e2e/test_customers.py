"""Browser: the customer file at 1024×768 — the manager finds a customer by the last four digits of
the phone (a POST: no phone in the URL), opens the file with its timeline, tags the customer and marks
a key customer; another clerk finds the same customer with the phone masked and no history."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, landed, login_with_keypad, no_sideways_scroll

pytestmark = pytest.mark.e2e


def test_customer_file_search_tag_and_masking(page, live_server):
    login_with_keypad(page, live_server.url, "王建国", "9001")
    landed(page)
    page.goto(live_server.url + "/customers/")
    page.get_by_test_id("search-phone").fill("8001")
    page.get_by_test_id("search-go").click()
    row = page.get_by_test_id("result").filter(has_text="周先生")
    expect(row).to_contain_text("13800138001")  # the manager sees the full phone
    assert "8001" not in page.url
    row.get_by_role("link", name="周先生").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("customer-phone")).to_have_text("13800138001")
    expect(page.get_by_test_id("classification")).to_contain_text("得分")
    page.get_by_test_id("new-tag").fill("装修中")
    page.get_by_test_id("add-tag").click()
    expect(page.get_by_test_id("tag")).to_have_text("装修中")
    page.get_by_test_id("key-box").check()
    page.get_by_test_id("save-profile").click()
    expect(page.get_by_test_id("key-customer")).to_be_visible()
    # a tag twice: the message, the page kept
    page.get_by_test_id("new-tag").fill("装修中")
    page.get_by_test_id("add-tag").click()
    expect(page.get_by_test_id("errors")).to_contain_text("装修中")
    assert no_sideways_scroll(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "customer_file.png"), full_page=True)

    page.context.clear_cookies()
    login_with_keypad(page, live_server.url, "张伟", "1002")
    landed(page)
    page.goto(live_server.url + "/customers/")
    page.get_by_test_id("search-tag").fill("装修中")
    page.get_by_test_id("search-go").click()
    row = page.get_by_test_id("result").filter(has_text="周先生")
    expect(row).to_contain_text("138****8001")
    expect(row).not_to_contain_text("13800138001")
    row.get_by_role("link", name="周先生").click()
    expect(page.get_by_test_id("customer-phone")).to_have_text("138****8001")
    expect(page.get_by_test_id("masked-note")).to_be_visible()
    expect(page.get_by_test_id("timeline")).to_have_count(0)
    assert no_sideways_scroll(page)
