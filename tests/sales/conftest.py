import pytest
from sqlalchemy import select

from pos.catalog.models import Product


@pytest.fixture
def products(session):
    """A few demo products with stock, by position: [0] and [1] appliances, [2] an accessory."""
    rows = list(session.scalars(select(Product).where(Product.stock_on_hand > 2, Product.list_price > 1000)
                                .order_by(Product.id).limit(2)))
    rows += list(session.scalars(select(Product).where(Product.stock_on_hand > 2, Product.list_price < 200)
                                 .order_by(Product.id).limit(1)))
    assert len(rows) == 3
    return rows
