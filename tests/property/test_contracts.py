"""Purchase contracts from agreements in force: the schedule adds up to the price with the deposit
credited, sign → file (with the filing number, counted down from day 25 of 30) → hand over, the
finance desk takes the schedule items, late fees accrue, the area difference is settled."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from pos.clock import local_today
from pos.errors import Conflict, DomainError, Forbidden
from pos.property import agreements, contracts, escrow
from pos.property.models import CONTRACTED, FILED, SOLD
from pos.property.sale_models import Contract
from tests.conftest import CASHIER, login_as, staff_by_no
from tests.helpers import count, row_counts, text
from tests.property.test_agreements import typed

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def desk(open_shift):
    open_shift()
    return staff_by_no(CASHIER)


@pytest.fixture
def in_force(session, b1, unit_no, agent, desk):
    unit = unit_no(b1, "101")
    a = agreements.create_agreement(session, unit.id, typed(unit, deposit="50000"), actor=agent)
    escrow.take_payment(session, a.id, escrow.PaymentInput(item="deposit", amount="50000", method="card",
                                                           reference="882301"), cashier=desk, once_key="dep")
    session.commit()
    assert a.state == "in_force"
    return a


def schedule(a, down="1000000", first=1, loan_days=60):
    today = local_today()
    rest = a.total_price - a.deposit - Decimal(down)
    return [contracts.ItemInput("down_payment", (today + timedelta(days=first)).isoformat(), down),
            contracts.ItemInput("loan", (today + timedelta(days=loan_days)).isoformat(), str(rest))]


def data(a, **over):
    d = dict(items=schedule(a), delivery_date=(local_today() + timedelta(days=700)).isoformat(),
             loan_bank="中国工商银行浦东支行", loan_rate="3.5", loan_years="30")
    d.update(over)
    return contracts.ContractInput(**d)


def test_contract_from_an_agreement_in_force(session, in_force, agent):
    c = contracts.create_contract(session, in_force.id, data(in_force), actor=agent)
    session.flush()
    assert c.no.endswith("-00001") and c.state == "draft" and in_force.state == "converted"
    assert c.deposit_credited == Decimal("50000.00")
    assert sum(i.amount for i in c.items) + c.deposit_credited == c.total_price
    rows, totals = contracts.contract_plan(c)
    assert len(rows) == 360 and totals.principal == c.loan_amount
    # the deposit is no longer due at the desk; the schedule items are, once the contract is signed
    assert escrow.dues(session, in_force) == []
    contracts.sign_contract(session, c.id, actor=agent)
    assert c.unit.status == CONTRACTED
    assert [d.kind for d in escrow.dues(session, in_force)] == ["down_payment", "loan"]


def test_the_schedule_must_add_up(session, in_force, agent):
    items = schedule(in_force)
    items[1].amount = str(Decimal(items[1].amount) - Decimal("0.01"))
    before = row_counts(session)
    with pytest.raises(DomainError, match="0.01 short"):
        contracts.create_contract(session, in_force.id, data(in_force, items=items), actor=agent)
    session.rollback()
    assert row_counts(session) == before


@pytest.mark.parametrize("over, message, field", [
    ({"delivery_date": "2001-01-01"}, "after today", "delivery_date"),
    ({"loan_bank": ""}, "lending bank", "loan_bank"),
    ({"loan_rate": "40"}, "at most 24%", "loan_rate"),
    ({"loan_rate": "3.455"}, "two decimals", "loan_rate"),
    ({"loan_years": "31"}, "out of range", "loan_years"),
])
def test_bad_contract_terms_are_refused(session, in_force, agent, over, message, field):
    with pytest.raises(DomainError, match=message) as refused:
        contracts.create_contract(session, in_force.id, data(in_force, **over), actor=agent)
    assert refused.value.field == field


def test_an_agreement_not_in_force_cannot_be_converted(session, b1, unit_no, agent):
    unit = unit_no(b1, "102")
    a = agreements.create_agreement(session, unit.id, typed(unit), actor=agent)
    with pytest.raises(DomainError, match="not in force"):
        contracts.create_contract(session, a.id, data(a), actor=agent)


def test_converted_twice_is_refused(session, in_force, agent):
    contracts.create_contract(session, in_force.id, data(in_force), actor=agent)
    with pytest.raises(Conflict, match="already has contract"):
        contracts.create_contract(session, in_force.id, data(in_force), actor=agent)


def test_filing_needs_a_signed_contract_and_a_unique_number(session, in_force, agent):
    c = contracts.create_contract(session, in_force.id, data(in_force), actor=agent)
    with pytest.raises(DomainError, match="not signed yet"):
        contracts.file_contract(session, c.id, "WQ2026-000123", actor=agent)
    contracts.sign_contract(session, c.id, actor=agent)
    with pytest.raises(DomainError, match="4 to 40"):
        contracts.file_contract(session, c.id, "x", actor=agent)
    contracts.file_contract(session, c.id, " wq2026-000123 ", actor=agent)
    assert (c.state, c.filing_no, c.unit.status) == ("filed", "WQ2026-000123", FILED)
    with pytest.raises(Conflict, match="already filed"):
        contracts.file_contract(session, c.id, "WQ2026-000124", actor=agent)
    contracts.hand_over(session, c.id, actor=staff_by_no("M001"))
    assert c.unit.status == SOLD


def test_filing_countdown_warns_from_day_25(session, in_force, agent):
    c = contracts.create_contract(session, in_force.id, data(in_force), actor=agent)
    contracts.sign_contract(session, c.id, actor=agent)
    signed = local_today()
    assert contracts.filing_countdown(c, signed).day == 1 and not contracts.filing_countdown(c, signed).warn
    assert not contracts.filing_countdown(c, signed + timedelta(days=23)).warn  # day 24
    day25 = contracts.filing_countdown(c, signed + timedelta(days=24))
    assert day25.day == 25 and day25.warn and day25.days_left == 6 and not day25.overdue
    assert contracts.filing_countdown(c, signed + timedelta(days=30)).overdue


def test_the_desk_takes_the_down_payment_and_late_fees_accrue(session, in_force, agent, desk):
    c = contracts.create_contract(session, in_force.id, data(in_force), actor=agent)
    contracts.sign_contract(session, c.id, actor=agent)
    down = c.items[0]
    p = escrow.take_payment(session, in_force.id, escrow.PaymentInput(item=f"down_payment:{down.id}",
                                                                      amount="400000", method="card",
                                                                      reference="77001"),
                            cashier=desk, once_key="dp1")
    assert p.schedule_item_id == down.id and p.due_before == Decimal("1000000.00")
    states = dict((i.id, f) for i, f in contracts.schedule_states(session, c))
    assert states[down.id].state == "partly paid" and states[down.id].unpaid == Decimal("600000.00")
    # ten days after it fell due, 万分之5 a day on the 600,000.00 unpaid: 3,000.00
    later = contracts.schedule_states(session, c, as_of=down.due_date + timedelta(days=10))
    fee = dict((i.id, f) for i, f in later)[down.id]
    assert fee.state == "overdue" and fee.overdue_days == 10 and fee.fee == Decimal("3000.00")
    with pytest.raises(DomainError, match="more than the"):
        escrow.take_payment(session, in_force.id, escrow.PaymentInput(item=f"down_payment:{down.id}",
                                                                      amount="600000.01", method="card",
                                                                      reference="77002"),
                            cashier=desk, once_key="dp2")


def test_area_difference(session, in_force, agent):
    c = contracts.create_contract(session, in_force.id, data(in_force), actor=agent)
    with pytest.raises(DomainError, match="more than 0"):
        contracts.area_settlement(c, "0", "")
    r = contracts.area_settlement(c, str(c.gross_area + Decimal("5.00")), "")
    assert r.may_withdraw and r.buyer_pays > 0 and r.seller_bears > 0


# ------------------------------------------------------------------ screens
def test_web_contract_flow(app, client, session, in_force):
    login_as(client, "C001")
    page = client.get(f"/property/contracts/new?agreement={in_force.id}")
    assert page.status_code == 200
    form = {"delivery_date": (local_today() + timedelta(days=700)).isoformat(), "loan_bank": "工行",
            "loan_rate": "3.5", "loan_years": "25", "loan_method": "equal_principal"}
    for i, item in enumerate(schedule(in_force)):
        form.update({f"item_kind_{i}": item.kind, f"item_due_{i}": item.due_date, f"item_amount_{i}": item.amount})
    bad = client.post(f"/property/contracts/new?agreement={in_force.id}", data={**form, "item_amount_1": "1"})
    assert bad.status_code == 422 and "short" in text(bad) and count(session, Contract) == 0
    resp = client.post(f"/property/contracts/new?agreement={in_force.id}", data=form)
    assert resp.status_code == 303, text(resp)
    c = session.scalar(select(Contract))
    assert client.post(f"/property/contracts/{c.id}/file", data={"filing_no": "WQ1234"}).status_code == 422
    assert client.post(f"/property/contracts/{c.id}/sign").status_code == 303
    shown = client.get(f"/property/contracts/{c.id}")
    assert "day 1 of 30" in text(shown)
    assert client.post(f"/property/contracts/{c.id}/file", data={"filing_no": "WQ1234"}).status_code == 303
    shown = text(client.get(f"/property/contracts/{c.id}"))
    assert "WQ1234" in shown
    import html
    import re

    plan = html.unescape(re.search(r'href="([^"]+)" data-testid="plan-pdf"', shown).group(1))
    plan_pdf = client.get(plan)
    assert plan_pdf.status_code == 200 and plan_pdf.data.startswith(b"%PDF")
    page = text(client.get(f"/property/agreements/{in_force.id}"))
    assert c.no in page
    pdf = client.get(f"/property/contracts/{c.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    area = client.get(f"/property/contracts/{c.id}/area?measured_gross=-1")
    assert area.status_code == 422
    area_pdf = client.get(f"/property/contracts/{c.id}/area?measured_gross={c.gross_area - 1}&print=1")
    assert area_pdf.status_code == 200 and area_pdf.data.startswith(b"%PDF")


def test_web_another_agent_may_not_convert(app, client, in_force):
    login_as(client, "C002")
    resp = client.post(f"/property/contracts/new?agreement={in_force.id}", data={})
    assert resp.status_code == 403
    assert isinstance(Forbidden("x"), DomainError)


# ------------------------------------------------------------------ cancellation (退房)
def test_cancellation_needs_a_manager_and_makes_the_refund_due(session, in_force, agent, manager, desk):
    from pos.property import outcomes
    from pos.property.models import AVAILABLE, LOCKED

    c = contracts.create_contract(session, in_force.id, data(in_force), actor=agent)
    contracts.sign_contract(session, c.id, actor=agent)
    down = c.items[0]
    escrow.take_payment(session, in_force.id, escrow.PaymentInput(item=f"down_payment:{down.id}", amount="100000",
                                                                  method="card", reference="77001"),
                        cashier=desk, once_key="dp")
    assert contracts.paid_in(session, c) == Decimal("150000.00")
    session.commit()
    before = row_counts(session)
    with pytest.raises(Forbidden):
        contracts.cancel_contract(session, c.id, actor=agent, approver=agent, reason="x")
    with pytest.raises(DomainError, match="between 0 and what was paid"):
        contracts.cancel_contract(session, c.id, actor=agent, approver=manager, reason="x", refund="150000.01")
    with pytest.raises(DomainError, match="required"):
        contracts.cancel_contract(session, c.id, actor=agent, approver=manager, reason="")
    session.rollback()
    assert row_counts(session) == before
    change = contracts.cancel_contract(session, c.id, actor=agent, approver=manager, reason="买受人贷款未获批",
                                       refund="140000", lock_days="30")
    assert change.refund_due == Decimal("140000.00") and c.state == "cancelled"
    assert c.unit.status == LOCKED and services_claim_live(session, c) is None
    assert outcomes.refund_still_due(session, in_force) == Decimal("140000.00")
    assert escrow.dues(session, in_force) == []  # nothing more is taken on a cancelled contract
    p = outcomes.pay_refund(session, in_force.id, method="transfer", reference="TK7788", cashier=desk, once_key="rf")
    assert p.amount == Decimal("-140000.00") and outcomes.refund_still_due(session, in_force) == 0
    with pytest.raises(Conflict):
        contracts.cancel_contract(session, c.id, actor=agent, approver=manager, reason="again")
    assert AVAILABLE != LOCKED


def services_claim_live(session, contract):
    from pos.property import services

    return services.live_claim(session, contract.unit_id)


def test_web_cancellation_with_the_managers_pin(app, client, session, in_force, agent, manager):
    c = contracts.create_contract(session, in_force.id, data(in_force), actor=agent)
    session.commit()
    login_as(client, "C001")
    form = {"manager_id": manager.id, "manager_pin": "0000", "reason": "退房", "refund": "", "lock_days": "0"}
    bad = client.post(f"/property/contracts/{c.id}/cancel", data=form)
    assert bad.status_code in (401, 403, 422)
    session.expire_all()
    assert session.get(Contract, c.id).state == "draft"
    ok = client.post(f"/property/contracts/{c.id}/cancel", data={**form, "manager_pin": "9001"})
    assert ok.status_code == 303
    session.expire_all()
    assert session.get(Contract, c.id).state == "cancelled"
