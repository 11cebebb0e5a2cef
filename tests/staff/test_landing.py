"""Staff land where they work: a cashier on the cash desk, a driver on their queue, a clerk on the
counter; the manager's home counts what waits for them. And the hand-offs of a one-item sale on a
shared tablet: 开单 from the product page, the voucher handed to the cashier who logs in straight
onto its payment (opening the shift first if needed)."""

import pytest
from sqlalchemy import select

from pos.cashier import services as cashier
from pos.catalog.models import Product
from pos.sales import services as sales
from pos.sales.models import Voucher, VoucherStatus
from tests.conftest import login_as, staff_by_no
from tests.helpers import shown_at

HX = {"HX-Request": "true"}


def text(resp):
    return resp.get_data(as_text=True)


@pytest.mark.parametrize(("staff_no", "landing"), [
    ("S001", "/cashier"), ("D001", "/delivery"), ("C001", "/counter"), ("M001", "/home/manager"),
])
def test_each_role_lands_where_it_works(client, staff_no, landing):
    login_as(client, staff_no)
    resp = client.get("/")
    assert resp.status_code == 302 and resp.headers["Location"] == landing


def test_the_managers_home_counts_what_waits(as_manager, session, open_shift, write_up, products_for_sale):
    page = text(as_manager.get("/home/manager"))
    assert 'data-testid="waiting"' not in page  # nothing waits: no badges
    clerk = staff_by_no("C001")
    for name in ("冯先生", "陈女士"):  # two phone orders read back, waiting for review
        v = sales.start_phone_order(session, actor=clerk, name=name, phone="13911112222")
        sales.add_line(session, v, products_for_sale.id, "1", actor=clerk)
        sales.confirm_read_back(session, v, actor=clerk)
    shift = open_shift()
    v = write_up("500.00")
    cashier.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="cq1",
                         others=[cashier.OtherTender("cheque", "500.00", "10203040", "工商银行", "某公司")])
    cashier.close_shift(session, shift, {10000: 2, 1000: 5}, actor=staff_by_no("S001"))
    session.commit()
    page = text(as_manager.get("/home/manager"))
    assert 'data-testid="waiting"' in page
    assert 'data-testid="waiting-sales.review_list">2<' in page
    assert 'data-testid="waiting-cashier.cheques">1<' in page
    assert 'data-testid="waiting-reports.day">1<' in page
    assert "待评审的电话订单" in page and "等待到账的支票" in page and "待审核的交班" in page


@pytest.fixture
def products_for_sale(session):
    return session.scalar(select(Product).where(Product.stock_on_hand > 2, Product.list_price < 200)
                          .order_by(Product.id).limit(1))


def test_write_up_from_the_product_page(as_clerk, session, products_for_sale):
    product = products_for_sale
    resp = as_clerk.post("/counter/lines", headers=HX,
                         data={"product_id": product.id, "quantity": "1", "return_to": "product"})
    assert resp.status_code == 200 and 'data-testid="write-up-here"' in text(resp)
    voucher = session.scalar(select(Voucher).where(Voucher.status == "draft"))
    line = voucher.lines[0]
    resp = as_clerk.post("/counter/write-up", data={"line_id": str(line.id), "quantity": "1",
                                                    "unit_price": f"{line.unit_price}"})
    session.expire_all()
    # answered with the voucher's page (pos.web.show), not a redirect to it
    assert shown_at(resp) == f"/vouchers/{session.get(Voucher, voucher.id).no}"
    assert session.get(Voucher, voucher.id).status == VoucherStatus.WRITTEN_UP


def test_write_up_from_the_product_page_refused_goes_to_the_counter_with_the_reason(as_clerk, session,
                                                                                   products_for_sale):
    as_clerk.post("/counter/lines", headers=HX, data={"product_id": products_for_sale.id, "return_to": "product"})
    voucher = session.scalar(select(Voucher).where(Voucher.status == "draft"))
    line = voucher.lines[0]
    resp = as_clerk.post("/counter/write-up", data={"line_id": str(line.id), "quantity": "2",
                                                    "unit_price": f"{line.unit_price}"})
    # the counter, its panel saying why; the address bar shows the counter's address (a reload is a GET)
    assert resp.status_code == 422 and "未保存" in text(resp) and 'data-url="/counter"' in text(resp)
    assert 'id="voucher-panel"' in text(resp)
    session.expire_all()
    assert session.get(Voucher, voucher.id).status == VoucherStatus.DRAFT


def test_the_voucher_is_handed_to_the_cashier_who_logs_in_onto_its_payment(client, session, station, write_up):
    v = write_up("39.00")
    login_as(client, "C001")
    page = text(client.get(f"/vouchers/{v.no}"))
    assert 'data-testid="next-step"' in page and 'data-testid="take-payment"' in page
    assert f'name="next" value="/cashier/pay?no={v.no}"' in page
    resp = client.post("/logout", data={"next": f"/cashier/pay?no={v.no}"})
    assert resp.headers["Location"] == f"/login?next=/cashier/pay?no%3D{v.no}"
    cashier_staff = staff_by_no("S001")
    resp = client.post(f"/login/{cashier_staff.id}", data={"pin": "2001", "next": f"/cashier/pay?no={v.no}"})
    assert resp.headers["Location"] == f"/cashier/pay?no={v.no}"
    # no shift yet: the cash desk opens the shift first, then this voucher
    resp = client.get(f"/cashier/pay?no={v.no}")
    assert resp.headers["Location"] == f"/cashier?no={v.no}"
    assert f'name="then_no" value="{v.no}"' in text(client.get(f"/cashier?no={v.no}"))
    resp = client.post("/cashier/shift/open", data={"station": station.id, "count_10000": "2", "then_no": v.no})
    assert resp.headers["Location"] == f"/cashier/pay?no={v.no}"
    assert v.no in text(client.get(resp.headers["Location"]))


def test_a_pay_on_delivery_voucher_says_what_happens_next(client, session, write_up):
    v = write_up("39.00")
    v.pay_on_delivery = True
    session.commit()
    login_as(client, "C001")
    page = text(client.get(f"/vouchers/{v.no}"))
    assert "送货" in page and "司机" in page and 'data-testid="take-payment"' not in page
    assert "不在收银台收款" in page and "到收银台付款" not in page  # not "take it to the cashier" as well
