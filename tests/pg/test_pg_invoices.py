"""PostgreSQL: 8 cashiers issuing 200 invoices each at the same time — numbers unique and gapless."""

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from pos.catalog.models import Product
from pos.customers import services as customers
from pos.extensions import db
from pos.invoicing import services
from pos.invoicing.models import Invoice
from pos.sales.models import Voucher, VoucherLine
from pos.shop.services import business_today
from tests.conftest import staff_by_no

pytestmark = pytest.mark.pg
ISSUERS, EACH = 8, 200


def test_concurrent_issuers_get_unique_gapless_numbers(pg_app):
    session = db.session
    clerk = staff_by_no("M001")
    product = session.scalar(select(Product).order_by(Product.id).limit(1))
    customer = customers.find_customer(session, "13800138001")
    numbers: list[list[str]] = [[] for _ in range(ISSUERS)]
    today = business_today(session)
    for n in range(ISSUERS * EACH):
        v = Voucher(no=f"V{today:%Y%m%d}-T{n:05d}", status="written_up", channel="counter", clerk=clerk,
                    customer=customer, customer_name=customer.name, customer_phone=customer.phone,
                    total=Decimal("113.00"), business_day=today, payment_state="paid")
        v.lines.append(VoucherLine(position=1, product=product, product_name=product.name, brand_name="海尔",
                                   quantity=Decimal("1"), list_price=Decimal("113.00"),
                                   unit_price=Decimal("113.00"), amount=Decimal("113.00"), vat_rate_bp=1300))
        session.add(v)
        numbers[n % ISSUERS].append(v.no)
    session.commit()
    barrier = threading.Barrier(ISSUERS)
    errors: list[str] = []

    def issuer(mine: list[str]):
        with pg_app.app_context():
            me = staff_by_no("S001")
            barrier.wait()
            for no in mine:
                try:
                    services.issue(db.session, [no], services.Buyer("周先生", "13800138001", "上海"), preparer=me)
                    db.session.commit()
                except Exception as e:  # collect, never hide
                    db.session.rollback()
                    errors.append(f"{no}: {e}")
            db.session.remove()

    threads = [threading.Thread(target=issuer, args=(numbers[i],)) for i in range(ISSUERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert errors == []
    session.expire_all()
    seqs = sorted(session.scalars(select(Invoice.seq)))
    assert seqs == list(range(1, ISSUERS * EACH + 1))  # unique and without gaps
    assert len(set(session.scalars(select(Invoice.no)))) == ISSUERS * EACH
