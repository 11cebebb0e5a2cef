"""Catalogue search on PostgreSQL (GIN index over bigrams)."""

import pytest
from sqlalchemy import text

from pos.catalog import services
from pos.extensions import db
from tests.conftest import staff_by_no

pytestmark = pytest.mark.pg


def test_search_on_postgresql(pg_app):
    session = db.session
    found = services.search_products(session, "海尔 冰箱").products
    assert found and all("海尔" in p.name and "冰箱" in p.name for p in found)
    assert services.search_products(session, "bcd-100a").products[0].model == "BCD-100A"
    assert all("冰箱" in p.name for p in services.search_products(session, "hebx").products)
    assert services.search_products(session, "美的 洗衣机 不存在").products == []
    assert services.search_products(session, "白").products  # one character: no index, still found
    product = found[0]
    assert services.search_products(session, product.barcode).exact_barcode == product
    manager = staff_by_no("M001")
    new = services.create_product(session, services.ProductInput(
        name="独一无二咖啡机", brand="美的", category="配件", model="CAFE-9", list_price="899", barcode="6900000000062",
    ), actor=manager)
    session.commit()
    assert services.search_products(session, "咖啡机").products == [new]
    session.execute(text("SET LOCAL enable_seqscan = off"))  # the demo table is small: prove the index is usable
    plan = "\n".join(session.execute(text(
        "EXPLAIN SELECT id FROM product WHERE to_tsvector('simple'::regconfig, search_grams) "
        "@@ plainto_tsquery('simple', '咖啡 啡机')")).scalars())
    assert "ix_product_search_grams" in plan
