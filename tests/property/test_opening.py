"""Queue numbers (认筹/排号) and the opening-day selection session (开盘选房)."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from pos.errors import Conflict, DomainError, Forbidden
from pos.property import opening, services
from pos.property.models import HELD, QueueTicket
from tests.helpers import count

pytestmark = pytest.mark.usefixtures("english")


def _issue(session, project, agent, n, fee="0"):
    return [opening.issue_ticket(session, project, actor=agent, phone=f"1370000{i:04d}", name=f"买家{i}", fee=fee)
            for i in range(n)]


def test_numbers_are_issued_in_order_with_the_fee_recorded(session, project, agent):
    tickets = _issue(session, project, agent, 3, fee="20000")
    assert [t.number for t in tickets] == [1, 2, 3]
    assert tickets[0].fee == Decimal("20000.00") and tickets[0].fee_state == "due"
    assert tickets[0].customer_id is not None


def test_a_fee_before_the_permit_is_refused_and_nothing_saved(session, project, agent, manager):
    bare = services.create_project(session, actor=manager, name="未取证项目")
    before = count(session, QueueTicket)
    with pytest.raises(DomainError, match="pre-sale permit"):
        opening.issue_ticket(session, bare, actor=agent, phone="13700000001", name="甲", fee="5000")
    assert count(session, QueueTicket) == before
    free = opening.issue_ticket(session, bare, actor=agent, phone="13700000001", name="甲", fee="0")
    assert free.fee_state == "none"  # a number without a fee is fine
    with pytest.raises(DomainError, match="pre-sale permit"):
        opening.open_session(session, bare, actor=manager)


def test_one_live_number_per_customer_and_a_bad_phone(session, project, agent):
    opening.issue_ticket(session, project, actor=agent, phone="13700000001", name="甲")
    with pytest.raises(Conflict, match="already holds queue number 1"):
        opening.issue_ticket(session, project, actor=agent, phone="137-0000-0001", name="甲")
    with pytest.raises(DomainError, match="Not a phone number"):
        opening.issue_ticket(session, project, actor=agent, phone="123", name="乙")


def test_opening_day_calls_in_order_and_holds_the_chosen_units(session, project, b1, unit_no, agent, agent2,
                                                                manager):
    tickets = _issue(session, project, agent, 5)
    sel = opening.open_session(session, project, actor=manager, call_window=2)
    assert [t.number for t in opening.called(session, sel)] == [1, 2]
    with pytest.raises(Conflict, match="already open"):
        opening.open_session(session, project, actor=manager)
    with pytest.raises(DomainError, match="not been called"):
        opening.choose(session, sel, tickets[2].id, unit_no(b1, "1701").id, actor=agent)
    chosen = opening.choose(session, sel, tickets[0].id, unit_no(b1, "1701").id, actor=agent)
    assert chosen.status == "chosen" and unit_no(b1, "1701").status == HELD
    assert services.live_claim(session, unit_no(b1, "1701").id).customer_id == tickets[0].customer_id
    assert [t.number for t in opening.called(session, sel)] == [2, 3]  # the next one is called
    # the same unit for another buyer: the first valid choice won
    with pytest.raises(Conflict, match="already held"):
        opening.choose(session, sel, tickets[1].id, unit_no(b1, "1701").id, actor=agent2)
    assert tickets[1].status == "called"
    # a number used twice
    with pytest.raises(Conflict, match="already chosen"):
        opening.choose(session, sel, tickets[0].id, unit_no(b1, "1703").id, actor=agent)


def test_skip_and_recall(session, project, b1, unit_no, agent, manager):
    tickets = _issue(session, project, agent, 3)
    sel = opening.open_session(session, project, actor=manager, call_window=1)
    with pytest.raises(Forbidden):
        opening.skip(session, sel, tickets[0].id, actor=agent)
    opening.skip(session, sel, tickets[0].id, actor=manager)
    assert [t.number for t in opening.called(session, sel)] == [2]
    opening.recall(session, sel, tickets[0].id, actor=manager)
    assert [t.number for t in opening.called(session, sel)] == [1, 2]
    opening.choose(session, sel, tickets[0].id, unit_no(b1, "1703").id, actor=agent)
    with pytest.raises(DomainError, match="Only a skipped"):
        opening.recall(session, sel, tickets[1].id, actor=manager)
    opening.close_session(session, sel, actor=manager)
    assert [t.status for t in opening.tickets(session, project)] == ["chosen", "waiting", "waiting"]
    with pytest.raises(DomainError, match="closed"):
        opening.choose(session, sel, tickets[1].id, unit_no(b1, "1704").id, actor=agent)


def test_a_unit_of_another_project_is_refused(session, project, agent, manager):
    other = services.create_project(session, actor=manager, name="别的项目", presale_permit_no="X1",
                                    presale_permit_date="2026-01-01")
    building = services.create_building(session, other, "A栋", 1, 1, actor=manager)
    unit = services.add_unit(session, building, number="101", floor=1, stack=1, gross_area="100", inner_area="80",
                             unit_price="10000", actor=manager)
    tickets = _issue(session, project, agent, 1)
    sel = opening.open_session(session, project, actor=manager)
    with pytest.raises(DomainError, match="not in this project"):
        opening.choose(session, sel, tickets[0].id, unit.id, actor=agent)
    assert session.scalar(select(QueueTicket.status).where(QueueTicket.id == tickets[0].id)) == "called"
