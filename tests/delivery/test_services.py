"""Pickup (stock reduced, partial, refusals) and delivery (slips, pull, out, delivered, failed, COD)."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from pos.cashier import services as cashier
from pos.delivery import services
from pos.delivery.models import DeliveryCash, DispatchSlip
from pos.errors import Conflict, DomainError, Forbidden
from pos.sales import pickup
from pos.sales import services as sales
from pos.sales.models import Pickup
from tests.conftest import staff_by_no

pytestmark = pytest.mark.usefixtures("english")


def test_partial_pickup_reduces_stock(session, paid):
    v = paid("100.00", qty="3")
    line = v.lines[0]
    stock = line.product.stock_on_hand
    clerk = staff_by_no("C001")
    with pytest.raises(DomainError, match="shop's copy"):
        pickup.hand_over(session, v.no, {line.id: "1"}, clerk=clerk, once_key="p1", shop_copy=False)
    pickup.hand_over(session, v.no, {line.id: "2"}, clerk=clerk, once_key="p1", shop_copy=True)
    assert v.pickup_state == "partial" and line.product.stock_on_hand == stock - 2
    with pytest.raises(DomainError, match="1 left to hand over, not 2"):
        pickup.hand_over(session, v.no, {line.id: "2"}, clerk=clerk, once_key="p2", shop_copy=True)
    again = pickup.hand_over(session, v.no, {line.id: "2"}, clerk=clerk, once_key="p1", shop_copy=True)
    assert again.once_key == "p1" and line.product.stock_on_hand == stock - 2  # a double tap hands over once
    pickup.hand_over(session, v.no, {line.id: "1"}, clerk=clerk, once_key="p3", shop_copy=True)
    assert v.pickup_state == "complete" and line.product.stock_on_hand == stock - 3
    with pytest.raises(Conflict, match="already been handed over"):
        pickup.hand_over(session, v.no, {line.id: "1"}, clerk=clerk, once_key="p4", shop_copy=True)


def test_stock_never_goes_negative_silently(session, paid):
    v = paid("100.00", qty="3")
    line = v.lines[0]
    line.product.stock_on_hand = Decimal("1")
    session.commit()
    with pytest.raises(DomainError, match="only 1 in stock"):
        pickup.hand_over(session, v.no, {line.id: "3"}, clerk=staff_by_no("C001"), once_key="p1", shop_copy=True)
    session.rollback()
    assert session.scalar(select(func.count(Pickup.id))) == 0
    pickup.hand_over(session, v.no, {line.id: "1"}, clerk=staff_by_no("C001"), once_key="p2", shop_copy=True)
    assert line.product.stock_on_hand == 0 and v.pickup_state == "partial"


@pytest.mark.parametrize("state, message", [
    ("unpaid", "not paid"), ("awaiting_clearance", "funds have not arrived"), ("refunded", "refunded"),
])
def test_refusals(session, write_up, state, message):
    v = write_up()
    v.payment_state = state
    with pytest.raises(DomainError, match=message):
        pickup.hand_over(session, v.no, {v.lines[0].id: "1"}, clerk=staff_by_no("C001"), once_key="p",
                         shop_copy=True)


def test_cancelled_is_refused(session, write_up):
    v = write_up()
    sales.cancel(session, v, "x", actor=staff_by_no("M001"))
    with pytest.raises(DomainError, match="cancelled"):
        pickup.check_can_hand_over(v)


def slip_for(session, v, **kw):
    data = {"name": "周先生", "phone": "13800138001", "address": "上海市浦东新区张杨路500号3号楼1201室",
            "window_day": None, "window": "14:00–18:00", "notes": "请先电话"}
    data.update(kw)
    return services.request_delivery(session, v.no, {v.lines[0].id: str(v.lines[0].quantity)},
                                     clerk=staff_by_no("C001"), once_key=f"d-{v.no}", **data)


def test_delivery_request_creates_a_slip(session, paid):
    v = paid()
    stock = v.lines[0].product.stock_on_hand
    with pytest.raises(DomainError, match="full delivery address"):
        slip_for(session, v, address="上海")
    with pytest.raises(DomainError, match="digits"):
        slip_for(session, v, phone="1")
    slip = slip_for(session, v)
    assert slip.no.startswith("D") and slip.status == "open" and slip.collect == 0
    assert v.pickup_state == "complete" and v.lines[0].product.stock_on_hand == stock - 1
    assert slip_for(session, v).id == slip.id  # the same form twice: one slip


def test_driver_flow_and_failures(session, paid):
    v = paid()
    slip = slip_for(session, v)
    driver, other = staff_by_no("D001"), staff_by_no("C002")
    with pytest.raises(Forbidden, match="not yours"):
        services.mark_out(session, slip, driver=driver)
    services.pull(session, slip.id, driver=driver)
    with pytest.raises(Conflict, match="taken by 刘强"):
        services.pull(session, slip.id, driver=other)
    with pytest.raises(DomainError, match="mark it out first"):
        services.mark_delivered(session, slip, "周先生", driver=driver)
    services.mark_out(session, slip, driver=driver)
    with pytest.raises(DomainError, match="Say why"):
        services.mark_failed(session, slip, "", driver=driver)
    services.mark_failed(session, slip, "家里没人", driver=driver)
    assert slip.status == "open" and slip.driver is None  # back in the queue
    services.pull(session, slip.id, driver=driver)
    services.mark_out(session, slip, driver=driver)
    with pytest.raises(DomainError, match="Who received"):
        services.mark_delivered(session, slip, " ", driver=driver)
    services.mark_delivered(session, slip, "周先生本人", driver=driver)
    assert slip.status == "delivered" and [e.kind for e in slip.events] == [
        "created", "pulled", "out", "failed", "pulled", "out", "delivered"]


def test_a_driver_cannot_see_another_drivers_slip(session, paid):
    slip = slip_for(session, paid())
    services.pull(session, slip.id, driver=staff_by_no("D001"))
    session.add(sales.Staff(staff_no="D002", full_name="吴军", pin_hash="x"))
    other = session.scalar(select(sales.Staff).where(sales.Staff.staff_no == "D002"))
    other.set_roles(["delivery"])
    with pytest.raises(Forbidden):
        services.check_may_see(slip, other)


def test_cash_on_delivery_is_received_by_a_cashier(session, write_up, open_shift):
    clerk, manager = staff_by_no("C001"), staff_by_no("M001")
    v = sales.start_phone_order(session, actor=clerk, name="冯先生", phone="13911112222",
                                address="上海市长宁区天山路1号")
    product = write_up().lines[0].product
    sales.add_line(session, v, product.id, "1", actor=clerk)
    sales.confirm_read_back(session, v, actor=clerk)
    sales.approve_phone_order(session, v, manager=manager, pay_on_delivery=True)
    with pytest.raises(DomainError, match="not paid"):
        pickup.check_can_hand_over(v)  # not at the counter…
    slip = slip_for(session, v, name="冯先生", phone="13911112222", address="上海市长宁区天山路1号")  # …but delivered
    assert slip.collect == v.total
    driver = staff_by_no("D001")
    services.pull(session, slip.id, driver=driver)
    services.mark_out(session, slip, driver=driver)
    with pytest.raises(DomainError, match="Collect"):
        services.mark_delivered(session, slip, "冯先生", driver=driver)
    services.mark_delivered(session, slip, "冯先生", driver=driver, collected=True)
    cash = session.scalar(select(DeliveryCash))
    assert cash.amount == v.total and services.cash_to_receive(session) == [cash]
    open_shift()
    services.receive_cash(session, cash.id, cashier_staff=staff_by_no("S001"))
    assert v.payment_state == "paid" and services.cash_to_receive(session) == []
    assert cashier.live_payment(session, v).received == v.total
    with pytest.raises(Conflict):
        services.receive_cash(session, cash.id, cashier_staff=staff_by_no("S001"))


def test_assign_by_manager(session, paid):
    slip = slip_for(session, paid())
    manager = staff_by_no("M001")
    with pytest.raises(DomainError, match="delivery staff"):
        services.assign(session, slip, staff_by_no("C001").id, manager=manager)
    services.assign(session, slip, staff_by_no("D001").id, manager=manager)
    assert slip.driver.staff_no == "D001" and slip.status == "assigned"
    assert session.scalar(select(func.count(DispatchSlip.id))) == 1
