"""A signed-off business day (日结) is frozen: the counter and the cash desk say so up front — when,
by whom, and when the next business day starts — and write-up into it is refused with that message.
A cashier learns it before counting a float."""

import pytest
from sqlalchemy import select

from pos.errors import DomainError
from pos.reports import signoff as reports
from pos.sales import services
from pos.sales.models import Voucher, VoucherStatus
from pos.shop import services as shop

HX = {"HX-Request": "true"}


def text(resp):
    return resp.get_data(as_text=True)


@pytest.fixture
def signed_off(session, manager):
    reports.sign_off(session, shop.business_today(session), manager=manager)
    session.commit()
    return shop.frozen_today(session)


def test_write_up_into_a_signed_off_day_is_refused_at_the_service(session, clerk, manager, products, english):
    voucher = services.open_draft(session, clerk)
    services.add_line(session, voucher, products[0].id, "1", actor=clerk)
    reports.sign_off(session, shop.business_today(session), manager=manager)
    with pytest.raises(DomainError, match=r"was signed off at .* by 王建国.*The next business day starts at"):
        services.write_up(session, voucher, actor=clerk)
    assert voucher.status == VoucherStatus.DRAFT and voucher.no is None


def test_the_counter_says_so_up_front_and_write_up_is_refused(as_clerk, session, products, signed_off):
    as_clerk.post("/counter/lines", data={"product_id": products[0].id, "quantity": "1"}, headers=HX)
    page = text(as_clerk.get("/counter"))
    assert 'data-testid="day-frozen"' in page and "已日结" in page and "王建国" in page
    assert signed_off.next_starts.astimezone(shop.shop_zone()).strftime("%m-%d %H:%M") in page
    assert 'data-testid="why-disabled"' in page  # 开单 disabled, and why
    voucher = session.scalar(select(Voucher).where(Voucher.status == "draft"))
    line = voucher.lines[0]
    resp = as_clerk.post("/counter/write-up", headers=HX,
                         data={"line_id": str(line.id), "quantity": "1", "unit_price": str(line.unit_price)})
    assert resp.status_code == 422 and "已于" in text(resp) and "王建国" in text(resp) and "日结" in text(resp)
    session.expire_all()
    assert session.get(Voucher, voucher.id).status == VoucherStatus.DRAFT


def test_a_cashier_learns_it_before_counting_a_float(as_cashier, signed_off):
    page = text(as_cashier.get("/cashier"))
    assert 'data-testid="day-frozen"' in page and "王建国" in page and 'data-testid="no-shift"' in page
    assert 'data-testid="count-grid"' not in page and "data-count-form" not in page  # nothing to count


def test_an_open_day_shows_no_banner(as_clerk):
    assert 'data-testid="day-frozen"' not in text(as_clerk.get("/counter"))
