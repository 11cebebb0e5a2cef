"""The catalogue: search as you type, the product page, the manager's product
screens (audited price changes), stock counts, suggestions, Excel import/export."""

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from pos.audit.models import AuditEntry
from pos.catalog import services
from pos.catalog.models import Product
from pos.customers import services as customers
from pos.sales import services as sales
from tests.conftest import CLERK, MANAGER, staff_by_no
from tests.helpers import count, row_counts, statements, text


# ------------------------------------------------------------------ search
def test_search_by_words_model_pinyin_and_barcode(session):
    found = services.search_products(session, "海尔 冰箱").products
    assert found and all("海尔" in p.name and "冰箱" in p.name for p in found)
    assert services.search_products(session, "bcd-100a").products[0].model == "BCD-100A"
    assert all("冰箱" in p.name for p in services.search_products(session, "hebx").products)  # 海尔冰箱
    product = found[0]
    result = services.search_products(session, product.barcode)
    assert result.exact_barcode == product
    assert services.search_products(session, "不存在的东西").products == []


def test_search_filters_and_pages(session):
    fridge = services.search_products(session, "冰箱").products[0]
    in_cat = services.search_products(session, "", category_id=fridge.category_id, limit=500).products
    assert in_cat and all(p.category_id == fridge.category_id for p in in_cat)
    in_stock = services.search_products(session, "", in_stock=True, limit=500).products
    assert all(p.stock_on_hand > 0 for p in in_stock)
    page1 = services.search_products(session, "", limit=10)
    page2 = services.search_products(session, "", limit=10, offset=10)
    assert page1.has_more and not {p.id for p in page1.products} & {p.id for p in page2.products}


def test_search_escapes_wildcards(session):
    assert services.search_products(session, "%").products == []
    assert services.search_products(session, "_").products == []


def test_browse_screen_and_htmx_partial(as_clerk, session):
    resp = as_clerk.get("/catalog?q=冰箱")
    assert resp.status_code == 200 and "商品目录" in text(resp) and "冰箱" in text(resp)
    resp = as_clerk.get("/catalog?q=冰箱", headers={"HX-Request": "true", "HX-Target": "results"})
    assert "<html" not in text(resp) and "product-card" in text(resp)
    product = services.search_products(session, "冰箱").products[0]
    resp = as_clerk.get(f"/catalog?q={product.barcode}")  # USB scanner + Enter
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/catalog/products/{product.id}")
    assert as_clerk.get("/catalog?q=" + "长" * 500).status_code == 200  # absurd input is cut, not an error


def test_quick_results_read_only_what_they_show(as_clerk, session):
    """The counter's search as you type (view=quick) reads the columns its list shows, not each product's
    long texts, search columns, brand and category; what it shows is still all there."""
    with statements() as seen:
        resp = as_clerk.get("/catalog?view=quick&q=冰箱", headers={"HX-Request": "true"})
    body = text(resp)
    found = [sql for sql, _p in seen if "FROM product" in sql]
    assert len(found) == 1, seen
    assert "selling_points" not in found[0] and "search_grams" not in found[0].split("FROM")[0]
    assert "JOIN brand" not in found[0] and "JOIN category" not in found[0]
    expected = services.search_products(session, "冰箱", limit=8).products
    assert len(expected) == 8
    for p in expected:
        assert p.name in body and p.model in body and f'name="product_id" value="{p.id}"' in body
    assert "库存" in body and "￥" in body


def test_product_page_shows_the_customer_everything(as_clerk, session):
    product = services.search_products(session, "海尔 对开门冰箱").products[0]
    body = text(as_clerk.get(f"/catalog/products/{product.id}"))
    for part in (product.name, product.model, product.spec, product.colour, "￥4,998.00", "卖点", "搭配推荐"):
        assert part in body
    assert as_clerk.get("/catalog/products/999999").status_code == 404


def test_product_page_remembers_interest_of_a_known_customer(as_clerk, session):
    as_clerk.get("/counter")
    as_clerk.post("/counter/customer", data={"phone": "13800138001"}, headers={"HX-Request": "true"})
    product = services.search_products(session, "电视").products[0]
    customer = customers.find_customer(session, "13800138001")
    page = text(as_clerk.get(f"/catalog/products/{product.id}"))
    # the page itself writes nothing; once shown it posts the interest (htmx, on load)
    assert product not in sales.customer_history(session, customer)
    interest_url = f"/counter/interest/{product.id}"
    assert f'hx-post="{interest_url}"' in page and 'hx-trigger="load"' in page
    assert as_clerk.post(interest_url, headers={"HX-Request": "true"}).status_code == 204
    session.expire_all()
    assert product in sales.customer_history(session, customer)


def test_add_from_the_product_page(as_clerk, session):
    product = services.search_products(session, "电视").products[0]
    resp = as_clerk.post("/counter/lines", data={"product_id": product.id, "quantity": "1", "return_to": "product"},
                         headers={"HX-Request": "true"})
    assert resp.status_code == 200 and "已将" in text(resp) and 'id="voucher-badge"' in text(resp)
    resp = as_clerk.post("/counter/lines", data={"product_id": product.id, "quantity": "0", "return_to": "product"},
                         headers={"HX-Request": "true"})
    assert resp.status_code == 422 and "数量必须大于零" in text(resp)


# ------------------------------------------------------------------ manager: products
def form(**kw):
    data = {"name": "测试电水壶", "brand": "美的", "category": "配件", "model": "SH-1", "spec": "1.7升",
            "colour": "白色", "barcode": "6900000000017", "unit": "个", "whole_units_only": "1",
            "list_price": "129.00", "vat_rate": "13", "active": "1", "selling_points": "快煮；防干烧"}
    data.update(kw)
    return data


def test_manager_adds_and_edits_a_product_price_change_audited(as_manager, session):
    resp = as_manager.post("/manage/products/new", data=form())
    assert resp.status_code == 303
    product = session.scalar(select(Product).where(Product.barcode == "6900000000017"))
    assert product.list_price == Decimal("129.00") and product.vat_rate_bp == 1300
    resp = as_manager.post(f"/manage/products/{product.id}", data=form(list_price="99.90"))
    assert resp.status_code == 303
    session.refresh(product)
    assert product.list_price == Decimal("99.90")
    entry = session.scalar(select(AuditEntry).where(AuditEntry.kind == "catalog.price_changed"))
    assert "￥129.00 → ￥99.90" in entry.summary and entry.staff.staff_no == "M001"


@pytest.mark.parametrize(("change", "message"), [
    ({"name": ""}, "请填写名称"),
    ({"list_price": "-1"}, "价格不能为负数"),
    ({"list_price": "abc"}, "不是有效的价格"),
    ({"list_price": "1.234"}, "不是有效的价格"),
    ({"brand": "不存在牌"}, "未知品牌"),
    ({"vat_rate": "150"}, "税率须在"),
    ({"barcode": "x"}, "条码为 4 到 40 位"),
    ({"name": "长" * 101}, "最多 100 个字符"),
])
def test_bad_product_input(as_manager, session, change, message):
    before = count(session, Product)
    resp = as_manager.post("/manage/products/new", data=form(**change))
    assert resp.status_code == 422 and message in text(resp)
    assert count(session, Product) == before


def test_duplicate_barcode_is_refused(as_manager, session):
    existing = session.scalar(select(Product).limit(1))
    before = count(session, Product)
    resp = as_manager.post("/manage/products/new", data=form(barcode=existing.barcode))
    assert resp.status_code == 422 and "已被" in text(resp)
    assert count(session, Product) == before


def test_picture_upload_checks_the_file(as_manager, session):
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(png, "PNG")
    before = row_counts(session)
    resp = as_manager.post("/manage/products/new", data={**form(), "picture": (io.BytesIO(b"not an image"), "x.png")},
                           content_type="multipart/form-data")
    assert resp.status_code == 422 and "JPEG、PNG 或 WebP" in text(resp)
    assert row_counts(session) == before  # nothing saved: neither the product nor a picture
    png.seek(0)
    resp = as_manager.post("/manage/products/new", data={**form(), "picture": (png, "kettle.png")},
                           content_type="multipart/form-data")
    assert resp.status_code == 303
    product = session.scalar(select(Product).where(Product.barcode == "6900000000017"))
    assert product.pictures and product.pictures[0].path.endswith(".png")
    assert as_manager.get(f"/media/{product.pictures[0].path}").status_code == 200


def test_stock_count_needs_a_reason_and_is_audited(as_manager, session):
    product = session.scalar(select(Product).limit(1))
    before, stock = row_counts(session), product.stock_on_hand
    resp = as_manager.post(f"/manage/products/{product.id}/stock", data={"quantity": "5", "reason": ""})
    assert resp.status_code == 422 and "请填写原因" in text(resp)
    for bad in ("-1", "abc", "1.5"):
        assert as_manager.post(f"/manage/products/{product.id}/stock",
                               data={"quantity": bad, "reason": "盘点"}).status_code == 422
    session.expire_all()
    assert row_counts(session) == before and product.stock_on_hand == stock  # nothing saved, nothing audited
    resp = as_manager.post(f"/manage/products/{product.id}/stock", data={"quantity": "7", "reason": "月末盘点"})
    assert resp.status_code == 303
    session.refresh(product)
    assert product.stock_on_hand == Decimal("7")
    assert session.scalar(select(AuditEntry).where(AuditEntry.kind == "catalog.stock_adjusted")).reason == "月末盘点"


def test_relations_by_barcode(as_manager, session):
    a, b = session.scalars(select(Product).limit(2)).all()
    resp = as_manager.post(f"/manage/products/{a.id}/relations/accessory", data={"barcodes": b.barcode})
    assert resp.status_code == 303
    assert services.relations(session, a, "accessory") == [b]
    resp = as_manager.post(f"/manage/products/{a.id}/relations/accessory", data={"barcodes": "123456789"})
    assert resp.status_code == 422 and "没有条码为 123456789 的商品" in text(resp)
    assert 'value="123456789"' in text(resp)  # what was typed is kept
    assert services.relations(session, a, "accessory") == [b]  # nothing changed


@pytest.mark.parametrize(("url", "name", "message"), [
    ("/manage/brands", "", "请填写品牌"), ("/manage/brands", "海尔", "品牌 海尔 已存在"),
    ("/manage/brands", "长" * 61, "最多 60 个字符"), ("/manage/categories", "冰箱", "品类 冰箱 已存在"),
])
def test_bad_brand_or_category_is_refused(as_manager, session, url, name, message):
    from pos.catalog.models import Brand, Category
    before = (session.scalar(select(func.count(Brand.id))), session.scalar(select(func.count(Category.id))))
    resp = as_manager.post(url, data={"name": name})
    assert resp.status_code == 422 and message in text(resp)
    assert (session.scalar(select(func.count(Brand.id))), session.scalar(select(func.count(Category.id)))) == before


def test_clerk_cannot_manage_products(as_clerk):
    assert as_clerk.get("/manage/products").status_code == 403
    assert as_clerk.post("/manage/products/new", data=form()).status_code == 403


def test_settings_discount_limits(as_manager, session):
    base = {"cashier": "0", "manager": "100", "delivery": "0", "invoice_prefix": "FP{year}", "vat": "1"}
    resp = as_manager.post("/manage/settings", data={**base, "clerk": "abc"})
    assert resp.status_code == 422 and "0 到 100" in text(resp)
    resp = as_manager.post("/manage/settings", data={**base, "clerk": "15", "invoice_prefix": "坏 前缀!"})
    assert resp.status_code == 422 and "发票号前缀" in text(resp)
    resp = as_manager.post("/manage/settings", data={**base, "clerk": "15", "invoice_prefix": "SH{year}"})
    assert resp.status_code == 303
    from pos.shop.services import get_setting
    assert get_setting(session, "invoice.prefix") == "SH{year}"
    from pos.shop.services import discount_limit
    assert discount_limit(session, {"clerk"}) == Decimal("15")


# ------------------------------------------------------------------ Excel
def workbook(rows, header=None):
    wb = Workbook()
    ws = wb.active
    ws.append(header or ["条码", "名称", "品牌", "品类", "型号", "规格", "颜色", "单位", "零售价", "税率%", "库存"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def test_export_then_import_round_trip(as_manager, session):
    resp = as_manager.get("/manage/products/export.xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(resp.data))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][0] == "条码" and len(rows) - 1 == count(session, Product)
    resp = as_manager.post("/manage/products/import", data={"file": (io.BytesIO(resp.data), "catalogue.xlsx")},
                           content_type="multipart/form-data")
    assert resp.status_code == 200 and f"未变 {count(session, Product)}" in text(resp)


def test_import_adds_and_updates(as_manager, session):
    existing = session.scalar(select(Product).limit(1))
    data = workbook([
        ["6900000000024", "新电饭煲", "美的", "电饭煲", "FB-9", "3升", "白色", "个", 399, 13, 5],
        [existing.barcode, existing.name, existing.brand.name, existing.category.name, existing.model, existing.spec,
         existing.colour, existing.unit, "1234.50", 13, 99],
    ])
    resp = as_manager.post("/manage/products/import", data={"file": (data, "p.xlsx")},
                           content_type="multipart/form-data")
    assert resp.status_code == 200 and "新增 1，更新 1" in text(resp)
    new = session.scalar(select(Product).where(Product.barcode == "6900000000024"))
    assert new.list_price == Decimal("399.00") and new.stock_on_hand == Decimal("5")
    session.refresh(existing)
    assert existing.list_price == Decimal("1234.50")
    assert existing.stock_on_hand != Decimal("99")  # stock of known products is not imported


def test_import_with_bad_rows_saves_nothing_and_reports_each(as_manager, session):
    existing = session.scalar(select(Product).limit(1))
    old_price = existing.list_price
    before = count(session, Product)
    data = workbook([
        ["6900000000031", "好行", "美的", "电饭煲", "A", "", "", "个", 100, 13, 1],
        ["6900000000048", "坏价格", "美的", "电饭煲", "B", "", "", "个", "abc", 13, 1],
        ["6900000000055", "坏品牌", "没听说过", "电饭煲", "C", "", "", "个", 100, 13, 1],
        ["6900000000031", "重复条码", "美的", "电饭煲", "D", "", "", "个", 100, 13, 1],
        [existing.barcode, existing.name, existing.brand.name, existing.category.name, "", "", "", "个", 1, 13, 1],
        ["", "没条码", "美的", "电饭煲", "E", "", "", "个", 100, 13, 1],
    ])
    resp = as_manager.post("/manage/products/import", data={"file": (data, "bad.xlsx")},
                           content_type="multipart/form-data")
    body = text(resp)
    assert resp.status_code == 422 and "有 4 行有误，未导入任何数据" in body
    for message in ("不是有效的价格", "未知品牌：没听说过", "重复出现", "须填写条码"):
        assert message in body
    session.expire_all()
    assert count(session, Product) == before
    assert session.get(Product, existing.id).list_price == old_price


@pytest.mark.parametrize(("payload", "message"), [
    (b"plain text, not a workbook", "不是 Excel"),
    (None, "缺少列"),
])
def test_import_refuses_bad_files(as_manager, session, payload, message):
    data = io.BytesIO(payload) if payload else workbook([], header=["名称", "价格"])
    before = row_counts(session)
    resp = as_manager.post("/manage/products/import", data={"file": (data, "x.xlsx")},
                           content_type="multipart/form-data")
    assert resp.status_code == 422 and message in text(resp)
    assert row_counts(session) == before


def test_import_without_a_file(as_manager, session):
    before = row_counts(session)
    resp = as_manager.post("/manage/products/import", data={})
    assert resp.status_code == 422 and "请选择 .xlsx 文件" in text(resp)
    assert row_counts(session) == before


def test_stock_is_only_reduced_at_pickup(as_clerk, session):
    """Writing up never touches stock (pickup, a later step, does)."""
    product = services.search_products(session, "冰箱", in_stock=True).products[0]
    stock = product.stock_on_hand
    clerk = staff_by_no(CLERK)
    v = sales.open_draft(session, clerk)
    sales.add_line(session, v, product.id, "1", actor=clerk)
    sales.write_up(session, v, actor=clerk)
    session.commit()
    session.refresh(product)
    assert product.stock_on_hand == stock


def test_search_index_follows_changes(session):
    """The FTS5 index is kept by triggers: new, renamed and deleted products are found or not."""
    manager = staff_by_no(MANAGER)
    product = services.create_product(session, services.ProductInput(
        name="独一无二咖啡机", brand="美的", category="配件", model="CAFE-9", list_price="899", barcode="6900000000062",
    ), actor=manager)
    session.commit()
    assert services.search_products(session, "咖啡机").products == [product]
    assert services.search_products(session, "cafe-9").products == [product]
    services.update_product(session, product, services.ProductInput(
        name="独一无二茶饮机", brand="美的", category="配件", model="TEA-9", list_price="899", barcode="6900000000062",
    ), actor=manager)
    session.commit()
    assert services.search_products(session, "咖啡机").products == []
    assert services.search_products(session, "茶饮机").products == [product]
