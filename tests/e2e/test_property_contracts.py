"""The sales office's main path in a 1024×768 browser: an agent drafts a subscription agreement for a
unit held for the customer, the cashier takes the deposit by card into the escrow account, the
agent converts it to a purchase contract with a mortgage plan, the cashier takes the down payment,
the contract is filed — the unit's status follows each step."""

import sqlite3
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from pos.clock import local_today
from tests.e2e.conftest import landed, login_with_keypad, no_sideways_scroll

pytestmark = pytest.mark.e2e

ID_NUMBER = "11010519491231002X"


def unit_status(server, number="1801", building="1号楼"):
    with sqlite3.connect(server.folder / "pos.sqlite3") as db:
        return db.execute("SELECT u.status FROM property_unit u JOIN property_building b ON b.id = u.building_id "
                          "WHERE b.name = ? AND u.number = ?", (building, number)).fetchone()[0]


def board_shows(page, server, status, deal_text=None, number="1801", building="1号楼"):
    """The sales-control board: the unit's cell has the status; its panel links to the deal."""
    with sqlite3.connect(server.folder / "pos.sqlite3") as db:
        building_id = db.execute("SELECT id FROM property_building WHERE name = ?", (building,)).fetchone()[0]
    page.goto(server.url + f"/property/buildings/{building_id}")
    cell = page.locator(f'td.sc-cell[data-number="{number}"]')
    expect(cell).to_have_attribute("data-status", status)
    if deal_text:
        cell.locator("button").click()
        expect(page.get_by_test_id("unit-deal")).to_contain_text(deal_text)


def switch_to(page, server, name, pin):
    if page.get_by_role("button", name="切换用户").count():
        page.get_by_role("button", name="切换用户").click()
    login_with_keypad(page, server.url, name, pin)
    landed(page)


def test_agreement_deposit_contract_down_payment_filing(page, live_server, tmp_path):
    server = live_server
    assert unit_status(server) == "held"  # demo: 1801 held by 李晓梅 for 张先生
    # the agent drafts the agreement for the held unit
    switch_to(page, server, "李晓梅", "1001")
    board_shows(page, server, "held", "起草认购书")
    page.goto(server.url + "/property/agreements")
    page.get_by_test_id("finder-building").select_option(label="翠湖湾花园 1号楼")
    page.get_by_test_id("finder-number").fill("1801")
    page.get_by_test_id("finder-go").click()
    form = page.get_by_test_id("agreement-form")
    expect(page.get_by_test_id("unit-facts")).to_contain_text("张先生")
    buyer = page.get_by_test_id("buyer-0")
    expect(buyer.locator("input[name=buyer_name_0]")).to_have_value("张先生")
    buyer.locator("input[name=buyer_id_number_0]").fill(ID_NUMBER)
    buyer.locator("input[name=buyer_phone_0]").fill("138 0013 8000")
    buyer.locator("input[name=buyer_address_0]").fill("上海市浦东新区锦绣路1号")
    page.get_by_test_id("deposit").fill("999999999")  # more than 20 %: refused, input kept
    form.get_by_test_id("sign-agreement").click()
    expect(page.get_by_test_id("errors")).to_contain_text("20%")
    expect(page.get_by_test_id("deposit")).to_have_value("999999999")
    assert unit_status(server) == "held"
    page.get_by_test_id("deposit").fill("50000")
    assert no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "agreement_form.png"), full_page=True)
    page.get_by_test_id("agreement-form").get_by_test_id("sign-agreement").click()
    expect(page.get_by_test_id("agreement-state")).to_have_text("待付定金")
    agreement_no = page.locator("h1").inner_text().split()[-1]
    assert agreement_no.startswith("RG-")
    assert unit_status(server) == "subscribed"
    agreement_url = page.url
    board_shows(page, server, "subscribed", agreement_no)

    # the cashier takes the deposit by card into the escrow account
    switch_to(page, server, "陈静", "2001")
    page.goto(server.url + "/cashier")
    if page.get_by_role("heading", name="开班", exact=True).count():
        grid = page.get_by_test_id("count-grid")
        for _ in range(2):
            grid.locator(".count-row").nth(0).locator("[data-count-step='1']").click()
        page.locator("form").get_by_role("button", name="开班").click()
        page.wait_for_load_state()
    page.goto(server.url + "/property/escrow")
    page.get_by_test_id("escrow-no").fill(agreement_no.lower())
    page.get_by_test_id("escrow-find-go").click()
    expect(page.get_by_test_id("dues")).to_contain_text("50,000.00")
    page.get_by_test_id("escrow-method").select_option("card")
    page.get_by_test_id("escrow-reference").fill("882301")
    page.get_by_test_id("escrow-take").click()
    expect(page.get_by_test_id("announce")).to_contain_text("50,000.00")
    expect(page.get_by_test_id("balance")).to_contain_text("0.00")
    assert no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "escrow_payment.png"), full_page=True)

    # the agent converts the agreement into a contract with a mortgage plan
    switch_to(page, server, "李晓梅", "1001")
    page.goto(agreement_url)
    expect(page.get_by_test_id("agreement-state")).to_have_text("已生效")
    agreement_id = agreement_url.rstrip("/").split("/")[-1]
    page.goto(server.url + f"/property/contracts/new?agreement={agreement_id}")
    page.get_by_test_id("loan_bank").fill("中国工商银行上海浦东支行")
    page.get_by_test_id("make-contract").click()
    expect(page.get_by_test_id("contract-state")).to_have_text("拟定，未签约")
    expect(page.get_by_test_id("mortgage-plan")).to_be_visible()
    page.get_by_test_id("sign-contract").click()
    expect(page.get_by_test_id("contract-state")).to_have_text("已签约")
    expect(page.get_by_test_id("filing-countdown")).to_contain_text("第 1 天")
    assert unit_status(server) == "contracted"
    assert no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "contract.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})  # the agent's phone: the wide tables scroll in their box
    assert no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "contract_phone.png"), full_page=True)
    page.set_viewport_size({"width": 1024, "height": 768})
    contract_url = page.url
    board_shows(page, server, "contracted", "第 1 天")
    page.screenshot(path=str(tmp_path / "board_panel.png"), full_page=True)

    # the cashier takes the down payment (the first schedule item)
    switch_to(page, server, "陈静", "2001")
    page.goto(server.url + "/property/escrow")
    page.get_by_test_id("escrow-no").fill(agreement_no)
    page.get_by_test_id("escrow-find-go").click()
    item = page.get_by_test_id("escrow-item")
    expect(item.locator("option").first).to_contain_text("首付款")
    page.get_by_test_id("escrow-method").select_option("transfer")
    page.get_by_test_id("escrow-reference").fill("HX20261126001")
    page.get_by_test_id("escrow-value-date").fill((local_today() - timedelta(days=0)).isoformat())
    page.get_by_test_id("escrow-take").click()
    expect(page.get_by_test_id("announce")).to_contain_text("尚欠 0.00 元")

    # the agent files the contract
    switch_to(page, server, "李晓梅", "1001")
    page.goto(contract_url)
    expect(page.get_by_test_id("schedule").locator('tr[data-state="paid"]')).to_have_count(1)
    page.get_by_test_id("filing-no-input").fill("WQ2026-778899")
    page.get_by_test_id("file-contract").click()
    expect(page.get_by_test_id("contract-state")).to_have_text("已备案")
    expect(page.get_by_test_id("filing-no")).to_have_text("WQ2026-778899")
    assert unit_status(server) == "filed"
    board_shows(page, server, "filed", "WQ2026-778899")
