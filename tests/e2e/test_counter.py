"""As a clerk on a 1024×768 tablet: search, open a product, see a suggestion, add three
lines (one discounted beyond the limit with the manager's PIN), write up, and see the
sales voucher with its number, QR, totals and amount in words. And a phone order
taken by a clerk and approved in the manager's review."""

import re

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import clerk_with_two_lines, login_with_keypad, no_sideways_scroll

pytestmark = pytest.mark.e2e


def test_clerk_writes_up_a_voucher(page, live_server):
    login_with_keypad(page, live_server.url, "李晓梅", "1001")
    page.get_by_role("link", name="商品目录").first.click()
    page.wait_for_url("**/catalog**")
    page.wait_for_load_state()  # htmx bound to the search box (a loaded machine typed before it once)

    # introduce: search as you type, open the product
    page.get_by_placeholder("名称、品牌、型号、拼音首字母，或扫条码").fill("海尔 对开门")
    expect(page.get_by_test_id("results").locator(".product-card")).to_have_count(3)
    page.get_by_test_id("results").locator(".product-card").first.click()
    expect(page.get_by_role("heading", name="海尔对开门冰箱")).to_be_visible()
    assert no_sideways_scroll(page)

    # recommend: an accessory is suggested
    suggestions = page.get_by_test_id("suggestions")
    expect(suggestions).to_contain_text("搭配推荐")
    expect(suggestions).to_contain_text("除味剂")

    # line 1: two fridges at list price
    form = page.get_by_test_id("add-form")
    form.get_by_role("button", name="加一").click()
    form.get_by_role("button", name="加入销售单").click()
    expect(page.get_by_test_id("added")).to_be_visible()
    expect(page.get_by_test_id("voucher-badge")).to_contain_text("1 项")

    # line 2: the suggested accessory, from the counter's search
    page.get_by_test_id("voucher-badge").click()
    page.get_by_placeholder("搜索，或扫条码直接加入").fill("除味剂")
    quick = page.get_by_test_id("quick-results")
    expect(quick).to_contain_text("海尔冰箱除味剂")
    quick.locator("li", has_text="海尔冰箱除味剂").get_by_role("button").click()
    expect(page.get_by_test_id("line")).to_have_count(2)

    # line 3: a TV at 70 % of list — over the clerk's 10 % limit: the manager approves with a PIN
    page.get_by_placeholder("搜索，或扫条码直接加入").fill("海尔 电视")
    expect(quick.locator("li").first).to_contain_text("海尔液晶电视")
    quick.locator("li").first.get_by_role("button").click()
    expect(page.get_by_test_id("line")).to_have_count(3)
    tv = page.get_by_test_id("line").nth(2)
    list_text = tv.locator("input[name=unit_price]").input_value()
    fen = int(list_text.replace(".", ""))
    discounted = fen * 70 // 100
    tv.locator("input[name=unit_price]").fill(f"{discounted // 100}.{discounted % 100:02d}")
    tv.locator("input[name=unit_price]").press("Tab")
    expect(page.get_by_test_id("errors")).to_contain_text("须店长输入 PIN 码批准")
    tv = page.get_by_test_id("line").nth(2)
    tv.get_by_test_id("manager-pin").fill("9001")
    tv.get_by_role("button", name="批准").click()
    expect(page.get_by_test_id("line").nth(2)).to_contain_text("王建国 批准")
    assert no_sideways_scroll(page)

    # write up: the sales voucher with number, QR, totals and the amount in words
    page.get_by_role("button", name="开单").click()
    expect(page.get_by_test_id("voucher-no")).to_have_text(re.compile(r"^V\d{8}-\d{4}$"))
    expect(page.get_by_test_id("qr").locator("svg")).to_be_visible()
    no = page.get_by_test_id("voucher-no").inner_text()
    shot = live_server.folder / "qr.png"
    page.get_by_test_id("qr").screenshot(path=str(shot))
    assert [b.text for b in zxingcpp.read_barcodes(Image.open(shot))] == [no]  # a scanner reads the number
    expect(page.get_by_test_id("voucher-total")).to_have_text(re.compile(r"^￥[\d,]+\.\d\d$"))
    expect(page.get_by_test_id("voucher-words")).to_contain_text("人民币")
    expect(page.get_by_test_id("status")).to_have_text("已开单，未付款")
    rows = page.locator(".vd-lines tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("2 台")
    page.screenshot(path=str(live_server.folder / "voucher.png"), full_page=True)
    # on a phone the lines scroll in their box: the page itself does not, and the amounts stay reachable
    page.set_viewport_size({"width": 390, "height": 844})
    assert no_sideways_scroll(page)
    box = page.get_by_test_id("voucher-lines")
    assert box.evaluate("el => el.getBoundingClientRect().right") <= 390
    box.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    total = page.get_by_test_id("voucher-total").evaluate("el => el.getBoundingClientRect().toJSON()")
    assert 0 <= total["left"] and total["right"] <= 390, total
    page.set_viewport_size({"width": 1024, "height": 768})


def test_phone_order_through_manager_review(page, live_server):
    login_with_keypad(page, live_server.url, "张伟", "1002")
    expect(page.get_by_test_id("voucher-panel")).to_be_visible()  # a clerk lands on the counter
    page.goto(live_server.url + "/phone-orders/new")
    page.get_by_label("顾客姓名").fill("冯先生")
    page.get_by_label("顾客电话").fill("13911112222")
    page.get_by_label("送货地址（需送货时填写）").fill("上海市长宁区天山路1号")
    page.get_by_role("button", name="下一步：选商品").click()
    expect(page.get_by_test_id("voucher-panel")).to_contain_text("电话订单")
    page.get_by_placeholder("搜索，或扫条码直接加入").fill("净水器")
    expect(page.get_by_test_id("quick-results").locator("li").first).to_contain_text("净水器")
    page.get_by_test_id("quick-results").locator("li").first.get_by_role("button").click()
    expect(page.get_by_test_id("line")).to_have_count(1)
    page.get_by_role("link", name="复述订单").click()
    expect(page.get_by_test_id("script")).to_contain_text("冯先生您好")
    expect(page.get_by_test_id("script")).to_contain_text("天山路")
    page.get_by_role("button", name="顾客已确认").click()
    expect(page.locator(".flash")).to_contain_text("已提交店长评审")

    page.get_by_role("button", name="切换用户").click()
    login_with_keypad(page, live_server.url, "王建国", "9001")
    page.get_by_role("link", name="订单评审").first.click()
    page.get_by_test_id("review-list").get_by_role("link", name="评审").first.click()
    expect(page.get_by_role("heading", name=re.compile("冯先生"))).to_be_visible()
    page.get_by_label("货到付款").check()
    page.get_by_role("button", name="批准：开出销售单").click()
    expect(page.get_by_test_id("voucher-no")).to_have_text(re.compile(r"^V\d{8}-\d{4}$"))
    expect(page.get_by_test_id("voucher-doc")).to_contain_text("货到付款")


def test_adding_answers_only_the_line_and_the_total(page, live_server):
    """Issue 19: "+" beside a result swaps in its line and the total (and the suggestions when they
    change), not the whole panel: what the clerk typed elsewhere in the panel stays; an
    out-of-stock product warns on its line and brings in-stock alternatives."""
    search = clerk_with_two_lines(page, live_server.url)
    quick = page.get_by_test_id("quick-results")
    # a box typed in but not saved yet survives the next "+" (the panel is not re-rendered)
    page.get_by_label("顾客电话").fill("13800138001")
    search.fill("6954452362428")  # 海尔三门冰箱 BCD-101A 香槟金, out of stock (its barcode)
    expect(quick.locator("li")).to_have_count(1)
    expect(quick.locator("li")).to_contain_text("缺货")
    quick.locator("li").get_by_role("button").click()
    expect(page.get_by_test_id("line")).to_have_count(3)
    third = page.get_by_test_id("line").nth(2)
    expect(third).to_contain_text("海尔三门冰箱")
    expect(third.get_by_test_id("short")).to_contain_text("缺 1")
    expect(page.get_by_test_id("suggestions")).to_contain_text("有货的替代商品")
    expect(page.get_by_label("顾客电话")).to_have_value("13800138001")
    amounts = page.get_by_test_id("amount").all_text_contents()
    fen = sum(int(a.replace("￥", "").replace(",", "").replace(".", "")) for a in amounts)
    expect(page.get_by_test_id("total").locator("strong")).to_have_text(f"￥{fen // 100:,}.{fen % 100:02d}")
    # one more of the first line: that line shows 2, still three lines
    search.fill("净水器")
    expect(quick.locator("li").first).to_contain_text("净水")
    quick.locator("li").first.get_by_role("button").click()
    expect(page.get_by_test_id("line").first.locator("input[name=quantity]")).to_have_value("2")
    expect(page.get_by_test_id("line")).to_have_count(3)
    assert no_sideways_scroll(page)
    page.screenshot(path=str(live_server.folder / "counter-added.png"))
    # 开单 sends what the screen shows: it goes through
    page.get_by_role("button", name="开单").click()
    expect(page.get_by_test_id("voucher-no")).to_have_text(re.compile(r"^V\d{8}-\d{4}$"))
