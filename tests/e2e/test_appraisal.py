"""Browser (1024×768): the manager opens the month's appraisal, sets a bonus rule, adjusts a person's
bonus with a reason, approves last month (approving again is refused on the page) and opens a
person's A4 appraisal sheet (PDF); the dashboard shows 环比/同比. Screenshots in /tmp/appraisal-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.conftest import LiveServer, landed, login_with_keypad

SHOTS = "/tmp/appraisal-{}.png"


@pytest.fixture(scope="module")
def shop(tmp_path_factory, template_db, media_dir):
    """The live server, with this month's sales by two clerks (paid, customers named) and targets."""
    server = LiveServer(tmp_path_factory.mktemp("appraisal"), template_db, media_dir)
    from pos import create_app
    from pos.cashier import services as cashier
    from pos.catalog.models import Product
    from pos.extensions import db
    from pos.reports import quotas
    from pos.sales import services as sales
    from pos.shop.models import Station
    from pos.staff import services as staff

    app = create_app({"INSTANCE_PATH": str(server.folder), "POS_MEDIA_DIR": str(media_dir),
                      "SECRET_KEY": "e2e-secret", "WTF_CSRF_ENABLED": False})
    with app.app_context():
        s = db.session
        s001 = staff.by_number(s, "S001")
        station = s.scalar(select(Station).where(Station.code == "T1"))
        cashier.open_shift(s, cashier=s001, station_id=station.id, counts={10000: 2})
        s.commit()
        products = s.scalars(select(Product).where(Product.list_price > 100, Product.list_price < 5000,
                                                   Product.active.is_(True)).order_by(Product.id)).all()
        products = [p for p in products if not getattr(p, "requires_serial", False)][:3]
        month = quotas.parse_month(s, None)
        manager = staff.by_number(s, "M001")
        for i, (clerk_no, phone) in enumerate((("C001", "13900000101"), ("C001", "13900000102"),
                                               ("C002", "13900000103"))):
            clerk = staff.by_number(s, clerk_no)
            v = sales.open_draft(s, clerk)
            sales.add_line(s, v, products[i % len(products)].id, "3", str(products[i % len(products)].list_price),
                           actor=clerk)
            sales.set_customer(s, v, phone=phone, name="顾客", actor=clerk)
            sales.write_up(s, v, actor=clerk)
            s.commit()
            cashier.take_payment(s, v.no, cashier=s001, once_key=f"e2e-{i}",
                                 others=[cashier.OtherTender("card", str(v.total), reference=f"e2e-{i}")])
            s.commit()
        quotas.set_quota(s, staff.by_number(s, "C001").id, month, "1000", "", manager=manager)
        quotas.set_quota(s, staff.by_number(s, "C002").id, month, "100000", "", manager=manager)
        s.commit()
        db.session.remove()
        db.engine.dispose()
    yield server
    server.stop()


def test_the_manager_reviews_adjusts_approves_and_prints(shop, page):
    login_with_keypad(page, shop.url, "王建国", "9001")
    landed(page)
    page.goto(shop.url + "/reports/appraisal")
    table = page.get_by_test_id("appraisal")
    expect(table).to_contain_text("李晓梅")
    expect(page.get_by_test_id("no-data-note").or_(table)).to_be_visible()
    page.screenshot(path=SHOTS.format("month"), full_page=True)

    # a bonus rate out of range is refused on the page
    page.locator("details summary").click()
    page.locator('input[name="bonus.sales_rate"]').fill("50")
    page.get_by_test_id("appraisal-rules").get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("errors")).to_contain_text("销售提成比例")
    page.locator('input[name="bonus.sales_rate"]').fill("1.5")
    page.get_by_test_id("appraisal-rules").get_by_role("button", name="保存").click()
    expect(page.get_by_text("考核标准和奖金规则已保存")).to_be_visible()

    # a person's sheet: adjust with a reason
    page.get_by_role("link", name="李晓梅").click()
    page.locator('input[name="amount"]').fill("88")
    page.locator('input[name="reason"]').fill("月度服务之星")
    page.get_by_role("button", name="调整奖金").click()
    expect(page.get_by_test_id("adjustments")).to_contain_text("月度服务之星")
    page.screenshot(path=SHOTS.format("person"), full_page=True)
    pdf = page.request.get(shop.url + page.get_by_test_id("appraisal-pdf").get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    with open("/tmp/appraisal-sheet.pdf", "wb") as f:
        f.write(pdf.body())

    # last month is over: approve it; a second approval (another tab) is refused
    page.goto(shop.url + "/reports/appraisal")
    page.get_by_role("link", name="上个月").click()
    page.get_by_test_id("appraisal-approve").click()
    expect(page.get_by_test_id("appraisal-state")).to_contain_text("已冻结")
    page.screenshot(path=SHOTS.format("approved"), full_page=True)
    month = page.get_by_test_id("month").inner_text()
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    again = page.request.post(f"{shop.url}/reports/appraisal/{month}/approve", form={"csrf_token": token})
    assert again.status == 409

    page.goto(shop.url + "/reports/appraisal/year")
    expect(page.get_by_test_id("appraisal-year")).to_contain_text("李晓梅")
    page.screenshot(path=SHOTS.format("year"), full_page=True)

    page.goto(shop.url + "/reports/dashboard?days=30")
    expect(page.get_by_test_id("comparisons")).to_contain_text("环比")
    page.get_by_test_id("comparisons").screenshot(path=SHOTS.format("dashboard"))
    page.screenshot(path=SHOTS.format("dashboard-top"))
