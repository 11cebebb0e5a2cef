"""At the cash desk on a 1024×768 tablet: open the shift, scan a written-up voucher,
count cash with one rejected note, hear/see the announcement, get the stamped voucher;
a split card + cash payment; a cheque held until the manager clears it; and closing
the shift with the right over/short."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import confirm_in_dialog, landed, login_with_keypad, no_sideways_scroll, refuse_one

pytestmark = pytest.mark.e2e

DENOMS = [10000, 5000, 2000, 1000, 500, 100, 50, 10]


def fen(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


def switch_to(page, server, name, pin):
    page.get_by_role("button", name="切换用户").click()
    login_with_keypad(page, server.url, name, pin)
    landed(page)


def write_up(page, server, query):
    """As the clerk: one product found by `query`, written up. Returns (number, total in fen)."""
    switch_to(page, server, "李晓梅", "1001")
    page.goto(server.url + "/counter")
    page.get_by_placeholder("搜索，或扫条码直接加入").fill(query)
    quick = page.get_by_test_id("quick-results")
    expect(quick.locator("li").first).to_contain_text(query.split()[-1])
    quick.locator("li").first.get_by_role("button").click()
    expect(page.get_by_test_id("line")).to_have_count(1)
    page.get_by_role("button", name="开单").click()
    no = page.get_by_test_id("voucher-no").inner_text()
    return no, fen(page.get_by_test_id("voucher-total").inner_text())


def to_cash_desk(page, server):
    switch_to(page, server, "陈静", "2001")
    page.goto(server.url + "/cashier")
    if page.get_by_role("heading", name="开班", exact=True).count():
        grid = page.get_by_test_id("count-grid")
        for _ in range(2):  # float: 2 × ￥100 + 5 × ￥10
            grid.locator(".count-row").nth(0).locator("[data-count-step='1']").click()
        for _ in range(5):
            grid.locator(".count-row").nth(3).locator("[data-count-step='1']").click()
        expect(page.locator("[data-count-total]")).to_have_text("￥250.00")
        page.locator("form").get_by_role("button", name="开班").click()
    expect(page.get_by_test_id("voucher-input")).to_be_visible()


def open_voucher(page, no):
    page.get_by_test_id("voucher-input").fill(no)
    page.get_by_test_id("voucher-input").press("Enter")  # what a QR scanner sends
    expect(page.get_by_test_id("check")).to_contain_text(no)


def pay_by_cheque(page, total: int, number: str, bank: str, drawer: str):
    """On the payment screen: the whole amount (fen) by cheque; see it held until the funds arrive."""
    page.get_by_test_id("tender-cheque").get_by_text("支票").click()
    page.get_by_label("支票金额").fill(f"{total // 100}.{total % 100:02d}")
    page.get_by_label("支票号码").fill(number)
    page.get_by_label("开户银行").fill(bank)
    page.get_by_label("出票人").fill(drawer)
    page.get_by_test_id("confirm-payment").click()
    expect(page.get_by_test_id("announce")).to_contain_text("款项到账后方可提货")


def test_cash_with_a_rejected_note_announced_and_stamped(page, live_server):
    login_with_keypad(page, live_server.url, "李晓梅", "1001")
    no, total = write_up(page, live_server, "除味剂")  # ￥39.00
    to_cash_desk(page, live_server)
    open_voucher(page, no)
    assert no_sideways_scroll(page)
    grid = page.get_by_test_id("count-grid")
    fifty = grid.locator(".count-row").nth(1)
    fifty.locator("[data-count-step='1']").click()
    fifty.locator("[data-count-step='1']").click()  # two ￥50 notes…
    refuse_one(page, fifty, "假币")  # …one of them counterfeit: 拒收一张 asks why
    expect(page.get_by_test_id("received")).to_have_text("￥50.00")
    expect(page.get_by_test_id("change")).to_have_text("￥11.00")
    page.get_by_test_id("confirm-payment").click()
    expect(page.get_by_test_id("announce-text")).to_have_text("收您 50.00 元，应收 39.00 元，找您 11.00 元。")
    expect(page.get_by_test_id("change-notes")).to_contain_text("￥10.00 × 1")
    expect(page.get_by_test_id("announce")).to_contain_text("已退回 1 张拒收的钞票")
    stamp = page.get_by_test_id("stamp")
    expect(stamp).to_contain_text("收款专用章")
    expect(stamp).to_contain_text("陈静")
    expect(stamp).to_contain_text(no)
    page.get_by_role("link", name="客户联").click()
    expect(page.get_by_test_id("copy-name")).to_have_text("客户联")
    expect(page.get_by_test_id("stamp")).to_be_visible()


def test_split_card_and_cash(page, live_server):
    login_with_keypad(page, live_server.url, "李晓梅", "1001")
    no, total = write_up(page, live_server, "海尔 三门冰箱")
    to_cash_desk(page, live_server)
    open_voucher(page, no)
    page.get_by_test_id("tender-card").get_by_text("银行卡").click()
    card = total - 50000  # all but ￥500 by card
    page.get_by_label("银行卡 金额").fill(f"{card // 100}.{card % 100:02d}")
    page.get_by_label("银行卡 参考号").fill("POS-000123")
    row = page.get_by_test_id("count-grid").locator(".count-row").nth(0)
    for _ in range(6):  # ￥600 in cash
        row.locator("[data-count-step='1']").click()
    expect(page.get_by_test_id("change")).to_have_text("￥100.00")
    with page.expect_request(lambda r: r.resource_type == "document") as sent:
        page.get_by_test_id("confirm-payment").click()
    expect(page.get_by_test_id("announce-text")).to_contain_text("找您 100.00 元")
    expect(page.get_by_test_id("stamped-voucher")).to_contain_text("POS-000123")
    # the payment's answer is the announcement itself (one round trip), at the payment's own address:
    assert sent.value.method == "POST" and sent.value.redirected_to is None
    expect(page).to_have_url(re.compile(r"/cashier/payments/\d+$"))
    with page.expect_request(lambda r: r.resource_type == "document") as reloaded:
        page.reload()  # reloading asks for the page, not for the payment again
    assert reloaded.value.method == "GET" and re.search(r"/cashier/payments/\d+$", reloaded.value.url)
    expect(page.get_by_test_id("announce-text")).to_contain_text("找您 100.00 元")
    page.go_back()  # back: the payment screen, as after a redirect
    expect(page).to_have_url(re.compile(r"/cashier/pay\?no="))


def test_cheque_is_held_until_cleared(page, live_server):
    login_with_keypad(page, live_server.url, "李晓梅", "1001")
    no, total = write_up(page, live_server, "海尔 对开门冰箱")
    to_cash_desk(page, live_server)
    open_voucher(page, no)
    pay_by_cheque(page, total, "10203040", "中国工商银行", "上海某某贸易公司")
    page.goto(live_server.url + f"/vouchers/{no}")
    expect(page.get_by_test_id("status")).to_have_text("支票付款：等待到账")

    switch_to(page, live_server, "王建国", "9001")
    page.goto(live_server.url + "/cashier/cheques")
    row = page.get_by_test_id("cheques").locator("tr", has_text="10203040")
    row.get_by_role("button", name="已到账").click()
    expect(page.locator(".flash")).to_contain_text("已到账：可以提货")
    page.goto(live_server.url + f"/vouchers/{no}")
    expect(page.get_by_test_id("status")).to_have_text("已收款")


def test_the_running_total_is_added_up_in_the_browser(page, live_server):
    """Issue 19: typing the notes shows received, change and what is still to pay at once, computed
    by the page (static/js/tally.js, integer fen) — no request to the tally route; the same messages
    as the server's; the payment is still added up again by the server."""
    login_with_keypad(page, live_server.url, "李晓梅", "1001")
    no, total = write_up(page, live_server, "除味剂")  # ￥39.00
    to_cash_desk(page, live_server)
    open_voucher(page, no)
    page.wait_for_load_state()
    sent = []
    page.on("request", lambda request: sent.append(request.url) if request.method == "POST" else None)
    grid = page.get_by_test_id("count-grid")
    grid.locator("input[name=count_2000]").fill("2")  # 2 × ￥20 typed
    expect(page.get_by_test_id("received")).to_have_text("￥40.00")
    expect(page.get_by_test_id("change")).to_have_text("￥1.00")
    expect(page.get_by_test_id("short")).to_be_hidden()
    dime = grid.locator(".count-row").nth(7)  # ￥0.10
    for _ in range(3):
        dime.locator("[data-count-step='1']").click()
    expect(page.get_by_test_id("change")).to_have_text("￥1.30")
    twenty = grid.locator(".count-row").nth(2)
    refuse_one(page, twenty, "假币")  # one ￥20 handed back
    expect(page.get_by_test_id("tally")).to_contain_text("−￥20.00")
    expect(page.get_by_test_id("received")).to_have_text("￥20.30")
    expect(page.get_by_test_id("short")).to_have_text("￥18.70")
    expect(page.get_by_test_id("change")).to_be_hidden()
    assert no_sideways_scroll(page)
    page.screenshot(path=str(live_server.folder / "pay-tally.png"))
    # counted and typed at once: the server's message, nothing counted
    page.get_by_label("……或直接输入现金金额").fill("50")
    expect(page.get_by_test_id("tally")).to_contain_text("请按面额点钞或直接输入现金金额，二者选一。")
    expect(page.get_by_test_id("received")).to_have_text("￥0.00")
    # a typed amount instead (full-width digits, a thousands comma): exact fen
    grid.locator("input[name=count_2000]").fill("")
    grid.locator("input[name=count_10]").fill("")
    twenty.get_by_role("button", name=re.compile("撤销")).click()
    page.get_by_label("……或直接输入现金金额").fill("１,000.5")
    expect(page.get_by_test_id("change")).to_have_text("￥961.50")
    page.get_by_label("……或直接输入现金金额").fill("12.345")
    expect(page.get_by_test_id("tally")).to_contain_text("不是有效金额：12.345")
    page.get_by_label("……或直接输入现金金额").fill("20.05")
    page.get_by_test_id("tender-card").get_by_text("银行卡").click()
    page.get_by_label("银行卡 金额").fill("19")
    expect(page.get_by_test_id("tally")).to_contain_text("请输入刷卡终端的参考号。")
    page.get_by_label("银行卡 参考号").fill("POS-000777")
    expect(page.get_by_test_id("received")).to_have_text("￥39.05")
    expect(page.get_by_test_id("change")).to_have_text("￥0.05")
    expect(page.get_by_test_id("tally").locator(".tally-error")).to_have_count(0)
    assert not any("/tally" in url for url in sent), sent
    assert sent == []  # nothing at all was posted while counting
    page.get_by_test_id("confirm-payment").click()
    expect(page.get_by_test_id("announce-text")).to_have_text("收您 39.05 元，应收 39.00 元，找您 0.05 元。")


def test_closing_the_shift_shows_over_short(page, live_server):
    login_with_keypad(page, live_server.url, "陈静", "2001")
    landed(page)
    page.goto(live_server.url + "/cashier")
    expect(page.get_by_test_id("blind-count")).to_be_visible()  # the expected cash is not shown: a blind count
    assert "应有现金" not in page.locator(".shift-box").inner_text()
    page.get_by_role("link", name="交班").click()
    assert "应有现金" not in page.get_by_test_id("close-form").inner_text()
    grid = page.get_by_test_id("count-grid")
    grid.locator("input[name=count_10000]").fill("3")  # ￥300 counted
    page.get_by_role("button", name="交班").last.click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_contain_text("￥300.00")  # the dialog says what is frozen, with the count
    expect(dialog).to_contain_text("不能重新打开")
    confirm_in_dialog(page, "确认交班")
    report = page.get_by_test_id("shift-report")
    expect(report).to_be_visible()
    expected = fen(page.get_by_test_id("expected").inner_text())  # shown once the count is in
    assert fen(page.get_by_test_id("counted").inner_text()) == 30000
    over_short = page.get_by_test_id("over-short").inner_text()
    assert fen(over_short) == abs(30000 - expected) and over_short.startswith("-") == (30000 < expected)
