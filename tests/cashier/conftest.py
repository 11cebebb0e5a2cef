import pytest
from sqlalchemy import select

from pos.catalog.models import Product
from pos.sales import services as sales
from pos.shop.models import Station
from tests.conftest import staff_by_no


@pytest.fixture
def station(session):
    return session.scalar(select(Station).where(Station.code == "T1"))


@pytest.fixture
def write_up(session):
    """Write up a voucher for a given total-ish: one product at a chosen unit price."""

    def make(price="168.00", qty="1", clerk_no="M001"):
        clerk = staff_by_no(clerk_no)
        product = session.scalar(select(Product).where(Product.list_price > 1000).order_by(Product.id).limit(1))
        v = sales.open_draft(session, clerk)
        sales.add_line(session, v, product.id, qty, price, actor=clerk)  # the manager may price freely
        sales.write_up(session, v, actor=clerk)
        session.commit()
        return v

    return make


@pytest.fixture
def open_shift(session, station):
    from pos.cashier import services

    def make(cashier_no="S001", counts=None, station_obj=None):
        shift = services.open_shift(session, cashier=staff_by_no(cashier_no),
                                    station_id=(station_obj or station).id, counts=counts or {10000: 2, 1000: 5})
        session.commit()
        return shift

    return make
