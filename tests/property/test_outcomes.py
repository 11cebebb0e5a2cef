"""Agreements past their deadline without a contract: listed for the manager, who records the
outcome — buyer withdrew (deposit forfeited), seller withdrew (refunded double), no fault
(refunded) — as a new record; the unit is freed or locked; the finance desk pays the refund once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from pos.clock import local_today
from pos.errors import Conflict, DomainError, Forbidden
from pos.property import contracts, escrow, outcomes
from pos.property.models import AVAILABLE, LOCKED
from pos.property.sale_models import AgreementOutcome, EscrowPayment
from tests.conftest import login_as
from tests.helpers import count, row_counts, text
from tests.property.test_contracts import data, desk, in_force  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("english")


def test_overdue_agreements_are_listed(session, in_force):  # noqa: F811
    assert outcomes.overdue_agreements(session) == []
    later = in_force.contract_deadline + timedelta(days=1)
    assert outcomes.overdue_agreements(session, later) == [in_force]


@pytest.mark.parametrize("outcome, refund, kept", [
    ("buyer_withdrew", "0.00", "50000.00"),
    ("seller_withdrew", "100000.00", "0.00"),
    ("no_fault", "50000.00", "0.00"),
])
def test_outcomes_make_the_right_money_records(session, in_force, manager, desk, outcome, refund, kept):  # noqa: F811
    row = outcomes.end_agreement(session, in_force.id, outcome, manager=manager, reason="逾期未签约")
    session.flush()
    assert (row.deposit_paid, row.refund_due, row.kept_by_seller) == (Decimal("50000.00"), Decimal(refund),
                                                                      Decimal(kept))
    assert in_force.state == "ended" and in_force.unit.status == AVAILABLE
    assert in_force.claim.ended_at is not None
    if Decimal(refund):
        p = outcomes.pay_refund(session, in_force.id, method="transfer", reference="TK20261126", cashier=desk,
                                once_key="rf1")
        assert p.amount == -Decimal(refund) and p.kind == "refund"
        again = outcomes.pay_refund(session, in_force.id, method="transfer", reference="TK20261126", cashier=desk,
                                    once_key="rf1")
        assert again.id == p.id
        with pytest.raises(Conflict, match="Nothing is to be refunded"):
            outcomes.pay_refund(session, in_force.id, method="transfer", reference="TK22", cashier=desk,
                                once_key="rf2")
    else:
        with pytest.raises(Conflict, match="Nothing is to be refunded"):
            outcomes.pay_refund(session, in_force.id, method="transfer", reference="TK22", cashier=desk,
                                once_key="rf2")
    with pytest.raises(DomainError, match="has ended"):
        escrow.take_payment(session, in_force.id, escrow.PaymentInput(item="deposit", amount="1", method="card",
                                                                      reference="8888"), cashier=desk,
                            once_key="late")


def test_the_unit_can_be_locked_after_a_cancellation(session, in_force, manager):  # noqa: F811
    row = outcomes.end_agreement(session, in_force.id, "no_fault", manager=manager, reason="退房", lock_days="30")
    assert in_force.unit.status == LOCKED and row.unit_locked_until == local_today() + timedelta(days=30)
    assert in_force.unit.locked_until == row.unit_locked_until


def test_refused_rulings_save_nothing(session, in_force, agent, manager):  # noqa: F811
    before = row_counts(session)
    with pytest.raises(Forbidden):
        outcomes.end_agreement(session, in_force.id, "no_fault", manager=agent, reason="x")
    with pytest.raises(DomainError, match="Choose what happened"):
        outcomes.end_agreement(session, in_force.id, "whatever", manager=manager, reason="x")
    with pytest.raises(DomainError, match="required"):
        outcomes.end_agreement(session, in_force.id, "no_fault", manager=manager, reason=" ")
    with pytest.raises(DomainError, match="out of range"):
        outcomes.end_agreement(session, in_force.id, "no_fault", manager=manager, reason="x", lock_days="999")
    session.rollback()
    assert row_counts(session) == before


def test_a_converted_agreement_cannot_be_ended(session, in_force, agent, manager):  # noqa: F811
    contracts.create_contract(session, in_force.id, data(in_force), actor=agent)
    with pytest.raises(Conflict, match="already ended or become a contract"):
        outcomes.end_agreement(session, in_force.id, "buyer_withdrew", manager=manager, reason="x")


def test_web_manager_ends_and_the_cashier_refunds(app, client, session, in_force):  # noqa: F811
    login_as(client, "M001")
    assert client.get("/property/agreements/overdue").status_code == 200
    bad = client.post(f"/property/agreements/{in_force.id}/end", data={"outcome": "no_fault", "reason": ""})
    assert bad.status_code == 422 and count(session, AgreementOutcome) == 0
    ok = client.post(f"/property/agreements/{in_force.id}/end",
                     data={"outcome": "seller_withdrew", "reason": "开发商调整房源", "lock_days": "0"})
    assert ok.status_code == 303
    login_as(client, "S001")
    page = client.get(f"/property/escrow/agreements/{in_force.id}")
    assert 'data-testid="refund-due"' in text(page) and "100,000.00" in text(page)
    paid = client.post(f"/property/escrow/agreements/{in_force.id}/refund",
                       data={"method": "transfer", "reference": "TK778899", "once_key": "web-rf"})
    assert paid.status_code == 303
    session.expire_all()
    refund = session.scalar(select(EscrowPayment).where(EscrowPayment.kind == "refund"))
    assert refund.amount == Decimal("-100000.00")
    login_as(client, "C001")
    assert client.get("/property/agreements/overdue").status_code == 403
