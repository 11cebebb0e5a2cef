"""Payments into the escrow account at the finance desk: 查 what is due, card or transfer with its
reference, cash only where the project allows it, once per one-time key, never more than is due,
the agreement in force once its deposit is paid, a receipt on the printer naming the escrow
account, a reversal only with the manager's PIN, the day's receipts as .xlsx."""

import json
from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from pos.clock import local_today
from pos.errors import Conflict, DomainError, Forbidden
from pos.printers.models import PrintJob
from pos.property import agreements, escrow
from pos.property.sale_models import EscrowPayment
from pos.shop.services import business_today
from tests.conftest import CASHIER, login_as, staff_by_no
from tests.helpers import count, row_counts, text
from tests.property.test_agreements import typed

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def agreement(session, b1, unit_no, agent):
    unit = unit_no(b1, "101")
    a = agreements.create_agreement(session, unit.id, typed(unit, deposit="50000"), actor=agent)
    session.commit()
    return a


@pytest.fixture
def desk(open_shift):
    open_shift()
    return staff_by_no(CASHIER)


def pay(session, a, cashier, amount="50000", method="card", reference="882301", key="k1", **over):
    data = escrow.PaymentInput(item=over.pop("item", "deposit"), amount=amount, method=method, reference=reference,
                               value_date=over.pop("value_date", local_today().isoformat()),
                               payer=over.pop("payer", ""))
    return escrow.take_payment(session, a.id, data, cashier=cashier, once_key=key)


def test_deposit_by_card_puts_the_agreement_in_force(session, agreement, desk):
    assert agreement.state == "awaiting_deposit"
    p = pay(session, agreement, desk)
    session.flush()
    assert p.amount == Decimal("50000.00") and p.due_before == Decimal("50000.00")
    assert p.receipt_no.endswith("-0001") and p.escrow_account_no == "31050161373600001234"
    assert agreement.state == "in_force" and agreement.in_force_at is not None
    assert escrow.announcement(p) == ("Received 50,000.00 yuan into the escrow account, 50,000.00 yuan was due, "
                                      "0.00 yuan still due.")
    job = session.scalar(select(PrintJob).where(PrintJob.ref == p.receipt_no))
    document = json.dumps(json.loads(job.document), ensure_ascii=False)
    assert job.kind == "receipt" and "31050161373600001234" in document and "预售资金监管账户" in document


def test_part_payment_then_the_rest(session, agreement, desk):
    first = pay(session, agreement, desk, amount="20000", key="a")
    assert agreement.state == "awaiting_deposit"
    assert escrow.announcement(first).endswith("30,000.00 yuan still due.")
    pay(session, agreement, desk, amount="30000", method="transfer", reference="HX 2026 1126 0001", key="b",
        value_date=(local_today() - timedelta(days=1)).isoformat())
    assert agreement.state == "in_force"
    assert escrow.paid_on(session, agreement, "deposit") == Decimal("50000.00")


def test_the_same_key_pays_once(session, agreement, desk):
    one = pay(session, agreement, desk, key="same")
    again = pay(session, agreement, desk, key="same")
    assert one.id == again.id and count(session, EscrowPayment) == 1


def test_paid_in_full_is_refused(session, agreement, desk):
    pay(session, agreement, desk, key="a")
    with pytest.raises(Conflict, match="already paid in full"):
        pay(session, agreement, desk, key="b")


@pytest.mark.parametrize("over, message, field", [
    ({"amount": "0"}, "more than 0", "amount"),
    ({"amount": "-5"}, "more than 0", "amount"),
    ({"amount": "abc"}, "not a number", "amount"),
    ({"amount": "50000.01"}, "more than the", "amount"),
    ({"method": "cash"}, "takes no cash", "method"),
    ({"method": "cheque"}, "card terminal or bank transfer", "method"),
    ({"reference": ""}, "terminal's reference", "reference"),
    ({"reference": "1; DROP"}, "4 to 40 letters", "reference"),
    ({"method": "transfer", "value_date": "2099-01-01"}, "after today", "value_date"),
    ({"method": "transfer", "value_date": "yesterday"}, "not a date", "value_date"),
    ({"item": "instalment:99"}, "Nothing of that kind", "item"),
    ({"item": "bogus"}, "what is being paid", "item"),
])
def test_bad_input_is_refused_and_nothing_saved(session, agreement, desk, over, message, field):
    before = row_counts(session)
    with pytest.raises(DomainError, match=message) as refused:
        pay(session, agreement, desk, **over)
    assert refused.value.field == field
    session.rollback()
    assert row_counts(session) == before


def test_cash_when_the_project_allows_it(session, agreement, desk, manager):
    agreements.set_terms(session, agreement.project_id, actor=manager, escrow_cash_allowed=True)
    p = pay(session, agreement, desk, method="cash", reference="")
    assert p.method == "cash"
    assert escrow.shift_takings(session, p.shift_id).cash_net == Decimal("50000.00")


def test_no_shift_no_payment(session, agreement):
    with pytest.raises(DomainError, match="Open your shift"):
        pay(session, agreement, staff_by_no(CASHIER))


def test_reversal_is_a_new_record_and_puts_the_agreement_back(session, agreement, desk, manager):
    p = pay(session, agreement, desk)
    with pytest.raises(DomainError, match="required"):
        escrow.reverse_payment(session, p.id, cashier=desk, approver=manager, reason="", once_key="r0")
    with pytest.raises(Forbidden):
        escrow.reverse_payment(session, p.id, cashier=desk, approver=desk, reason="x", once_key="r0")
    r = escrow.reverse_payment(session, p.id, cashier=desk, approver=manager, reason="刷错卡", once_key="r1")
    session.flush()
    assert r.amount == Decimal("-50000.00") and r.reverses_id == p.id and p.amount == Decimal("50000.00")
    assert agreement.state == "awaiting_deposit" and escrow.paid_on(session, agreement, "deposit") == 0
    with pytest.raises(Conflict, match="already been reversed"):
        escrow.reverse_payment(session, p.id, cashier=desk, approver=manager, reason="again", once_key="r2")
    with pytest.raises(DomainError, match="cannot itself be reversed"):
        escrow.reverse_payment(session, r.id, cashier=desk, approver=manager, reason="again", once_key="r3")
    takings = escrow.shift_takings(session, p.shift_id)
    assert (takings.received, takings.reversed, takings.net) == (Decimal("50000.00"), Decimal("-50000.00"), 0)


def test_day_workbook_lists_the_receipts(session, agreement, desk):
    p = pay(session, agreement, desk)
    session.commit()
    book = load_workbook(escrow.day_workbook(session, business_today(session)))  # the desk's business day
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[1][0] == p.receipt_no and rows[1][9] == 50000 and rows[-1][0] == "合计"


# ------------------------------------------------------------------ screens
def test_web_cashier_takes_the_deposit(app, client, session, agreement, desk):
    login_as(client, CASHIER)
    found = client.get(f"/property/escrow/find?no={agreement.no.lower()}")
    assert found.status_code == 303
    page = client.get(found.headers["Location"])
    assert page.status_code == 200 and "50,000.00" in text(page)
    form = {"item": "deposit", "amount": "５００００", "method": "card", "reference": "882301",
            "value_date": local_today().isoformat(), "payer": "", "once_key": "web-1"}
    resp = client.post(f"/property/escrow/agreements/{agreement.id}", data=form)
    assert resp.status_code == 303, text(resp)
    again = client.post(f"/property/escrow/agreements/{agreement.id}", data=form)  # a double tap
    assert again.status_code == 303 and again.headers["Location"] == resp.headers["Location"]
    shown = client.get(resp.headers["Location"])
    assert "0.00 yuan still due" in text(shown)
    p = session.scalar(select(EscrowPayment))
    pdf = client.get(f"/property/escrow/payments/{p.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    xlsx = client.get(f"/property/escrow/day.xlsx?day={business_today(session).isoformat()}")
    assert xlsx.status_code == 200 and load_workbook(BytesIO(xlsx.data)).active.max_row == 3
    assert client.get("/property/escrow").status_code == 200


def test_web_refusal_says_why_and_saves_nothing(app, client, session, agreement, desk):
    login_as(client, CASHIER)
    form = {"item": "deposit", "amount": "50000", "method": "cash", "reference": "", "once_key": "web-2"}
    resp = client.post(f"/property/escrow/agreements/{agreement.id}", data=form)
    assert resp.status_code == 422 and "takes no cash" in text(resp)
    session.expire_all()
    assert count(session, EscrowPayment) == 0


def test_web_reversal_needs_the_right_pin(app, client, session, agreement, desk, manager):
    p = pay(session, agreement, desk)
    session.commit()
    login_as(client, CASHIER)
    bad = client.post(f"/property/escrow/payments/{p.id}/reverse",
                      data={"manager_id": manager.id, "manager_pin": "0000", "reason": "x", "once_key": "rv"})
    assert bad.status_code in (401, 403, 422) and count(session, EscrowPayment) == 1
    ok = client.post(f"/property/escrow/payments/{p.id}/reverse",
                     data={"manager_id": manager.id, "manager_pin": "9001", "reason": "刷错卡", "once_key": "rv"})
    assert ok.status_code == 303
    session.expire_all()
    assert count(session, EscrowPayment) == 2


def test_web_clerk_may_not_take_money(app, client, agreement):
    login_as(client, "C001")
    resp = client.post(f"/property/escrow/agreements/{agreement.id}", data={"item": "deposit"})
    assert resp.status_code == 403


# ------------------------------------------------------------------ the shift, the day, the Z report
def test_escrow_money_is_its_own_category_in_the_shift_and_the_day(app, client, session, agreement, desk, manager):
    from pos.cashier import services as cashier_services
    from pos.reports import signoff as reports
    from pos.shop import services as shop

    p = pay(session, agreement, desk)
    session.commit()
    shift = cashier_services.current_shift(session, desk)
    summary = cashier_services.summarise(session, shift)
    assert summary.payments == 0 and summary.by_tender == {}  # not shop takings
    assert [(m.count, m.amount, m.cash) for m in summary.other_money] == [(1, Decimal("50000.00"), 0)]
    assert summary.expected_cash == shift.opening_float  # by card: nothing in the drawer
    day = reports.day_summary(session, shop.business_today(session))
    assert day.takings == 0 and day.escrow.count == 1 and day.escrow.net == p.amount
    login_as(client, CASHIER)
    report = client.get(f"/cashier/shifts/{shift.id}")
    assert report.status_code == 200 and "50,000.00" in text(report)
    login_as(client, "M001")
    page = client.get(f"/reports/day?day={day.day.isoformat()}")
    assert page.status_code == 200 and 'data-testid="day-escrow"' in text(page)


def test_escrow_cash_is_expected_in_the_drawer(session, agreement, desk, manager):
    from pos.cashier import services as cashier_services

    agreements.set_terms(session, agreement.project_id, actor=manager, escrow_cash_allowed=True)
    pay(session, agreement, desk, amount="20000", method="cash", reference="")
    shift = cashier_services.current_shift(session, desk)
    summary = cashier_services.summarise(session, shift)
    assert summary.expected_cash == shift.opening_float + Decimal("20000.00")


# ------------------------------------------------------------------ the 认筹 fee of a queue number
@pytest.fixture
def ticket(session, project, agent):
    from pos.property import opening

    t = opening.issue_ticket(session, project, actor=agent, phone="13912345678", name="孙女士", fee="20000")
    session.commit()
    return t


def test_queue_fee_into_escrow_and_its_reversal(session, ticket, desk, manager):
    assert ticket.fee_state == "due"
    data = escrow.PaymentInput(item="queue_fee", amount="20000.01", method="card", reference="55501")
    with pytest.raises(DomainError, match="more than the"):
        escrow.take_queue_fee(session, ticket.id, data, cashier=desk, once_key="q0")
    data.amount = "20000"
    p = escrow.take_queue_fee(session, ticket.id, data, cashier=desk, once_key="q1")
    assert p.agreement_id is None and p.kind == "queue_fee" and p.paid_for == f"认筹 No.{ticket.number}"
    assert ticket.fee_state == "paid" and escrow.take_queue_fee(session, ticket.id, data, cashier=desk,
                                                                once_key="q1").id == p.id
    with pytest.raises(Conflict, match="no 认筹 fee"):
        escrow.take_queue_fee(session, ticket.id, data, cashier=desk, once_key="q2")
    r = escrow.reverse_payment(session, p.id, cashier=desk, approver=manager, reason="刷错", once_key="qr")
    assert r.amount == Decimal("-20000.00") and ticket.fee_state == "due"
    session.commit()
    book = load_workbook(escrow.day_workbook(session, business_today(session)))
    assert [row[3] for row in book.active.iter_rows(min_row=2, values_only=True)][:2] == [p.paid_for, p.paid_for]


def test_web_queue_fee(app, client, session, ticket, desk, project):
    login_as(client, CASHIER)
    found = client.get(f"/property/escrow/queue?project={project.id}&number={ticket.number}")
    assert found.status_code == 303
    page = client.get(found.headers["Location"])
    assert page.status_code == 200 and "20,000.00" in text(page)
    bad = client.post(found.headers["Location"], data={"amount": "20000", "method": "cash", "once_key": "wq0"})
    assert bad.status_code == 422 and count(session, EscrowPayment) == 0
    ok = client.post(found.headers["Location"], data={"amount": "20000", "method": "card", "reference": "55501",
                                                      "once_key": "wq1"})
    assert ok.status_code == 303
    p = session.scalar(select(EscrowPayment))
    assert client.get(f"/property/escrow/payments/{p.id}.pdf").status_code == 200
    assert client.get(f"/property/escrow/payments/{p.id}").status_code == 200
    assert client.get(f"/property/escrow/queue?project={project.id}&number=99999").status_code == 404
