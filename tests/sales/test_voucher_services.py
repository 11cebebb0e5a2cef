"""Writing up the sales voucher (开单): exact amounts, discount limits with manager
approval, freezing at write-up, numbering, cancelling."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from pos.audit.models import AuditEntry
from pos.customers import services as customers
from pos.errors import DomainError, Forbidden
from pos.sales import services
from pos.sales.models import Voucher, VoucherLine, VoucherStatus
from pos.shop.services import set_discount_limit
from pos.staff.services import Locked, WrongPin
from tests.conftest import staff_by_no

pytestmark = pytest.mark.usefixtures("english")


def lines_count(session):
    return session.scalar(select(func.count(VoucherLine.id)))


def test_line_amount_is_exact():
    assert services.line_amount(Decimal("3"), Decimal("1680.32")) == Decimal("5040.96")
    assert services.line_amount(Decimal("1.5"), Decimal("12.99")) == Decimal("19.49")  # 19.485 half-up
    assert services.line_amount(Decimal("0.333"), Decimal("3.00")) == Decimal("1.00")


def test_add_lines_and_totals(session, products):
    clerk = staff_by_no("C001")
    v = services.open_draft(session, clerk)
    a, b, c = products
    services.add_line(session, v, a.id, "2", actor=clerk)
    services.add_line(session, v, b.id, "1", actor=clerk)
    services.add_line(session, v, a.id, "1", actor=clerk)  # same product, same price: merged
    assert [line.quantity for line in v.lines] == [Decimal("3"), Decimal("1")]
    assert v.lines[0].amount == a.list_price * 3
    assert v.total == a.list_price * 3 + b.list_price
    line = v.lines[0]
    assert (line.product_name, line.brand_name, line.model, line.spec, line.colour) == (
        a.name, a.brand.name, a.model, a.spec, a.colour)


@pytest.mark.parametrize(("qty", "message"), [
    ("0", "more than zero"), ("-1", "more than zero"), ("1.5", "whole"), ("abc", "Not a quantity"),
    ("", "Not a quantity"), ("100000", "At most"), ("NaN", "Not a quantity"), ("1e5", "At most"),
])
def test_bad_quantities_are_refused(session, products, qty, message):
    clerk = staff_by_no("C001")
    v = services.open_draft(session, clerk)
    before = lines_count(session)
    with pytest.raises(DomainError, match=message):
        services.add_line(session, v, products[0].id, qty, actor=clerk)
    assert lines_count(session) == before


def test_fractional_quantity_for_products_sold_by_length(session, products):
    clerk = staff_by_no("C001")
    product = products[2]
    product.whole_units_only = False
    product.unit = "米"
    v = services.open_draft(session, clerk)
    line = services.add_line(session, v, product.id, "2.5", actor=clerk)
    assert line.amount == services.line_amount(Decimal("2.5"), product.list_price)


@pytest.mark.parametrize(("price", "message"), [("-1", "negative"), ("abc", "Not a price"), ("1.234", "Not a price")])
def test_bad_prices_are_refused(session, products, price, message):
    clerk = staff_by_no("C001")
    v = services.open_draft(session, clerk)
    with pytest.raises(DomainError, match=message):
        services.add_line(session, v, products[0].id, "1", price, actor=clerk)
    assert v.lines == []


def test_discount_within_the_limit_needs_no_approval(session, products):
    clerk = staff_by_no("C001")
    product = products[0]
    v = services.open_draft(session, clerk)
    price = (product.list_price * Decimal("0.9")).quantize(Decimal("0.01"))  # exactly 10 %
    line = services.add_line(session, v, product.id, "1", price, actor=clerk)
    assert line.unit_price == price and line.approved_by is None
    assert line.discount == product.list_price - price


def test_discount_over_the_limit_needs_a_manager_pin(session, products):
    clerk, manager = staff_by_no("C001"), staff_by_no("M001")
    product = products[0]
    v = services.open_draft(session, clerk)
    price = (product.list_price * Decimal("0.8")).quantize(Decimal("0.01"))
    with pytest.raises(services.NeedsApproval, match="over your limit of 10%"):
        services.add_line(session, v, product.id, "1", price, actor=clerk)
    with pytest.raises(WrongPin):
        services.add_line(session, v, product.id, "1", price, actor=clerk,
                          approval=services.Approval(manager.id, "0000"))
    with pytest.raises(Forbidden, match="not a manager"):
        services.add_line(session, v, product.id, "1", price, actor=clerk,
                          approval=services.Approval(staff_by_no("C002").id, "1002"))
    assert v.lines == []
    line = services.add_line(session, v, product.id, "1", price, actor=clerk,
                             approval=services.Approval(manager.id, "9001"))
    assert line.approved_by == manager
    entry = session.scalar(select(AuditEntry).where(AuditEntry.kind == "sales.discount_approved"))
    assert entry.staff_id == manager.id and "李晓梅" in entry.summary


def test_wrong_manager_pins_lock_the_manager(session, products):
    clerk, manager = staff_by_no("C001"), staff_by_no("M001")
    v = services.open_draft(session, clerk)
    price = (products[0].list_price / 2).quantize(Decimal("0.01"))
    for _ in range(4):
        with pytest.raises(WrongPin):
            services.add_line(session, v, products[0].id, "1", price, actor=clerk,
                              approval=services.Approval(manager.id, "1111"))
    with pytest.raises(Locked):
        services.add_line(session, v, products[0].id, "1", price, actor=clerk,
                          approval=services.Approval(manager.id, "1111"))


def test_price_above_list_needs_approval(session, products):
    clerk = staff_by_no("C001")
    v = services.open_draft(session, clerk)
    with pytest.raises(services.NeedsApproval, match="above the list price"):
        services.add_line(session, v, products[0].id, "1", products[0].list_price + 1, actor=clerk)


def test_discount_limit_is_configurable_per_role(session, products):
    clerk = staff_by_no("C001")
    set_discount_limit(session, "clerk", "25")
    v = services.open_draft(session, clerk)
    price = (products[0].list_price * Decimal("0.8")).quantize(Decimal("0.01"))
    assert services.add_line(session, v, products[0].id, "1", price, actor=clerk).approved_by is None
    with pytest.raises(DomainError):
        set_discount_limit(session, "clerk", "120")
    with pytest.raises(DomainError):
        set_discount_limit(session, "clerk", "-1")


def test_manager_may_discount_freely(session, products):
    manager = staff_by_no("M001")
    v = services.open_draft(session, manager)
    line = services.add_line(session, v, products[0].id, "1", "1.00", actor=manager)
    assert line.approved_by is None


def test_inactive_product_is_refused(session, products):
    clerk = staff_by_no("C001")
    products[0].active = False
    v = services.open_draft(session, clerk)
    with pytest.raises(DomainError, match="no longer sold"):
        services.add_line(session, v, products[0].id, "1", actor=clerk)


def test_another_clerks_voucher_is_refused(session, products):
    clerk, other = staff_by_no("C001"), staff_by_no("C002")
    v = services.open_draft(session, clerk)
    with pytest.raises(Forbidden, match="belongs to 李晓梅"):
        services.add_line(session, v, products[0].id, "1", actor=other)


def test_write_up_freezes_and_numbers(session, products):
    clerk = staff_by_no("C001")
    v = services.open_draft(session, clerk)
    with pytest.raises(DomainError, match="at least one product"):
        services.write_up(session, v, actor=clerk)
    line = services.add_line(session, v, products[0].id, "1", actor=clerk)
    services.write_up(session, v, actor=clerk)
    assert v.status == VoucherStatus.WRITTEN_UP
    assert v.no.startswith("V") and v.no.endswith("-0001") and len(v.no) == len("V20261122-0001")
    assert services.verify(v) == []
    with pytest.raises(DomainError, match="can no longer be changed"):
        services.add_line(session, v, products[1].id, "1", actor=clerk)
    with pytest.raises(DomainError, match="can no longer be changed"):
        services.update_line(session, v, line.id, "2", line.unit_price, actor=clerk)
    with pytest.raises(DomainError, match="can no longer be changed"):
        services.remove_line(session, v, line.id, actor=clerk)
    # the next one gets the next number
    v2 = services.open_draft(session, clerk)
    services.add_line(session, v2, products[1].id, "1", actor=clerk)
    services.write_up(session, v2, actor=clerk)
    assert v2.no.endswith("-0002")


def test_changed_after_write_up_is_detected(session, products):
    clerk = staff_by_no("C001")
    v = services.open_draft(session, clerk)
    services.add_line(session, v, products[0].id, "2", actor=clerk)
    services.write_up(session, v, actor=clerk)
    v.lines[0].quantity = Decimal("1")  # somebody changed the row behind the app's back
    problems = services.verify(v)
    assert any("should be" in p for p in problems) and any("changed after" in p for p in problems)


def test_price_change_never_rewrites_a_voucher(session, products):
    clerk = staff_by_no("C001")
    v = services.open_draft(session, clerk)
    services.add_line(session, v, products[0].id, "1", actor=clerk)
    services.write_up(session, v, actor=clerk)
    old = v.lines[0].unit_price
    products[0].list_price = old + 500
    session.commit()
    session.refresh(v)
    assert v.lines[0].unit_price == old and services.verify(v) == []


def test_cancel_with_reason(session, products):
    clerk = staff_by_no("C001")
    v = services.open_draft(session, clerk)
    services.add_line(session, v, products[0].id, "1", actor=clerk)
    with pytest.raises(DomainError, match="Only a written-up"):
        services.cancel(session, v, "写错了", actor=clerk)
    services.write_up(session, v, actor=clerk)
    with pytest.raises(DomainError, match="Say why"):
        services.cancel(session, v, "  ", actor=clerk)
    with pytest.raises(Forbidden):
        services.cancel(session, v, "不要了", actor=staff_by_no("C002"))
    services.cancel(session, v, "顾客改主意", actor=clerk)
    assert v.status == VoucherStatus.CANCELLED and v.no  # keeps its number
    with pytest.raises(DomainError, match="already cancelled"):
        services.cancel(session, v, "再取消", actor=clerk)
    assert session.scalar(select(AuditEntry).where(AuditEntry.kind == "sales.voucher_cancelled")).reason == "顾客改主意"


def test_paid_voucher_cannot_be_cancelled(session, products):
    clerk = staff_by_no("C001")
    v = services.open_draft(session, clerk)
    services.add_line(session, v, products[0].id, "1", actor=clerk)
    services.write_up(session, v, actor=clerk)
    v.payment_state = "paid"
    with pytest.raises(DomainError, match="refunded"):
        services.cancel(session, v, "x", actor=clerk)


def test_stock_shortage_is_shown(session, products):
    clerk = staff_by_no("C001")
    v = services.open_draft(session, clerk)
    product = products[0]
    line = services.add_line(session, v, product.id, str(product.stock_on_hand + 2), actor=clerk)
    assert services.stock_shortages(v) == {line.id: Decimal("2")}


def test_customer_by_phone(session, products):
    clerk = staff_by_no("C001")
    v = services.open_draft(session, clerk)
    c = services.set_customer(session, v, phone="138-0013-8001", actor=clerk)
    assert c.name == "周先生" and v.customer_phone == "13800138001"
    with pytest.raises(DomainError, match="enter the name"):
        services.set_customer(session, v, phone="13512345678", actor=clerk)
    with pytest.raises(DomainError, match="digits"):
        services.set_customer(session, v, phone="12", name="某", actor=clerk)
    c2 = services.set_customer(session, v, phone="13512345678", name="钱女士", actor=clerk)
    assert c2.id and v.customer == c2


def test_suggestions(session, products):
    clerk = staff_by_no("C001")
    fridge = session.scalar(select(services.Product).where(services.Product.name.like("%冰箱")).limit(1))
    found = services.suggestions_for_product(session, fridge, None)
    assert any("除味剂" in p.name or "延长线" in p.name for p in found.accessories)
    # out of stock: in-stock alternatives of the same category
    fridge.stock_on_hand = Decimal("0")
    found = services.suggestions_for_product(session, fridge, None)
    assert found.alternatives and all(p.stock_on_hand > 0 and p.category_id == fridge.category_id
                                      for p in found.alternatives)
    # a known customer: what they bought before
    v = services.open_draft(session, clerk)
    customer = services.set_customer(session, v, phone="13800138001", actor=clerk)
    services.add_line(session, v, products[1].id, "1", actor=clerk)
    services.write_up(session, v, actor=clerk)
    customers.record_interest(session, customer, products[2], actor=clerk)
    history = services.customer_history(session, customer)
    assert {products[1].id, products[2].id} <= {p.id for p in history}


# ------------------------------------------------------------------ phone orders
def test_phone_order_through_review(session, products):
    clerk, manager = staff_by_no("C001"), staff_by_no("M001")
    v = services.start_phone_order(session, actor=clerk, name="冯先生", phone="13911112222",
                                   address="上海市长宁区天山路1号", notes="下午送")
    services.add_line(session, v, products[0].id, "1", actor=clerk)
    script = services.read_back_script(v)
    assert "冯先生" in script[0] and products[0].model in script[1] and "天山路" in " ".join(script)
    with pytest.raises(DomainError, match="phone order is written up by the manager"):
        services.write_up(session, v, actor=clerk)
    services.confirm_read_back(session, v, actor=clerk)
    assert v.status == VoucherStatus.AWAITING_REVIEW and v.confirmed_at is not None
    with pytest.raises(DomainError, match="sent for review"):
        services.add_line(session, v, products[1].id, "1", actor=clerk)
    assert services.review_queue(session) == [v]
    services.approve_phone_order(session, v, manager=manager, pay_on_delivery=True)
    assert v.status == VoucherStatus.WRITTEN_UP and v.no and v.pay_on_delivery and v.reviewed_by == manager
    with pytest.raises(DomainError, match="not waiting"):
        services.approve_phone_order(session, v, manager=manager, pay_on_delivery=False)


def test_phone_order_rejected_with_reason(session, products):
    clerk, manager = staff_by_no("C001"), staff_by_no("M001")
    v = services.start_phone_order(session, actor=clerk, name="冯先生", phone="13911112222")
    with pytest.raises(DomainError, match="at least one product"):
        services.confirm_read_back(session, v, actor=clerk)
    services.add_line(session, v, products[0].id, "1", actor=clerk)
    services.confirm_read_back(session, v, actor=clerk)
    with pytest.raises(DomainError, match="Pay on delivery needs"):
        services.approve_phone_order(session, v, manager=manager, pay_on_delivery=True)
    with pytest.raises(DomainError, match="Say why"):
        services.reject_phone_order(session, v, "", manager=manager)
    services.reject_phone_order(session, v, "库存不足", manager=manager)
    assert v.status == VoucherStatus.REJECTED and v.no is None and v.review_note == "库存不足"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"name": ""}, "customer's name"), ({"phone": "abc"}, "digits"), ({"notes": "x" * 1001}, "at most"),
])
def test_phone_order_bad_input(session, kwargs, message):
    clerk = staff_by_no("C001")
    data = {"name": "冯先生", "phone": "13911112222", "address": "", "notes": "", **kwargs}
    before = session.scalar(select(func.count(Voucher.id)))
    with pytest.raises(DomainError, match=message):
        services.start_phone_order(session, actor=clerk, **data)
    session.rollback()
    assert session.scalar(select(func.count(Voucher.id))) == before
