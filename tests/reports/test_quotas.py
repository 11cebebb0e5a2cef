"""Sales quotas: set a monthly target, the board measures achievement, collection rate and new
customers against configurable KPI thresholds; bad input is refused with nothing saved."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from pos.audit.models import AuditEntry
from pos.cashier import services as cashier
from pos.catalog.models import Product
from pos.customers.models import Customer
from pos.errors import DomainError
from pos.reports import quotas
from pos.reports.models import Quota
from pos.sales import services as sales
from tests.conftest import login_as, staff_by_no


@pytest.fixture
def month(session):
    return quotas.parse_month(session, None)


def _sale(session, clerk_no: str, pay: bool, once: str):
    clerk = staff_by_no(clerk_no)
    product = session.scalar(select(Product).where(Product.list_price > 100).order_by(Product.id).limit(1))
    v = sales.open_draft(session, clerk)
    sales.add_line(session, v, product.id, "2", str(product.list_price), actor=clerk)
    sales.write_up(session, v, actor=clerk)
    session.commit()
    if pay:
        cashier.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key=once,
                             others=[cashier.OtherTender("card", str(v.total), reference=once)])
        session.commit()
    return v


def test_board_measures_against_the_target(session, open_shift, month, english):
    open_shift()
    # the demo data may already credit C001 with customers this quarter (visitors of the sales office)
    already = next(r for r in quotas.board(session, month).rows if r.staff.staff_no == "C001").new_customers
    paid = _sale(session, "C001", True, "q1")
    _sale(session, "C001", False, "q2")  # written up, not paid: lowers the collection rate
    session.add(Customer(name="新客户", phone="13900000001", created_by_id=staff_by_no("C001").id))
    manager = staff_by_no("M001")
    quotas.set_quota(session, staff_by_no("C001").id, month, str(paid.total * 2), "8", manager=manager)
    session.commit()
    board = quotas.board(session, month)
    row = next(r for r in board.rows if r.staff.staff_no == "C001")
    assert row.achieved == paid.total and row.achievement == Decimal("50.0")
    assert row.pieces == Decimal("2.000") and row.units_achievement == Decimal("25.0")
    assert row.collection_rate == Decimal("50.0") and row.new_customers == already + 1
    quotas.set_thresholds(session, "100", "90", str(already + 2), manager=manager)
    above = quotas.board(session, month).above(row)
    assert above == {"achievement": False, "units": False, "collection": False, "customers": False}
    quotas.set_thresholds(session, "50", "40", str(already + 1), manager=manager)
    assert quotas.board(session, month).above(row) == {
        "achievement": True, "units": False, "collection": True, "customers": True}
    # changing a target rewrites it and the audit log keeps the old value
    quotas.set_quota(session, staff_by_no("C001").id, month, str(paid.total), "", manager=manager)
    session.commit()
    assert session.scalar(select(func.count(Quota.id))) == 1
    assert quotas.board(session, month).rows[0].achievement == Decimal("100.0")
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.kind == "reports.quota_set")) == 2


@pytest.mark.parametrize("amount,units", [("-100", ""), ("abc", ""), ("1e9", ""), ("100000000", ""),
                                          ("100", "-1"), ("100", "2.5"), ("100", "999999")])
def test_bad_targets_are_refused(session, month, english, amount, units):
    with pytest.raises(DomainError):
        quotas.set_quota(session, staff_by_no("C001").id, month, amount, units, manager=staff_by_no("M001"))
    session.rollback()
    assert session.scalar(select(func.count(Quota.id))) == 0


@pytest.mark.parametrize("values", [("0", "90", "10"), ("100", "101", "10"), ("100", "90", "-1"),
                                    ("100", "90", "2.5"), ("x", "90", "10"), ("NaN", "90", "10")])
def test_bad_thresholds_are_refused(session, english, values):
    before = quotas.thresholds(session)
    with pytest.raises(DomainError):
        quotas.set_thresholds(session, *values, manager=staff_by_no("M001"))
    session.rollback()
    assert quotas.thresholds(session) == before


@pytest.mark.parametrize("raw", ["2026-13", "banana", "1999-12", "3000-01", "2026"])
def test_bad_months_are_refused(session, english, raw):
    with pytest.raises(DomainError):
        quotas.parse_month(session, raw)


def test_quota_screens(client, session, month):
    login_as(client, "M001")
    body = client.get("/reports/quotas").get_data(as_text=True)
    assert "销售定额" in body and "李晓梅" in body and "回款率" in body
    c001 = staff_by_no("C001").id
    resp = client.post(f"/reports/quotas/{month}/{c001}", data={"amount": "-5", "units": ""})
    assert resp.status_code == 422 and "定额不能为负数" in resp.get_data(as_text=True)
    assert 'value="-5"' in resp.get_data(as_text=True)  # what was typed stays
    assert session.scalar(select(func.count(Quota.id))) == 0
    assert client.post(f"/reports/quotas/{month}/{c001}", data={"amount": "150000", "units": "30"}).status_code == 303
    assert 'value="150000"' in client.get(f"/reports/quotas?month={month}").get_data(as_text=True)
    resp = client.post("/reports/quotas/thresholds", data={"achievement": "100", "collection_rate": "120",
                                                           "new_customers": "5", "month": str(month)})
    assert resp.status_code == 422 and "回款率" in resp.get_data(as_text=True)
    good = {"achievement": "100", "collection_rate": "85", "new_customers": "5", "month": str(month)}
    assert client.post("/reports/quotas/thresholds", data=good).status_code == 303
    assert quotas.thresholds(session).collection_rate == Decimal("85")
    assert client.get("/reports/quotas?month=2026-13").status_code == 422
    assert client.post(f"/reports/quotas/2026-13/{c001}", data={"amount": "1"}).status_code == 422


def test_a_clerk_cannot_set_quotas(client, session, month):
    login_as(client, "C001")
    assert client.get("/reports/quotas").status_code == 403
    assert client.post(f"/reports/quotas/{month}/{staff_by_no('C001').id}", data={"amount": "1"}).status_code == 403
    assert session.scalar(select(func.count(Quota.id))) == 0


def test_quota_board_chart_and_export(client, session, month):
    from io import BytesIO

    from openpyxl import load_workbook

    login_as(client, "M001")
    c001 = staff_by_no("C001").id
    client.post(f"/reports/quotas/{month}/{c001}", data={"amount": "150000", "units": "30"})
    body = client.get(f"/reports/quotas?month={month}").get_data(as_text=True)
    assert 'data-testid="quota-chart"' in body and "stroke-dasharray" in body  # the 100 % line
    book = load_workbook(BytesIO(client.get(f"/reports/quotas.xlsx?month={month}").data))
    rows = {r[0]: r for r in book.active.iter_rows(min_row=3, values_only=True)}
    assert rows["C001"][2] == 150000 and rows["C001"][5] == 30
    assert client.get("/reports/quotas.xlsx?month=nope").status_code == 422
