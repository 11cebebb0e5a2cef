"""PostgreSQL: twenty agents tap 'hold' on the same unit at the same moment, each on a real
connection of its own — exactly one holds it, nineteen are told who got there first (409)."""

import threading

import pytest
from sqlalchemy import func, select

from pos.errors import Conflict, DomainError
from pos.extensions import db
from pos.property import services
from pos.property.models import HELD, Building, Unit, UnitClaim
from pos.staff import services as staff_services
from tests.conftest import staff_by_no

pytestmark = pytest.mark.pg

AGENTS = 20


def _agents(session):
    people = []
    for i in range(AGENTS):
        no = f"P{i:03d}"
        person = staff_services.by_number(session, no) or staff_services.create_staff(
            session, staff_no=no, full_name=f"置业顾问{i:02d}", roles=("clerk",), pin=f"{5000 + i}", actor=None)
        people.append(person.staff_no)
    session.commit()
    return people


@pytest.fixture
def pg_app_20(tmp_path, pg_database_url, media_dir):
    """The app on a fresh PostgreSQL database with a pool for twenty-odd connections at once."""
    from pos import create_app
    from pos.cli import upgrade_database
    from pos.demo import load_demo
    from tests.conftest import BASE_CONFIG

    app = create_app({**BASE_CONFIG, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": pg_database_url,
                      "POS_MEDIA_DIR": str(media_dir),
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": AGENTS + 2, "max_overflow": 5}})
    with app.app_context():
        upgrade_database()
        load_demo(db.session)
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


def _race(app, calls):
    barrier = threading.Barrier(len(calls), timeout=30)
    outcomes = [None] * len(calls)

    def worker(i, call):
        with app.app_context():
            try:
                db.session.connection()  # a connection of its own, open before the start
                barrier.wait()
                outcomes[i] = ("ok", call(db.session).id)
                db.session.commit()
            except DomainError as e:
                db.session.rollback()
                outcomes[i] = (type(e).__name__, e.status, e.message)
            except Exception as e:  # noqa: BLE001 — reported by the assertions, never hangs the others
                barrier.abort()
                outcomes[i] = ("error", 500, repr(e))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def test_twenty_agents_hold_the_same_unit_at_once(pg_app_20):
    session = db.session
    assert db.engine.dialect.name == "postgresql"
    agents = _agents(session)
    units = list(session.scalars(select(Unit).where(Unit.status == "available").order_by(Unit.id).limit(3)))
    for unit in units:
        unit_id, building_id = unit.id, unit.building_id
        version = session.scalar(select(Building.version).where(Building.id == building_id))
        session.commit()

        def hold(no, unit_id=unit_id):
            return lambda s: services.hold_unit(s, unit_id, actor=staff_services.by_number(s, no),
                                                customer_name=f"客户{no}")

        outcomes = _race(pg_app_20, [hold(no) for no in agents])
        winners = [o for o in outcomes if o[0] == "ok"]
        refused = [o for o in outcomes if o[0] != "ok"]
        assert len(winners) == 1, outcomes
        assert len(refused) == AGENTS - 1
        session.expire_all()
        holder = session.get(UnitClaim, winners[0][1]).staff.full_name
        # each loser is told who holds it (in the shop's language)
        assert all(o[0] == Conflict.__name__ and o[1] == 409 and holder in o[2] for o in refused), refused
        assert session.scalar(select(func.count(UnitClaim.id)).where(UnitClaim.unit_id == unit_id,
                                                                     UnitClaim.ended_at.is_(None))) == 1
        held = session.get(Unit, unit_id)
        assert held.status == HELD
        claim = session.get(UnitClaim, winners[0][1])
        assert held.held_until == claim.expires_at
        # one change, one version step: the losers wrote nothing
        assert session.scalar(select(Building.version).where(Building.id == building_id)) == version + 1
        session.commit()


def test_the_database_refuses_a_second_live_claim_even_without_the_service(pg_app):
    from sqlalchemy.exc import IntegrityError

    session = db.session
    unit = session.scalar(select(Unit).where(Unit.status == "held").limit(1))
    session.add(UnitClaim(unit_id=unit.id, kind="agreement", staff_id=staff_by_no("C001").id, customer_name="X"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
