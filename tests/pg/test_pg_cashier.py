"""PostgreSQL: concurrent payments — one voucher is paid exactly once."""

import threading

import pytest
from sqlalchemy import func, select

from pos.cashier import services
from pos.cashier.models import Payment
from pos.catalog.models import Product
from pos.errors import DomainError
from pos.extensions import db
from pos.sales import services as sales
from pos.shop.models import Station
from tests.conftest import staff_by_no

pytestmark = pytest.mark.pg


def _voucher(session):
    manager = staff_by_no("M001")
    product = session.scalar(select(Product).order_by(Product.id).limit(1))
    v = sales.open_draft(session, manager)
    sales.add_line(session, v, product.id, "1", "168.00", actor=manager)
    sales.write_up(session, v, actor=manager)
    session.commit()
    return v.no


def _race(app, calls):
    """Run each call in its own thread, app context and session, all released at once."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def worker(i, call):
        with app.app_context():
            barrier.wait()
            try:
                outcomes[i] = ("ok", call(db.session).id)
                db.session.commit()
            except DomainError as e:
                db.session.rollback()
                outcomes[i] = ("refused", e.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


def test_two_tills_paying_the_same_voucher_at_once(pg_app):
    session = db.session
    stations = list(session.scalars(select(Station).order_by(Station.code)))
    for no, station in (("S001", stations[0]), ("S002", stations[1])):
        services.open_shift(session, cashier=staff_by_no(no), station_id=station.id, counts={})
    session.commit()
    for round_ in range(5):
        no = _voucher(session)

        def pay(cashier_no, key, no=no):
            return lambda s: services.take_payment(
                s, no, cashier=services.sales.staff_services.by_number(s, cashier_no), once_key=key,
                counts={10000: 2})

        outcomes = _race(pg_app, [pay("S001", f"a{round_}"), pay("S002", f"b{round_}")])
        assert sorted(o[0] for o in outcomes) == ["ok", "refused"], outcomes
        session.expire_all()
        assert session.scalar(select(func.count(Payment.id)).join(Payment.voucher)
                              .where(services.Voucher.no == no)) == 1


def test_the_same_key_sent_twice_at_once_pays_once(pg_app):
    session = db.session
    station = session.scalar(select(Station).order_by(Station.code))
    services.open_shift(session, cashier=staff_by_no("S001"), station_id=station.id, counts={})
    session.commit()
    no = _voucher(session)

    def pay(s):
        return services.take_payment(s, no, cashier=services.sales.staff_services.by_number(s, "S001"),
                                     once_key="double-tap", counts={10000: 2})

    outcomes = _race(pg_app, [pay, pay, pay])
    ids = {o[1] for o in outcomes if o[0] == "ok"}
    assert len(ids) == 1, outcomes
    session.expire_all()
    assert session.scalar(select(func.count(Payment.id))) == 1


def test_two_shifts_cannot_open_at_one_station_at_once(pg_app):
    session = db.session
    station_id = session.scalar(select(Station.id).order_by(Station.code))

    def open_for(no):
        return lambda s: services.open_shift(s, cashier=services.sales.staff_services.by_number(s, no),
                                             station_id=station_id, counts={})

    outcomes = _race(pg_app, [open_for("S001"), open_for("S002")])
    assert sorted(o[0] for o in outcomes) == ["ok", "refused"], outcomes
