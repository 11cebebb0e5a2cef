"""PostgreSQL: return visits and the customer's survey when real connections race — the same answer
sent twice at once, or the call and the phone answering together, save one answer (the other 409);
two dispatch slips of one voucher delivered at once schedule exactly one return visit (the voucher's
lock: each sees the other); a burst of answers from one address counts each try once (the
throttle row's lock), the tries past the limit refused with 429."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pos.aftersales import survey, visits
from pos.aftersales.visit_models import ReturnVisit, SatisfactionAnswer
from pos.cashier import services as cashier
from pos.delivery import services as delivery
from pos.extensions import db
from pos.sales import pickup
from pos.sales import services as sales
from tests.pg.test_pg_races import _product, by_no, kinds, open_shift, race

pytestmark = pytest.mark.pg
ROUNDS = 8
ADDRESS = "上海市浦东新区张杨路500号3号楼1201室"


def _sold(session, qty="1"):
    clerk = by_no(session, "C001")
    v = sales.open_draft(session, clerk)
    sales.add_line(session, v, _product(session).id, qty, None, actor=clerk)
    sales.set_customer(session, v, phone="13800138001", actor=clerk)
    sales.write_up(session, v, actor=clerk)
    session.commit()
    cashier.take_payment(session, v.no, cashier=by_no(session, "S001"), once_key=f"k-{v.no}", plain_cash=str(v.total))
    session.commit()
    return v


def _answers(session, voucher_id):
    return session.scalar(select(func.count(SatisfactionAnswer.id)).where(SatisfactionAnswer.voucher_id == voucher_id))


def test_the_same_answer_twice_at_once_saves_one(pg_app):
    session = db.session
    open_shift(session)
    for round_ in range(ROUNDS):
        v = _sold(session)
        token = survey.token_for(v.id)

        def send(s, token=token, round_=round_):
            return survey.answer(s, token, "satisfied", f"好 {round_}", client=f"10.0.0.{round_}")

        outcomes = race(pg_app, [send, send])
        assert kinds(outcomes) == ["ok", "refused"], outcomes
        assert next(o for o in outcomes if o[0] == "refused")[1] == 409
        session.expire_all()
        assert _answers(session, v.id) == 1


def test_the_call_and_the_phone_at_once_save_one_answer(pg_app):
    session = db.session
    open_shift(session)
    for round_ in range(ROUNDS):
        v = _sold(session)
        pickup.hand_over(session, v.no, {line.id: "1" for line in v.lines}, clerk=by_no(session, "C001"),
                         once_key=f"p-{v.no}", shop_copy=True)
        session.commit()
        visit_id = session.scalar(select(ReturnVisit.id).where(ReturnVisit.voucher_id == v.id))
        token = survey.token_for(v.id)

        def call(s, visit_id=visit_id):
            return visits.record_result(s, visit_id, actor=by_no(s, "C001"), outcome="neutral")

        def phone(s, token=token, round_=round_):
            return survey.answer(s, token, "satisfied", "", client=f"10.1.0.{round_}")

        outcomes = race(pg_app, [call, phone])
        assert kinds(outcomes) == ["ok", "refused"], outcomes
        assert next(o for o in outcomes if o[0] == "refused")[1] == 409
        session.expire_all()
        assert _answers(session, v.id) == 1
        assert session.get(ReturnVisit, visit_id).state in ("done", "answered")


def test_two_slips_delivered_at_once_schedule_one_visit(pg_app):
    session = db.session
    open_shift(session)
    driver_a, driver_b = by_no(session, "D001"), by_no(session, "D001")
    for round_ in range(ROUNDS):
        v = _sold(session, qty="2")
        line = v.lines[0]
        slips = []
        for n in range(2):
            slip = delivery.request_delivery(session, v.no, {line.id: "1"}, clerk=by_no(session, "C001"),
                                             once_key=f"d-{v.no}-{n}", name="周先生", phone="13800138001",
                                             address=ADDRESS, window_day=None)
            delivery.pull(session, slip.id, driver=driver_a)
            delivery.mark_out(session, slip, driver=driver_b)
            slips.append(slip.id)
        session.commit()

        def deliver(slip_id, round_=round_):
            def run(s):
                slip = delivery.get_slip(s, slip_id)
                delivery.mark_delivered(s, slip, f"周先生 {round_}", driver=by_no(s, "D001"))
                return slip
            return run

        outcomes = race(pg_app, [deliver(slips[0]), deliver(slips[1])])
        assert kinds(outcomes) == ["ok", "ok"], outcomes
        session.expire_all()
        assert session.scalar(select(func.count(ReturnVisit.id)).where(ReturnVisit.voucher_id == v.id)) == 1


def test_a_burst_from_one_address_counts_every_try(pg_app):
    session = db.session
    open_shift(session)
    pg_app.config.update(POS_SURVEY_TRIES=3, POS_SURVEY_WINDOW_SECONDS=600)
    v = _sold(session)
    forged = f"{v.id}.AAAAAAAAAAAAAAAAAAAAAA"

    def send(s):
        return survey.answer(s, forged, "satisfied", "", client="10.9.9.9")

    outcomes = race(pg_app, [send] * 8)
    statuses = sorted(o[1] for o in outcomes if o[0] == "refused")
    assert statuses == [404] * 3 + [429] * 5, outcomes
    session.expire_all()
    assert _answers(session, v.id) == 0
