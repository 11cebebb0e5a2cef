"""PostgreSQL: two state changes of one after-sales ticket at once (resolved on one tablet, rejected on
another) give one winner — the other is refused with a 409 and its message, never a 500 — and the
ticket's history holds one closing entry; two dispatch slips asked at once for one repair give one
slip; a repair visit marked done while the ticket is resolved never reopens it (the ticket's row lock,
checked again under it)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pos.aftersales import tickets
from pos.aftersales.models import Ticket, TicketEvent
from pos.delivery.models import DispatchSlip
from pos.extensions import db
from pos.sales import services as sales
from tests.pg.test_pg_races import ROUNDS, _product, by_no, kinds, race

pytestmark = pytest.mark.pg


def _ticket(session, round_):
    clerk = by_no(session, "C001")
    v = sales.open_draft(session, clerk)
    sales.add_line(session, v, _product(session).id, "1", None, actor=clerk)
    sales.set_customer(session, v, phone="13800138001", actor=clerk)
    sales.write_up(session, v, actor=clerk)
    session.flush()
    t = tickets.open_ticket(session, customer=v.customer_id, kind="repair", description=f"不制冷 {round_}",
                            actor=by_no(session, "M001"), voucher_line=v.lines[0])
    tickets.change_state(session, t.id, "in_progress", actor=by_no(session, "M001"), note="已联系")
    session.commit()
    return t.id


def test_resolved_and_rejected_at_once_have_one_winner(pg_app):
    session = db.session
    for round_ in range(ROUNDS):
        ticket_id = _ticket(session, round_)

        def move(to, ticket_id=ticket_id, round_=round_):
            return lambda s: tickets.change_state(s, ticket_id, to, actor=by_no(s, "M001"), note=f"{to} {round_}")

        outcomes = race(pg_app, [move("resolved"), move("rejected")])
        assert kinds(outcomes) == ["ok", "refused"], outcomes
        refused = next(o for o in outcomes if o[0] == "refused")
        assert refused[1] == 409, outcomes
        session.expire_all()
        closing = session.scalar(select(func.count(TicketEvent.id)).where(
            TicketEvent.ticket_id == ticket_id, TicketEvent.to_state.in_(("resolved", "rejected"))))
        assert closing == 1
        t = session.get(Ticket, ticket_id)
        assert t.state in ("resolved", "rejected") and t.resolution == f"{t.state} {round_}"


def test_two_slips_asked_at_once_for_one_repair_give_one(pg_app):
    session = db.session
    for round_ in range(ROUNDS):
        ticket_id = _ticket(session, round_)

        def slip(s, ticket_id=ticket_id):
            return tickets.make_slip(s, ticket_id, actor=by_no(s, "M001"), address="上海市浦东新区世纪大道100号")

        outcomes = race(pg_app, [slip, slip])
        assert kinds(outcomes) == ["ok", "refused"], outcomes
        assert next(o for o in outcomes if o[0] == "refused")[1] == 409
        session.expire_all()
        assert session.get(Ticket, ticket_id).dispatch_slip_id is not None
    assert session.scalar(select(func.count(DispatchSlip.id)).where(DispatchSlip.kind == "repair")) == ROUNDS


def test_the_repair_visit_and_the_resolution_at_once_leave_the_ticket_closed(pg_app):
    """The driver marks the repair slip done while the person in charge resolves the ticket: both go
    through in either order, and a resolved ticket is never turned back to 'waiting' by the visit
    (the visit reads the ticket under its row lock)."""
    from pos.delivery import services as delivery

    session = db.session
    for round_ in range(ROUNDS):
        ticket_id = _ticket(session, round_)
        t = tickets.make_slip(session, ticket_id, actor=by_no(session, "M001"), address="上海市浦东新区世纪大道100号")
        slip = session.get(DispatchSlip, t.dispatch_slip_id)
        delivery.assign(session, slip, by_no(session, "D001").id, manager=by_no(session, "M001"))
        delivery.mark_out(session, slip, driver=by_no(session, "D001"))
        session.commit()
        slip_id = slip.id

        def visit(s, slip_id=slip_id):
            delivery.mark_delivered(s, s.get(DispatchSlip, slip_id), "周先生", driver=by_no(s, "D001"))

        def resolve(s, ticket_id=ticket_id, round_=round_):
            return tickets.change_state(s, ticket_id, "resolved", actor=by_no(s, "M001"), note=f"修好了 {round_}")

        outcomes = race(pg_app, [visit, resolve])
        assert kinds(outcomes) == ["ok", "ok"], outcomes
        session.expire_all()
        t = session.get(Ticket, ticket_id)
        assert (t.state, t.resolution) == ("resolved", f"修好了 {round_}") and t.closed_at is not None
        seen = [e.kind for e in t.events if e.kind in ("visit", "state")]
        assert seen.count("visit") == 1
        visit_event = next(e for e in t.events if e.kind == "visit")
        assert visit_event.to_state in ("waiting", "resolved")
