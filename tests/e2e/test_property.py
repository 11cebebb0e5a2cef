"""Browser: the sales-control board at 1024×768 — colours, symbols and counts for the demo
buildings; an agent holds a unit and a second browser's board shows it without a reload."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, TABLET, landed, login_with_keypad, no_sideways_scroll

pytestmark = pytest.mark.e2e


def _board_url(page, base_url, building_name):
    page.goto(base_url + "/property/")
    page.get_by_role("link", name=building_name, exact=False).first.click()
    page.wait_for_load_state()


def test_board_renders_with_colours_symbols_and_counts(page, live_server):
    login_with_keypad(page, live_server.url, "王建国", "9001")
    landed(page)
    page.goto(live_server.url + "/property/")
    page.get_by_role("link", name="2号楼 · 33×8").click()
    grid = page.locator("table.sc-grid")
    expect(grid).to_be_visible()
    expect(grid.locator("td.sc-cell")).to_have_count(264)
    # colours: an available cell is Okabe–Ito bluish green, a sold one blue, a locked one black
    colour = page.locator("td.sc-available").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(0, 158, 115)"
    assert page.locator("td.sc-sold").first.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(0, 114, 178)"
    assert page.locator("td.sc-locked").first.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(0, 0, 0)"
    expect(page.locator("td.sc-held .sc-sym").first).to_have_text("◐")
    tally = page.locator(".sc-tally").first
    expect(tally.locator('[data-status="not_for_sale"] b')).to_have_text("64")
    expect(page.get_by_test_id("legend")).to_contain_text("已认购")
    # 33 floors × 8 units: the page scrolls down, never sideways
    assert no_sideways_scroll(page)
    assert page.evaluate("document.documentElement.scrollHeight") > TABLET["height"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "property_board_33x8.png"))
    page.goto(live_server.url + "/property/projects/1")
    expect(page.locator("table.sc-grid")).to_have_count(2)
    page.screenshot(path=str(ARTIFACTS / "property_project_board.png"), full_page=False)


def test_a_hold_shows_on_another_board_without_reload(browser, page, live_server):
    # the watcher: the manager's board of 1号楼, left open
    login_with_keypad(page, live_server.url, "王建国", "9001")
    landed(page)
    page.goto(live_server.url + "/property/")
    page.get_by_role("link", name="1号楼 · 18×4").click()
    watched = page.locator('td.sc-cell[data-number="1704"]')
    expect(watched).to_have_attribute("data-status", "available")
    page.evaluate("window.__notReloaded = true")

    agent_context = browser.new_context(viewport=TABLET, locale="zh-CN", timezone_id="Asia/Shanghai")
    agent = agent_context.new_page()
    try:
        login_with_keypad(agent, live_server.url, "李晓梅", "1001")
        landed(agent)
        agent.goto(live_server.url + "/property/")
        agent.get_by_role("link", name="1号楼 · 18×4").click()
        agent.locator('td.sc-cell[data-number="1704"] button').click()
        panel = agent.get_by_test_id("unit-panel")
        expect(panel).to_contain_text("1704")
        agent.get_by_test_id("hold-customer").fill("郑先生")
        agent.get_by_test_id("hold").click()
        expect(agent.get_by_test_id("unit-status")).to_contain_text("保留")
        expect(agent.locator('td.sc-cell[data-number="1704"]')).to_have_attribute("data-status", "held")
        agent.screenshot(path=str(ARTIFACTS / "property_unit_panel.png"))

        # the other board turns within the poll interval (2 s allowed; the machine may be loaded)
        expect(watched).to_have_attribute("data-status", "held", timeout=5_000)
        assert page.evaluate("window.__notReloaded === true")
        expect(page.locator(".sc-tally").first.locator('[data-status="held"] b')).to_have_text("7")

        # a second agent trying the same unit is told who holds it
        other = browser.new_context(viewport=TABLET, locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
        login_with_keypad(other, live_server.url, "张伟", "1002")
        landed(other)
        other.goto(live_server.url + "/property/")
        other.get_by_role("link", name="1号楼 · 18×4").click()
        other.locator('td.sc-cell[data-number="1704"] button').click()
        expect(other.get_by_test_id("held-by")).to_contain_text("李晓梅")
        expect(other.get_by_test_id("hold")).to_have_count(0)
        other.context.close()
    finally:
        agent_context.close()


def test_opening_day_selects_three_units_in_queue_order(browser, page, live_server):
    """The manager issues numbers and opens the session (two called at a time); the agent holds the
    called buyers' units in queue order; the big screen and the board follow."""
    login_with_keypad(page, live_server.url, "王建国", "9001")
    landed(page)
    page.goto(live_server.url + "/property/projects/1/queue")
    for i, name in enumerate(("甲先生", "乙女士", "丙先生", "丁女士")):
        page.get_by_test_id("queue-phone").fill(f"1361111000{i}")
        page.get_by_test_id("queue-name").fill(name)
        page.get_by_test_id("queue-fee").fill("20000")
        page.get_by_test_id("issue-number").click()
        expect(page.get_by_test_id("queue-message")).to_contain_text(name)
    page.get_by_label("同时叫号数").fill("2")
    page.get_by_test_id("open-session").click()
    expect(page.get_by_test_id("called")).to_be_visible()
    desk_url = page.url
    expect(page.get_by_test_id("called-1")).to_be_visible()
    expect(page.get_by_test_id("called-2")).to_be_visible()
    expect(page.get_by_test_id("called-3")).to_have_count(0)

    screen = browser.new_context(viewport=TABLET, locale="zh-CN").new_page()
    login_with_keypad(screen, live_server.url, "张伟", "1002")
    landed(screen)
    screen.goto(desk_url + "/screen")
    expect(screen.get_by_test_id("now-calling")).to_contain_text("1")

    for number, unit in ((1, "1802"), (2, "1803"), (3, "1804")):
        row = page.get_by_test_id(f"called-{number}")
        row.get_by_role("combobox").select_option(label="1号楼")
        page.get_by_test_id(f"unit-{number}").fill(unit)
        page.get_by_test_id(f"choose-{number}").click()
        expect(page.get_by_test_id("desk-message")).to_contain_text(unit)
        expect(page.get_by_test_id(f"called-{number}")).to_have_count(0)
        if number + 2 <= 4:  # the window of two moves on: the next number is called
            expect(page.get_by_test_id(f"called-{number + 2}")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "property_opening_desk.png"))
    # the big screen shows the choices without a reload; the board has the units held
    expect(screen.locator(".sc-chosen")).to_contain_text("1804", timeout=5_000)
    screen.screenshot(path=str(ARTIFACTS / "property_opening_screen.png"))
    screen.context.close()
    page.goto(live_server.url + "/property/buildings/1")
    for unit in ("1802", "1803", "1804"):
        expect(page.locator(f'td.sc-cell[data-number="{unit}"]')).to_have_attribute("data-status", "held")


def test_a_second_agent_registering_an_owned_phone_sees_the_collision_and_the_manager_rules(browser, page,
                                                                                            live_server):
    login_with_keypad(page, live_server.url, "李晓梅", "1001")
    landed(page)
    page.goto(live_server.url + "/visitors/")
    page.get_by_test_id("visitor-phone").fill("+86 135 7777 8888")
    page.get_by_test_id("visitor-name").fill("韩先生")
    page.get_by_test_id("visitor-channel").select_option(label="自然到访")
    page.get_by_test_id("register-visitor").click()
    expect(page.get_by_test_id("registered")).to_contain_text("韩先生")

    other = browser.new_context(viewport=TABLET, locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    login_with_keypad(other, live_server.url, "张伟", "1002")
    landed(other)
    other.goto(live_server.url + "/visitors/")
    other.get_by_test_id("visitor-phone").fill("135-7777-8888")
    other.get_by_test_id("visitor-name").fill("韩先生")
    other.get_by_test_id("register-visitor").click()
    collision = other.get_by_test_id("collision")
    expect(collision).to_contain_text("李晓梅")
    other.screenshot(path=str(ARTIFACTS / "property_collision.png"))
    other.context.close()

    manager = browser.new_context(viewport=TABLET, locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    login_with_keypad(manager, live_server.url, "王建国", "9001")
    landed(manager)
    manager.goto(live_server.url + "/visitors/collisions")
    row = manager.get_by_test_id("pending-collisions").locator("tr", has_text="韩先生")
    row.get_by_role("combobox").select_option(label="上报经理")
    row.get_by_role("button", name="判定").click()
    expect(manager.get_by_test_id("ruled")).to_be_visible()
    expect(manager.get_by_test_id("ruled-collisions")).to_contain_text("−30%")
    assert no_sideways_scroll(manager)
    manager.screenshot(path=str(ARTIFACTS / "property_collision_ruled.png"))
    manager.context.close()


def test_the_manager_answers_a_price_request_on_their_own_tablet(browser, page, live_server):
    """The agent asks for a price below their limit; the manager's header counts it by itself, the
    manager approves it on a second tablet; the agent's list shows the answer without a reload."""
    login_with_keypad(page, live_server.url, "李晓梅", "1001")
    landed(page)
    page.goto(live_server.url + "/property/")
    page.get_by_role("link", name="1号楼 · 18×4").click()
    page.locator('td.sc-cell[data-number="1704"]').click()
    page.get_by_test_id("ask-price").click()
    form = page.get_by_test_id("price-request-form")
    form.locator('input[name="reason"]').fill("老客户介绍，团购三套")
    page.screenshot(path="/tmp/changes-price-request-form.png")
    form.get_by_role("button", name="发送给经理").click()
    mine = page.get_by_test_id("my-price-requests")
    expect(mine).to_contain_text("等待经理审批")
    page.evaluate("window.__notReloaded = true")

    manager = browser.new_context(viewport=TABLET, locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    try:
        login_with_keypad(manager, live_server.url, "王建国", "9001")
        landed(manager)
        expect(manager.get_by_test_id("price-requests-waiting")).to_have_text("1")  # the header's badge
        manager.get_by_role("link", name="价格审批").first.click()
        pending = manager.get_by_test_id("pending-price-requests")
        expect(pending).to_contain_text("1704")
        expect(pending).to_contain_text("老客户介绍")
        assert no_sideways_scroll(manager)
        manager.screenshot(path="/tmp/changes-manager-price-requests.png")
        row = pending.locator("tr", has_text="1704")
        row.locator('input[name="note"]').fill("同意，限本周签约")
        row.get_by_role("button", name="批准价格").click()
        expect(manager.get_by_test_id("pending-price-requests")).to_contain_text("没有待审批的价格申请")
        expect(manager.get_by_test_id("price-requests-waiting")).to_have_count(0)
    finally:
        manager.context.close()

    # the agent's open list shows the answer by itself (polling), without a reload
    expect(mine).to_contain_text("价格已批准", timeout=15_000)
    expect(mine).to_contain_text("同意，限本周签约")
    assert page.evaluate("window.__notReloaded") is True
    page.screenshot(path="/tmp/changes-agent-answer.png")
    page.get_by_role("link", name="按此价格起草认购书").click()
    expect(page.get_by_test_id("price_request")).to_be_visible()
    page.screenshot(path="/tmp/changes-agreement-with-approval.png")
