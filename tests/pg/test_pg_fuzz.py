"""Fuzz every form on PostgreSQL (tests/core/test_fuzz_forms.py runs it on SQLite): PostgreSQL
refuses what SQLite stores (a NUL in text, a string longer than its column, an integer beyond
BIGINT), so each POST route is posted its hostile values again here, as its rightful role, on one
migrated database with the demo data: no 5xx, and a 4xx saves no row. Bounded examples (derandomized)
keep it well under two minutes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pos.cashier import services as cashier
from pos.catalog.models import Product
from pos.extensions import db
from pos.sales import services as sales
from pos.shop.models import Station
from tests.conftest import login_as, staff_by_no
from tests.core.fuzz_forms import fuzz_route, post_routes
from tests.core.test_fuzz_forms import known_rows

pytestmark = pytest.mark.pg

EXAMPLES = 3


def _history(session) -> None:
    """An open shift, a paid voucher for a known customer and a written-up one (as in tests/conftest.py)."""
    manager = staff_by_no("M001")
    product = session.scalar(select(Product).where(Product.list_price > 1000).order_by(Product.id).limit(1))
    station = session.scalar(select(Station).where(Station.code == "T1"))
    cashier.open_shift(session, cashier=staff_by_no("S001"), station_id=station.id, counts={10000: 2, 1000: 5})
    vouchers = []
    for _ in range(2):
        v = sales.open_draft(session, manager)
        sales.add_line(session, v, product.id, "1", "1130.00", actor=manager)
        sales.write_up(session, v, actor=manager)
        vouchers.append(v)
    session.commit()
    paid = vouchers[0]
    paid.customer = sales.find_customer(session, "13800138001")
    paid.customer_name, paid.customer_phone = paid.customer.name, paid.customer.phone
    paid.checksum = sales.compute_checksum(paid)
    cashier.take_payment(session, paid.no, cashier=staff_by_no("S001"), once_key=f"k-{paid.no}",
                         plain_cash=str(paid.total))
    session.commit()


def test_no_form_answers_5xx_or_saves_on_refusal_on_postgresql(pg_app):
    _history(db.session)
    ids_by_arg, text_by_arg = known_rows(db.session)
    client = pg_app.test_client()
    routes = post_routes(pg_app)
    assert len(routes) >= 60
    failures = []
    for rule in routes:
        try:
            fuzz_route(pg_app, client, rule, examples=EXAMPLES, known_ids=ids_by_arg, known_text=text_by_arg,
                       login=lambda c, staff_no: login_as(c, staff_no) if staff_no else None)
        except AssertionError as e:  # go on with the other routes, then report them all
            failures.append(f"{rule.rule}: {str(e)[:1500]}")
            db.session.rollback()
    assert not failures, "\n\n".join(failures)
