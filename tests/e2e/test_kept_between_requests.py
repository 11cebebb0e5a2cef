"""What a worker keeps between requests (pos/stamps.py), across the real server's worker processes:
a clerk deactivated by the manager on another tablet is sent to the login screen at their next tap,
whichever worker answers it, though every worker had kept them as logged in."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import TABLET, LiveServer, landed, login_with_keypad

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory, template_db, media_dir):
    server = LiveServer(tmp_path_factory.mktemp("kept"), template_db, media_dir, workers=2)
    yield server
    server.stop()


def test_a_clerk_deactivated_elsewhere_is_logged_out_at_the_next_tap(browser, two_workers):
    url = two_workers.url
    clerk = browser.new_context(viewport=TABLET, locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    manager = browser.new_context(viewport=TABLET, locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    clerk.set_default_timeout(10_000)
    manager.set_default_timeout(10_000)
    login_with_keypad(clerk, url, "张伟", "1002")
    expect(clerk.get_by_test_id("voucher-panel")).to_be_visible()
    clerk.wait_for_load_state()
    search = clerk.get_by_placeholder("搜索，或扫条码直接加入")
    quick = clerk.get_by_test_id("quick-results")
    for q in ["净水器", "电视", "冰箱", "洗衣机", "空调", "净水器"]:  # taps on both workers: both keep 张伟
        search.fill(q)
        expect(quick.locator("li").first).to_contain_text(q[:2])

    login_with_keypad(manager, url, "王建国", "9001")
    landed(manager)
    manager.goto(url + "/staff")
    manager.get_by_role("row", name=re.compile("张伟")).get_by_role("link", name="打开").click()
    manager.get_by_label("原因").fill("离职")
    manager.once("dialog", lambda dialog: dialog.accept())  # "停用张伟？" (hx-confirm)
    manager.get_by_role("button", name="停用").click()
    expect(manager.get_by_text("张伟 已停用。")).to_be_visible()
    assert (two_workers.folder / "staff.stamp").exists()

    search.fill("电视")  # the next tap, on whichever worker
    clerk.wait_for_url(re.compile(r"/login"))
    expect(clerk.get_by_role("link", name="张伟")).to_have_count(0)  # no longer on the name tiles
    for page in (clerk, manager):
        page.context.close()
