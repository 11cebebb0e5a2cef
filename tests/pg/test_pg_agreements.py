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
        # told which unit is taken (in the staff's language: "already taken" / "已售出")
        assert all(o[0] == Conflict.__name__ and o[1] == 409 and unit.number in o[2] for o in refused), refused
        session.expire_all()
        assert session.scalar(select(func.count(Agreement.id)).where(Agreement.unit_id == unit_id)) == 1
        assert session.scalar(select(func.count(UnitClaim.id)).where(UnitClaim.unit_id == unit_id,
                                                                     UnitClaim.ended_at.is_(None))) == 1
        assert session.get(Unit, unit_id).status == SUBSCRIBED
        session.commit()
    # the numbers are gapless per project although the agreements raced
    seqs = sorted(session.scalars(select(Agreement.seq)))
    assert seqs == list(range(1, len(seqs) + 1))


def _setup_in_force(session, pg_app):
    from pos.cashier import services as cashier_services
    from pos.property import escrow
    from pos.shop.models import Station

    unit = session.scalar(select(Unit).where(Unit.status == "available").order_by(Unit.id).limit(1))
    agreement = agreements.create_agreement(session, unit.id, _typed(unit, "钱七"),
                                            actor=staff_services.by_number(session, "C001"))
    cashiers = []
    stations = list(session.scalars(select(Station).where(Station.active.is_(True)).order_by(Station.id)))
    for i, station in enumerate(stations[:2]):
        no = "S001" if i == 0 else "S9PG"
        person = staff_services.by_number(session, no) or staff_services.create_staff(
            session, staff_no=no, full_name="收银二", roles=("cashier",), pin="2929", actor=None)
        cashier_services.open_shift(session, cashier=person, station_id=station.id, counts={10000: 1})
        cashiers.append(no)
    session.commit()
    return agreement.id, cashiers, escrow


def test_two_desks_paying_the_same_deposit_at_once_take_it_once(pg_app):
    from pos.property.sale_models import EscrowPayment

    session = db.session
    agreement_id, cashiers, escrow = _setup_in_force(session, pg_app)
    assert len(cashiers) == 2, "the demo has two cash desks"

    def pay(no, key):
        data = escrow.PaymentInput(item="deposit", amount="50000", method="card", reference=f"REF{key}")
        return lambda s: escrow.take_payment(s, agreement_id, data, cashier=staff_services.by_number(s, no),
                                             once_key=key)

    # the same form sent twice at once from one desk: one payment, both answers name it
    same = _race(pg_app, [pay(cashiers[0], "same-key"), pay(cashiers[0], "same-key")])
    session.expire_all()
    assert session.scalar(select(func.count(EscrowPayment.id))) == 1, same
    assert [o[0] for o in same].count("ok") >= 1
    # reverse it, then two desks take the deposit at once with different forms: one wins, one is told
    from pos.property import escrow as escrow_rules

    first = session.scalar(select(EscrowPayment))
    escrow_rules.reverse_payment(session, first.id, cashier=staff_services.by_number(session, cashiers[0]),
                                 approver=staff_services.by_number(session, "M001"), reason="测试", once_key="rv")
    session.commit()
    outcomes = _race(pg_app, [pay(cashiers[0], "desk-a"), pay(cashiers[1], "desk-b")])
    winners = [o for o in outcomes if o[0] == "ok"]
    assert len(winners) == 1, outcomes
    loser = next(o for o in outcomes if o[0] != "ok")
    assert loser[1] == 409 and ("already paid in full" in loser[2] or "已全部付清" in loser[2])
    session.expire_all()
    agreement = session.get(Agreement, agreement_id)
    assert agreement.state == "in_force" and escrow_rules.paid_on(session, agreement, "deposit") == 50000


def test_converting_one_agreement_twice_at_once_makes_one_contract(pg_app):
    from pos.property import contracts, escrow
    from pos.property.sale_models import Contract

    session = db.session
    agreement_id, cashiers, _escrow = _setup_in_force(session, pg_app)
    escrow.take_payment(session, agreement_id, escrow.PaymentInput(item="deposit", amount="50000", method="card",
                                                                   reference="REF1"),
                        cashier=staff_services.by_number(session, cashiers[0]), once_key="dep")
    session.commit()
    agreement = session.get(Agreement, agreement_id)
    today = local_today()
    typed = contracts.ContractInput(
        items=[contracts.ItemInput("down_payment", (today + timedelta(days=3)).isoformat(),
                                   str(agreement.total_price - agreement.deposit))],
        delivery_date=(today + timedelta(days=700)).isoformat())
    session.commit()

    def convert(no):
        return lambda s: contracts.create_contract(s, agreement_id, typed, actor=staff_services.by_number(s, no))

    outcomes = _race(pg_app, [convert("C001"), convert("M001"), convert("C001")])
    assert [o[0] for o in outcomes].count("ok") == 1, outcomes
    assert all(o[1] == 409 for o in outcomes if o[0] != "ok"), outcomes
    session.expire_all()
    assert session.scalar(select(func.count(Contract.id)).where(Contract.agreement_id == agreement_id)) == 1
