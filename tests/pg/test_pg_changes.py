"""PostgreSQL: price requests answered by two managers at once get one answer (the other 409), an
approved price used by two tablets at once makes one agreement, and two unit changes (换房) racing
for the same free unit — with an agent drafting an agreement for it at the same moment — leave one
live claim on it, each on a real connection of its own."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import func, select

from pos.extensions import db
from pos.property import agreements, changes, price_requests, pricing
from pos.property.changes_models import AgreementChange, PriceAnswer, PriceUse
from pos.property.models import Unit, UnitClaim
from pos.property.sale_models import Agreement
from pos.staff import services as staff_services
from tests.pg.test_pg_agreements import _race, _typed

pytestmark = pytest.mark.pg

ROUNDS = 5


def _managers(session, n=4):
    out = []
    for i in range(n):
        no = f"MG{i:02d}"
        person = staff_services.by_number(session, no) or staff_services.create_staff(
            session, staff_no=no, full_name=f"经理{i:02d}", roles=("manager",), pin=f"{7000 + i}",
            password=f"manager-pw-{i}", actor=None)
        out.append(person.staff_no)
    session.commit()
    return out


def _below(session, unit, pct) -> Decimal:
    line = pricing.current_line(session, unit)
    return (line.filed_total * (100 - Decimal(pct)) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_managers_answering_one_request_at_once_give_one_answer(pg_app):
    session = db.session
    managers = _managers(session)
    agent = staff_services.by_number(session, "C001")
    units = list(session.scalars(select(Unit).where(Unit.status == "available").order_by(Unit.id).limit(ROUNDS)))
    for unit in units:
        req = price_requests.request_price(session, unit.id, str(_below(session, unit, 4)), "团购", agent=agent)
        session.commit()
        req_id = req.id

        def answer(no, approve, req_id=req_id):
            return lambda s: price_requests.answer(s, req_id, manager=staff_services.by_number(s, no),
                                                   approve=approve, note="同时审批")

        outcomes = _race(pg_app, [answer(no, i % 2 == 0) for i, no in enumerate(managers)])
        assert len([o for o in outcomes if o[0] == "ok"]) == 1, outcomes
        assert all(o[1] == 409 for o in outcomes if o[0] != "ok"), outcomes
        session.expire_all()
        assert session.scalar(select(func.count(PriceAnswer.id)).where(PriceAnswer.request_id == req_id)) == 1


def test_an_approved_price_used_twice_at_once_makes_one_agreement(pg_app):
    session = db.session
    managers = _managers(session, 1)
    agent = staff_services.by_number(session, "C001")
    unit = session.scalar(select(Unit).where(Unit.status == "available").order_by(Unit.id).limit(1))
    req = price_requests.request_price(session, unit.id, str(_below(session, unit, 4)), "团购", agent=agent)
    session.flush()
    price_requests.answer(session, req.id, manager=staff_services.by_number(session, managers[0]), approve=True)
    typed = _typed(unit, "赵六")
    typed.total_price, typed.price_request = str(req.asked_total), str(req.id)
    unit_id = unit.id
    session.commit()

    def sign(s):
        return agreements.create_agreement(s, unit_id, typed, actor=staff_services.by_number(s, "C001"))

    outcomes = _race(pg_app, [sign, sign, sign])
    assert len([o for o in outcomes if o[0] == "ok"]) == 1, outcomes
    assert all(o[1] == 409 for o in outcomes if o[0] != "ok"), outcomes
    session.expire_all()
    assert session.scalar(select(func.count(PriceUse.id))) == 1
    assert session.scalar(select(func.count(Agreement.id)).where(Agreement.unit_id == unit_id)) == 1


def test_unit_changes_racing_for_one_free_unit(pg_app):
    session = db.session
    managers = _managers(session, 1)
    free = list(session.scalars(select(Unit).where(Unit.status == "available").order_by(Unit.id)
                                .limit(3 * ROUNDS)))
    for r in range(ROUNDS):
        a_unit, b_unit, target = free[3 * r], free[3 * r + 1], free[3 * r + 2]
        a = agreements.create_agreement(session, a_unit.id, _typed(a_unit, "甲"),
                                        actor=staff_services.by_number(session, "C001"))
        b = agreements.create_agreement(session, b_unit.id, _typed(b_unit, "乙"),
                                        actor=staff_services.by_number(session, "C002"))
        session.commit()
        target_id, price, typed = target.id, str(target.list_total), _typed(target, "丙")

        def move(agreement_id, agent_no, target_id=target_id, price=price):
            return lambda s: changes.change_agreement(
                s, agreement_id, new_unit_id=target_id, new_total=price, actor=staff_services.by_number(s, agent_no),
                approver=staff_services.by_number(s, managers[0]), reason="换房")

        def draft(s, target_id=target_id, typed=typed):
            return agreements.create_agreement(s, target_id, typed, actor=staff_services.by_number(s, "C001"))

        outcomes = _race(pg_app, [move(a.id, "C001"), move(b.id, "C002"), draft])
        assert len([o for o in outcomes if o[0] == "ok"]) == 1, outcomes
        assert all(o[1] == 409 for o in outcomes if o[0] != "ok"), outcomes
        session.expire_all()
        assert session.scalar(select(func.count(UnitClaim.id)).where(UnitClaim.unit_id == target_id,
                                                                     UnitClaim.ended_at.is_(None))) == 1
        # the losers' agreements are as they were, with their own unit's claim
        changed = session.scalar(select(func.count(AgreementChange.id)).where(
            AgreementChange.new_unit_id == target_id))
        assert changed in (0, 1)
        for agreement_id, unit_id in ((a.id, a_unit.id), (b.id, b_unit.id)):
            row = session.get(Agreement, agreement_id)
            live = session.scalar(select(func.count(UnitClaim.id)).where(UnitClaim.unit_id == unit_id,
                                                                         UnitClaim.ended_at.is_(None)))
            assert (row.state, live) in (("awaiting_deposit", 1), ("changed", 0)), (row.state, live)


def test_a_payment_and_a_contract_price_change_at_once_never_pay_a_superseded_item(pg_app):
    """The finance desk takes a payment on the schedule's last item while the manager approves the
    contract's new price: both lock the agreement, so either the payment lands (and the change is
    refused: paid on the schedule) or the change supersedes the item (and the payment is refused,
    409) — never a payment on a superseded item."""
    from datetime import timedelta

    from pos.clock import local_today
    from pos.property import contracts, escrow
    from pos.property.sale_models import Contract, EscrowPayment, ScheduleItem
    from tests.pg.test_pg_agreements import _setup_in_force

    session = db.session
    managers = _managers(session, 1)
    first_id, cashiers, _escrow = _setup_in_force(session, pg_app)
    agent = staff_services.by_number(session, "C001")
    desk = staff_services.by_number(session, cashiers[0])
    today = local_today()
    won = set()
    for n in range(ROUNDS):
        if n == 0:
            agreement = session.get(Agreement, first_id)
        else:
            unit = session.scalar(select(Unit).where(Unit.status == "available").order_by(Unit.id).limit(1))
            agreement = agreements.create_agreement(session, unit.id, _typed(unit, "孙八"), actor=agent)
        escrow.take_payment(session, agreement.id, escrow.PaymentInput(item="deposit", amount="50000", method="card",
                                                                       reference=f"DEP{n}"),
                            cashier=desk, once_key=f"race-dep-{n}")
        rest = agreement.total_price - agreement.deposit
        c = contracts.create_contract(session, agreement.id, contracts.ContractInput(
            items=[contracts.ItemInput("down_payment", (today + timedelta(days=1)).isoformat(), "100000"),
                   contracts.ItemInput("instalment", (today + timedelta(days=60)).isoformat(), str(rest - 100000))],
            delivery_date=(today + timedelta(days=700)).isoformat()), actor=agent)
        contracts.sign_contract(session, c.id, actor=agent)
        session.commit()
        contract_id, agreement_id, last_id = c.id, agreement.id, c.items[-1].id
        price = str(_below(session, c.unit, 1))

        def change(s, contract_id=contract_id, price=price):
            return changes.change_contract_price(s, contract_id, new_total=price,
                                                 actor=staff_services.by_number(s, "C001"),
                                                 approver=staff_services.by_number(s, managers[0]), reason="同时")

        def pay(s, agreement_id=agreement_id, last_id=last_id, n=n):
            return escrow.take_payment(s, agreement_id, escrow.PaymentInput(
                item=f"instalment:{last_id}", amount="1000", method="card", reference=f"INS{n:03d}"),
                cashier=staff_services.by_number(s, cashiers[0]), once_key=f"race-ins-{n}")

        outcomes = _race(pg_app, [change, pay])
        assert [o[0] for o in outcomes].count("ok") == 1, outcomes
        session.expire_all()
        superseded = session.get(ScheduleItem, last_id).superseded_at is not None
        paid = session.scalar(select(func.count(EscrowPayment.id)).where(EscrowPayment.schedule_item_id == last_id))
        if outcomes[0][0] == "ok":  # the change won: the item superseded, the payment refused (409)
            assert superseded and paid == 0 and outcomes[1][1] == 409, outcomes
            won.add("change")
        else:  # the payment won: the change refused, the item live and paid
            assert not superseded and paid == 1 and outcomes[0][1] == 422, outcomes
            won.add("payment")
        live = session.get(Contract, contract_id).items
        assert sum(i.amount for i in live) + c.deposit_credited == session.get(Contract, contract_id).total_price
