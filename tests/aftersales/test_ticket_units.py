"""After-sales tickets on a property unit (物业售后): a customer whose agreement is in force opens a
repair ticket on their unit; a unit they did not buy (the agreement still awaiting its deposit, or
another's) is refused, nothing saved; a unit is never the subject of a return."""

import pytest
from sqlalchemy import select

from pos.aftersales import tickets
from pos.customers.models import Customer
from pos.errors import DomainError
from pos.property import agreements
from tests.conftest import CASHIER, staff_by_no
from tests.helpers import row_counts
from tests.property.conftest import agent, b1, project, unit_no  # noqa: F401 — the sales office's fixtures
from tests.property.test_agreements import typed
from tests.property.test_escrow import pay

pytestmark = pytest.mark.usefixtures("english")


def test_ticket_on_a_bought_unit(session, b1, unit_no, agent, open_shift, manager):  # noqa: F811
    unit = unit_no(b1, "101")
    buyer, stranger = Customer(name="张先生", phone="13800138000"), Customer(name="吴女士", phone="13911112222")
    session.add_all([buyer, stranger])
    session.commit()
    a = agreements.create_agreement(session, unit.id, typed(unit, deposit="50000", customer_id=buyer.id),
                                    actor=agent)
    session.commit()
    before = row_counts(session)
    with pytest.raises(DomainError, match="not bought by this customer") as e:  # the deposit is not paid yet
        tickets.open_ticket(session, customer=buyer, kind="repair", description="卫生间漏水", actor=manager,
                            unit=unit.id)
    assert e.value.field == "bought"
    session.rollback()
    assert row_counts(session) == before
    open_shift()
    pay(session, a, staff_by_no(CASHIER))
    session.commit()
    assert f"unit:{unit.id}" in [b.key for b in tickets.purchases(session, buyer.id)]
    t = tickets.open_ticket(session, customer=buyer.id, kind="repair", description="卫生间漏水", actor=manager,
                            unit=str(unit.id))
    session.commit()
    assert t.unit_id == unit.id and t.voucher_id is None and unit.number in tickets.what_it_is(t)
    with pytest.raises(DomainError, match="not bought by this customer"):
        tickets.open_ticket(session, customer=stranger, kind="repair", description="x", actor=manager, unit=unit.id)
    session.rollback()
    with pytest.raises(DomainError, match="not returned"):
        tickets.open_ticket(session, customer=buyer, kind="return", description="x", actor=manager, unit=unit.id)
    session.rollback()
    with pytest.raises(DomainError, match="voucher"):  # a unit's repair is not a delivery slip of a voucher
        tickets.make_slip(session, t.id, actor=manager, address="上海市浦东新区世纪大道100号")
    session.rollback()
    assert session.scalar(select(Customer.id).where(Customer.id == buyer.id)) == buyer.id
