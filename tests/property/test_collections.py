"""Collections (房款回收): the collection rate = collected ÷ due for a period per agent, project and
overall; overdue schedule items with days and late fee; the quota board's rate covers property."""

from datetime import timedelta
from decimal import Decimal

import pytest

from pos.clock import local_today
from pos.property import collections, contracts, escrow
from tests.conftest import login_as
from tests.helpers import text
from tests.property.test_contracts import data, desk, in_force  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def signed(session, in_force, agent, desk):  # noqa: F811
    c = contracts.create_contract(session, in_force.id, data(in_force), actor=agent)
    contracts.sign_contract(session, c.id, actor=agent)
    down = c.items[0]
    escrow.take_payment(session, in_force.id, escrow.PaymentInput(item=f"down_payment:{down.id}", amount="400000",
                                                                  method="card", reference="77001"),
                        cashier=desk, once_key="dp1")
    session.commit()
    return c


def test_collection_rate_per_agent_project_and_overall(session, signed, agent):
    today = local_today()
    rates = collections.collection(session, today, today + timedelta(days=1))
    # due: the deposit (50,000.00) and the down payment (1,000,000.00); in: 50,000.00 + 400,000.00
    assert (rates.overall.due, rates.overall.collected) == (Decimal("1050000.00"), Decimal("450000.00"))
    assert rates.overall.rate == Decimal("42.9")
    assert rates.by_agent[agent.id].rate == Decimal("42.9")
    assert rates.by_project["翠湖湾花园"].due == Decimal("1050000.00")
    # the loan falls due later: a period holding it too
    wider = collections.collection(session, today, today + timedelta(days=90))
    assert wider.overall.due == signed.total_price
    # nothing due, no rate
    assert collections.collection(session, today - timedelta(days=40), today - timedelta(days=35)).overall.rate is None


def test_overdue_items_with_days_and_late_fee(session, signed, agent, agent2):
    later = local_today() + timedelta(days=11)  # the down payment fell due tomorrow: 10 days late
    late = collections.overdue(session, later)
    assert len(late) == 1 and late[0].item.kind == "down_payment"
    assert late[0].fee.overdue_days == 10 and late[0].fee.unpaid == Decimal("600000.00")
    assert late[0].fee.fee == Decimal("3000.00")  # 600,000.00 × 5/10,000 × 10 days
    assert collections.overdue(session, later, agent_id=agent2.id) == []
    assert collections.overdue(session) == []  # not yet due today


def test_quota_board_collection_rate_covers_property(session, signed, agent):
    from pos.reports import quotas

    month = quotas.parse_month(session, None)
    row = next(r for r in quotas.board(session, month).rows if r.staff.id == agent.id)
    assert row.due >= Decimal("50000.00") and row.collected >= Decimal("50000.00")


def test_web_collections_page(app, client, signed):
    login_as(client, "M001")
    page = client.get("/property/collections")
    assert page.status_code == 200 and 'data-testid="overall-rate"' in text(page)
    bad = client.get("/property/collections?first=2026-13-01")
    assert bad.status_code == 422
    login_as(client, "C001")
    assert client.get("/property/collections").status_code == 200
    login_as(client, "S001")
    assert client.get("/property/collections").status_code == 403
