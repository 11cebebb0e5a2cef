"""Price approvals on the manager's own tablet (issue 15): the agent asks (unit, price, reason), the
manager answers once (never their own request), the agent uses an approved price once, for that
unit, before it lapses, never below the floor nor above the filed price."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select

from pos.errors import Conflict, DomainError, Forbidden
from pos.property import agreements, price_requests, pricing
from pos.property.changes_models import PriceAnswer, PriceRequest, PriceUse
from pos.property.sale_models import Agreement
from tests.conftest import login_as
from tests.helpers import count, row_counts, text
from tests.property.test_agreements import typed

pytestmark = pytest.mark.usefixtures("english")


def pct_below(session, unit, pct) -> Decimal:
    line = pricing.current_line(session, unit)
    return (line.filed_total * (100 - Decimal(pct)) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture
def second_manager(session):
    from pos.staff import services as staff_services

    person = staff_services.create_staff(session, staff_no="M002", full_name="周经理", roles=("manager", "clerk"),
                                         pin="9002", password="manager-two", actor=None)
    session.commit()
    return person


def test_request_answer_and_use_once(session, b1, unit_no, agent, manager):
    unit = unit_no(b1, "101")
    price = pct_below(session, unit, 4)  # limit 2 %, floor 5 %
    req = price_requests.request_price(session, unit.id, str(price), "老客户介绍", agent=agent)
    session.flush()
    assert price_requests.state_of(req) == "pending"
    assert price_requests.pending_count(session) == 1
    price_requests.answer(session, req.id, manager=manager, approve=True, note="同意")
    session.flush()
    session.refresh(req)
    assert price_requests.state_of(req) == "approved" and price_requests.pending_count(session) == 0
    assert [r.id for r in price_requests.usable(session, unit.id, agent)] == [req.id]
    a = agreements.create_agreement(session, unit.id, typed(unit, total_price=str(price),
                                                            price_request=str(req.id)), actor=agent)
    session.flush()
    assert a.total_price == price and a.discount_approved_by_id == manager.id
    session.refresh(req)
    assert price_requests.state_of(req) == "used" and req.use.agreement_id == a.id


def test_without_approval_the_agent_is_refused(session, b1, unit_no, agent):
    unit = unit_no(b1, "101")
    with pytest.raises(Forbidden):
        agreements.create_agreement(session, unit.id, typed(unit, total_price=str(pct_below(session, unit, 4))),
                                    actor=agent)


@pytest.mark.parametrize("pct, message", [(6, "below the floor price"), (-1, "above the filed price"),
                                          (1, "within your discount limit")])
def test_bad_asked_prices(session, b1, unit_no, agent, pct, message):
    unit = unit_no(b1, "101")
    before = row_counts(session)
    with pytest.raises(DomainError, match=message):
        price_requests.request_price(session, unit.id, str(pct_below(session, unit, pct)), "x", agent=agent)
    session.rollback()
    assert row_counts(session) == before


def test_a_reason_is_needed(session, b1, unit_no, agent):
    unit = unit_no(b1, "101")
    with pytest.raises(DomainError, match="Reason"):
        price_requests.request_price(session, unit.id, str(pct_below(session, unit, 4)), " ", agent=agent)


def test_manager_cannot_answer_own_request_nor_twice(session, b1, unit_no, manager, second_manager):
    unit = unit_no(b1, "101")
    # the second manager also sells (a clerk); as a manager they need no approval, so ask as ... the rule:
    # a manager asking is refused (they may sell at any price down to the floor)
    with pytest.raises(DomainError, match="no approval is needed"):
        price_requests.request_price(session, unit.id, str(pct_below(session, unit, 4)), "x", agent=second_manager)
    # a request made under their name (e.g. before they became a manager) is not theirs to answer
    req = PriceRequest(unit_id=unit.id, agent_id=second_manager.id, asked_total=pct_below(session, unit, 4),
                       filed_total=pricing.current_line(session, unit).filed_total,
                       floor_total=pricing.current_line(session, unit).floor_total, reason="x")
    session.add(req)
    session.commit()
    with pytest.raises(Forbidden, match="another manager must answer"):
        price_requests.answer(session, req.id, manager=second_manager, approve=True)
    session.rollback()
    assert count(session, PriceAnswer) == 0
    price_requests.answer(session, req.id, manager=manager, approve=False, note="价格太低")
    session.commit()
    with pytest.raises(Conflict, match="already answered"):
        price_requests.answer(session, req.id, manager=manager, approve=True)
    session.rollback()
    assert count(session, PriceAnswer) == 1


def test_a_decline_needs_a_note_and_an_agent_cannot_answer(session, b1, unit_no, agent, agent2, manager):
    unit = unit_no(b1, "101")
    req = price_requests.request_price(session, unit.id, str(pct_below(session, unit, 4)), "x", agent=agent)
    with pytest.raises(DomainError, match="why the price is declined"):
        price_requests.answer(session, req.id, manager=manager, approve=False)
    with pytest.raises(Forbidden):
        price_requests.answer(session, req.id, manager=agent2, approve=True)


def _approved(session, unit, agent, manager, pct=4):
    req = price_requests.request_price(session, unit.id, str(pct_below(session, unit, pct)), "x", agent=agent)
    price_requests.answer(session, req.id, manager=manager, approve=True)
    session.commit()
    return req


def test_approved_price_on_another_unit_after_expiry_by_another_agent_or_twice(session, b1, unit_no, agent, agent2,
                                                                               manager, monkeypatch):
    unit, other = unit_no(b1, "101"), unit_no(b1, "102")
    req = _approved(session, unit, agent, manager)
    price = str(req.asked_total)
    before = row_counts(session)
    with pytest.raises(DomainError, match="not for this unit"):
        agreements.create_agreement(session, other.id, typed(other, total_price=price, price_request=str(req.id)),
                                    actor=agent)
    session.rollback()
    with pytest.raises(Forbidden, match="only they may use it"):
        agreements.create_agreement(session, unit.id, typed(unit, total_price=price, price_request=str(req.id)),
                                    actor=agent2)
    session.rollback()
    with pytest.raises(DomainError, match="below the approved"):
        agreements.create_agreement(session, unit.id, typed(unit, total_price=str(req.asked_total - 1),
                                                             price_request=str(req.id)), actor=agent)
    session.rollback()
    later = req.answer.valid_until + timedelta(minutes=1)
    with pytest.raises(DomainError, match="lapsed"):
        agreements.create_agreement(session, unit.id, typed(unit, total_price=price, price_request=str(req.id)),
                                    actor=agent, now=later)
    session.rollback()
    assert row_counts(session) == before
    a = agreements.create_agreement(session, unit.id, typed(unit, total_price=price, price_request=str(req.id)),
                                    actor=agent)
    session.commit()
    assert count(session, PriceUse) == 1 and a.total_price == req.asked_total


def test_used_twice_is_refused(session, b1, unit_no, agent, manager):
    from pos.property import outcomes  # noqa: F401  (the agreement ends; the unit is free again)

    unit = unit_no(b1, "101")
    req = _approved(session, unit, agent, manager)
    mark = PriceUse(request_id=req.id, agreement_id=agreements.create_agreement(
        session, unit_no(b1, "102").id, typed(unit_no(b1, "102")), actor=agent).id)
    session.add(mark)
    session.commit()
    with pytest.raises(Conflict, match="already been used"):
        agreements.create_agreement(session, unit.id, typed(unit, total_price=str(req.asked_total),
                                                             price_request=str(req.id)), actor=agent)


def test_declined_or_pending_cannot_be_used(session, b1, unit_no, agent, manager):
    unit = unit_no(b1, "101")
    req = price_requests.request_price(session, unit.id, str(pct_below(session, unit, 4)), "x", agent=agent)
    session.commit()
    with pytest.raises(DomainError, match="not answered"):
        agreements.create_agreement(session, unit.id, typed(unit, total_price=str(req.asked_total),
                                                             price_request=str(req.id)), actor=agent)
    session.rollback()
    price_requests.answer(session, req.id, manager=manager, approve=False, note="不行")
    session.commit()
    with pytest.raises(DomainError, match="declined"):
        agreements.create_agreement(session, unit.id, typed(unit, total_price=str(req.asked_total),
                                                             price_request=str(req.id)), actor=agent)


def test_floor_raised_after_approval_still_refuses(session, b1, unit_no, agent, manager):
    """A newer price list moved the floor above the approved price: the floor wins."""
    from datetime import date

    from pos.clock import local_today

    unit = unit_no(b1, "101")
    req = _approved(session, unit, agent, manager, pct=4)
    line = pricing.current_line(session, unit)
    pricing.publish(session, b1, effective_on=local_today(), actor=manager,
                    lines=[pricing.LinePrice(unit.id, line.filed_unit_price, line.filed_total)])
    session.commit()
    assert isinstance(local_today(), date)
    with pytest.raises(DomainError, match="below the floor price"):
        agreements.create_agreement(session, unit.id, typed(unit, total_price=str(req.asked_total),
                                                             price_request=str(req.id)), actor=agent)


# ------------------------------------------------------------------ screens
def test_web_request_badge_answer_and_use(app, client, session, b1, unit_no, agent, manager):
    unit = unit_no(b1, "101")
    price = pct_below(session, unit, 4)
    login_as(client, "C001")
    assert client.get(f"/property/price-requests/new?unit={unit.id}").status_code == 200
    bad = client.post(f"/property/price-requests/new?unit={unit.id}",
                      data={"asked_total": str(pct_below(session, unit, 6)), "reason": "x"})
    assert bad.status_code == 422 and "floor price" in text(bad) and count(session, PriceRequest) == 0
    ok = client.post(f"/property/price-requests/new?unit={unit.id}",
                     data={"asked_total": str(price), "reason": "老客户"})
    assert ok.status_code == 303
    req = session.scalar(select(PriceRequest))
    assert "Waiting for the manager" in text(client.get("/property/price-requests/list"))
    assert client.get("/property/price-requests/badge").status_code == 403  # the badge is the manager's

    login_as(client, "M001")
    home = text(client.get("/property/price-requests"))
    assert 'data-testid="badge-property.price_requests"' in home and f"answer-{req.id}" in home
    badge = client.get("/property/price-requests/badge")
    assert 'data-testid="price-requests-waiting">1<' in text(badge)
    answer = client.post(f"/property/price-requests/{req.id}/answer", data={"decision": "approve", "note": "可以"})
    assert answer.status_code == 303
    again = client.post(f"/property/price-requests/{req.id}/answer", data={"decision": "decline", "note": "不"})
    assert again.status_code == 409 and "already answered" in text(again)
    assert text(client.get("/property/price-requests/badge")).strip() == ""

    login_as(client, "C001")
    listing = text(client.get("/property/price-requests/list"))
    assert "Price approved" in listing and f"use-{req.id}" in listing
    form = client.get(f"/property/agreements/new?unit={unit.id}&price_request={req.id}")
    assert form.status_code == 200 and 'data-testid="price_request"' in text(form)
    session.expire_all()
    assert count(session, Agreement) == 0


def test_no_price_is_asked_for_a_taken_unit(session, b1, unit_no, agent):
    unit = unit_no(b1, "1201")  # demo: subscribed
    with pytest.raises(DomainError, match="no price can be asked"):
        price_requests.request_price(session, unit.id, "1000000", "x", agent=agent)
