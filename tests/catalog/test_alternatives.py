"""In-stock alternatives (issue 19): the same category at ±30 % of the price, read as two
index-ordered range reads (from the price upwards, and downwards below it) merged by distance then
id, give exactly what ordering the whole range by |price − this price| gave; and both databases
answer them from the partial index on (category, price) of the active products in stock."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, or_, select

from pos.catalog import services
from pos.catalog.models import Brand, Category, Product, ProductRelation
from tests.helpers import statements


def alternatives_by_sorting(session, product, *, limit=6):
    """The query alternatives() was before: the whole range ordered by the distance of the price."""
    linked = services.linked_alternatives(session, product, limit=limit)
    if len(linked) >= limit:
        return linked
    low = (product.list_price * Decimal("0.7")).quantize(Decimal("0.01"))
    high = (product.list_price * Decimal("1.3")).quantize(Decimal("0.01"))
    seen = {p.id for p in linked} | {product.id}
    return linked + list(session.scalars(
        select(Product).where(
            Product.category_id == product.category_id, Product.active.is_(True), Product.stock_on_hand > 0,
            Product.list_price.between(low, high), Product.id.not_in(seen),
            or_(Product.family != product.family, Product.family == ""),
        ).order_by(func.abs(Product.list_price - product.list_price), Product.id).limit(limit - len(linked))
    ))


PRICES = ["100.00", "33.33", "0.00", "0.01", "4999.00", "7.77"]
# the edges of the range, each side of the price, and the same distance on both sides (ties)
FACTORS = [Decimal(x) for x in ("0", "0.5", "0.6999", "0.7", "0.7001", "0.85", "0.85", "0.85", "0.99", "1", "1",
                                "1.01", "1.15", "1.15", "1.15", "1.2999", "1.3", "1.3001", "1.5")]

a_product = st.fixed_dictionaries({
    "factor": st.one_of(st.sampled_from(FACTORS), st.decimals("0.6", "1.4", places=4)),
    "family": st.sampled_from(["", "", "F1", "F2"]),
    "stock": st.sampled_from(["0", "-1", "0.5", "1", "30", "30", "30"]),
    "active": st.sampled_from([True, True, True, False]),
    "other_category": st.sampled_from([False, False, False, True]),
    "linked": st.integers(0, 9),
})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(price=st.sampled_from(PRICES), family=st.sampled_from(["", "F1"]), rows=st.lists(a_product, max_size=30),
       limit=st.integers(1, 7))
def test_the_range_reads_give_what_the_sort_gave(session, price, family, rows, limit):
    nested = session.begin_nested()
    try:
        brand = session.scalar(select(Brand).order_by(Brand.id))
        category, other = Category(name="测试品类甲"), Category(name="测试品类乙")
        session.add_all([category, other])
        target = Product(name="目标", brand=brand, category=category, family=family, list_price=Decimal(price),
                         stock_on_hand=Decimal("0"))
        session.add(target)
        made = []
        for i, row in enumerate(rows):
            p = Product(name=f"候选{i}", brand=brand, category=other if row["other_category"] else category,
                        family=row["family"], active=row["active"], stock_on_hand=Decimal(row["stock"]),
                        list_price=(Decimal(price) * row["factor"]).quantize(Decimal("0.01")))
            made.append(p)
        session.add_all(made)
        session.flush()
        for row, p in zip(rows, made, strict=True):
            if row["linked"] == 0:  # a few are linked by the manager, and count first
                session.add(ProductRelation(product_id=target.id, related_id=p.id, kind="alternative"))
        session.flush()
        session.expire_all()
        expected = [p.id for p in alternatives_by_sorting(session, target, limit=limit)]
        assert [p.id for p in services.alternatives(session, target, limit=limit)] == expected
    finally:
        nested.rollback()


def test_ties_at_the_cut_are_taken_by_id(session):
    """Several products at one price below and one above, as far from the price: the lowest ids first,
    whichever side they are on."""
    brand = session.scalar(select(Brand).order_by(Brand.id))
    category = Category(name="测试品类丙")
    target = Product(name="目标", brand=brand, category=category, list_price=Decimal("100.00"),
                     stock_on_hand=Decimal("0"))
    session.add(target)
    prices = ["90.00", "110.00", "90.00", "110.00", "90.00", "95.00", "90.00", "110.00"]
    made = [Product(name=f"候选{i}", brand=brand, category=category, list_price=Decimal(price),
                    stock_on_hand=Decimal("5")) for i, price in enumerate(prices)]
    session.add_all(made)
    session.flush()
    for limit in range(1, 9):
        expected = [p.id for p in alternatives_by_sorting(session, target, limit=limit)]
        assert [p.id for p in services.alternatives(session, target, limit=limit)] == expected
    assert [p.list_price for p in services.alternatives(session, target, limit=4)] == [
        Decimal("95.00"), Decimal("90.00"), Decimal("110.00"), Decimal("90.00")]


def _range_reads(session, product):
    """The two range statements alternatives() sends for ``product``, with their parameters."""
    with statements(session.get_bind()) as sent:
        services.alternatives(session, product)
    ranged = [(s, p) for s, p in sent if "list_price >=" in s or "list_price <" in s]
    assert len(ranged) == 2
    return ranged


def test_the_range_reads_use_the_partial_index(session):
    """The statements alternatives() sends use ix_product_in_stock_price on SQLite (the query
    planner matches the index's condition: it is written the same way)."""
    product = session.scalar(select(Product).where(Product.active.is_(True)).order_by(Product.id))
    for statement, params in _range_reads(session, product):
        plan = " ".join(str(row) for row in session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                                                 tuple(params)))
        assert "ix_product_in_stock_price" in plan, plan


@pytest.mark.pg
def test_postgresql_can_answer_them_from_the_partial_index(pg_app):
    """On PostgreSQL too: the index's condition is implied by the statements' (with the demo's few
    products the planner would rather scan, so scans are turned off for the question)."""
    from pos.extensions import db

    session = db.session
    product = session.scalar(select(Product).where(Product.active.is_(True)).order_by(Product.id))
    conn = session.connection()
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
    for statement, params in _range_reads(session, product):
        plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, params))
        assert "ix_product_in_stock_price" in plan, plan
    session.rollback()
