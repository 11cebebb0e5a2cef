"""Every main screen fits a 1024×768 tablet without sideways scrolling, in Chinese."""

import pytest

from tests.e2e.conftest import login_with_keypad, no_sideways_scroll

pytestmark = pytest.mark.e2e

MANAGER_PAGES = ["/home/manager", "/staff", "/staff/new", "/staff/1", "/audit", "/manage/products",
                 "/manage/products/new", "/manage/products/5", "/manage/products/import", "/manage/settings",
                 "/reviews", "/vouchers", "/catalog", "/catalog/products/5", "/counter", "/phone-orders/new",
                 "/reports/day", "/invoices", "/invoices/new", "/delivery/manage", "/manage/printers",
                 "/cashier/cheques", "/printers/jobs", "/pickup", "/cashier", "/reports/dashboard",
                 "/reports/dashboard?days=365", "/reports/quotas", "/manage/places"]


def test_manager_screens_fit_the_tablet(page, live_server):
    login_with_keypad(page, live_server.url, "王建国", "9001")
    page.get_by_test_id("home-title").wait_for()
    too_wide = []
    for path in MANAGER_PAGES:
        resp = page.goto(live_server.url + path)
        assert resp.status == 200, path
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        if not no_sideways_scroll(page):
            too_wide.append(path)
    assert too_wide == []
