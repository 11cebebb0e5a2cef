"""SQLite's write lock: taken only by requests that can write (views under pos.web.transaction), and
never around slow work — a PIN is hashed before the request takes it."""

import sqlite3

import pytest
from sqlalchemy.engine import make_url

from pos.extensions import db
from tests.conftest import login_as, staff_by_no

HX = {"HX-Request": "true"}


def _database_file(app) -> str:
    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database


def _write_lock_free(path: str) -> bool:
    """Whether another connection could take the write lock at this moment (no waiting)."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as e:
        assert "locked" in str(e)
        return False
    finally:
        other.close()


@pytest.fixture
def lock_seen(app, monkeypatch):
    """Every PIN check records whether the database's write lock was free while it hashed."""
    import pos.staff.services as staff_services

    path, seen = _database_file(app), []
    real = staff_services.check_password_hash

    def checking(stored, secret):
        seen.append(_write_lock_free(path))
        return real(stored, secret)

    monkeypatch.setattr(staff_services, "check_password_hash", checking)
    return seen


def test_a_pin_login_hashes_the_pin_before_it_takes_the_write_lock(app, lock_seen):
    clerk_id = staff_by_no("C001").id
    db.session.rollback()  # the test's own read ends: the request starts afresh, as on the server
    resp = app.test_client().post(f"/login/{clerk_id}", data={"pin": "1001"})
    assert resp.status_code == 200 and resp.headers["Content-Location"] == "/counter"  # logged in, on the counter
    assert lock_seen and all(lock_seen)  # hashed, and never while holding the lock


def test_a_wrong_pin_is_still_counted_and_refused(app, lock_seen):
    from sqlalchemy import select

    from pos.staff.models import PinThrottle

    clerk_id = staff_by_no("C001").id
    db.session.rollback()
    resp = app.test_client().post(f"/login/{clerk_id}", data={"pin": "0000"})
    assert resp.status_code == 401
    assert lock_seen and all(lock_seen)
    db.session.expire_all()
    assert db.session.scalar(select(PinThrottle.failures).where(PinThrottle.staff_id == clerk_id)) == 1


def test_a_manager_pin_typed_for_a_discount_is_hashed_before_the_lock(app, lock_seen):
    from decimal import Decimal

    from sqlalchemy import select

    from pos.catalog.models import Product

    clerk = app.test_client()
    login_as(clerk, "C001")
    product = db.session.scalar(select(Product).where(Product.list_price > 1000).order_by(Product.id).limit(1))
    product_id, manager_id = product.id, staff_by_no("M001").id
    price = str((product.list_price * Decimal("0.7")).quantize(Decimal("0.01")))
    db.session.rollback()
    resp = clerk.post("/counter/lines", headers=HX, data={"product_id": product_id, "quantity": "1",
                                                          "unit_price": price, "manager_id": manager_id,
                                                          "manager_pin": "9001"})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert lock_seen and all(lock_seen)


def test_the_running_tally_takes_no_write_lock(app, write_up, open_shift):
    """While another connection holds the write lock, the cashier's live tally (a POST that only
    reads) still answers at once instead of waiting for it (busy_timeout is 30 s)."""
    import time

    open_shift()
    no = write_up("100.00").no
    cashier = app.test_client()
    login_as(cashier, "S001")
    db.session.rollback()
    other = sqlite3.connect(_database_file(app), timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        start = time.monotonic()
        resp = cashier.post(f"/cashier/pay/{no}/tally", headers=HX, data={"count_10000": "1"})
        waited = time.monotonic() - start
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert resp.status_code == 200
    assert waited < 10  # not queued behind the writer (which would take the 30 s busy timeout and fail)


def test_a_view_that_writes_is_marked(app):
    """pos._start_request takes the lock for the views marked by pos.web.transaction."""
    assert getattr(app.view_functions["cashier.pay"], "pos_writes", False)
    assert getattr(app.view_functions["staff.pin_login"], "pos_writes", False)
    assert not getattr(app.view_functions["cashier.pay_tally"], "pos_writes", False)
