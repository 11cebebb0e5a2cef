"""Lockout is not a denial of service (issue 13 item 15): wrong manager PINs typed at a clerk's
discount prompt keep the manager out of nothing but that tablet's prompt for a while — they log in
on their own tablet, and with their password at the PC."""

from decimal import Decimal

from sqlalchemy import func, select

from pos.catalog.models import Product
from pos.sales.models import VoucherLine
from pos.staff.models import PinThrottle
from tests.conftest import login_as, staff_by_no

HX = {"HX-Request": "true"}
CLERK_TABLET = {"REMOTE_ADDR": "10.0.0.21"}
MANAGER_TABLET = {"REMOTE_ADDR": "10.0.0.5"}


def test_wrong_pins_at_the_discount_prompt_do_not_lock_the_manager_out(app, session):
    clerk = app.test_client()
    login_as(clerk, "C001")
    product = session.scalar(select(Product).where(Product.list_price > 1000).order_by(Product.id).limit(1))
    manager = staff_by_no("M001")
    data = {"product_id": product.id, "quantity": "1",
            "unit_price": str((product.list_price * Decimal("0.7")).quantize(Decimal("0.01"))),
            "manager_id": manager.id, "manager_pin": "1234"}
    statuses = [clerk.post("/counter/lines", data=data, headers=HX, environ_base=CLERK_TABLET).status_code
                for _ in range(12)]
    assert statuses[:4] == [401] * 4 and set(statuses[4:]) == {423}  # then: wait on this tablet
    assert session.scalar(select(func.count(VoucherLine.id))) == 0  # nothing saved by a refused approval
    # every try was kept although each request was rolled back: counted on the clerk's tablet only
    row = session.scalar(select(PinThrottle).where(PinThrottle.staff_id == manager.id))
    assert (row.client, row.kind) == ("10.0.0.21", "pin") and row.failures >= 5
    # even the right PIN waits on that tablet …
    right = {**data, "manager_pin": "9001"}
    assert clerk.post("/counter/lines", data=right, headers=HX, environ_base=CLERK_TABLET).status_code == 423
    # … but the manager logs in on their own tablet, and with the password at the PC
    own = app.test_client()
    resp = own.post(f"/login/{manager.id}", data={"pin": "9001"}, environ_base=MANAGER_TABLET)
    assert resp.status_code in (302, 303)
    pc = app.test_client()
    resp = pc.post("/login/password", data={"staff_no": "M001", "password": "manager-demo"},
                   environ_base=CLERK_TABLET)
    assert resp.status_code in (302, 303)


def test_five_wrong_pins_at_the_login_screen_lock_a_clerk_on_that_tablet_only(app, session):
    clerk = staff_by_no("C002")
    tablet = app.test_client()
    statuses = [tablet.post(f"/login/{clerk.id}", data={"pin": "0000"}, environ_base=CLERK_TABLET).status_code
                for _ in range(6)]
    assert statuses == [401, 401, 401, 401, 423, 423]
    assert tablet.post(f"/login/{clerk.id}", data={"pin": "1002"}, environ_base=CLERK_TABLET).status_code == 423
    other = app.test_client()
    resp = other.post(f"/login/{clerk.id}", data={"pin": "1002"}, environ_base=MANAGER_TABLET)
    assert resp.status_code == 200 and resp.headers["Content-Location"] == "/counter"  # in, on the counter


def test_twenty_wrong_pins_at_once_on_sqlite_check_at_most_five(app, session):
    """SQLite runs one writing request at a time (the write lock from the first statement); a refused
    request rolls back to its savepoint and writes the counted try before letting the lock go, so the
    next request in line always sees it."""
    import threading

    from pos.audit.models import AuditEntry

    clerk = staff_by_no("C001")
    barrier = threading.Barrier(20)
    statuses = []

    def wrong():
        c = app.test_client()
        barrier.wait()
        statuses.append(c.post(f"/login/{clerk.id}", data={"pin": "0000"}).status_code)

    threads = [threading.Thread(target=wrong) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses) == [401] * 4 + [423] * 16
    session.rollback()  # the test's own read (staff_by_no) ends: the next request here starts afresh
    assert app.test_client().post(f"/login/{clerk.id}", data={"pin": "1001"}).status_code == 423
    session.expire_all()
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.kind == "staff.login_failed")) == 5
