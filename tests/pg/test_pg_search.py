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


def test_a_saved_products_grams_go_into_the_search_index_at_once(pg_app):
    """The GIN index has no pending list (fastupdate off, migration 0035): what a product save adds is
    in the index itself, so no search reads a list of entries waiting for a VACUUM — which a shop's
    server with autovacuum off would keep, up to 4 MB, and every search would scan."""
    session = db.session
    assert "fastupdate=off" in session.scalar(text(
        "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'ix_product_search_grams'"))
    manager = staff_by_no("M001")
    for i in range(40):
        services.create_product(session, services.ProductInput(
            name=f"待索引净水器{i}", brand="美的", category="配件", model=f"PEND-{i}", list_price="199"), actor=manager)
    session.commit()
    # the pages of pending entries the call folds into the index: none were left waiting
    assert session.scalar(text("SELECT gin_clean_pending_list('ix_product_search_grams'::regclass)")) == 0
    assert len(services.search_products(session, "待索引净水器", limit=50).products) == 40


def test_the_apps_queries_start_no_parallel_workers(pg_app):
    """The app's connections plan without parallel workers (pos/config.py): on 50,000 products a search of
    common words ("tv-7") took 8 ms with the two workers PostgreSQL started for it, 1.4 ms without.
    Parallel plans are made as cheap as can be here, so the planner would choose one if it could."""
    cheap = ("SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0; "
             "SET LOCAL min_parallel_table_scan_size = 0; SET LOCAL enable_indexscan = off; "
             "SET LOCAL enable_bitmapscan = off")
    query = "EXPLAIN SELECT count(*) FROM product WHERE search_key LIKE '%tv-7%'"
    session = db.session
    assert session.scalar(text("SHOW max_parallel_workers_per_gather")) == "0"
    for statement in cheap.split("; "):
        session.execute(text(statement))
    assert "Gather" not in "\n".join(session.execute(text(query)).scalars())
    session.rollback()
    # with workers allowed, the same plan uses them: the test can see a parallel plan
    with db.engine.connect() as raw:
        raw.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 2")
        for statement in cheap.split("; "):
            raw.exec_driver_sql(statement)
        assert "Gather" in "\n".join(raw.execute(text(query)).scalars())
        raw.rollback()
