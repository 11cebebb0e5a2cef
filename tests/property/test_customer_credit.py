"""The customer file's open credit includes the sales office's unpaid schedule items once due."""

from datetime import timedelta
from decimal import Decimal

import pytest

from pos import clock
from pos.clock import local_today
from pos.customers import credit
from pos.property.sale_models import Agreement
from tests.property.test_collections import signed  # noqa: F401  (fixture)
from tests.property.test_contracts import data, desk, in_force  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("english")


def test_unpaid_due_instalments_are_open_credit(session, signed, monkeypatch):  # noqa: F811
    from sqlalchemy import select

    from pos.customers.models import Customer

    customer_id = session.scalar(select(Customer.id).where(Customer.phone == "13800138001"))
    session.get(Agreement, signed.agreement_id).customer_id = customer_id  # the buyer known as a customer
    session.commit()
    assert credit.standing(session, customer_id).items == []  # the down payment falls due tomorrow
    later = local_today() + timedelta(days=2)
    monkeypatch.setattr(clock, "local_today", lambda: later)
    items = credit.standing(session, customer_id).items
    assert [amount for _what, amount in items] == [Decimal("600000.00")]  # 1,000,000.00 less 400,000.00 paid
    assert signed.no in items[0][0]
