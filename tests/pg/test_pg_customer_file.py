"""PostgreSQL: the customer file's rules that read, check and write hold when real connections race —
two pay-on-delivery approvals for one customer never pass the credit limit together; one accepted
quotation tapped twice at once makes one voucher; two leads given by the round-robin rule at once go
to two agents. Each test runs several rounds with the racing calls released together."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from pos.catalog.models import Product
from pos.clock import local_today
from pos.customers import credit, leads
from pos.customers.models import Customer
from pos.extensions import db
from pos.sales import quotations as quotes
from pos.sales import services as sales
from pos.sales.models import Voucher
from tests.pg.test_pg_races import by_no, kinds, race

pytestmark = pytest.mark.pg
ROUNDS = 10
PHONE = "13800138001"


def _product(session):
    return session.scalar(select(Product).where(Product.active.is_(True), Product.whole_units_only.is_(True),
                                                Product.stock_on_hand >= 20).order_by(Product.id).limit(1))


def _order(session):
    clerk = by_no(session, "C001")
    v = sales.start_phone_order(session, actor=clerk, name="周先生", phone=PHONE, address="上海市浦东新区张杨路500号")
    sales.add_line(session, v, _product(session).id, "1", None, actor=clerk)
    sales.confirm_read_back(session, v, actor=clerk)
    session.commit()
    return v.id, v.total


def test_two_pay_on_delivery_approvals_never_pass_the_limit_together(pg_app):
    session = db.session
    manager = by_no(session, "M001")
    customer_id = session.scalar(select(Customer.id).where(Customer.phone == PHONE))
    over = []
    for round_ in range(ROUNDS):
        a, total = _order(session)
        b, _ = _order(session)
        open_now = credit.standing(session, customer_id).open_credit
        credit.set_limit(session, customer_id, grade="C", limit=str(open_now + total + Decimal("1")),
                         reason=f"round {round_}", actor=manager)  # room for one of the two
        session.commit()

        def approve(s, vid):
            return sales.approve_phone_order(s, sales.get_voucher(s, vid), manager=by_no(s, "M001"),
                                             pay_on_delivery=True).no

        outcomes = race(pg_app, [lambda s, a=a: approve(s, a), lambda s, b=b: approve(s, b)])
        assert "error" not in kinds(outcomes), outcomes
        if kinds(outcomes).count("ok") != 1:
            over.append((round_, outcomes))
        assert all(o[1] == 422 and "信用额度" in o[2] for o in outcomes if o[0] == "refused"), outcomes
        session.expire_all()
        # the refused order stays in review; pay it at the counter so the next round starts clean
        for vid in (a, b):
            v = sales.get_voucher(session, vid)
            if v.status == "awaiting_review":
                sales.approve_phone_order(session, v, manager=manager, pay_on_delivery=False)
        session.commit()
    assert over == [], f"{len(over)} of {ROUNDS} rounds gave credit past the limit"


def test_an_accepted_quotation_tapped_twice_at_once_makes_one_voucher(pg_app):
    session = db.session
    clerk, manager = by_no(session, "C001"), by_no(session, "M001")
    before = session.scalar(select(func.count(Voucher.id)))
    for _round in range(ROUNDS):
        valid = (local_today() + timedelta(days=5)).isoformat()
        q = quotes.create(session, actor=clerk, phone=PHONE, valid_until=valid)
        quotes.add_line(session, q.id, _product(session).id, "1", None, actor=clerk)
        quotes.submit(session, q.id, actor=clerk)
        quotes.review(session, q.id, actor=manager, approve=True)
        quotes.answer(session, q.id, actor=clerk, accepted=True)
        session.commit()
        qid = q.id

        def tap(s, qid=qid):
            return quotes.to_voucher(s, qid, actor=by_no(s, "C001")).no

        outcomes = race(pg_app, [tap, tap])
        assert kinds(outcomes) == ["ok", "ok"], outcomes
        assert outcomes[0][1] == outcomes[1][1]  # the same voucher number for both taps
    assert session.scalar(select(func.count(Voucher.id))) == before + ROUNDS


def test_round_robin_gives_two_leads_at_once_to_two_agents(pg_app):
    session = db.session
    agents = leads._agents(session)
    assert len(agents) >= 2
    for round_ in range(ROUNDS):
        def register(s, i, round_=round_):
            return leads.create_lead(s, actor=by_no(s, "M001"), phone=f"1361200{round_:02d}{i:02d}", name="冯女士",
                                     want="冰箱", channel="event").assigned_to_id

        outcomes = race(pg_app, [lambda s: register(s, 1), lambda s: register(s, 2)])
        assert kinds(outcomes) == ["ok", "ok"], outcomes
        assert outcomes[0][1] != outcomes[1][1], outcomes
