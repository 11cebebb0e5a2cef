"""The monthly appraisal (绩效考核) and bonus: the measures against the thresholds, the bonus by the
rules (exact to the fen), collision deductions, the manager's adjustments with their history, approval
that freezes the month (twice: 409; adjusting an approved month: 409), the A4 sheet and the payroll
.xlsx, the yearly view, and the dashboard's 环比/同比; bad input refused with nothing saved."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from pos.audit.models import AuditEntry
from pos.cashier import services as cashier
from pos.catalog.models import Product
from pos.clock import utcnow
from pos.customers.models import Collision, Customer
from pos.errors import Conflict, DomainError
from pos.reports import appraisal, quotas
from pos.reports.appraisal_models import AppraisalAdjustment, AppraisalLine, AppraisalMonth
from pos.sales import services as sales
from pos.sales.models import Voucher
from pos.shop import services as shop
from tests.conftest import login_as, staff_by_no
from tests.helpers import row_counts


@pytest.fixture
def month(session):
    return quotas.parse_month(session, None)


def _sale(session, clerk_no: str, *, phone: str | None = None, pay: bool = True, once: str = "",
          day=None) -> Voucher:
    clerk = staff_by_no(clerk_no)
    product = session.scalar(select(Product).where(Product.list_price > 100).order_by(Product.id).limit(1))
    v = sales.open_draft(session, clerk)
    sales.add_line(session, v, product.id, "2", str(product.list_price), actor=clerk)
    if phone:
        sales.set_customer(session, v, phone=phone, name="顾客", actor=clerk)
    sales.write_up(session, v, actor=clerk)
    session.commit()
    if pay:
        cashier.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key=once or f"k-{v.no}",
                             others=[cashier.OtherTender("card", str(v.total), reference=once or v.no)])
        session.commit()
    if day is not None:  # a purchase of another month, for retention (the voucher's day only)
        session.execute(update(Voucher).where(Voucher.id == v.id).values(business_day=day))
        session.commit()
    return v


def _sheet(a, staff_no):
    return next(s for s in a.sheets if s.staff.staff_no == staff_no)


def _after(monkeypatch, month):
    """Today is the first day after ``month``: it may be approved."""
    monkeypatch.setattr(shop, "business_today", lambda session: month.last + timedelta(days=1))


def test_measures_and_bonus_by_the_rules(session, open_shift, month, english):
    open_shift()
    v = _sale(session, "C001", phone="13900000011")
    _sale(session, "C001", pay=False)  # written up, unpaid: halves the collection rate
    manager = staff_by_no("M001")
    target = (v.total / 2).quantize(Decimal("0.01"))
    quotas.set_quota(session, staff_by_no("C001").id, month, str(target), "", manager=manager)
    session.commit()
    s = _sheet(appraisal.month_appraisal(session, month), "C001")
    assert s.net_sales == v.total and s.target == target and s.achievement == Decimal("200.0")
    assert s.collection_rate == Decimal("50.0")
    # defaults: 1 % of net sales, and 25 % more on the part above the target
    assert s.sales_bonus == (v.total / 100).quantize(Decimal("0.01"))
    excess = v.total - target
    assert s.excess_bonus == (excess * Decimal("0.01") * Decimal("0.25")).quantize(Decimal("0.01"))
    assert s.bonus == s.sales_bonus + s.excess_bonus and s.deduction == 0
    values = appraisal.rule_values(appraisal.rules(session))
    appraisal.set_rules(session, {**values, "bonus.sales_rate": "2", "bonus.excess_extra": "30"}, manager=manager)
    session.commit()
    s = _sheet(appraisal.month_appraisal(session, month), "C001")
    assert s.sales_bonus == (v.total * 2 / 100).quantize(Decimal("0.01"))
    assert s.excess_bonus == (excess * Decimal("0.02") * Decimal("0.30")).quantize(Decimal("0.01"))
    # a collision ruled this month takes its percentage of the bonus
    c001, c002 = staff_by_no("C001"), staff_by_no("C002")
    customer = session.scalar(select(Customer).limit(1))
    session.add(Collision(customer_id=customer.id, owner_id=c001.id, other_id=c002.id, status="ruled",
                          ruling="manager", deduction_pct=10, ruled_by_id=manager.id, ruled_at=utcnow()))
    session.commit()
    s = _sheet(appraisal.month_appraisal(session, month), "C001")
    assert s.deduction_pct == 10
    assert s.deduction == ((s.sales_bonus + s.excess_bonus) / 10).quantize(Decimal("0.01"))
    assert s.bonus == s.sales_bonus + s.excess_bonus - s.deduction
    assert isinstance(s.bonus, Decimal)
    assert session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.kind == "reports.appraisal_rules_set")) == 1


def test_retention_counts_last_months_customers_who_bought_again(session, open_shift, month, english):
    open_shift()
    last_month = month.previous().first + timedelta(days=3)
    _sale(session, "C001", phone="13900000021", day=last_month)
    _sale(session, "C001", phone="13900000022", day=last_month)
    _sale(session, "C001", phone="13900000021")  # came back this month
    _sale(session, "C001", phone="13900000023")  # new this month: not in the base
    s = _sheet(appraisal.month_appraisal(session, month), "C001")
    assert (s.retained, s.retention_base, s.retention) == (1, 2, Decimal("50.0"))
    assert s.marks(appraisal.rules(session))["retention"] is False  # 85 % by default
    values = appraisal.rule_values(appraisal.rules(session))
    appraisal.set_rules(session, {**values, "kpi.retention": "50"}, manager=staff_by_no("M001"))
    assert s.marks(appraisal.rules(session))["retention"] is True


@pytest.mark.parametrize("key,value", [("bonus.sales_rate", "50"), ("bonus.sales_rate", "-1"),
                                       ("bonus.excess_extra", "101"), ("bonus.excess_extra", "abc"),
                                       ("kpi.retention", "101"), ("kpi.satisfaction", "NaN"),
                                       ("kpi.tickets_on_time", ""), ("kpi.new_customers_quarter", "2.5"),
                                       ("bonus.sales_rate", "1.001")])
def test_a_rule_out_of_range_is_refused(session, english, key, value):
    before = appraisal.rules(session)
    values = appraisal.rule_values(before)
    with pytest.raises(DomainError) as refused:
        appraisal.set_rules(session, {**values, key: value}, manager=staff_by_no("M001"))
    assert refused.value.field == key and refused.value.status == 422
    session.rollback()
    assert appraisal.rules(session) == before


def test_adjust_approve_and_the_month_is_frozen(session, month, monkeypatch, english):
    previous = month.previous()
    manager = staff_by_no("M001")
    c001 = staff_by_no("C001")
    with pytest.raises(DomainError):  # the month is not over
        appraisal.approve(session, month, manager=manager)
    session.rollback()
    adj = appraisal.adjust(session, previous, c001.id, "200", "带新人", manager=manager)
    appraisal.adjust(session, previous, c001.id, "-50.5", "迟到", manager=manager)
    session.commit()
    s = _sheet(appraisal.month_appraisal(session, previous), "C001")
    assert s.adjustment == Decimal("149.50") and [a.reason for a in s.adjustments] == ["带新人", "迟到"]
    assert s.bonus == s.computed_bonus + Decimal("149.50")
    for amount, reason in (("0", "无"), ("abc", "理由"), ("2000000", "太多"), ("100", ""), ("100", " "),
                           ("-100000", "扣到负数")):
        with pytest.raises(DomainError):
            appraisal.adjust(session, previous, c001.id, amount, reason, manager=manager)
        session.rollback()
    with pytest.raises(DomainError):  # nobody's appraisal
        appraisal.adjust(session, previous, 999999, "10", "理由", manager=manager)
    session.rollback()
    assert session.scalar(select(func.count(AppraisalAdjustment.id))) == 2
    row = appraisal.approve(session, previous, manager=manager)
    session.commit()
    assert row.approved_at is not None and adj.month_id == row.id
    stored = session.scalar(select(AppraisalLine).where(AppraisalLine.month_id == row.id,
                                                        AppraisalLine.staff_id == c001.id))
    assert stored.bonus == s.bonus and stored.adjustment == Decimal("149.50")
    with pytest.raises(Conflict) as twice:
        appraisal.approve(session, previous, manager=manager)
    assert twice.value.status == 409
    session.rollback()
    with pytest.raises(Conflict):
        appraisal.adjust(session, previous, c001.id, "10", "再调", manager=manager)
    session.rollback()
    assert session.scalar(select(func.count(AppraisalMonth.id))) == 1
    assert session.scalar(select(func.count(AppraisalAdjustment.id))) == 2
    # frozen: new rules do not change an approved month
    values = appraisal.rule_values(appraisal.rules(session))
    appraisal.set_rules(session, {**values, "bonus.sales_rate": "5"}, manager=manager)
    session.commit()
    frozen = appraisal.month_appraisal(session, previous)
    assert frozen.approved and frozen.rules.sales_rate == Decimal("1") and _sheet(frozen, "C001").bonus == s.bonus


def test_satisfaction_and_tickets_show_no_data_until_after_sales_has_them(client, session, month, monkeypatch):
    monkeypatch.setattr(appraisal, "_survey_source", lambda: None)
    monkeypatch.setattr(appraisal, "_tickets_source", lambda: None)
    login_as(client, "M001")
    body = client.get(f"/reports/appraisal?month={month}").get_data(as_text=True)
    assert "暂无数据" in body and 'data-testid="no-data-note"' in body
    c001 = staff_by_no("C001").id
    monkeypatch.setattr(appraisal, "_survey_source", lambda: lambda s, a, b: {c001: (10, 9)})
    monkeypatch.setattr(appraisal, "_tickets_source", lambda: lambda s, a, b: {c001: (4, 3)})
    a = appraisal.month_appraisal(session, month)
    s = _sheet(a, "C001")
    assert s.satisfaction == Decimal("90.0") and s.on_time == Decimal("75.0")
    assert s.marks(a.rules)["satisfaction"] is True and s.marks(a.rules)["tickets"] is False
    body = client.get(f"/reports/appraisal?month={month}").get_data(as_text=True)
    assert 'data-testid="no-data-note"' not in body and "90%" in body and "75%" in body


def test_the_screens(client, session, month, monkeypatch, open_shift):
    open_shift()
    _sale(session, "C001", phone="13900000031")
    login_as(client, "M001")
    body = client.get(f"/reports/appraisal?month={month}").get_data(as_text=True)
    assert "绩效考核" in body and "李晓梅" in body and "留存率" in body
    c001 = staff_by_no("C001").id
    assert client.get(f"/reports/appraisal/{month}/{c001}").status_code == 200
    assert client.get(f"/reports/appraisal/{month}/999999").status_code == 404
    assert client.get(f"/reports/appraisal/2026-13/{c001}").status_code == 404
    assert client.get("/reports/appraisal?month=banana").status_code == 422
    assert client.get(f"/reports/appraisal/year?year={month.year}").status_code == 200
    assert client.get("/reports/appraisal/year?year=1999").status_code == 422
    # a rate out of range: 422, the message, what was typed kept, nothing saved
    values = appraisal.rule_values(appraisal.rules(session))
    before = row_counts(session)
    resp = client.post("/reports/appraisal/rules", data={**values, "bonus.sales_rate": "50", "month": str(month)})
    assert resp.status_code == 422 and "提成比例" in resp.get_data(as_text=True)
    assert 'value="50"' in resp.get_data(as_text=True)
    assert row_counts(session) == before and appraisal.rules(session).sales_rate == Decimal("1")
    assert client.post("/reports/appraisal/rules", data={**values, "bonus.excess_extra": "30",
                                                         "month": str(month)}).status_code == 303
    assert appraisal.rules(session).excess_extra == Decimal("30")
    # adjust with a reason; without one: 422, nothing saved
    resp = client.post(f"/reports/appraisal/{month}/{c001}/adjust", data={"amount": "100", "reason": ""})
    assert resp.status_code == 422 and session.scalar(select(func.count(AppraisalAdjustment.id))) == 0
    assert client.post(f"/reports/appraisal/{month}/{c001}/adjust",
                       data={"amount": "100", "reason": "月度之星"}).status_code == 303
    assert "月度之星" in client.get(f"/reports/appraisal/{month}/{c001}").get_data(as_text=True)
    # the month is not over: approval refused
    assert client.post(f"/reports/appraisal/{month}/approve").status_code == 422
    _after(monkeypatch, month)
    assert client.post(f"/reports/appraisal/{month}/approve").status_code == 303
    before = row_counts(session)
    resp = client.post(f"/reports/appraisal/{month}/approve")
    assert resp.status_code == 409 and str(month) in resp.get_data(as_text=True)
    resp = client.post(f"/reports/appraisal/{month}/{c001}/adjust", data={"amount": "5", "reason": "再调一次"})
    assert resp.status_code == 409
    assert row_counts(session) == before
    # the A4 sheet and the payroll workbook (audited)
    pdf = client.get(f"/reports/appraisal/{month}/{c001}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data[:4] == b"%PDF"
    resp = client.post(f"/reports/appraisal/{month}/payroll.xlsx")
    assert resp.status_code == 200
    rows = {r[0]: r for r in load_workbook(BytesIO(resp.data)).active.iter_rows(min_row=3, values_only=True)}
    stored = session.scalar(select(AppraisalLine.bonus).where(AppraisalLine.staff_id == c001))
    assert Decimal(str(rows["C001"][9])) == stored
    assert session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.kind == "reports.appraisal_exported")) == 1


def test_a_clerk_sees_none_of_it(client, session, month):
    login_as(client, "C001")
    c001 = staff_by_no("C001").id
    for path in (f"/reports/appraisal?month={month}", f"/reports/appraisal/{month}/{c001}",
                 f"/reports/appraisal/{month}/{c001}.pdf", "/reports/appraisal/year"):
        assert client.get(path).status_code == 403
    before = row_counts(session)
    for path in (f"/reports/appraisal/{month}/payroll.xlsx", f"/reports/appraisal/{month.previous()}/approve",
                 f"/reports/appraisal/{month}/{c001}/adjust"):
        assert client.post(path, data={"amount": "100", "reason": "自己加"}).status_code == 403
    assert row_counts(session) == before


def test_dashboard_compares_with_the_month_and_the_year_before(client, session, open_shift):
    open_shift()
    v = _sale(session, "C001", phone="13900000041")
    today = shop.business_today(session)
    rows = appraisal.comparisons(session, today - timedelta(days=6), today)
    takings_row, buyers, satisfaction = rows
    assert takings_row.now == v.total and takings_row.month_before == 0 and takings_row.mom is None
    assert buyers.now == 1
    login_as(client, "M001")
    body = client.get("/reports/dashboard?days=7").get_data(as_text=True)
    assert 'data-testid="comparisons"' in body and "环比" in body and "同比" in body


def test_the_after_sales_measures_come_from_after_sales():
    """Satisfaction from the return visits, tickets on time from the tickets (each per person)."""
    from pos.aftersales import tickets, visits

    assert appraisal._survey_source() is visits.satisfaction_by_person
    assert appraisal._tickets_source() is tickets.resolved_on_time
