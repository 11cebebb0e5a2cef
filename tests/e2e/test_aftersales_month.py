"""Browser (1024×768, the customer on 390×844): the after-sales month from one customer's purchases,
on a live server whose clock the test moves (tests/e2e/shifted_clock: days added to pos.clock).

李晓梅 sold 钱女士 a fridge that needs its serial, and something small; the cashier took both
payments (each receipt carries the survey QR of its sale). At the counter 李晓梅 hands the fridge
over with its serial. Three days later the return visit is on her list; 钱女士 says 不满意, which
opens a complaint ticket; the ticket becomes a repair slip for the delivery staff, and is resolved.
钱女士 answers the other sale's receipt survey on her phone (one answer per sale: the fridge's was
the call). The month over, the manager approves its appraisal and opens 李晓梅's sheet (PDF)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer, landed, login_with_keypad, no_sideways_scroll
from tests.e2e.test_pickup_delivery import open_pickup

pytestmark = pytest.mark.e2e
SHOTS = "/tmp/aftersales-month-{}.png"
SERIAL = "BCD-521WDPW-0001"


@pytest.fixture(scope="module")
def shop(tmp_path_factory, template_db, media_dir):
    folder = tmp_path_factory.mktemp("aftersales-month")
    clock_file = folder / "clock-days"
    clock_file.write_text("0")
    saved = {k: os.environ.get(k) for k in ("PYTHONPATH", "POS_TEST_CLOCK_FILE")}
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).parent / "shifted_clock")] + ([saved["PYTHONPATH"]] if saved["PYTHONPATH"] else []))
    os.environ["POS_TEST_CLOCK_FILE"] = str(clock_file)
    try:
        server = LiveServer(folder, template_db, media_dir)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    from sqlalchemy import select

    from pos import create_app
    from pos.aftersales import survey
    from pos.cashier import services as cashier
    from pos.catalog.models import Product
    from pos.extensions import db
    from pos.printers.models import PrintJob
    from pos.sales import services as sales
    from pos.shop.models import Station
    from pos.staff import services as staff
    from tests.conftest import BASE_CONFIG

    app = create_app({**BASE_CONFIG, "SECRET_KEY": "e2e-secret", "INSTANCE_PATH": str(folder),
                      "DATABASE_URL": f"sqlite:///{folder / 'pos.sqlite3'}", "POS_MEDIA_DIR": str(media_dir)})
    with app.app_context():
        s = db.session
        fridge = s.scalar(select(Product).where(Product.name.like("%对开门冰箱")))
        fridge.requires_serial, fridge.warranty_months = True, 36
        survey.set_base_url(s, server.url)
        clerk, desk = staff.by_number(s, "C001"), staff.by_number(s, "S001")
        cashier.open_shift(s, cashier=desk, station_id=s.scalar(select(Station).where(Station.code == "T1")).id,
                           counts={10000: 2})
        paid = []
        kettle = s.scalar(select(Product).where(Product.list_price < 500, Product.list_price > 50,
                                                Product.stock_on_hand > 2).order_by(Product.id).limit(1))
        for n, product in enumerate((fridge, kettle)):
            v = sales.open_draft(s, clerk)
            sales.add_line(s, v, product.id, "1", str(product.list_price), actor=clerk)
            sales.set_customer(s, v, phone="13912345678", name="钱女士", actor=clerk)
            sales.write_up(s, v, actor=clerk)
            s.commit()
            cashier.take_payment(s, v.no, cashier=desk, once_key=f"e2e-month-{n}",
                                 others=[cashier.OtherTender("card", str(v.total), reference=f"POS77889{n}")])
            s.commit()
            receipt = s.scalar(select(PrintJob).where(PrintJob.kind == "receipt").order_by(PrintJob.id.desc()))
            paid.append((v, product, json.loads(receipt.document)))
        (v, _fridge, _doc), (_v2, kettle, receipt) = paid
        out = {"server": server, "clock": clock_file, "no": v.no, "customer_id": v.customer_id,
               "kettle": kettle.name, "receipt": receipt}
        db.session.remove()
        db.engine.dispose()
    yield out
    server.stop()


def _move_clock(shop, days: int) -> None:
    shop["clock"].write_text(str(days))


def _survey_url_on_the_receipt(document) -> str:
    """The survey address as the receipt's QR code carries it (the print job's document)."""
    found = re.search(r"https?://[^\"\s]+/s/[0-9]+\.[A-Za-z0-9_\-]+", json.dumps(document, ensure_ascii=False))
    assert found, "the receipt carries no survey QR"
    return found.group(0)


def test_after_sales_month(shop, page, browser):
    server = shop["server"]
    # 1. the clerk hands the fridge over with its serial (scanned)
    login_with_keypad(page, server.url, "李晓梅", "1001")
    landed(page)
    open_pickup(page, server, shop["no"])
    page.get_by_test_id("pickup-lines").locator("textarea").fill(SERIAL.lower())
    page.get_by_label("已收回销售单店留联").check()
    page.get_by_role("button", name="确认交付").click()
    expect(page.locator(".flash")).to_contain_text("已交付")
    expect(page.get_by_test_id("serials-done")).to_contain_text(SERIAL)

    # 2. three days later the return visit is on her list; 钱女士 is not satisfied → a complaint ticket
    _move_clock(shop, 3)
    page.goto(server.url + "/aftersales/visits")
    due = page.get_by_test_id("visits-due")
    expect(due).to_contain_text("钱女士")
    page.screenshot(path=SHOTS.format("visits-due"), full_page=True)
    due.get_by_role("link").first.click()
    expect(page.get_by_test_id("visit-state")).to_have_text("待回访")
    expect(page.get_by_test_id("visit-serials")).to_contain_text(SERIAL)
    page.get_by_test_id("outcome-unsatisfied").check()
    page.get_by_test_id("visit-comment").fill("冰箱冷藏室不制冷")
    page.get_by_test_id("visit-save").click()
    expect(page.get_by_test_id("visit-state")).to_have_text("已回访")
    page.screenshot(path=SHOTS.format("visit-done"), full_page=True)
    page.get_by_test_id("visit-complaint").click()
    expect(page.get_by_test_id("ticket-state")).to_have_text("待处理")
    expect(page.get_by_test_id("ticket-facts")).to_contain_text("冰箱冷藏室不制冷")

    # 3. the ticket becomes a repair slip for the delivery staff, then is resolved
    page.get_by_test_id("to-in_progress").check()
    page.get_by_test_id("state-note").fill("已约明天上门检修")
    page.get_by_test_id("state-save").click()
    expect(page.get_by_test_id("ticket-state")).to_have_text("处理中")
    if not page.get_by_test_id("slip-address").input_value():
        page.get_by_test_id("slip-address").fill("上海市浦东新区花木路 8 号")
    page.get_by_test_id("slip-save").click()
    expect(page.get_by_test_id("ticket-slip")).to_be_visible()
    page.get_by_test_id("to-resolved").check()
    page.get_by_test_id("state-note").fill("更换温控器，试机正常")
    page.get_by_test_id("state-save").click()
    expect(page.get_by_test_id("ticket-state")).to_have_text("已解决")
    expect(page.get_by_test_id("ticket-resolution")).to_contain_text("更换温控器")
    page.screenshot(path=SHOTS.format("ticket"), full_page=True)
    with sqlite3.connect(server.folder / "pos.sqlite3") as db:
        kinds = [k for (k,) in db.execute("SELECT kind FROM dispatch_slip")]
    assert "repair" in kinds, kinds

    # 4. 钱女士 answers the receipt's survey on her phone
    url = _survey_url_on_the_receipt(shop["receipt"])
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    try:
        phone.goto(url)
        expect(phone.get_by_test_id("survey-bought")).to_contain_text(shop["kettle"])
        assert "13912345678" not in phone.content() and "钱女士" not in phone.content()
        assert no_sideways_scroll(phone)
        phone.get_by_test_id("rating-satisfied").check()
        phone.get_by_test_id("survey-comment").fill("东西很好用")
        phone.screenshot(path=SHOTS.format("survey-phone"))
        phone.get_by_test_id("survey-send").click()
        expect(phone.get_by_test_id("survey-thanks")).to_be_visible()
    finally:
        phone.context.close()

    # 5. the month is over: the manager approves its appraisal and opens 李晓梅's sheet
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the shop's day, as the server counts it
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    _move_clock(shop, max(3, (next_month - today).days + 1))
    page.get_by_role("button", name="切换用户").click()
    login_with_keypad(page, server.url, "王建国", "9001")
    landed(page)
    page.goto(server.url + "/reports/appraisal")
    page.get_by_role("link", name="上个月").click()
    table = page.get_by_test_id("appraisal")
    expect(table).to_contain_text("李晓梅")
    page.get_by_test_id("appraisal-approve").click()
    expect(page.get_by_test_id("appraisal-state")).to_contain_text("已冻结")
    page.screenshot(path=SHOTS.format("appraisal"), full_page=True)
    page.get_by_test_id("appraisal").get_by_role("link", name="李晓梅").click()
    href = page.get_by_test_id("appraisal-pdf").get_attribute("href")
    pdf = page.request.get(server.url + href)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    Path("/tmp/aftersales-month-sheet.pdf").write_bytes(pdf.body())
