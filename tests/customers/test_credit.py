"""Credit (信用评估): limits with history, open credit (unpaid pay-on-delivery vouchers), the phone
order's review stopped over the limit (or overridden by the manager with a reason), a bounced
cheque flags the customer for review."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from pos.audit.models import AuditEntry
from pos.cashier import services as cashier
from pos.catalog.models import Product
from pos.customers import credit
from pos.customers.file_models import CreditLimit
from pos.customers.models import Customer
from pos.errors import DomainError, Forbidden
from pos.sales import services as sales
from pos.sales.models import VoucherStatus
from tests.conftest import login_as, staff_by_no
from tests.helpers import count, text

PHONE = "13800138001"


@pytest.fixture
def zhou(session):
    return session.scalar(select(Customer).where(Customer.phone == PHONE))


def _phone_order(session, clerk, price="3000.00"):
    product = session.scalar(select(Product).where(Product.list_price > 1000, Product.active.is_(True),
                                                   Product.stock_on_hand >= 1).order_by(Product.id).limit(1))
    v = sales.start_phone_order(session, actor=clerk, name="周先生", phone=PHONE, address="上海市浦东新区张杨路500号")
    sales.add_line(session, v, product.id, "1", str(product.list_price), actor=clerk)
    sales.confirm_read_back(session, v, actor=clerk)
    session.commit()
    return v


def test_limit_history_and_bad_values(session, english, manager, clerk, zhou):
    credit.set_limit(session, zhou.id, grade="B", limit="5000", reason="老客户", actor=manager)
    credit.set_limit(session, zhou.id, grade="C", limit="１０００", reason="上次拖欠", actor=manager)
    session.commit()
    assert credit.current_limit(session, zhou.id).credit_limit == Decimal("1000.00")
    assert [h.grade for h in credit.history(session, zhou.id)] == ["C", "B"]
    for grade, limit, reason in (("B", "-1", "r"), ("B", "99999999999", "r"), ("B", "abc", "r"), ("E", "10", "r"),
                                 ("B", "10", "")):
        with pytest.raises(DomainError):
            credit.set_limit(session, zhou.id, grade=grade, limit=limit, reason=reason, actor=manager)
    with pytest.raises(Forbidden):
        credit.set_limit(session, zhou.id, grade="A", limit="10", reason="r", actor=clerk)
    session.rollback()
    assert count(session, CreditLimit) == 2


def test_phone_order_over_the_limit_is_stopped_at_review(session, english, manager, clerk, zhou):
    credit.set_limit(session, zhou.id, grade="C", limit="100", reason="新客户", actor=manager)
    session.commit()
    v = _phone_order(session, clerk)
    with pytest.raises(DomainError, match="credit limit"):
        sales.approve_phone_order(session, v, manager=manager, pay_on_delivery=True)
    session.rollback()
    assert v.status == VoucherStatus.AWAITING_REVIEW
    # paid at the counter it is no credit: approved
    sales.approve_phone_order(session, v, manager=manager, pay_on_delivery=False)
    assert v.status == VoucherStatus.WRITTEN_UP


def test_open_credit_counts_unpaid_pay_on_delivery(session, english, manager, clerk, zhou):
    v = _phone_order(session, clerk)
    sales.approve_phone_order(session, v, manager=manager, pay_on_delivery=True)  # no limit: not checked
    session.commit()
    assert credit.standing(session, zhou.id).open_credit == v.total
    credit.set_limit(session, zhou.id, grade="B", limit=str(v.total + 100), reason="r", actor=manager)
    session.commit()
    second = _phone_order(session, clerk)
    with pytest.raises(DomainError, match="credit limit"):
        sales.approve_phone_order(session, second, manager=manager, pay_on_delivery=True)
    session.rollback()
    sales.approve_phone_order(session, second, manager=manager, pay_on_delivery=True, credit_override="熟客，担保")
    session.commit()
    assert session.scalar(select(AuditEntry).where(AuditEntry.kind == "customers.credit_override")) is not None


def test_bounced_cheque_flags_the_customer(session, english, manager, write_up, open_shift, zhou, clerk):
    v = write_up("5000.00", customer_phone=PHONE)
    open_shift()
    cheque = cashier.OtherTender("cheque", "5000", reference="555", bank="建设银行", drawer="周")
    p = cashier.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="k1", others=[cheque])
    cashier.clear_cheque(session, p.tenders[0].id, "bounced", manager=manager, note="余额不足")
    session.commit()
    review = credit.open_review(session, zhou.id)
    assert review is not None and "555" in review.reason
    order = _phone_order(session, clerk)
    with pytest.raises(DomainError, match="credit review"):
        sales.approve_phone_order(session, order, manager=manager, pay_on_delivery=True)
    session.rollback()
    credit.clear_review(session, zhou.id, note="已补交现金", actor=manager)
    session.commit()
    sales.approve_phone_order(session, order, manager=manager, pay_on_delivery=True)


def test_credit_screens(client, session, zhou):
    login_as(client, "M001")
    r = client.post(f"/customers/{zhou.id}/credit", data={"grade": "B", "credit_limit": "-5", "reason": "x"})
    assert r.status_code == 422 and 'data-testid="errors"' in text(r)
    assert count(session, CreditLimit) == 0
    r = client.post(f"/customers/{zhou.id}/credit", data={"grade": "B", "credit_limit": "2000", "reason": "老客户"})
    assert r.status_code == 303
    r = client.get(f"/customers/{zhou.id}")
    assert 'data-testid="credit-limit"' in text(r)
    login_as(client, "C001")
    assert client.post(f"/customers/{zhou.id}/credit", data={"grade": "A", "credit_limit": "1",
                                                             "reason": "x"}).status_code == 403


def test_review_screen_stops_pay_on_delivery_over_the_limit(client, session, manager, clerk, zhou):
    credit.set_limit(session, zhou.id, grade="C", limit="10", reason="r", actor=manager)
    session.commit()
    v = _phone_order(session, clerk)
    login_as(client, "M001")
    r = client.post(f"/reviews/{v.id}/approve", data={"pay_on_delivery": "1"})
    assert r.status_code == 422 and 'data-testid="errors"' in text(r)
    session.expire_all()
    assert v.status == VoucherStatus.AWAITING_REVIEW
