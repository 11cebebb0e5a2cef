"""Hostile input (issue: bad bytes typed into every field): each request a tablet can send that
used to crash or be stored as typed now answers 4xx with a clear message and saves nothing,
and what people type is normalised (pos.text) before it is checked or compared."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import Workbook
from PIL import Image
from sqlalchemy import func, select

from pos import text as typed
from pos.audit.models import AuditEntry
from pos.cashier.models import Payment, Shift
from pos.catalog.models import Product
from pos.clock import local_today
from pos.customers import services as customers
from pos.customers.models import Customer
from pos.delivery.models import DispatchSlip
from pos.errors import DomainError
from pos.invoicing.models import InvoicePlatformLink
from pos.printers.models import Printer
from pos.reports.models import Quota
from pos.shop.models import Showroom
from tests.conftest import login_as, staff_by_no
from tests.helpers import shown_at
from tests.invoicing.conftest import paid  # noqa: F401 (a paid voucher for a known customer)


def body(resp) -> str:
    return resp.get_data(as_text=True)


def count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


# ------------------------------------------------------------------ pos.text
@pytest.mark.parametrize("typed_phone", [
    "13800138001", "+86 138-0013-8001", "0086 13800138001", "１３８００１３８００１", "١٣٨٠٠١٣٨٠٠١",
    "+８６ １３８ ００１３ ８００１", "(+86) 138.0013.8001",
])
def test_a_mobile_typed_any_way_is_one_number(app, typed_phone):
    assert typed.phone(typed_phone) == "13800138001"


@pytest.mark.parametrize("bad", ["", "12", "abc", "²", "1380013800²", "23800138001", "138001380012",
                                 "58886666", "1" * 200, "13800138001\x00"])
def test_what_is_not_a_phone_is_refused(app, bad):
    with pytest.raises(DomainError):
        typed.phone(bad)


def test_landline_with_area_code(app):
    assert typed.phone("021-5888 6666") == "02158886666"
    assert typed.phone("0571-8888666") == "05718888666"
    assert typed.phone("(010) 6888-9999") == "01068889999"


def test_plain_digits_and_other_numbers(app):
    assert typed.plain(" １２３４５ ") == "12345"
    assert typed.plain("٠١٢٣") == "0123" and typed.plain("०१२") == "012"
    assert typed.plain("²") == "²"  # an "other number" stays as it is, so the patterns refuse it
    assert [typed.parse_id(v) for v in ("abc", "999", "-1", "1.5", "9" * 20, "２", "", None, "0")] == \
        [None, 999, None, None, None, 2, None, None, None]


@pytest.mark.parametrize("value", ["²", "1e30", "NaN", "Infinity", "-1", "1.2345", "9" * 40, "1,2.3.4", "½"])
def test_parse_decimal_refuses(app, value):
    with pytest.raises(DomainError):
        typed.parse_decimal(value, places=3, maximum=Decimal(10_000_000))


def test_parse_decimal_takes_any_script(app):
    assert typed.parse_decimal("٣.٥", places=3, maximum=Decimal(10)) == Decimal("3.5")
    assert typed.parse_decimal("２.０００", places=0, maximum=Decimal(10)) == Decimal("2")


def test_check_text_caps_and_refuses_controls(app, english):
    assert typed.check_text("  周先生 ", max_len=60) == "周先生"
    for bad in ("a\x1b@b", "a\x00", "\x9b"):
        with pytest.raises(DomainError, match="control"):
            typed.check_text(bad, max_len=60)
    with pytest.raises(DomainError):
        typed.check_text("x" * 61, max_len=60)


def test_parse_day_bounds(app):
    for bad in ("0001-01-01", "9999-12-31", "2026-02-30", "²", "2026-1-1"):
        with pytest.raises(DomainError):
            typed.parse_day(bad)
    assert typed.parse_day("２０２６-１１-２６") == date(2026, 11, 26)


# ------------------------------------------------------------------ every request
def test_nul_in_the_anonymous_password_login_is_a_400(client, session):
    before = count(session, AuditEntry)
    resp = client.post("/login/password", data={"staff_no": "M001\x00", "password": "x\x00y"})
    assert resp.status_code == 400 and "控制字符" in body(resp)
    assert count(session, AuditEntry) == before


def test_nul_in_catalogue_search_is_a_400(as_clerk):
    for url in ("/catalog?q=%00", "/catalog?q=abc%00def", "/catalog/search?q=%00"):
        resp = as_clerk.get(url)
        assert resp.status_code in (400, 404), url
    assert as_clerk.get("/catalog?q=%00").status_code == 400


def test_control_bytes_in_a_reason_are_refused_and_nothing_is_saved(as_manager, session):
    product = session.scalar(select(Product).order_by(Product.id).limit(1))
    stock = product.stock_on_hand
    resp = as_manager.post(f"/manage/products/{product.id}/stock", data={"quantity": "7", "reason": "盘点\x1b@\x1dV"})
    assert resp.status_code == 400 and "控制字符" in body(resp)
    session.expire_all()
    assert product.stock_on_hand == stock


def test_a_ten_thousand_character_reason_is_refused(as_manager, session):
    product = session.scalar(select(Product).order_by(Product.id).limit(1))
    stock = product.stock_on_hand
    resp = as_manager.post(f"/manage/products/{product.id}/stock", data={"quantity": "7", "reason": "长" * 10_000})
    assert resp.status_code == 400 and "最多" in body(resp)
    session.expire_all()
    assert product.stock_on_hand == stock


def test_nul_in_a_path_is_a_400(as_clerk):
    assert as_clerk.get("/vouchers/V1%00").status_code == 400


# ------------------------------------------------------------------ numbers that pass isdigit and fail int
@pytest.mark.parametrize("value", ["²", "٣²", "1e3", "-1", "1.5", "9" * 30])
def test_superscript_counts_on_open_shift(client, session, station, value):
    login_as(client, "S001")
    resp = client.post("/cashier/shift/open", data={"station": str(station.id), "count_10000": value})
    assert resp.status_code == 422, value
    assert count(session, Shift) == 0


def test_counts_in_other_scripts_are_read(client, session, station):
    login_as(client, "S001")
    resp = client.post("/cashier/shift/open", data={"station": str(station.id), "count_10000": "٢",
                                                     "count_1000": "５"})
    assert resp.status_code == 303
    shift = session.scalar(select(Shift))
    assert shift.opening_float == Decimal("250.00")


@pytest.fixture
def cashier(client, session, station):
    login_as(client, "S001")
    assert client.post("/cashier/shift/open", data={"station": station.id, "count_10000": "2"}).status_code == 303
    return client


@pytest.mark.parametrize("field", ["count_10000", "rej_10000"])
def test_superscript_counts_on_pay(cashier, session, write_up, field):
    v = write_up("168.00")
    resp = cashier.post(f"/cashier/pay/{v.no}", data={"once_key": "k1", "count_10000": "2", field: "²"})
    assert resp.status_code == 422
    assert count(session, Payment) == 0
    resp = cashier.post(f"/cashier/pay/{v.no}/tally", data={"count_10000": "2", field: "²"})
    assert resp.status_code < 500


def test_rejected_note_count_is_capped_before_any_loop(cashier, session, write_up):
    v = write_up("168.00")
    started = time.perf_counter()
    resp = cashier.post(f"/cashier/pay/{v.no}", data={"once_key": "k1", "count_10000": "2", "rej_10000": "3000000"})
    assert time.perf_counter() - started < 2
    assert resp.status_code == 422 and count(session, Payment) == 0
    resp = cashier.post(f"/cashier/pay/{v.no}", data={"once_key": "k1", "count_10000": "2", "rej_10000": "3"})
    assert resp.status_code == 422
    assert count(session, Payment) == 0


def test_cash_tendered_is_capped_at_what_a_drawer_holds(cashier, session, write_up):
    v = write_up("168.00")
    resp = cashier.post(f"/cashier/pay/{v.no}", data={"once_key": "k1", "cash_amount": "999999999999.99"})
    assert resp.status_code == 422 and "1,000,000.00" in body(resp)
    resp = cashier.post(f"/cashier/pay/{v.no}", data={"once_key": "k1", "count_10000": "10001"})
    assert resp.status_code == 422
    assert count(session, Payment) == 0
    from pos.shop import services as shop
    shop.set_setting(session, "cash.max_tendered", "100")
    session.commit()
    resp = cashier.post(f"/cashier/pay/{v.no}", data={"once_key": "k1", "cash_amount": "200"})
    assert resp.status_code == 422 and count(session, Payment) == 0
    shop.set_setting(session, "cash.max_tendered", "1000000")
    session.commit()
    shown_at(cashier.post(f"/cashier/pay/{v.no}", data={"once_key": "k1", "cash_amount": "200"}))


def test_superscript_units_on_quotas(as_manager, session):
    clerk = staff_by_no("C001")
    month = local_today().strftime("%Y-%m")
    for units in ("²", "-1", "1.5", "9" * 30):
        resp = as_manager.post(f"/reports/quotas/{month}/{clerk.id}", data={"amount": "150000", "units": units})
        assert resp.status_code == 422, units
    for month_arg in ("²⁰²⁶-¹¹", "2026-²"):
        assert as_manager.get(f"/reports/quotas?month={month_arg}").status_code in (200, 422)
    resp = as_manager.post("/reports/quotas/thresholds", data={"achievement": "²", "collection_rate": "90",
                                                                "new_customers": "10"})
    assert resp.status_code == 422
    assert count(session, Quota) == 0


@pytest.mark.parametrize("query", ["days=²", "showroom=²", "showroom=99999999999999999999", "first=0001-01-01",
                                   "last=9999-12-31", "days=-1"])
def test_dashboard_filters(as_manager, query):
    resp = as_manager.get(f"/reports/dashboard?{query}")
    assert resp.status_code in (200, 422), query


def test_places_showroom_superscript(as_manager, session):
    before = count(session, Showroom)
    resp = as_manager.post("/manage/places/stations", data={"code": "T9", "name": "九号台", "showroom": "²"})
    assert resp.status_code == 422
    assert count(session, Showroom) == before


@pytest.mark.parametrize("station_id", ["abc", "999", "-1", "1.5", "99999999999999999999", "²"])
def test_printer_station_must_be_a_station(as_manager, session, station_id):
    resp = as_manager.post("/manage/printers", data={"name": "后台", "connector": "file", "address": "/tmp/x.bin",
                                                     "paper_mm": "80", "encoding": "gb18030", "active": "1",
                                                     "station_id": station_id, "station": station_id})
    assert resp.status_code == 422, station_id
    assert session.scalar(select(Printer).where(Printer.name == "后台")) is None


@pytest.mark.parametrize("url", ["/catalog?page=99999999999999999999", "/audit?page=99999999999999999999",
                                 "/catalog?category=99999999999999999999&brand=-1", "/audit?staff=²"])
def test_huge_page_numbers(as_manager, url):
    assert as_manager.get(url).status_code == 200


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "²", "2026-13-01"])
def test_day_view_and_sign_off_refuse_days_out_of_range(as_manager, session, day):
    from pos.reports.models import ZReport
    resp = as_manager.get(f"/reports/day?day={day}")
    assert resp.status_code == 422
    resp = as_manager.post(f"/reports/day/{day}/sign-off", data={"note": ""})
    assert 400 <= resp.status_code < 500
    assert count(session, ZReport) == 0


# ------------------------------------------------------------------ accepted though wrong
def test_the_same_phone_typed_three_ways_is_one_customer(as_clerk, session):
    before = count(session, Customer)
    for phone in ("13912345678", "+86 139-1234-5678", "１３９１２３４５６７８", "٠٠٨٦١٣٩١٢٣٤٥٦٧٨"):
        as_clerk.post("/counter/new")
        resp = as_clerk.post("/counter/customer", data={"phone": phone, "name": "王先生"})
        assert resp.status_code < 400, (phone, body(resp)[:300])
    assert count(session, Customer) == before + 1
    assert session.scalar(select(Customer.phone).where(Customer.name == "王先生")) == "13912345678"


def test_delivery_date_within_a_year(session, paid):  # noqa: F811
    from pos.delivery import services
    v = paid()
    for day in (date(9999, 12, 31), local_today() + timedelta(days=400)):
        with pytest.raises(DomainError):
            services.request_delivery(session, v.no, {v.lines[0].id: "1"}, clerk=staff_by_no("C001"),
                                      once_key="d1", name="周先生", phone="13800138001",
                                      address="上海市浦东新区张杨路500号", window_day=day)
        session.rollback()
    assert count(session, DispatchSlip) == 0


def test_delivery_form_refuses_year_9999(client, session, paid):  # noqa: F811
    v = paid()
    login_as(client, "C001")
    resp = client.post(f"/delivery/request/{v.no}", data={
        f"qty_{v.lines[0].id}": "1", "once_key": "d1", "name": "周先生", "phone": "13800138001",
        "address": "上海市浦东新区张杨路500号", "window_day": "9999-12-31"})
    assert 400 <= resp.status_code < 500
    assert count(session, DispatchSlip) == 0


def test_stock_decimals_on_a_whole_unit_product(as_manager, session):
    product = session.scalar(select(Product).where(Product.whole_units_only.is_(True)).limit(1))
    stock = product.stock_on_hand
    for qty in ("2.0001", "1e30", "²", "1.5"):
        resp = as_manager.post(f"/manage/products/{product.id}/stock", data={"quantity": qty, "reason": "盘点"})
        assert resp.status_code == 422, qty
    session.expire_all()
    assert product.stock_on_hand == stock
    resp = as_manager.post(f"/manage/products/{product.id}/stock", data={"quantity": "１２", "reason": "盘点"})
    assert resp.status_code == 303
    session.expire_all()
    assert product.stock_on_hand == Decimal("12")


def test_platform_number_in_full_width_digits_is_one_number(session, paid):  # noqa: F811
    from pos.invoicing import services
    from tests.invoicing.test_services import BUYER
    cashier_staff = staff_by_no("S001")
    first = services.issue(session, [paid().no], BUYER, preparer=cashier_staff)
    second = services.issue(session, [paid().no], BUYER, preparer=cashier_staff)
    services.link_platform(session, first, "２５３１２０００００００００１２３４５６", actor=cashier_staff)
    assert first.platform.number == "25312000000000123456"
    with pytest.raises(DomainError, match="已登记"):
        services.link_platform(session, second, "25312000000000123456", actor=cashier_staff)
    with pytest.raises(DomainError, match="20"):
        services.link_platform(session, second, "²" * 20, actor=cashier_staff)
    session.rollback()
    assert count(session, InvoicePlatformLink) <= 1


# ------------------------------------------------------------------ uploads
def _png_claiming(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + \
        chunk(b"IEND", b"")


def test_a_picture_claiming_100000_by_100000_pixels_is_refused(as_manager, session):
    product = session.scalar(select(Product).order_by(Product.id).limit(1))
    pictures = len(product.pictures)
    data = {"name": product.name, "brand": product.brand.name, "category": product.category.name,
            "list_price": f"{product.list_price:.2f}", "vat_rate": "13", "unit": product.unit,
            "barcode": product.barcode or "", "whole_units_only": "1", "active": "1",
            "picture": (io.BytesIO(_png_claiming(100_000, 100_000)), "bomb.png")}
    resp = as_manager.post(f"/manage/products/{product.id}", data=data, content_type="multipart/form-data")
    assert resp.status_code == 422 and "像素" in body(resp)
    session.expire_all()
    assert len(product.pictures) == pictures


def test_a_real_picture_still_uploads(as_manager, session):
    product = session.scalar(select(Product).order_by(Product.id).limit(1))
    pictures = len(product.pictures)
    image = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(image, "PNG")
    image.seek(0)
    data = {"name": product.name, "brand": product.brand.name, "category": product.category.name,
            "list_price": f"{product.list_price:.2f}", "vat_rate": "13", "unit": product.unit,
            "barcode": product.barcode or "", "whole_units_only": "1", "active": "1", "picture": (image, "a.png")}
    resp = as_manager.post(f"/manage/products/{product.id}", data=data, content_type="multipart/form-data")
    assert resp.status_code == 303, body(resp)[:500]
    session.expire_all()
    assert len(product.pictures) == pictures + 1


# ------------------------------------------------------------------ .xlsx imports
HEADER = ["条码", "名称", "品牌", "品类", "零售价", "库存"]


def _workbook(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _rewrite(xlsx: bytes, replace: dict[str, bytes | None]) -> bytes:
    """The same workbook with some members replaced (None: dropped)."""
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in replace:
                if replace[info.filename] is not None:
                    dst.writestr(info.filename, replace[info.filename])
            else:
                dst.writestr(info.filename, src.read(info.filename))
        for name, data in replace.items():
            if data is not None and name not in src.namelist():
                dst.writestr(name, data)
    return out.getvalue()


def _import(client, data: bytes):
    return client.post("/manage/products/import", data={"file": (io.BytesIO(data), "c.xlsx")},
                       content_type="multipart/form-data")


@pytest.fixture
def row(session):
    from pos.catalog.models import Brand, Category
    brand = session.scalar(select(Brand.name).limit(1))
    category = session.scalar(select(Category.name).limit(1))

    def make(barcode="6900000000017", stock="5"):
        return [barcode, "测试冰箱", brand, category, "1999.00", stock]

    return make


def test_broken_workbooks_are_refused_with_a_message(as_manager, session, row):
    good = _workbook([row()])
    before = count(session, Product)
    broken = {
        "bad sheet xml": _rewrite(good, {"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row><c"}),
        "bad workbook xml": _rewrite(good, {"xl/workbook.xml": b"<workbook><sheets"}),
        "no sheet": _rewrite(good, {"xl/worksheets/sheet1.xml": None}),
        "not a zip": b"PK\x03\x04 nonsense",
        "a dtd": _rewrite(good, {"xl/sharedStrings.xml": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
                                                         b"<sst><si><t>&a;</t></si></sst>"}),
    }
    for name, data in broken.items():
        resp = _import(as_manager, data)
        assert 400 <= resp.status_code < 500, name
        assert "Excel" in body(resp) or "工作表" in body(resp) or "xlsx" in body(resp), name
    assert count(session, Product) == before


def test_stock_1e30_is_a_row_error(as_manager, session, row):
    before = count(session, Product)
    for stock in ("1e30", "1E+30", "-1", "²"):
        resp = _import(as_manager, _workbook([row(stock=stock)]))
        assert resp.status_code == 422, stock
    assert count(session, Product) == before
    assert _import(as_manager, _workbook([row(stock="٥")])).status_code == 200
    assert session.scalar(select(Product.stock_on_hand).where(Product.barcode == "6900000000017")) == 5


def test_a_small_file_whose_shared_strings_expand_is_refused_before_parsing(as_manager, session, row,
                                                                             monkeypatch):
    good = _workbook([row()])
    huge = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + \
        b"<si><t>" + b"A" * (80 * 1024 * 1024) + b"</t></si></sst>"
    data = _rewrite(good, {"xl/sharedStrings.xml": huge})
    assert len(data) < 400 * 1024  # compresses to a few hundred KB
    import pos.catalog.excel as excel
    parsed = []
    monkeypatch.setattr(excel, "load_workbook", lambda *a, **k: parsed.append(1))
    resp = _import(as_manager, data)
    assert resp.status_code == 422 and "太大" in body(resp)
    assert parsed == []  # refused before openpyxl saw it


def test_too_many_rows_is_refused_before_parsing(as_manager, session, row, monkeypatch):
    import pos.catalog.excel as excel
    monkeypatch.setattr(excel, "MAX_ROWS", 50)
    data = _workbook([row(barcode=f"69{i:011d}") for i in range(60)])
    parsed = []
    monkeypatch.setattr(excel, "load_workbook", lambda *a, **k: parsed.append(1))
    resp = _import(as_manager, data)
    assert resp.status_code == 422 and parsed == []


def test_a_normal_import_still_works(as_manager, session, row):
    before = count(session, Product)
    resp = _import(as_manager, _workbook([row(), row(barcode="6900000000024", stock="")]))
    assert resp.status_code == 200, body(resp)[:500]
    assert count(session, Product) == before + 2


@pytest.mark.parametrize("product_id", ["2147483648", "99999999999999999999"])
def test_ids_beyond_any_column_in_the_address_are_404(as_manager, product_id):
    assert as_manager.get(f"/manage/products/{product_id}").status_code == 404
    resp = as_manager.post(f"/manage/products/{product_id}/stock", data={"quantity": "1", "reason": "盘点"})
    assert resp.status_code == 404


def test_amounts_typed_in_full_width_or_other_scripts(app):
    from pos.money import parse_money
    assert parse_money("１６８．５") == Decimal("168.50")
    assert parse_money("٣٠") == Decimal("30.00")
    assert parse_money("￥１，６８０") == Decimal("1680.00")
    for bad in ("²", "1e30", "NaN", "½"):
        with pytest.raises(ValueError):
            parse_money(bad)


def test_escrow_account_number_is_ascii_digits(session):
    from pos.property import services as property_services
    manager = staff_by_no("M001")
    with pytest.raises(DomainError):
        property_services.create_project(session, actor=manager, name="测试楼盘", escrow_account_no="²²²")
    project = property_services.create_project(session, actor=manager, name="测试楼盘二",
                                               escrow_account_no="６２２２ ０２１０ ٠١")
    assert project.escrow_account_no == "6222021001"


def test_the_request_caps_never_refuse_what_a_form_allows():
    """The caps checked before any view are at least each form box's maxlength (the service then
    says its own, tighter limit with the field's message)."""
    import re
    from pathlib import Path

    too_tight = []
    for path in (Path(__file__).resolve().parents[2] / "templates").rglob("*.html"):
        for tag in re.findall(r"<(?:input|textarea)\b[^>]*>", path.read_text(encoding="utf-8")):
            name, size = re.search(r'name="([^"{]+)"', tag), re.search(r'maxlength="(\d+)"', tag)
            if name and size and int(size.group(1)) > typed._field_limit(name.group(1)):
                too_tight.append((path.name, name.group(1), size.group(1)))
    assert too_tight == []


def test_invoice_found_by_a_phone_typed_in_full_width_digits(session, paid):  # noqa: F811
    from pos.invoicing import services
    from tests.invoicing.test_services import BUYER
    invoice = services.issue(session, [paid().no], BUYER, preparer=staff_by_no("S001"))
    assert invoice in services.find(session, query="１３８００１３８")


def test_the_migration_brings_stored_phones_into_the_one_form(session):
    """Customers saved before phones were normalised ("86138…", full-width) are found by the phone
    typed any way once migrated; one whose normalised phone is taken is left for a person to merge."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0019_normalise_phones.py"
    spec = importlib.util.spec_from_file_location("normalise_phones", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    old = [Customer(name="老客户一", phone="8613911112222"), Customer(name="老客户二", phone="１３９２２２２３３３３"),
           Customer(name="老客户三", phone="13800138001-"), Customer(name="不是电话", phone="12")]
    session.add_all(old)
    session.commit()
    changed = migration.normalise_customer_phones(session.connection())
    session.commit()
    assert {(name, new) for _id, _old, new in changed for c in old if c.id == _id for name in [c.name]} == \
        {("老客户一", "13911112222"), ("老客户二", "13922223333")}
    assert customers.find_customer(session, "+86 139-1111-2222").name == "老客户一"
    assert customers.find_customer(session, "13922223333").name == "老客户二"
    session.expire_all()
    assert old[2].phone == "13800138001-" and old[3].phone == "12"  # 周先生 holds it; not a phone


def test_the_manager_sets_the_cash_cap_on_the_settings_screen(client, session, station, write_up):
    login_as(client, "M001")
    assert "1000000" in body(client.get("/manage/settings"))
    form = {"clerk": "10", "cashier": "0", "manager": "100", "delivery": "0", "invoice_prefix": "FP{year}", "vat": "1"}
    for bad in ("50", "abc", "²", "1e30", "999999999999"):
        resp = client.post("/manage/settings", data={**form, "max_cash_tendered": bad})
        assert resp.status_code == 422 and "100,000,000" in body(resp), bad
    assert client.post("/manage/settings", data={**form, "max_cash_tendered": "１００００"}).status_code == 303
    from pos.shop import services as shop
    assert shop.max_cash_tendered(session) == Decimal("10000")
    v = write_up("168.00")
    login_as(client, "S001")
    assert client.post("/cashier/shift/open", data={"station": station.id, "count_10000": "2"}).status_code == 303
    resp = client.post(f"/cashier/pay/{v.no}", data={"once_key": "k1", "cash_amount": "20000"})
    assert resp.status_code == 422 and count(session, Payment) == 0
