"""Issue 19 in the browser: the quantity stepper and ✕ on a line answer only what changed — the
line (or its removal, htmx's out-of-band "delete"), the total, the suggestions when they change —
and what was typed elsewhere in the panel stays; the last line taken off shows the empty panel."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import clerk_with_two_lines, no_sideways_scroll

pytestmark = pytest.mark.e2e


def _total_fen(page) -> int:
    amounts = page.get_by_test_id("amount").all_text_contents()
    return sum(int(a.replace("￥", "").replace(",", "").replace(".", "")) for a in amounts)


def test_stepper_and_remove_answer_only_the_line(page, live_server):
    clerk_with_two_lines(page, live_server.url)
    page.get_by_label("顾客电话").fill("13800138001")  # typed, not saved: survives the changes below
    first = page.get_by_test_id("line").first
    amount_before = first.get_by_test_id("amount").inner_text()
    first.get_by_role("button", name="加一").click()
    expect(page.get_by_test_id("line").first.locator("input[name=quantity]")).to_have_value("2")
    # the stepper shows 2 at once; the line's amount comes with the server's answer
    expect(page.get_by_test_id("line").first.get_by_test_id("amount")).not_to_have_text(amount_before)
    fen = _total_fen(page)
    expect(page.get_by_test_id("total").locator("strong")).to_have_text(f"￥{fen // 100:,}.{fen % 100:02d}")
    expect(page.get_by_label("顾客电话")).to_have_value("13800138001")
    # ✕ on the first line: it goes, the other stays, the total follows
    page.get_by_test_id("line").first.locator("button.btn-danger").click()
    expect(page.get_by_test_id("line")).to_have_count(1)
    expect(page.get_by_test_id("line").first).to_contain_text("电视")
    fen = _total_fen(page)
    expect(page.get_by_test_id("total").locator("strong")).to_have_text(f"￥{fen // 100:,}.{fen % 100:02d}")
    expect(page.get_by_label("顾客电话")).to_have_value("13800138001")
    assert no_sideways_scroll(page)
    # the last line: the whole (empty) panel
    page.get_by_test_id("line").first.locator("button.btn-danger").click()
    expect(page.get_by_test_id("line")).to_have_count(0)
    expect(page.get_by_test_id("why-disabled")).to_be_visible()
