"""A discount waiting for the manager's PIN is never dropped at write-up (开单): the voucher is
frozen only at the prices and quantities the clerk's screen showed, and a refusal names the line."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from pos.errors import Conflict, DomainError
from pos.sales import services
from pos.sales.models import Voucher, VoucherStatus
from tests.conftest import staff_by_no
from tests.helpers import shown_at

HX = {"HX-Request": "true"}


def text(resp):
    return resp.get_data(as_text=True)


def shown(voucher, override=None):
    """The panel's boxes as the screen shows them; ``override`` maps a line id to (quantity, price)."""
    out = []
    for line in voucher.lines:
        qty, price = (override or {}).get(line.id, (str(line.quantity), str(line.unit_price)))
        out.append(services.ShownLine(line.id, qty, price))
    return out


@pytest.fixture
def draft(session, clerk, products):
    voucher = services.open_draft(session, clerk)
    services.add_line(session, voucher, products[0].id, "1", actor=clerk)
    services.add_line(session, voucher, products[1].id, "1", actor=clerk)
    session.flush()
    return voucher


def test_a_price_waiting_for_the_pin_refuses_write_up_naming_the_line(session, clerk, draft, english):
    tv = draft.lines[1]
    asked = (tv.list_price * Decimal("0.7")).quantize(Decimal("0.01"))
    with pytest.raises(services.NeedsApproval):
        services.update_line(session, draft, tv.id, "1", str(asked), actor=clerk)
    with pytest.raises(DomainError, match=rf"Line 2, {tv.product_name}: the price {asked} on the screen is not saved"):
        services.write_up(session, draft, actor=clerk, shown=shown(draft, {tv.id: ("1", str(asked))}))
    assert draft.status == VoucherStatus.DRAFT and draft.no is None


def test_a_product_waiting_for_the_pin_refuses_write_up(session, clerk, draft, products, english):
    with pytest.raises(DomainError, match="waits for a manager's PIN"):
        services.write_up(session, draft, actor=clerk, shown=shown(draft), pending_product_id=products[2].id)
    assert draft.status == VoucherStatus.DRAFT


def test_a_quantity_not_saved_refuses_write_up(session, clerk, draft, english):
    line = draft.lines[0]
    with pytest.raises(DomainError, match="Line 1, .*the quantity 3 on the screen is not saved"):
        services.write_up(session, draft, actor=clerk, shown=shown(draft, {line.id: ("3", str(line.unit_price))}))


def test_a_line_the_screen_did_not_show_refuses_write_up(session, clerk, draft, english):
    with pytest.raises(Conflict, match="changed on another screen"):
        services.write_up(session, draft, actor=clerk, shown=shown(draft)[:1])


def test_what_the_screen_showed_is_written_up(session, clerk, draft):
    same = [services.ShownLine(s.line_id, f" {Decimal(s.quantity):f} ", f"{Decimal(s.unit_price):,.2f}")
            for s in shown(draft)]
    services.write_up(session, draft, actor=clerk, shown=same)
    assert draft.status == VoucherStatus.WRITTEN_UP and draft.no


# ------------------------------------------------------------------ over HTTP, as the panel sends it
def test_write_up_with_the_approval_box_open_is_refused_and_keeps_the_box(as_clerk, session, products):
    as_clerk.post("/counter/lines", data={"product_id": products[0].id, "quantity": "1"}, headers=HX)
    voucher = session.scalar(select(Voucher).where(Voucher.status == "draft",
                                                   Voucher.clerk_id == staff_by_no("C001").id))
    line = voucher.lines[0]
    asked = (line.list_price * Decimal("0.7")).quantize(Decimal("0.01"))
    resp = as_clerk.post(f"/counter/lines/{line.id}", data={"quantity": "1", "unit_price": str(asked)}, headers=HX)
    assert resp.status_code == 422 and "须店长输入 PIN 码批准" in text(resp)
    # the panel with the approval box open: the write-up form (a plain form) includes the boxes the screen
    # shows (static/js/app.js, data-include)
    assert 'data-include="#voucher-panel [data-shown]"' in text(resp)
    resp = as_clerk.post("/counter/write-up", data={"line_id": str(line.id), "quantity": "1", "unit_price": str(asked)})
    body = text(resp)
    # refused: the counter again, with the panel, the message and the approval box; the address bar shows
    # the counter's address, so that a reload does not send the form again
    assert resp.status_code == 422 and 'data-url="/counter"' in body and 'id="voucher-panel"' in body
    assert f"第 1 行，{line.product_name}" in body and "未保存" in body
    assert 'data-testid="approval"' in body and f'value="{asked}"' in body  # the pending change is still there
    session.expire_all()
    assert session.get(Voucher, voucher.id).status == VoucherStatus.DRAFT


def test_write_up_while_a_new_product_waits_for_the_pin_is_refused(as_clerk, session, products):
    as_clerk.post("/counter/lines", data={"product_id": products[0].id, "quantity": "1"}, headers=HX)
    voucher = session.scalar(select(Voucher).where(Voucher.status == "draft"))
    line = voucher.lines[0]
    resp = as_clerk.post("/counter/write-up", data={
        "line_id": str(line.id), "quantity": "1", "unit_price": str(line.unit_price),
        "pending_product_id": str(products[1].id), "pending_quantity": "1", "pending_unit_price": "1.00"})
    assert resp.status_code == 422 and products[1].name in text(resp) and "店长" in text(resp)
    assert 'name="pending_product_id"' in text(resp)  # the approval box is still open
    session.expire_all()
    assert session.get(Voucher, voucher.id).status == VoucherStatus.DRAFT


def test_write_up_as_shown_goes_through(as_clerk, session, products):
    as_clerk.post("/counter/lines", data={"product_id": products[0].id, "quantity": "1"}, headers=HX)
    voucher = session.scalar(select(Voucher).where(Voucher.status == "draft"))
    line = voucher.lines[0]
    resp = as_clerk.post("/counter/write-up",
                         data={"line_id": str(line.id), "quantity": "1", "unit_price": f"{line.unit_price}"})
    # answered with the voucher's page (pos.web.show)
    session.expire_all()
    assert shown_at(resp) == f"/vouchers/{voucher.no}" and 'data-testid="voucher-no"' in text(resp)
