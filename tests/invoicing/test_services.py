"""Invoices at the service: numbers, VAT that adds up, 补开, void and reissue, the platform."""

from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from pos.clock import local_today
from pos.errors import Conflict, DomainError, Forbidden
from pos.invoicing import services
from pos.invoicing.models import Invoice
from pos.sales import services as sales
from pos.shop.services import business_today
from tests.conftest import staff_by_no

pytestmark = pytest.mark.usefixtures("english")
BUYER = services.Buyer("周建华", "13800138001", "上海市浦东新区张杨路500号")


def count(session):
    return session.scalar(select(func.count(Invoice.id)))


def test_issue_with_vat_that_adds_up(session, paid):
    v = paid("1130.00", qty="3")
    inv = services.issue(session, [v.no], BUYER, preparer=staff_by_no("S001"))
    year = local_today().year
    assert inv.no == f"FP{year}-000001" and inv.total == Decimal("3390.00")
    line = inv.lines[0]
    assert line.amount == line.quantity * line.unit_price
    assert line.tax == Decimal("390.00") and line.amount_excl == Decimal("3000.00")  # 13 % inside 3,390
    assert inv.total_tax + inv.total_excl == inv.total
    assert inv.cashier_name == "陈静" and inv.preparer.full_name == "陈静" and inv.remark == ""
    assert v.customer.address == BUYER.address  # collected on the spot, saved to the customer
    second = services.issue(session, [paid("10.00").no], BUYER, preparer=staff_by_no("S001"))
    assert second.seq == inv.seq + 1


def test_tax_rounding_still_adds_up():
    for cents in range(1, 5000, 37):
        amount = Decimal(cents) / 100
        tax = services.split_tax(amount, 1300)
        assert (amount - tax) + tax == amount and tax.as_tuple().exponent == -2


def test_issued_later_says_buchai(session, paid):
    v = paid("100.00")
    v.business_day = local_today() - timedelta(days=3)
    session.commit()
    inv = services.issue(session, [v.no], BUYER, preparer=staff_by_no("S001"))
    assert inv.remark == "补开"


def _at_local(monkeypatch, day, hour):
    """Move the shop's clock to ``hour``:00 local time on ``day`` (the business day reads it)."""
    from datetime import UTC, datetime, time

    from pos.clock import shop_zone

    instant = datetime.combine(day, time(hour, 0), tzinfo=shop_zone()).astimezone(UTC)
    monkeypatch.setattr("pos.shop.services.utcnow", lambda: instant)


def test_invoice_date_and_buchai_use_the_business_day_late_evening(session, paid, monkeypatch):
    """Sold at 23:00, invoiced at 01:00 the next calendar day: the same business day (boundary 04:00),
    so the invoice is dated that day and is not 补开."""
    day = local_today() - timedelta(days=1)
    v = paid("100.00")
    v.business_day = day  # written up and paid at 23:00 on ``day``
    session.commit()
    _at_local(monkeypatch, day + timedelta(days=1), 1)
    inv = services.issue(session, [v.no], BUYER, preparer=staff_by_no("S001"))
    assert inv.issue_date == day and inv.remark == ""


def test_invoice_date_and_buchai_use_the_business_day_small_hours(session, paid, monkeypatch):
    """Sold at 02:00 (still the previous business day), invoiced at 10:00 the same calendar day:
    a later business day, so 补开, dated the day of issue."""
    today = local_today()
    v = paid("100.00")
    v.business_day = today - timedelta(days=1)  # 02:00 today belongs to yesterday's business day
    session.commit()
    _at_local(monkeypatch, today, 10)
    inv = services.issue(session, [v.no], BUYER, preparer=staff_by_no("S001"))
    assert inv.issue_date == today and inv.remark == "补开"


@pytest.mark.parametrize(("buyer", "message"), [
    (services.Buyer("", "13800138001", "地址"), "full name"),
    (services.Buyer("周", "12", "地址"), "digits"),
    (services.Buyer("周", "13800138001", ""), "address"),
    (services.Buyer("周", "13800138001", "地址", "abc"), "taxpayer"),
])
def test_bad_buyer(session, paid, buyer, message):
    v = paid()
    with pytest.raises(DomainError, match=message):
        services.issue(session, [v.no], buyer, preparer=staff_by_no("S001"))
    session.rollback()
    assert count(session) == 0


def test_refused_vouchers(session, write_up, paid, open_shift):
    unpaid = write_up("50.00")
    with pytest.raises(DomainError, match="not paid"):
        services.issue(session, [unpaid.no], BUYER, preparer=staff_by_no("S001"))
    sales.cancel(session, unpaid, "不要了", actor=staff_by_no("M001"))
    with pytest.raises(DomainError, match="cancelled"):
        services.issue(session, [unpaid.no], BUYER, preparer=staff_by_no("S001"))
    v = paid()
    services.issue(session, [v.no], BUYER, preparer=staff_by_no("S001"))
    with pytest.raises(Conflict, match="already on invoice"):
        services.issue(session, [v.no], BUYER, preparer=staff_by_no("S001"))
    other = paid(customer_phone="13900139002")
    mine = paid()
    with pytest.raises(DomainError, match="one customer"):
        services.issue(session, [other.no, mine.no], BUYER, preparer=staff_by_no("S001"))
    session.rollback()
    assert count(session) == 1


def test_cheque_not_cleared(session, write_up, open_shift):
    from pos.cashier import services as cashier
    open_shift()
    v = write_up("500.00")
    cashier.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="c1",
                         others=[cashier.OtherTender("cheque", "500", "123", "工行", "张三")])
    with pytest.raises(DomainError, match="not yet cleared"):
        services.issue(session, [v.no], BUYER, preparer=staff_by_no("S001"))


def test_several_vouchers_of_one_customer(session, paid):
    a, b = paid("100.00"), paid("200.00")
    inv = services.issue(session, [a.no, b.no], BUYER, preparer=staff_by_no("S001"))
    assert inv.total == Decimal("300.00") and len(inv.lines) == 2 and {x.no for x in inv.vouchers} == {a.no, b.no}


def test_void_and_reissue_chain(session, paid):
    v = paid()
    cashier = staff_by_no("S001")
    inv = services.issue(session, [v.no], BUYER, preparer=cashier)
    with pytest.raises(DomainError, match="Only a void invoice"):
        services.issue(session, [v.no], BUYER, preparer=cashier, replaces=inv)
    with pytest.raises(DomainError, match="Say why"):
        services.void(session, inv, " ", actor=cashier)
    services.void(session, inv, "抬头写错", actor=cashier)
    with pytest.raises(Conflict, match="already void"):
        services.void(session, inv, "again", actor=cashier)
    new = services.issue(session, [v.no], services.Buyer("周建华", "13800138001", "新地址"), preparer=cashier,
                         replaces=inv)
    assert new.seq == inv.seq + 1 and new.replaces == inv and inv.replaced_by == new
    assert services.chain(inv) == [inv, new] and services.chain(new) == [inv, new]
    assert inv.is_void and inv.total == new.total  # the void one is kept as it was
    with pytest.raises(Conflict, match="already reissued"):
        services.issue(session, [v.no], BUYER, preparer=cashier, replaces=inv)


def test_voiding_an_earlier_days_invoice_needs_a_manager(session, paid):
    inv = services.issue(session, [paid().no], BUYER, preparer=staff_by_no("S001"))
    session.execute(Invoice.__table__.update().where(Invoice.id == inv.id)
                    .values(issue_date=business_today(session) - timedelta(days=1)))
    session.expire_all()
    inv = session.get(Invoice, inv.id)
    with pytest.raises(Forbidden, match="only a manager"):
        services.void(session, inv, "错了", actor=staff_by_no("S001"))
    services.void(session, inv, "错了", actor=staff_by_no("M001"))


def test_platform_number(session, paid):
    inv = services.issue(session, [paid().no], BUYER, preparer=staff_by_no("S001"))
    for bad in ("123", "1234567890123456789a", "123456789012345678901"):
        with pytest.raises(DomainError, match="20 digits"):
            services.link_platform(session, inv, bad, actor=staff_by_no("S001"))
    services.link_platform(session, inv, "2531 2000 0000 0012 3456", actor=staff_by_no("S001"))
    assert inv.platform.number == "25312000000000123456"
    with pytest.raises(Conflict):
        services.link_platform(session, inv, "25312000000000123457", actor=staff_by_no("S001"))


def test_export_for_the_platform(session, paid):
    a = services.issue(session, [paid("1130.00").no], BUYER, preparer=staff_by_no("S001"))
    b = services.issue(session, [paid("226.00").no], BUYER, preparer=staff_by_no("S001"))
    services.void(session, b, "作废测试", actor=staff_by_no("S001"))
    today = business_today(session)  # invoices are dated into the business day (it may not be the calendar's)
    data = services.export_for_platform(session, today, today)
    rows = list(load_workbook(data).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("发票号码", "开票日期", "购买方名称", "购买方纳税人识别号")
    assert [r[0] for r in rows[1:]] == [a.no]  # void invoices are not exported
    assert rows[1][9:13] == ("1000.00", "0.13", "130.00", "1130.00")
    with pytest.raises(DomainError):
        services.export_for_platform(session, today, today - timedelta(days=1))


def test_find(session, paid):
    v = paid()
    inv = services.issue(session, [v.no], BUYER, preparer=staff_by_no("S001"))
    for q in (inv.no, v.no, "周建华", "13800138001"):
        assert services.find(session, query=q) == [inv]
    assert services.find(session, query="没有这个人") == []


def test_every_printed_line_adds_up_and_the_words_match(session, paid):
    from pos.invoicing.documents import invoice_document
    from pos.money import amount_in_words, format_money
    from printing.documents import preview_text

    a, b = paid("1680.32", qty="3"), paid("0.99", qty="7")
    inv = services.issue(session, [a.no, b.no], BUYER, preparer=staff_by_no("S001"))
    for line in inv.lines:
        assert line.amount == line.quantity * line.unit_price
        assert line.tax + line.amount_excl == line.amount
    assert inv.total == sum(line.amount for line in inv.lines)
    printed = preview_text(invoice_document(inv, "锦华"), 80)
    assert "人民币" + amount_in_words(inv.total) in printed and format_money(inv.total) in printed
    for line in inv.lines:
        assert format_money(line.amount) in printed
