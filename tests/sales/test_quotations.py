"""Quotations (报价单): built like a voucher, the discount limit marks lines for the manager's review,
approve / send back, the customer's answer, expiry, versions, and the voucher in one step."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from pos.catalog.models import Product
from pos.clock import local_today
from pos.errors import Conflict, DomainError, Forbidden
from pos.sales import quotations as quotes
from pos.sales.models import Voucher, VoucherStatus
from pos.sales.quotation_models import Quotation
from tests.conftest import CLERK, login_as
from tests.helpers import count, row_counts, text

PHONE = "13800138001"


@pytest.fixture
def product(session):
    return session.scalar(select(Product).where(Product.list_price > 1000, Product.stock_on_hand >= 2,
                                                Product.active.is_(True)).order_by(Product.id).limit(1))


def _valid(days=7):
    return (local_today() + timedelta(days=days)).isoformat()


@pytest.fixture
def draft(session, clerk, product):
    q = quotes.create(session, actor=clerk, phone=PHONE, valid_until=_valid(), terms="含安装")
    session.commit()
    return q


def _approved(session, clerk, manager, q, product, price=None):
    quotes.add_line(session, q.id, product.id, "1", price, actor=clerk)
    quotes.submit(session, q.id, actor=clerk)
    quotes.review(session, q.id, actor=manager, approve=True)
    session.commit()
    return q


def test_line_over_the_clerks_limit_is_marked_for_review(session, english, clerk, draft, product):
    cheap = (product.list_price * Decimal("0.8")).quantize(Decimal("0.01"))
    line = quotes.add_line(session, draft.id, product.id, "1", str(cheap), actor=clerk)
    assert line.over_limit and draft.needs_approval and draft.total == cheap
    ok = quotes.add_line(session, draft.id, product.id, "1", str(product.list_price), actor=clerk)
    assert not ok.over_limit


@pytest.mark.parametrize("qty,price", [("0", None), ("-1", None), ("abc", None), ("1", "-5"), ("1", "0"),
                                       ("1", "abc")])
def test_bad_lines_refused(session, english, clerk, draft, product, qty, price):
    with pytest.raises(DomainError):
        quotes.add_line(session, draft.id, product.id, qty, price, actor=clerk)


def test_validity_in_the_past_refused(session, english, clerk):
    before = row_counts(session)
    with pytest.raises(DomainError, match="past"):
        quotes.create(session, actor=clerk, phone=PHONE, valid_until=_valid(-1))
    session.rollback()
    assert row_counts(session) == before


def test_review_send_back_needs_a_note_and_only_a_manager(session, english, clerk, manager, draft, product):
    quotes.add_line(session, draft.id, product.id, "1", None, actor=clerk)
    quotes.submit(session, draft.id, actor=clerk)
    with pytest.raises(Forbidden):
        quotes.review(session, draft.id, actor=clerk, approve=True)
    with pytest.raises(DomainError):
        quotes.review(session, draft.id, actor=manager, approve=False, note="")
    quotes.review(session, draft.id, actor=manager, approve=False, note="价格再核一下")
    assert draft.status == "sent_back"
    new = quotes.revise(session, draft.id, actor=clerk)
    session.commit()
    assert new.version == 2 and new.status == "draft" and draft.status == "superseded"
    assert [x.id for x in quotes.versions(session, new)] == [draft.id, new.id] and len(new.lines) == 1


def test_unapproved_quotation_cannot_be_answered_or_converted(session, english, clerk, draft, product):
    quotes.add_line(session, draft.id, product.id, "1", None, actor=clerk)
    quotes.submit(session, draft.id, actor=clerk)
    with pytest.raises(Conflict):
        quotes.answer(session, draft.id, actor=clerk, accepted=True)
    with pytest.raises(Conflict):
        quotes.to_voucher(session, draft.id, actor=clerk)


def test_accepted_quotation_becomes_a_voucher_at_quoted_prices(session, english, clerk, manager, draft, product):
    cheap = (product.list_price * Decimal("0.8")).quantize(Decimal("0.01"))
    _approved(session, clerk, manager, draft, product, str(cheap))
    quotes.answer(session, draft.id, actor=clerk, accepted=True)
    v = quotes.to_voucher(session, draft.id, actor=clerk)
    session.commit()
    assert v.status == VoucherStatus.WRITTEN_UP and v.no and v.total == cheap
    assert v.lines[0].unit_price == cheap and v.lines[0].approved_by_id == manager.id
    assert draft.voucher_id == v.id and quotes.quotation_for_voucher(session, v.id).id == draft.id
    assert v.customer.phone == PHONE
    assert quotes.to_voucher(session, draft.id, actor=clerk).id == v.id  # a double tap: the same voucher


def test_expired_quotation_cannot_be_accepted_or_converted(session, english, clerk, manager, draft, product):
    _approved(session, clerk, manager, draft, product)
    draft.valid_until = local_today() - timedelta(days=1)
    session.commit()
    assert quotes.shown_status(draft) == "Expired"
    with pytest.raises(DomainError, match="expired"):
        quotes.answer(session, draft.id, actor=clerk, accepted=True)
    draft.status = "accepted"
    with pytest.raises(DomainError, match="expired"):
        quotes.to_voucher(session, draft.id, actor=clerk)


def test_stock_is_checked_when_the_voucher_is_made(session, english, clerk, manager, draft, product):
    quotes.add_line(session, draft.id, product.id, str(product.stock_on_hand + 5), None, actor=clerk)
    quotes.submit(session, draft.id, actor=clerk)
    quotes.review(session, draft.id, actor=manager, approve=True)
    quotes.answer(session, draft.id, actor=clerk, accepted=True)
    session.commit()
    vouchers = count(session, Voucher)
    with pytest.raises(DomainError, match="stock"):
        quotes.to_voucher(session, draft.id, actor=clerk)
    session.rollback()
    assert count(session, Voucher) == vouchers


def test_declined_needs_a_reason(session, english, clerk, manager, draft, product):
    _approved(session, clerk, manager, draft, product)
    with pytest.raises(DomainError):
        quotes.answer(session, draft.id, actor=clerk, accepted=False, reason="")
    quotes.answer(session, draft.id, actor=clerk, accepted=False, reason="太贵")
    assert draft.status == "declined" and draft.decline_reason == "太贵"


def test_another_clerk_cannot_open_it(session, english, draft):
    from tests.conftest import staff_by_no

    with pytest.raises(Forbidden):
        quotes.get(session, draft.id, staff_by_no("C002"))


# ------------------------------------------------------------------ screens
def test_quotation_screens_end_to_end(client, session, product, clerk, manager):
    login_as(client, CLERK)
    r = client.post("/quotations/new", data={"phone": PHONE, "valid_until": _valid(-3)})
    assert r.status_code == 422 and 'data-testid="errors"' in text(r)
    assert count(session, Quotation) == 0
    r = client.post("/quotations/new", data={"phone": PHONE, "valid_until": _valid(), "terms": "含安装"})
    assert r.status_code == 303
    q = session.scalar(select(Quotation))
    assert client.post(f"/quotations/{q.id}/lines", data={"product_id": product.id, "quantity": "x"}).status_code == 422
    assert client.post(f"/quotations/{q.id}/lines", data={"product_id": product.id, "quantity": "1"}).status_code == 303
    assert client.get(f"/quotations/{q.id}.pdf").status_code == 409  # not approved: not printed
    assert client.post(f"/quotations/{q.id}/submit").status_code == 303
    assert client.post(f"/quotations/{q.id}/review", data={"decision": "approve"}).status_code == 403
    login_as(client, "M001")
    assert client.get("/quotations/reviews").status_code == 200
    assert client.post(f"/quotations/{q.id}/review", data={"decision": "approve"}).status_code == 303
    login_as(client, CLERK)
    r = client.get(f"/quotations/{q.id}.pdf")
    assert r.status_code == 200 and r.data[:4] == b"%PDF"
    assert client.post(f"/quotations/{q.id}/answer", data={"answer": "accepted"}).status_code == 303
    r = client.post(f"/quotations/{q.id}/voucher")
    assert r.status_code == 303 and "/vouchers/V" in r.headers["Location"]
    session.expire_all()
    assert session.get(Quotation, q.id).voucher is not None


def test_receipt_print_with_qr_only_when_approved(client, session, clerk, manager, draft, product):
    from pos.printers.models import PrintJob

    quotes.add_line(session, draft.id, product.id, "1", None, actor=clerk)
    session.commit()
    login_as(client, CLERK)
    before = count(session, PrintJob)
    r = client.post(f"/quotations/{draft.id}/print")
    assert r.status_code == 409 and 'data-testid="errors"' in text(r)
    assert count(session, PrintJob) == before
    quotes.submit(session, draft.id, actor=clerk)
    quotes.review(session, draft.id, actor=manager, approve=True)
    session.commit()
    assert client.post(f"/quotations/{draft.id}/print").status_code == 303
    job = session.scalar(select(PrintJob).order_by(PrintJob.id.desc()))
    assert job.kind == "quotation" and job.ref == draft.no
    assert '"qr"' in job.document and draft.no in job.document and "报价单" in job.document
