"""PostgreSQL: one pickup wins when a voucher is scanned at two counters at once; one
driver wins a slip pulled by two at once."""

import pytest
from sqlalchemy import func, select

from pos.delivery import services as delivery
from pos.extensions import db
from pos.sales import pickup
from pos.sales.models import Pickup
from pos.staff.models import Staff
from tests.conftest import staff_by_no
from tests.pg.test_pg_cashier import _race, _voucher

pytestmark = pytest.mark.pg


def _paid(session):
    no = _voucher(session)
    v = pickup.find_for_pickup(session, no)
    v.payment_state = "paid"
    session.commit()
    return no, v.lines[0].id


def test_scanned_at_two_counters_only_one_pickup_wins(pg_app):
    session = db.session
    for round_ in range(5):
        no, line_id = _paid(session)

        def take(key, no=no, line_id=line_id):
            return lambda s: pickup.hand_over(s, no, {line_id: "1"}, clerk=staff_by_no("C001"), once_key=key,
                                              shop_copy=True)

        outcomes = _race(pg_app, [take(f"a{round_}"), take(f"b{round_}")])
        assert sorted(o[0] for o in outcomes) == ["ok", "refused"], outcomes
        session.expire_all()
        assert session.scalar(select(func.count(Pickup.id)).where(Pickup.voucher.has(no=no))) == 1


def test_a_slip_pulled_by_two_drivers_at_once(pg_app):
    session = db.session
    other = Staff(staff_no="D002", full_name="吴军", pin_hash="x")
    other.set_roles(["delivery"])
    session.add(other)
    session.commit()
    no, line_id = _paid(session)
    slip = delivery.request_delivery(session, no, {line_id: "1"}, clerk=staff_by_no("C001"), once_key="d1",
                                     name="周先生", phone="13800138001", address="上海市浦东新区张杨路500号",
                                     window_day=None)
    session.commit()
    slip_id = slip.id

    def pull(staff_no):
        return lambda s: delivery.pull(s, slip_id, driver=staff_by_no(staff_no))

    outcomes = _race(pg_app, [pull("D001"), pull("D002")])
    assert sorted(o[0] for o in outcomes) == ["ok", "refused"], outcomes
