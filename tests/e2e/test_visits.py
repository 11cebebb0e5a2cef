"""Browser: return visits at 1024×768 and the customer's survey on a phone (390×844) — the manager's home
lists the visit due today, the call script shows what 周先生 bought, the answer 不满意 opens a complaint
ticket linked on the page; the customer answers the receipt's survey on a phone-sized page once, a
second look says it is answered, a forged link says nothing of any sale.

The live server's clock cannot be moved from here: the fixture hands the goods over through the rules
(which schedules the visit three days on) and then brings the visit's day to today, as three days
passing would (the rules' tests move pos.clock itself)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import landed, login_with_keypad, no_sideways_scroll

pytestmark = pytest.mark.e2e
SHOTS = "/tmp/visits-e2e-{}.png"


@pytest.fixture(scope="module")
def shop(live_server, template_db, media_dir):
    """Two paid vouchers of 周先生: one picked up (its visit due today), one for the phone survey."""
    from sqlalchemy import select

    from pos import clock, create_app
    from pos.aftersales import survey
    from pos.aftersales.visit_models import ReturnVisit
    from pos.cashier import services as cashier
    from pos.catalog.models import Product
    from pos.extensions import db
    from pos.sales import pickup
    from pos.sales import services as sales
    from pos.shop.models import Station
    from pos.staff import services as staff
    from tests.conftest import BASE_CONFIG

    database = f"sqlite:///{live_server.folder / 'pos.sqlite3'}"
    app = create_app({**BASE_CONFIG, "SECRET_KEY": "e2e-secret", "INSTANCE_PATH": str(live_server.folder),
                      "DATABASE_URL": database, "POS_MEDIA_DIR": str(media_dir)})
    with app.app_context():
        s = db.session
        manager, cashier_staff = staff.by_number(s, "M001"), staff.by_number(s, "S001")
        product = s.scalar(select(Product).where(Product.list_price > 1000).order_by(Product.id).limit(1))
        station = s.scalar(select(Station).where(Station.code == "T1"))
        cashier.open_shift(s, cashier=cashier_staff, station_id=station.id, counts={10000: 2})
        vouchers = []
        for n in range(2):
            v = sales.open_draft(s, manager)
            sales.add_line(s, v, product.id, "1", str(product.list_price), actor=manager)
            sales.set_customer(s, v, phone="13800138001", actor=manager)
            sales.write_up(s, v, actor=manager)
            cashier.take_payment(s, v.no, cashier=cashier_staff, once_key=f"e2e-visit-{n}", plain_cash=str(v.total))
            vouchers.append(v)
        first = vouchers[0]
        pickup.hand_over(s, first.no, {line.id: "1" for line in first.lines}, clerk=manager, once_key="e2e-p",
                         shop_copy=True)
        visit = s.scalar(select(ReturnVisit).where(ReturnVisit.voucher_id == first.id))
        visit.due_on = clock.local_today()  # three days later
        survey.set_base_url(s, live_server.url)
        s.commit()
        out = {"visit_id": visit.id, "product": product.name, "survey": survey.survey_url(s, vouchers[1].id),
               "voucher_no": vouchers[1].no}
        db.session.remove()
        db.engine.dispose()
    return out


def test_the_visit_due_today_and_an_unsatisfied_answer(page, live_server, shop):
    login_with_keypad(page, live_server.url, "王建国", "9001")
    landed(page)
    page.goto(f"{live_server.url}/home/manager")
    due = page.get_by_test_id("home-list-visits-due-today")
    expect(due).to_contain_text("周先生")
    page.screenshot(path=SHOTS.format("home"), full_page=True)
    due.get_by_role("link").first.click()
    expect(page.get_by_test_id("visit-state")).to_have_text("待回访")
    expect(page.get_by_test_id("visit-lines")).to_contain_text(shop["product"])
    assert no_sideways_scroll(page)
    page.screenshot(path=SHOTS.format("visit"))
    # 不满意 without what they said: refused on the page, nothing recorded
    page.get_by_test_id("outcome-unsatisfied").check()
    page.get_by_test_id("visit-save").click()
    expect(page.get_by_test_id("errors")).to_contain_text("不满意")
    expect(page.get_by_test_id("visit-state")).to_have_text("待回访")
    page.get_by_test_id("outcome-unsatisfied").check()
    page.get_by_test_id("visit-comment").fill("冰箱门有划痕")
    page.get_by_test_id("visit-save").click()
    expect(page.get_by_test_id("visit-state")).to_have_text("已回访")
    expect(page.get_by_test_id("visit-complaint")).to_contain_text("T")
    expect(page.get_by_test_id("visit-answer")).to_contain_text("不满意")
    page.screenshot(path=SHOTS.format("visit-done"))


def test_the_customer_answers_on_a_phone(browser, live_server, shop):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    try:
        phone.goto(shop["survey"])
        expect(phone.get_by_test_id("survey-bought")).to_contain_text(shop["product"])
        body = phone.content()
        assert "13800138001" not in body and "周先生" not in body and shop["voucher_no"] not in body
        assert no_sideways_scroll(phone)
        phone.screenshot(path=SHOTS.format("survey"))
        phone.get_by_test_id("rating-satisfied").check()
        phone.get_by_test_id("survey-comment").fill("送货很快")
        phone.get_by_test_id("survey-send").click()
        expect(phone.get_by_test_id("survey-thanks")).to_be_visible()
        phone.goto(shop["survey"])
        expect(phone.get_by_test_id("survey-answered")).to_be_visible()
        phone.goto(shop["survey"][:-3] + "AAA")
        expect(phone.get_by_test_id("survey-gone")).to_be_visible()
        assert shop["product"] not in phone.content()
    finally:
        context.close()
