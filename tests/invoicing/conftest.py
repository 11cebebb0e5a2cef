import pytest

from pos.cashier import services as cashier
from tests.conftest import staff_by_no


@pytest.fixture
def paid(session, write_up, open_shift):
    """A paid voucher (cash), for a customer with phone 13800138001 (周先生)."""
    from pos.sales import services as sales

    open_shift()

    def make(price="1130.00", qty="1", customer_phone="13800138001", once=None):
        v = write_up(price, qty)
        if customer_phone:
            v.customer = sales.find_customer(session, customer_phone)
            v.customer_name, v.customer_phone = v.customer.name, v.customer.phone
            v.checksum = sales.compute_checksum(v)
        cashier.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key=once or f"k-{v.no}",
                             plain_cash=str(v.total))
        session.commit()
        return v

    return make
