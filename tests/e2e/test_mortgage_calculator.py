"""An agent works out a mortgage for a customer on the tablet, switches to a combined loan,
and opens the A4 print; the screen fits 1024×768 and a phone without sideways scrolling."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login_with_keypad, no_sideways_scroll

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("POS_SCREENSHOTS")  # a folder to keep screenshots in, for looking at them


def shot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


def test_agent_shows_a_customer_the_plan(page, live_server):
    blocked = []  # the page's own stylesheet and htmx must pass the Content-Security-Policy
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    login_with_keypad(page, live_server.url, "李晓梅", "1001")
    page.get_by_test_id("voucher-panel").wait_for()  # a clerk lands on the counter
    page.goto(live_server.url + "/property/mortgage")
    expect(page.get_by_role("heading", name="房贷计算器")).to_be_visible()
    form = page.get_by_test_id("mortgage-form")
    form.get_by_test_id("amount").fill("1000000")
    form.get_by_test_id("rate").fill("4.9")
    form.get_by_test_id("years").fill("30")
    form.get_by_test_id("method").select_option("equal_instalment")
    expect(form.get_by_test_id("fund_amount")).to_be_hidden()
    form.get_by_test_id("calculate").click()
    expect(page.get_by_test_id("first-payment")).to_have_text("￥5,307.27")
    expect(page.get_by_test_id("total-interest")).to_have_text("￥910,615.12")
    assert "rate=4.9" in page.url  # the plan can be bookmarked and reopened
    assert page.locator('[data-testid="plan"] tbody tr').count() == 360
    assert no_sideways_scroll(page)
    # the plan scrolls in its own box: the page itself stays within the screen
    assert page.evaluate("document.documentElement.scrollHeight") <= 768 + 40
    shot(page, "mortgage-tablet")

    # bad input: the message, the input kept, no plan
    form.get_by_test_id("rate").fill("25")
    form.get_by_test_id("calculate").click()
    expect(page.get_by_test_id("errors")).to_contain_text("年利率最高为24%")
    expect(page.get_by_test_id("plan")).to_have_count(0)
    expect(form.get_by_test_id("rate")).to_have_value("25")
    shot(page, "mortgage-error")

    # a combined loan: the housing-fund fields appear, the plan shows both parts
    form.get_by_test_id("loan_type").select_option("combined")
    expect(form.get_by_test_id("fund_amount")).to_be_visible()
    form.get_by_test_id("amount").fill("600000")
    form.get_by_test_id("rate").fill("4.9")
    form.get_by_test_id("fund_amount").fill("400000")
    form.get_by_test_id("fund_rate").fill("3.25")
    form.get_by_test_id("calculate").click()
    expect(page.get_by_test_id("first-payment")).to_have_text("￥4,925.19")
    assert no_sideways_scroll(page)
    shot(page, "mortgage-combined")

    # the print opens as a PDF
    with page.context.expect_page() as opened:
        page.get_by_test_id("print").click()
    pdf = opened.value
    pdf.wait_for_load_state()
    response = page.request.get(pdf.url)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf.close()
    assert blocked == []


def test_the_calculator_fits_a_phone(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    try:
        login_with_keypad(page, live_server.url, "李晓梅", "1001")
        page.get_by_test_id("voucher-panel").wait_for()  # a clerk lands on the counter
        page.goto(live_server.url + "/property/mortgage?loan_type=combined&amount=600000&rate=4.9"
                  "&fund_amount=400000&fund_rate=3.25&years=25&method=equal_principal")
        expect(page.get_by_test_id("plan")).to_be_visible()
        assert no_sideways_scroll(page)
        shot(page, "mortgage-phone")
    finally:
        context.close()
