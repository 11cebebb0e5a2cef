"""PostgreSQL: the collection rate summed in SQL (per item capped at what was due, never below zero)
gives the same figures as on SQLite — the deposit, and a down payment paid in part."""

from datetime import timedelta
from decimal import Decimal

import pytest

from pos.clock import local_today
from pos.extensions import db
from pos.property import collections, contracts, escrow
from pos.property.sale_models import Agreement
from pos.staff import services as staff_services
from tests.pg.test_pg_agreements import _setup_in_force

pytestmark = pytest.mark.pg


def test_collection_rate_on_postgresql(pg_app):
    session = db.session
    agreement_id, cashiers, _escrow = _setup_in_force(session, pg_app)
    desk = staff_services.by_number(session, cashiers[0])
    agent = staff_services.by_number(session, "C001")
    escrow.take_payment(session, agreement_id, escrow.PaymentInput(item="deposit", amount="50000", method="card",
                                                                   reference="REF1"), cashier=desk, once_key="dep")
    agreement = session.get(Agreement, agreement_id)
    today = local_today()
    rest = agreement.total_price - agreement.deposit
    c = contracts.create_contract(session, agreement_id, contracts.ContractInput(
        items=[contracts.ItemInput("down_payment", (today + timedelta(days=1)).isoformat(), "100000"),
               contracts.ItemInput("instalment", (today + timedelta(days=60)).isoformat(), str(rest - 100000))],
        delivery_date=(today + timedelta(days=700)).isoformat()), actor=agent)
    contracts.sign_contract(session, c.id, actor=agent)
    down = c.items[0]
    escrow.take_payment(session, agreement_id, escrow.PaymentInput(item=f"down_payment:{down.id}", amount="40000",
                                                                   method="card", reference="REF2"),
                        cashier=desk, once_key="dp")
    session.commit()

    rates = collections.collection(session, today, today + timedelta(days=1))
    # due: the deposit 50,000.00 and the down payment 100,000.00; in: 50,000.00 + 40,000.00
    assert (rates.overall.due, rates.overall.collected) == (Decimal("150000.00"), Decimal("90000.00"))
    assert rates.overall.rate == Decimal("60.0")
    assert rates.by_agent[agent.id].collected == Decimal("90000.00")
    assert rates.by_project[agreement.project_name].due == Decimal("150000.00")
    assert rates.agent_names[agent.id] == agent.full_name
    wider = collections.collection(session, today, today + timedelta(days=90))
    assert wider.overall.due == agreement.total_price
    assert wider.overall.collected == Decimal("90000.00")
