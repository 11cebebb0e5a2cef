"""The on-screen preview of a receipt looks like the paper: no line, enlarged ones included, is
wider than the paper's 32 or 48 columns (the preview's font prints a GBK double-byte character
two columns wide, as the printer does)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import landed, login_with_keypad

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("paper", ["58", "80"])
def test_the_preview_fits_the_paper(page, live_server, paper):
    login_with_keypad(page, live_server.url, "王建国", "9001")
    landed(page)
    page.goto(live_server.url + "/manage/printers")
    page.get_by_label("打印机名称").fill(f"预览×{paper}")
    page.get_by_label("连接方式").select_option("file")
    page.get_by_label("地址").fill("/dev/null")
    page.get_by_label("纸宽").select_option(paper)
    page.get_by_role("button", name="保存").click()
    page.locator("tr", has_text=f"预览×{paper}").get_by_role("button", name="打印测试页").click()
    paper_box = page.get_by_test_id("receipt-preview")
    expect(paper_box).to_contain_text("打印测试")
    page.screenshot(path=f"/tmp/h3-preview-{paper}.png", full_page=True)
    inner = paper_box.evaluate("e => e.clientWidth - parseFloat(getComputedStyle(e).paddingLeft)"
                               " - parseFloat(getComputedStyle(e).paddingRight)")
    widths = paper_box.locator(".rl").evaluate_all(
        "els => els.map(e => { const r = document.createRange(); r.selectNodeContents(e);"
        " return [e.textContent, r.getBoundingClientRect().width]; })")
    assert widths
    for text, width in widths:
        assert width <= inner + 1, (text, width, inner)
