"""Takings facts and the dashboard: stored sums equal live sums; a correction (refund, bounced
cheque) counts on its own day, so a signed-off day keeps its figures; filters; .xlsx export;
bad ranges answered 422."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from pos.cashier import services as cashier
from pos.cashier.models import ChequeClearance, Payment, Refund, Shift
from pos.catalog.models import Product
from pos.errors import DomainError
from pos.reports import charts, signoff, takings
from pos.reports import dashboard as boards
from pos.sales import services as sales
from pos.sales.services import Approval
from pos.shop.models import Showroom, Station
from pos.shop.services import business_today
from tests.conftest import login_as, staff_by_no


def _sell(session, clerk_no: str, product_index: int, qty: str = "1"):
    """A clerk writes up one product at its list price."""
    clerk = staff_by_no(clerk_no)
    product = session.scalars(select(Product).where(Product.list_price > 100).order_by(Product.id)).all()[
        product_index]
    v = sales.open_draft(session, clerk)
    sales.add_line(session, v, product.id, qty, str(product.list_price), actor=clerk)
    sales.write_up(session, v, actor=clerk)
    session.commit()
    return v


@pytest.fixture
def day_of_sales(session, open_shift):
    """Today at T1 (S001): C001 sells twice (cash, WeChat), C002 once (cheque); one refund."""
    shift = open_shift()
    s001 = staff_by_no("S001")
    a, b, c = _sell(session, "C001", 0, "2"), _sell(session, "C001", 1), _sell(session, "C002", 2)
    cashier.take_payment(session, a.no, cashier=s001, once_key="a", plain_cash=str(a.total + 50))
    cashier.take_payment(session, b.no, cashier=s001, once_key="b", others=[
        cashier.OtherTender("wechat", str(b.total), reference="wx-1")])
    cashier.take_payment(session, c.no, cashier=s001, once_key="c", others=[
        cashier.OtherTender("cheque", str(c.total), "000123", "工商银行", "周先生")])
    session.commit()
    line = a.lines[0]
    cashier.refund(session, a.no, {line.id: "1"}, method="cash", reason="质量问题", cashier=s001,
                   approval=Approval(staff_by_no("M001").id, "9001"), once_key="r1")
    session.commit()
    return {"shift": shift, "a": a, "b": b, "c": c}


def test_live_sums_add_up(session, day_of_sales, english):
    a, b, c = day_of_sales["a"], day_of_sales["b"], day_of_sales["c"]
    cells = takings.live_day(session, business_today(session))
    tender = takings.collapse(cells, "tender")
    refunded = a.lines[0].unit_price
    assert tender["cash"].amount == a.total  # the change came back out of the cash
    assert tender["wechat"].amount == b.total and tender["cheque"].amount == c.total
    assert tender["refund"].amount == -refunded
    net = a.total + b.total + c.total - refunded
    assert sum(x.amount for x in tender.values()) == net
    for dimension in ("clerk", "product", "category", "hour"):
        assert sum(x.amount for x in takings.collapse(cells, dimension).values()) == net, dimension
    clerks = {x.label: x for x in takings.collapse(cells, "clerk").values()}
    assert clerks["李晓梅"].amount == a.total + b.total - refunded and clerks["李晓梅"].count == 2
    assert clerks["李晓梅"].quantity == Decimal("2.000")  # 2 + 1 pieces, 1 refunded
    assert clerks["张伟"].amount == c.total


def test_stored_day_equals_live_and_is_written_once(session, day_of_sales):
    day = business_today(session)
    live = takings.live_day(session, day)
    written = takings.store_day(session, day)
    assert written == len(live) + 1 and takings.store_day(session, day) == 0
    assert takings.day_cells(session, day) == live
    sums = takings.range_sums(session, day - timedelta(days=2), day)
    assert sums.daily[day] == sum(x.amount for x in takings.collapse(live, "tender").values())
    assert sums.daily[day - timedelta(days=1)] == 0


def _move_back_a_day(session):
    """Make today's shift and payments yesterday's (history for the tests)."""
    back = timedelta(days=1)
    for model, columns in ((Payment, ("at",)), (Refund, ("at",)), (Shift, ("opened_at", "closed_at"))):
        for row in session.scalars(select(model)):
            for column in columns:
                if getattr(row, column) is not None:
                    setattr(row, column, getattr(row, column) - back)
    session.commit()


def test_bounced_cheque_counts_on_its_own_day_and_the_signed_day_keeps_its_z(session, day_of_sales):
    manager = staff_by_no("M001")
    shift = day_of_sales["shift"]
    cashier.close_shift(session, shift, {10000: 2, 1000: 5}, actor=staff_by_no("S001"), note="x")
    session.commit()
    _move_back_a_day(session)
    yesterday = business_today(session) - timedelta(days=1)
    signoff.review_shift(session, shift, "ok", manager=manager)
    signoff.sign_off(session, yesterday, manager=manager)
    session.commit()
    before = signoff.day_summary(session, yesterday)
    assert session.scalar(select(ChequeClearance.id)) is None
    cheque = cashier.pending_cheques(session)[0]
    cashier.clear_cheque(session, cheque.id, "bounced", manager=manager, note="余额不足")
    session.commit()
    after = signoff.day_summary(session, yesterday)
    assert (after.takings, after.net, after.by_tender) == (before.takings, before.net, before.by_tender)
    today = signoff.day_summary(session, business_today(session))
    c = day_of_sales["c"]
    assert today.bounced == c.total and today.net == -c.total
    sums = takings.range_sums(session, yesterday, business_today(session))
    assert sums.daily[yesterday] == before.net and sums.daily[business_today(session)] == -c.total


def test_dashboard_build_and_showroom_filter(session, day_of_sales):
    day = business_today(session)
    board = boards.build(session, day - timedelta(days=6), day)
    assert len(board.daily) == 7 and board.total == board.daily[-1].amount
    assert {r.label for r in board.clerks} == {"李晓梅", "张伟"}
    assert [r.amount for r in board.clerks] == sorted((r.amount for r in board.clerks), reverse=True)
    assert board.products and len(board.products) <= boards.TOP_PRODUCTS
    assert board.payments == 3
    # a second showroom with its own station: the main showroom's takings are not its
    east = Showroom(code="SH02", name="城东展厅")
    session.add(east)
    session.flush()
    session.add(Station(code="T9", name="城东收银台", showroom_id=east.id))
    session.commit()
    assert boards.build(session, day, day, east).total == 0
    main = session.scalar(select(Showroom).where(Showroom.code != "SH02"))
    assert boards.build(session, day, day, main).total == board.total


@pytest.mark.parametrize("first,last,days", [
    ("2026-03-10", "2026-03-01", None),  # reversed
    ("2020-01-01", "2026-01-01", None),  # longer than a year
    ("1900-01-01", "1900-01-05", None),  # absurd
    (None, None, "12"),  # not a quick range
])
def test_bad_ranges_are_refused(session, english, first, last, days):
    from datetime import date

    with pytest.raises(DomainError):
        boards.parse_range(session, first and date.fromisoformat(first), last and date.fromisoformat(last), days)


def test_dashboard_page_charts_tables_and_export(client, session, day_of_sales):
    login_as(client, "M001")
    body = client.get("/reports/dashboard?days=30").get_data(as_text=True)
    assert body.count("<svg class=\"chart\"") == 5 and "李晓梅" in body and "按小时" in body
    day = business_today(session)
    resp = client.get(f"/reports/dashboard.xlsx?first={day}&last={day}&table=clerks")
    assert resp.status_code == 200
    book = load_workbook(BytesIO(resp.data))
    assert book.sheetnames == ["按营业员"]
    rows = list(book.active.iter_rows(min_row=3, values_only=True))
    assert {r[0] for r in rows} == {"李晓梅", "张伟"}
    a, b, c = day_of_sales["a"], day_of_sales["b"], day_of_sales["c"]
    assert sum(Decimal(str(r[1])) for r in rows) == a.total + b.total + c.total - a.lines[0].unit_price
    every = load_workbook(BytesIO(client.get(f"/reports/dashboard.xlsx?first={day}&last={day}").data))
    assert len(every.sheetnames) == 5


@pytest.mark.parametrize("query", ["first=2026-03-10&last=2026-03-01", "first=1900-01-01", "first=banana",
                                   "days=12", "showroom=999", "showroom=x"])
def test_dashboard_bad_filters_answer_422(client, query):
    login_as(client, "M001")
    resp = client.get(f"/reports/dashboard?{query}")
    assert resp.status_code == 422 and 'data-testid="errors"' in resp.get_data(as_text=True)
    assert client.get(f"/reports/dashboard.xlsx?{query}").status_code == 422


def test_export_of_an_unknown_table_is_refused(client):
    login_as(client, "M001")
    assert client.get("/reports/dashboard.xlsx?table=secrets").status_code == 422


def test_a_clerk_cannot_open_the_dashboard(client):
    login_as(client, "C001")
    assert client.get("/reports/dashboard").status_code == 403
    assert client.get("/reports/dashboard.xlsx").status_code == 403


def test_chart_scales():
    assert charts.nice_step(Decimal("12345")) == Decimal("5000")
    assert charts.short_money(Decimal("35000")) == "3.5万" and charts.short_money(Decimal("980")) == "980"
    svg = charts.columns([("a", Decimal("10")), ("b", Decimal("-5"))], title="<x>")
    assert "&lt;x&gt;" in svg and svg.count("<rect") == 2


def test_no_bounce_is_recorded_into_a_signed_off_day(session, day_of_sales, english):
    manager = staff_by_no("M001")
    shift = day_of_sales["shift"]
    cashier.close_shift(session, shift, {10000: 2, 1000: 5}, actor=staff_by_no("S001"), note="x")
    signoff.review_shift(session, shift, "ok", manager=manager)
    signoff.sign_off(session, business_today(session), manager=manager)
    session.commit()
    cheque = cashier.pending_cheques(session)[0]
    with pytest.raises(DomainError):
        cashier.clear_cheque(session, cheque.id, "bounced", manager=manager, note="余额不足")
    session.rollback()
    assert cashier.pending_cheques(session) == [cheque]
    cashier.clear_cheque(session, cheque.id, "cleared", manager=manager)  # the funds arriving changes no takings


def test_a_transaction_asks_once_whether_today_is_signed_off_and_learns_of_its_own_sign_off(session, day_of_sales):
    """A page asks two or three times whether today is frozen: one SELECT a transaction. The sign-off
    written in that same transaction is seen at once (the memo is forgotten), and a new transaction
    asks the database again."""
    from pos.shop import services as shop
    from tests.helpers import statements

    manager, shift = staff_by_no("M001"), day_of_sales["shift"]
    cashier.close_shift(session, shift, {10000: 2, 1000: 5}, actor=staff_by_no("S001"), note="x")
    signoff.review_shift(session, shift, "ok", manager=manager)
    session.commit()

    def asked():
        return [s for s, _ in sent if "day_sign_off" in s]

    with statements(session.get_bind()) as sent:
        today = business_today(session)
        assert shop.frozen_today(session) is None and shop.frozen_today(session) is None
        assert not shop.day_signed_off(session, today)
        assert len(asked()) == 1
        signoff.sign_off(session, today, manager=manager)
        assert shop.day_signed_off(session, today) and shop.frozen_today(session) is not None
        session.commit()
        sent.clear()
        assert shop.frozen_today(session) is not None and len(asked()) == 1
