"""The cashier's rules: shifts, 查 数 验 唱, tenders, cheques, idempotency, refunds, closing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from pos.cashier import services
from pos.cashier.models import DrawerOpening, Payment, RejectedNote, Tender
from pos.errors import Conflict, DomainError, Forbidden
from pos.sales import services as sales
from pos.shop.models import DaySignOff
from tests.conftest import staff_by_no

pytestmark = pytest.mark.usefixtures("english")
D = Decimal


def payments(session):
    return session.scalar(select(func.count(Payment.id)))


def test_open_shift_with_counted_float(session, open_shift):
    shift = open_shift()
    assert shift.opening_float == D("250.00") and shift.is_open
    with pytest.raises(Conflict, match="already have an open shift"):
        services.open_shift(session, cashier=staff_by_no("S001"), station_id=shift.station_id, counts={})
    with pytest.raises(Conflict, match="in use by"):
        services.open_shift(session, cashier=staff_by_no("S002"), station_id=shift.station_id, counts={})


@pytest.mark.parametrize("raw", [{"10000": "-1"}, {"10000": "abc"}, {"10000": "1.5"}, {"10000": "100000"}])
def test_bad_counts(raw):
    with pytest.raises(DomainError):
        services.parse_counts(raw)


def test_paying_without_a_shift_is_refused(session, write_up):
    v = write_up()
    with pytest.raises(DomainError, match="Open your shift first"):
        services.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="k1", counts={10000: 2})
    assert payments(session) == 0


def test_cash_payment_with_change_and_announcement(session, write_up, open_shift):
    v = write_up("168.00")
    open_shift()
    p = services.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="k1", counts={10000: 2})
    assert (p.received, p.amount_due, p.change_given) == (D("200.00"), D("168.00"), D("32.00"))
    assert v.payment_state == "paid"
    # the customer hears the shop's language (default Chinese), whatever the reader's language is
    assert services.announcement(p.received, p.amount_due, p.change_given) == \
        "收您 200.00 元，应收 168.00 元，找您 32.00 元。"
    assert services.announcement(p.received, p.amount_due, p.change_given, language="en") == \
        "Received 200.00 yuan, 168.00 yuan due, your change is 32.00 yuan."
    assert services.change_breakdown(D("32.00")) == ([(2000, 1), (1000, 1), (100, 2)], 0)
    assert services.change_breakdown(D("0.67")) == ([(50, 1), (10, 1)], 7)
    assert session.scalar(select(func.count(DrawerOpening.id))) == 1


def test_rejected_note_is_left_out_and_recorded(session, write_up, open_shift):
    v = write_up("168.00")
    open_shift()
    rejected = [services.Rejected(10000, "counterfeit", "AB12345678")]
    with pytest.raises(DomainError, match="Nothing was received"):  # the only note counted was rejected
        services.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="k0", counts={10000: 1},
                              rejected=rejected)
    p = services.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="k1", counts={10000: 3},
                              rejected=rejected)
    assert p.received == D("200.00") and p.change_given == D("32.00")
    note = session.scalar(select(RejectedNote))
    assert (note.denomination, note.reason, note.serial) == (10000, "counterfeit", "AB12345678")


def test_rejecting_more_than_counted(session, write_up, open_shift):
    v = write_up()
    open_shift()
    with pytest.raises(DomainError, match="only 1 were counted"):
        services.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="k1", counts={5000: 1, 10000: 2},
                              rejected=[services.Rejected(5000), services.Rejected(5000)])
    assert payments(session) == 0


def test_short_tender_is_refused_and_nothing_is_saved(session, write_up, open_shift):
    v = write_up("168.00")
    open_shift()
    with pytest.raises(DomainError, match="Received ￥100.00, ￥168.00 is due"):
        services.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="k1", counts={10000: 1})
    assert payments(session) == 0 and v.payment_state == "unpaid"


def test_plain_cash_amount(session, write_up, open_shift):
    v = write_up("168.00")
    open_shift()
    p = services.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="k1", plain_cash="170")
    assert p.change_given == D("2.00")
    with pytest.raises(DomainError):
        services.tally(D("1"), counts={100: 1}, plain_cash="1")


def test_split_card_and_cash(session, write_up, open_shift):
    v = write_up("1000.00")
    open_shift()
    card = services.OtherTender("card", "800", reference="T-998877")
    p = services.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="k1", counts={10000: 3},
                              others=[card])
    assert p.received == D("1100.00") and p.change_given == D("100.00")
    assert {t.kind: t.amount for t in p.tenders} == {"cash": D("300.00"), "card": D("800.00")}


def test_change_only_in_cash(session, write_up, open_shift):
    v = write_up("100.00")
    open_shift()
    with pytest.raises(DomainError, match="change is only given in cash"):
        services.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="k1",
                              others=[services.OtherTender("wechat", "120", reference="wx1")])


@pytest.mark.parametrize(("tender", "message"), [
    (services.OtherTender("card", "100"), "terminal"),
    (services.OtherTender("alipay", "100"), "transaction reference"),
    (services.OtherTender("cheque", "100", bank="工行", drawer="某公司"), "needs its number"),
    (services.OtherTender("cheque", "100", reference="123"), "bank and the drawer"),
    (services.OtherTender("card", "-5", reference="x"), "more than zero"),
    (services.OtherTender("card", "abc", reference="x"), "Not an amount"),
    (services.OtherTender("bitcoin", "100", reference="x"), "Unknown way"),
])
def test_bad_other_tenders(session, write_up, open_shift, tender, message):
    v = write_up("100.00")
    open_shift()
    with pytest.raises(DomainError, match=message):
        services.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="k1", others=[tender])
    assert payments(session) == 0


def test_cheque_holds_until_cleared(session, write_up, open_shift):
    v = write_up("5000.00")
    open_shift()
    cheque = services.OtherTender("cheque", "5000", reference="10203040", bank="工商银行", drawer="上海某某公司")
    p = services.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="k1", others=[cheque])
    assert v.payment_state == "awaiting_clearance" and p.awaiting_clearance
    assert services.pending_cheques(session)[0].reference == "10203040"
    with pytest.raises(Forbidden):
        services.clear_cheque(session, p.tenders[0].id, "cleared", manager=staff_by_no("S001"))
    services.clear_cheque(session, p.tenders[0].id, "cleared", manager=staff_by_no("M001"))
    assert v.payment_state == "paid" and services.pending_cheques(session) == []
    with pytest.raises(Conflict, match="already marked"):
        services.clear_cheque(session, p.tenders[0].id, "bounced", manager=staff_by_no("M001"), note="x")


def test_bounced_cheque_returns_the_voucher_to_unpaid(session, write_up, open_shift):
    v = write_up("5000.00")
    open_shift()
    cheque = services.OtherTender("cheque", "5000", reference="555", bank="建设银行", drawer="张三")
    p = services.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="k1", others=[cheque])
    with pytest.raises(DomainError, match="what the bank said"):
        services.clear_cheque(session, p.tenders[0].id, "bounced", manager=staff_by_no("M001"))
    services.clear_cheque(session, p.tenders[0].id, "bounced", manager=staff_by_no("M001"), note="余额不足")
    assert v.payment_state == "unpaid" and p.reversed_at is not None
    # and it can be paid again, properly
    p2 = services.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="k2", counts={10000: 50})
    assert p2.id != p.id and v.payment_state == "paid"


def test_double_tap_pays_once(session, write_up, open_shift):
    v = write_up("168.00")
    open_shift()
    first = services.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="same", counts={10000: 2})
    session.commit()
    again = services.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="same", counts={10000: 2})
    assert again.id == first.id and payments(session) == 1
    with pytest.raises(Conflict, match="already paid"):
        services.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="other", counts={10000: 2})


def test_check_refuses_what_cannot_be_paid(session, write_up, open_shift):
    open_shift()
    v = write_up()
    sales.cancel(session, v, "顾客不要了", actor=staff_by_no("M001"))
    with pytest.raises(DomainError, match="was cancelled"):
        services.check_voucher(session, v.no)
    with pytest.raises(DomainError, match="No voucher numbered"):
        services.check_voucher(session, "V19990101-0001")
    v2 = write_up()
    v2.lines[0].amount += 1  # changed behind the app's back
    with pytest.raises(DomainError, match="does not add up"):
        services.check_voucher(session, v2.no)


def test_voucher_of_a_signed_off_day(session, write_up, open_shift):
    open_shift()
    v = write_up()
    from pos.shop.services import business_today
    v.business_day = business_today(session) - timedelta(days=1)
    session.add(DaySignOff(day=v.business_day, signed_by_id=staff_by_no("M001").id))
    session.commit()
    with pytest.raises(DomainError, match="already signed off"):
        services.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="k1", counts={10000: 2})


def test_the_pay_page_refuses_a_signed_off_days_voucher_without_holding_the_day(session, write_up, open_shift,
                                                                              monkeypatch):
    """Opening a voucher to show it (the pay page, its tally) says a signed-off day's voucher cannot be
    paid, from a plain read (no day held: on PostgreSQL an advisory lock a GET has no use for); the
    payment itself asks again holding the day (tests/pg/test_pg_races.py)."""
    from pos.shop import services as shop

    held = []
    real_hold = shop.hold_day
    monkeypatch.setattr(shop, "hold_day", lambda s, day, **kw: (held.append(day), real_hold(s, day, **kw)))
    open_shift()
    v, today = write_up(), write_up()
    v.business_day = shop.business_today(session) - timedelta(days=1)
    session.add(DaySignOff(day=v.business_day, signed_by_id=staff_by_no("M001").id))
    session.commit()
    held.clear()
    with pytest.raises(DomainError, match="already signed off"):
        services.check_voucher(session, v.no)
    session.rollback()
    assert services.check_voucher(session, today.no) is today  # today is open
    assert held == []
    with pytest.raises(DomainError, match="already signed off"):
        services.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="k1", counts={10000: 2})
    assert v.business_day in held  # the payment held the voucher's day


def test_refund_by_line_with_manager_approval(session, write_up, open_shift):
    v = write_up("100.00", qty="3")
    open_shift()
    services.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="k1", counts={10000: 3})
    line = v.lines[0]
    cashier, manager = staff_by_no("S001"), staff_by_no("M001")
    with pytest.raises(sales.NeedsApproval):
        services.refund(session, v.no, {line.id: "1"}, method="cash", reason="质量问题", cashier=cashier,
                        approval=None, once_key="r1")
    with pytest.raises(DomainError, match="only 3 can still be refunded"):
        services.refund(session, v.no, {line.id: "4"}, method="cash", reason="质量问题", cashier=cashier,
                        approval=sales.Approval(manager.id, "9001"), once_key="r1")
    with pytest.raises(DomainError, match="Say why"):
        services.refund(session, v.no, {line.id: "1"}, method="cash", reason="", cashier=cashier,
                        approval=sales.Approval(manager.id, "9001"), once_key="r1")
    r = services.refund(session, v.no, {line.id: "1"}, method="cash", reason="质量问题", cashier=cashier,
                        approval=sales.Approval(manager.id, "9001"), once_key="r1")
    assert r.amount == D("100.00") and r.approved_by == manager and v.payment_state == "paid"
    with pytest.raises(DomainError, match="only 2 can still be refunded"):
        services.refund(session, v.no, {line.id: "3"}, method="cash", reason="x", cashier=cashier,
                        approval=sales.Approval(manager.id, "9001"), once_key="r2")
    services.refund(session, v.no, {line.id: "2"}, method="original", reason="整单退", cashier=cashier,
                    approval=sales.Approval(manager.id, "9001"), once_key="r3")
    assert v.payment_state == "refunded"
    # the payment itself was never changed
    assert session.scalar(select(Payment)).received == D("300.00")


def test_close_shift_over_short(session, write_up, open_shift):
    shift = open_shift(counts={10000: 2, 1000: 5})  # float 250
    v = write_up("168.00")
    services.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key="k1", counts={10000: 2},
                          rejected=[])
    v2 = write_up("50.00")
    services.take_payment(session, v2.no, cashier=staff_by_no("S001"), once_key="k2",
                          others=[services.OtherTender("card", "50", reference="T1")])
    # expected: 250 + 200 − 32 = 418; counted 408: short 10
    with pytest.raises(Forbidden):
        services.close_shift(session, shift, {}, actor=staff_by_no("S002"))
    summary = services.close_shift(session, shift, {10000: 4, 500: 1, 100: 3}, actor=staff_by_no("S001"))
    assert summary.expected_cash == D("418.00")
    assert shift.counted_cash == D("408.00") and shift.over_short == D("-10.00")
    assert summary.by_tender == {"cash": D("168.00"), "card": D("50.00")}
    with pytest.raises(Conflict, match="already closed"):
        services.close_shift(session, shift, {}, actor=staff_by_no("S001"))
    v3 = write_up("10.00")
    with pytest.raises(DomainError, match="Open your shift first"):
        services.take_payment(session, v3.no, cashier=staff_by_no("S001"), once_key="k3", counts={1000: 1})


def test_tenders_are_never_edited(session):
    """Corrections are new rows: the model has no path that rewrites a tender's amount."""
    assert not hasattr(services, "edit_payment") and not hasattr(services, "delete_payment")
    assert Tender.__table__.c.amount is not None


# ------------------------------------------------------------------ refunds never pay out more than was paid
def _paid_line(session, write_up, open_shift, *, qty, whole):
    from pos.catalog.models import Product

    product = session.scalar(select(Product).where(Product.list_price > 1000).order_by(Product.id).limit(1))
    product.whole_units_only = whole
    session.commit()
    v = write_up("4998.00", qty=qty)
    open_shift()
    services.take_payment(session, v.no, cashier=staff_by_no("S001"), once_key=f"pay-{v.no}",
                          plain_cash=str(v.total))
    session.commit()
    return v, v.lines[0]


def _refund(session, v, line, qty, key):
    return services.refund(session, v.no, {line.id: qty}, method="cash", reason="退货", cashier=staff_by_no("S001"),
                           approval=sales.Approval(staff_by_no("M001").id, "9001"), once_key=key)


def refunded(session, v):
    from pos.cashier.models import Refund

    return session.scalar(select(func.sum(Refund.amount)).where(Refund.voucher_id == v.id)) or D("0.00")


def test_a_whole_unit_product_is_refunded_in_whole_units(session, write_up, open_shift):
    """Issue 13 item 7: 0.9994 and then 0.001 of a ￥4,998 fridge refunded ￥5,000.00."""
    v, line = _paid_line(session, write_up, open_shift, qty="1", whole=True)
    for qty in ("0.9994", "0.001"):
        with pytest.raises(DomainError, match="whole"):
            _refund(session, v, line, qty, f"r-{qty}")
        session.rollback()
    assert refunded(session, v) == D("0.00")
    assert _refund(session, v, line, "1", "r-1").amount == D("4998.00")


def test_a_line_refunded_in_parts_pays_back_what_was_paid_to_the_fen(session, write_up, open_shift):
    """0.999 then 0.001 of ￥4,998 sold by the metre: ￥4,993.00 then the ￥5.00 left — ￥4,998.00, not ￥4,998.002
    rounded twice up."""
    v, line = _paid_line(session, write_up, open_shift, qty="1", whole=False)
    assert _refund(session, v, line, "0.999", "a").amount == D("4993.00")
    assert _refund(session, v, line, "0.001", "b").amount == D("5.00")
    assert refunded(session, v) == line.amount == D("4998.00")
    assert v.payment_state == "refunded"


def test_ten_small_refunds_never_exceed_the_line(session, write_up, open_shift):
    """Issue 13 item 7: ten refunds of 0.0014999 of 0.010 units refunded ￥75.00 (paid: ￥49.98). More than three
    decimals is refused; ten refunds of 0.001 pay back ￥49.98 in all (￥5.00 nine times, then the ￥4.98 left)."""
    v, line = _paid_line(session, write_up, open_shift, qty="0.010", whole=False)
    assert line.amount == D("49.98")
    with pytest.raises(DomainError, match="three decimals"):
        _refund(session, v, line, "0.0014999", "x")
    session.rollback()
    amounts = [_refund(session, v, line, "0.001", f"r{n}").amount for n in range(10)]
    assert amounts == [D("5.00")] * 9 + [D("4.98")]
    assert refunded(session, v) == D("49.98")
    assert v.payment_state == "refunded"
    with pytest.raises(DomainError, match="nothing to refund"):
        _refund(session, v, line, "0.001", "r10")


@pytest.mark.parametrize("qty", ["abc", "-1", "1e3", "NaN", "0.0001"])
def test_refund_quantities_go_through_the_one_parser(session, write_up, open_shift, qty):
    v, line = _paid_line(session, write_up, open_shift, qty="1", whole=False)
    with pytest.raises(DomainError):
        _refund(session, v, line, qty, "bad")
    session.rollback()
    assert refunded(session, v) == D("0.00")


def test_the_shift_summary_counts_everything_and_reads_the_lists_only_when_there_are_some(session, write_up,
                                                                                          open_shift):
    from tests.helpers import statements

    shift = open_shift()
    cashier, manager = staff_by_no("S001"), staff_by_no("M001")
    plain = write_up("168.00")
    services.take_payment(session, plain.no, cashier=cashier, once_key="k1", counts={10000: 2})
    session.flush()
    with statements() as seen:
        summary = services.summarise(session, shift)
    # the counts and sums, the tenders by kind, the escrow money: no list read when there is nothing in it
    assert len(seen) == 3, seen
    assert (summary.payments, summary.cash_in, summary.change_out, summary.drawer_openings) == (
        1, D("200.00"), D("32.00"), 1)
    assert summary.refunds == [] and summary.rejected == [] and summary.cheques_pending == []
    assert summary.expected_cash == shift.opening_float + D("168.00")

    cheque = services.OtherTender("cheque", "500", reference="7788", bank="工商银行", drawer="上海某某公司")
    services.take_payment(session, write_up("500.00").no, cashier=cashier, once_key="k2", others=[cheque])
    rejected = write_up("100.00")
    services.take_payment(session, rejected.no, cashier=cashier, once_key="k3", counts={10000: 2},
                          rejected=[services.Rejected(10000, "counterfeit", "AB12345678")])
    services.refund(session, plain.no, {plain.lines[0].id: "1"}, method="cash", reason="质量问题", cashier=cashier,
                    approval=sales.Approval(manager.id, "9001"), once_key="r1")
    session.flush()
    summary = services.summarise(session, shift)
    assert summary.payments == 3 and summary.drawer_openings >= 2
    assert summary.by_tender == {"cash": D("200.00") + D("100.00") - D("32.00"), "cheque": D("500.00")}
    assert [t.reference for t in summary.cheques_pending] == ["7788"]
    assert [(n.denomination, n.serial) for n in summary.rejected] == [(10000, "AB12345678")]
    assert [r.amount for r in summary.refunds] == [D("168.00")] and summary.cash_refunds == D("168.00")
    assert summary.expected_cash == shift.opening_float + D("200.00") + D("200.00") - D("32.00") - D("100.00") \
        - D("168.00")
