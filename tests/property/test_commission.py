"""Sales commission (售房激励金): the project's rate on the contract amount, paid in proportion to what
was collected; later months pay only the difference; collision deductions from the agent's base pay;
the month's report frozen once the manager approves it; .xlsx."""

from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from pos.clock import local_today
from pos.errors import Conflict, DomainError, Forbidden
from pos.property import agreements, commission, contracts, escrow
from pos.property.sale_models import CommissionLine, EscrowPayment
from tests.conftest import login_as
from tests.helpers import count, text
from tests.property.test_contracts import data, desk, in_force  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("english")


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@pytest.fixture
def signed(session, in_force, agent, manager):  # noqa: F811
    agreements.set_terms(session, in_force.project_id, actor=manager, commission_rate_pct="0.5")
    c = contracts.create_contract(session, in_force.id, data(in_force), actor=agent)
    contracts.sign_contract(session, c.id, actor=agent)
    session.commit()
    return c


def _backdate(session, contract, day):
    """Move the contract and its payments into an earlier month (as if signed and paid then)."""
    from pos.clock import local_day_bounds

    session.execute(update(EscrowPayment).values(value_date=day))
    contract.signed_at = local_day_bounds(day)[0] + timedelta(hours=3)
    session.flush()


def test_commission_in_proportion_to_collection(session, signed, agent, desk):  # noqa: F811
    # collected so far: the deposit (50,000.00) of 4,004,644.00 → 0.5 % × 50,000.00 = 250.00
    report = commission.compute(session, None)
    line = report.agents[0].lines[0]
    assert report.agents[0].agent.id == agent.id and line.kind == "commission"
    assert line.amount == Decimal("250.00")
    down = signed.items[0]
    escrow.take_payment(session, signed.agreement_id, escrow.PaymentInput(item=f"down_payment:{down.id}",
                                                                          amount=str(down.amount), method="card",
                                                                          reference="77001"),
                        cashier=desk, once_key="dp")
    report = commission.compute(session, None)
    assert report.agents[0].total == ((Decimal("50000.00") + down.amount) * Decimal("0.005")).quantize(Decimal("0.01"))


def test_an_approved_month_is_frozen_and_the_next_pays_the_difference(session, signed, agent, manager, desk):  # noqa: F811,E501
    last_month = (signed.created_at.date().replace(day=1) - timedelta(days=1)).replace(day=10)
    _backdate(session, signed, last_month)
    with pytest.raises(Forbidden):
        commission.approve(session, month_of(last_month), manager=agent)
    row = commission.approve(session, month_of(last_month), manager=manager)
    assert [line.amount for line in row.lines] == [Decimal("250.00")]
    with pytest.raises(Conflict, match="already approved"):
        commission.approve(session, month_of(last_month), manager=manager)
    # more money comes in this month: the approved month does not change, this month pays the rest
    down = signed.items[0]
    escrow.take_payment(session, signed.agreement_id, escrow.PaymentInput(item=f"down_payment:{down.id}",
                                                                          amount="100000", method="card",
                                                                          reference="77002"),
                        cashier=desk, once_key="dp2")
    frozen = commission.compute(session, month_of(last_month))
    assert frozen.approved is not None and frozen.agents[0].total == Decimal("250.00")
    now = commission.compute(session, None)
    assert now.agents[0].total == Decimal("500.00")  # 0.5 % × 150,000.00 − 250.00 already paid
    with pytest.raises(DomainError, match="not over yet"):
        commission.approve(session, None, manager=manager)
    assert count(session, CommissionLine) == 1


def test_collision_deductions_from_base_pay(session, signed, agent, agent2, manager, monkeypatch):  # noqa: F811
    commission.set_base_pay(session, agent2.id, "5000", manager=manager)
    monkeypatch.setattr(commission, "_deductions", lambda s, first, last: ({agent2.id: 30}, True))
    report = commission.compute(session, None)
    mine = next(a for a in report.agents if a.agent.id == agent2.id)
    assert mine.total == Decimal("-1500.00") and mine.deducted == Decimal("1500.00")


def test_bad_month_and_bad_pay_are_refused(session, manager, agent):
    with pytest.raises(DomainError, match="Not a month"):
        commission.compute(session, "2026-13")
    with pytest.raises(DomainError, match="not a number"):
        commission.set_base_pay(session, agent.id, "abc", manager=manager)


def test_web_report_xlsx_and_approval(app, client, session, signed):
    login_as(client, "M001")
    page = client.get("/property/commission")
    assert page.status_code == 200 and "250.00" in text(page)
    assert client.get("/property/commission?month=nope").status_code == 422
    xlsx = client.get("/property/commission/month.xlsx")
    assert xlsx.status_code == 200
    rows = list(load_workbook(BytesIO(xlsx.data)).active
                .iter_rows(values_only=True))
    assert rows[2][5] == 250 and rows[-1][2] == "总计"
    early = client.post("/property/commission/approve", data={"month": month_of(local_today())})
    assert early.status_code == 422 and count(session, CommissionLine) == 0
    login_as(client, "C002")
    other = client.get("/property/commission")
    assert other.status_code == 200 and "250.00" not in text(other)  # an agent sees only their own
    assert client.post("/property/commission/approve", data={"month": "2020-01"}).status_code == 403
