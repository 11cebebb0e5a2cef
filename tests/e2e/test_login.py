"""As a person at the shared tablet: tap your name, type your PIN, land where you work: a
manager on the manager's home, a clerk on the counter, a cashier on the cash desk, a driver on
their queue."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login_with_keypad, no_sideways_scroll

pytestmark = pytest.mark.e2e

HOMES = [
    ("王建国", "9001", r"/home/manager$"),
    ("李晓梅", "1001", r"/counter$"),
    ("陈静", "2001", r"/cashier$"),
    ("刘强", "3001", r"/delivery$"),
    ("赵敏", "2002", r"/cashier$"),  # cashier and clerk: lands on the cash desk
]


@pytest.mark.parametrize(("name", "pin", "home"), HOMES, ids=[h[0] for h in HOMES])
def test_each_demo_person_reaches_their_home(page, live_server, name, pin, home):
    login_with_keypad(page, live_server.url, name, pin)
    expect(page).to_have_url(re.compile(home))
    expect(page.get_by_test_id("whoami")).to_have_text(name)
    assert no_sideways_scroll(page)
    # switch user in one tap
    page.get_by_role("button", name="切换用户").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", name="请选择您的姓名")).to_be_visible()


def test_five_wrong_pins_lock_the_person(page, live_server):
    page.goto(live_server.url + "/login")
    page.get_by_role("link", name="张伟").click()
    for attempt in range(1, 6):
        keypad = page.get_by_test_id("keypad")
        for digit in "0000":
            keypad.locator(f'button[data-key="{digit}"]').click()
        keypad.get_by_role("button", name="登录").click()
        if attempt < 5:
            expect(page.get_by_test_id("errors")).to_contain_text(f"再错 {5 - attempt} 次将被锁定")
    expect(page.get_by_test_id("errors")).to_contain_text("已被锁定 5 分钟")
    # the right PIN is refused now too
    keypad = page.get_by_test_id("keypad")
    for digit in "1002":
        keypad.locator(f'button[data-key="{digit}"]').click()
    keypad.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("errors")).to_contain_text("分钟后再试")
    assert "/login" in page.url


def test_manager_adds_a_clerk_who_then_logs_in(page, live_server):
    login_with_keypad(page, live_server.url, "王建国", "9001")
    page.get_by_role("link", name="员工管理").first.click()
    page.get_by_role("link", name="添加员工").click()
    page.get_by_label("工号").fill("C077")
    page.get_by_label("姓名", exact=True).fill("林小雨")
    page.get_by_label("营业员").check()
    page.get_by_label("PIN 码（4–6 位数字）").fill("12")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("errors")).to_contain_text("4 到 6 位数字")
    expect(page.get_by_label("姓名", exact=True)).to_have_value("林小雨")  # input kept
    page.get_by_label("PIN 码（4–6 位数字）").fill("7788")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", name=re.compile("林小雨"))).to_be_visible()
    page.get_by_role("button", name="切换用户").click()
    login_with_keypad(page, live_server.url, "林小雨", "7788")
    expect(page.get_by_test_id("voucher-panel")).to_be_visible()  # a clerk lands on the counter


def test_language_switch_to_english_and_back(page, live_server):
    page.goto(live_server.url + "/login")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Who is working?")).to_be_visible()
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", name="请选择您的姓名")).to_be_visible()
