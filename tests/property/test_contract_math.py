"""Contract arithmetic with worked numbers.

Sources of the rules (read, not guessed):

* Area difference: GF-2014-0171 第十三条 "面积差异处理" — 1. 按照套内建筑面积计价: 套内建筑面积误差比
  绝对值在3%以内（含3%）的，据实结算房价款；超出3%时，买受人有权解除合同 … 买受人选择不解除合同的，
  实测套内建筑面积大于预测套内建筑面积时，套内建筑面积误差比在3%以内（含3%）部分的房价款由买受人补足；
  超出3%部分的房价款由出卖人承担 … 小于 … 3%以内（含3%）部分的房价款由出卖人返还买受人；绝对值超出3%
  部分的房价款由出卖人双倍返还买受人。2. 按照建筑面积计价: 建筑面积、套内建筑面积误差比绝对值均在3%以内
  （含3%）的，根据实测建筑面积结算房价款；其中有一项超出3%时，买受人有权解除合同 … (the same split on
  the gross area); 出卖人应当自解除合同通知送达之日起15日内退还买受人已付全部房款 … 计算给付利息.
  Text as reproduced in the public online-signing forms of the Qingdao housing authority's system,
  github.com/fhegitOTT/learning-code, QDFirstHouse20/WebRoot/WEB-INF/jsp/fhhouse/salecontract/ (the
  GF-2014-0171 pre-sale contract form); the same rule, as the default where a contract is silent:
  《商品房销售管理办法》(建设部令第88号) 第二十条, quoted at https://m.64365.com/ask/4349813.aspx.
* Late payment: GF-2014-0171 第八条 — 逾期在__日之内，买受人按日计算向出卖人支付逾期应付款万分之__的违约金；
  逾期超过__日后，出卖人有权解除合同 … 本条所称逾期应付款是指依照第七条及附件四约定的到期应付款与该期实际
  已付款的差额 (same source).
* Deposit: 民法典 第五百八十六条 (at most 20 % of the contract's subject), 第五百八十七条 (double), 第五百八十八条.

Every expected figure below is worked out by hand in the comment beside it.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pos.errors import DomainError
from pos.property.contract_math import (
    BUYER_WITHDREW,
    CONVERTED,
    NO_FAULT,
    SELLER_WITHDREW,
    Instalment,
    ScheduleItem,
    area_settlement,
    check_deposit,
    check_schedule,
    deposit_settlement,
    late_fee,
    max_deposit,
    schedule_late_fees,
    withdrawal_refund,
)

D = __import__("decimal").Decimal


# ============================================================ (a) area difference
def test_gross_area_larger_beyond_3_percent():
    # 100.00 m² contracted, 105.00 measured: +5 %. Within 3 % = 3.00 m² × 20,000 = 60,000.00 the
    # buyer pays; the other 2.00 m² (40,000.00) the seller bears. The buyer may withdraw instead.
    s = area_settlement(basis="gross", unit_price=D("20000.00"), contracted_gross=D("100.00"),
                        measured_gross=D("105.00"))
    assert s.settled_on.ratio == D("0.05") and s.settled_on.percent == D("5.00")
    assert s.may_withdraw
    assert (s.within_area, s.beyond_area) == (D("3.0000"), D("2.0000"))
    assert (s.within_amount, s.beyond_amount) == (D("60000.00"), D("40000.00"))
    assert (s.buyer_pays, s.seller_bears, s.refund_to_buyer, s.net) == (D("60000.00"), D("40000.00"), 0, D("60000.00"))


def test_gross_area_smaller_beyond_3_percent_refunds_the_excess_double():
    # 100.00 → 95.00: −5 %. Refund 3.00 m² × 20,000 = 60,000.00 plus 2 × (2.00 m² × 20,000) = 80,000.00.
    s = area_settlement(basis="gross", unit_price=D("20000.00"), contracted_gross=D("100.00"),
                        measured_gross=D("95.00"))
    assert s.may_withdraw
    assert s.refund_to_buyer == D("140000.00")
    assert s.buyer_pays == 0 and s.seller_bears == 0
    assert s.net == D("-140000.00")


def test_within_3_percent_is_settled_at_the_contract_price():
    # 89.37 → 88.12: −1.25 m² (−1.40 %); refund 1.25 × 15,888.00 = 19,860.00; no withdrawal.
    s = area_settlement(basis="gross", unit_price=D("15888.00"), contracted_gross=D("89.37"),
                        measured_gross=D("88.12"))
    assert s.settled_on.percent == D("-1.40")
    assert not s.may_withdraw
    assert s.beyond_area == 0 and s.beyond_amount == 0
    assert s.refund_to_buyer == D("19860.00")


def test_exactly_3_percent_is_still_within():
    # 含3%: 100.00 → 103.00 pays all 3.00 m² × 12,000 = 36,000.00 and gives no right to withdraw.
    s = area_settlement(basis="gross", unit_price=D("12000.00"), contracted_gross=D("100.00"),
                        measured_gross=D("103.00"))
    assert not s.may_withdraw
    assert s.buyer_pays == D("36000.00") and s.seller_bears == 0
    s = area_settlement(basis="gross", unit_price=D("12000.00"), contracted_gross=D("100.00"),
                        measured_gross=D("96.99"))  # −3.01 %: beyond
    assert s.may_withdraw
    # 3.00 m² refunded once (36,000.00) and 0.01 m² twice (2 × 120.00)
    assert s.refund_to_buyer == D("36240.00")


def test_odd_figures_are_exact_to_the_fen():
    # 89.37 → 93.02: +3.65 m² (+4.08 %). 3 % of 89.37 = 2.6811 m²; beyond 0.9689 m².
    # Whole difference 3.65 × 16,543.21 = 60,382.7165 → 60,382.72;
    # within 2.6811 × 16,543.21 = 44,354.000331 → 44,354.00; beyond = 60,382.72 − 44,354.00 = 16,028.72.
    s = area_settlement(basis="gross", unit_price=D("16543.21"), contracted_gross=D("89.37"),
                        measured_gross=D("93.02"))
    assert s.settled_on.percent == D("4.08")
    assert (s.within_area, s.beyond_area) == (D("2.6811"), D("0.9689"))
    assert (s.within_amount, s.beyond_amount) == (D("44354.00"), D("16028.72"))
    assert s.buyer_pays == D("44354.00") and s.seller_bears == D("16028.72")
    # and the mirror image, 89.37 → 85.72: refund 44,354.00 + 2 × 16,028.72 = 76,411.44
    s = area_settlement(basis="gross", unit_price=D("16543.21"), contracted_gross=D("89.37"),
                        measured_gross=D("85.72"))
    assert s.refund_to_buyer == D("76411.44")


def test_priced_by_gross_area_the_inner_area_is_checked_too():
    # Gross 100.00 → 102.00 (+2 %, within) but inner 80.00 → 77.00 (−3.75 %): the buyer may
    # withdraw; keeping the unit, the money follows the gross area: 2.00 m² × 18,000 = 36,000.00.
    s = area_settlement(basis="gross", unit_price=D("18000.00"), contracted_gross=D("100.00"),
                        measured_gross=D("102.00"), contracted_inner=D("80.00"), measured_inner=D("77.00"))
    assert s.may_withdraw
    assert s.check("inner").percent == D("-3.75") and s.check("inner").beyond_limit
    assert not s.check("gross").beyond_limit
    assert s.settled_on.kind == "gross"
    assert s.buyer_pays == D("36000.00") and s.seller_bears == 0


def test_priced_by_inner_area_only_the_inner_ratio_decides():
    # Inner 80.00 → 83.00 (+3.75 %); within 2.40 m² × 25,000 = 60,000.00; beyond 0.60 m² = 15,000.00.
    # The gross area moving 4 % does not matter here.
    s = area_settlement(basis="inner", unit_price=D("25000.00"), contracted_inner=D("80.00"),
                        measured_inner=D("83.00"), contracted_gross=D("100.00"), measured_gross=D("104.00"))
    assert s.may_withdraw
    assert s.buyer_pays == D("60000.00") and s.seller_bears == D("15000.00")
    s = area_settlement(basis="inner", unit_price=D("25000.00"), contracted_inner=D("80.00"),
                        measured_inner=D("81.00"), contracted_gross=D("100.00"), measured_gross=D("104.00"))
    assert not s.may_withdraw  # inner +1.25 % only
    assert s.buyer_pays == D("25000.00")


def test_no_difference_no_money():
    s = area_settlement(basis="gross", unit_price=D("10000.00"), contracted_gross=D("90.00"), measured_gross=D("90.00"))
    assert (s.buyer_pays, s.seller_bears, s.refund_to_buyer, s.may_withdraw) == (0, 0, 0, False)


@pytest.mark.parametrize(("kwargs", "field", "words"), [
    (dict(measured_gross=D("0")), "measured_gross", "more than 0"),
    (dict(measured_gross=D("-3.5")), "measured_gross", "more than 0"),
    (dict(contracted_gross=D("0")), "contracted_gross", "more than 0"),
    (dict(measured_gross=D("200000")), "measured_gross", "at most"),
    (dict(measured_gross=D("90.123456")), "measured_gross", "four decimals"),
    (dict(measured_gross=None), "measured_gross", "both"),
    (dict(unit_price=D("0")), "unit_price", "more than zero"),
    (dict(unit_price=D("100.005")), "unit_price", "two decimals"),
    (dict(basis="unit"), "basis", "per unit"),
    (dict(basis="floor"), "basis", "pricing basis"),
    (dict(contracted_inner=D("80"), measured_inner=D("0")), "measured_inner", "more than 0"),
])
def test_bad_areas_are_refused(kwargs, field, words):
    args = dict(basis="gross", unit_price=D("20000.00"), contracted_gross=D("100.00"), measured_gross=D("101.00"))
    args.update(kwargs)
    with pytest.raises(DomainError) as caught:
        area_settlement(**args)
    assert words in caught.value.message
    assert caught.value.field == field


def test_floats_are_refused():
    with pytest.raises(TypeError):
        area_settlement(basis="gross", unit_price=D("1"), contracted_gross=100.0, measured_gross=D("1"))


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=D("20.00"), max_value=D("500.00"), places=2),
       st.decimals(min_value=D("-0.30"), max_value=D("0.30"), places=4),
       st.decimals(min_value=D("1000.00"), max_value=D("200000.00"), places=2))
def test_area_settlement_properties(contracted, change, price):
    measured = (contracted * (1 + change)).quantize(D("0.01"))
    if measured <= 0:
        return
    s = area_settlement(basis="gross", unit_price=price, contracted_gross=contracted, measured_gross=measured)
    whole = (abs(measured - contracted) * price).quantize(D("0.01"), rounding="ROUND_HALF_UP")
    assert s.within_amount + s.beyond_amount == whole
    assert s.may_withdraw == (abs(measured - contracted) > contracted * D("0.03"))
    if not s.may_withdraw:  # 据实结算: the whole difference at the contract price, either way
        assert s.beyond_amount == 0
        assert s.net == (whole if measured > contracted else -whole)
    if measured > contracted:
        assert s.buyer_pays + s.seller_bears == whole and s.refund_to_buyer == 0
        assert s.buyer_pays <= (contracted * D("0.03") * price).quantize(D("0.01"), rounding="ROUND_HALF_UP")
    elif measured < contracted:
        assert s.refund_to_buyer == s.within_amount + 2 * s.beyond_amount >= whole


def test_withdrawal_refund_with_interest():
    # Paid 300,000.00 on 2026-01-10 and 700,000.00 (the loan) on 2026-02-09; refunded 2026-07-09
    # at 4.35 % a year, daily = 4.35 % / 360:
    #   300,000 × 0.0435 × 180 / 360 = 6,525.00;  700,000 × 0.0435 × 150 / 360 = 12,687.50
    paid, interest = withdrawal_refund([(date(2026, 1, 10), D("300000.00")), (date(2026, 2, 9), D("700000.00"))],
                                       annual_rate=D("0.0435"), refund_day=date(2026, 7, 9))
    assert paid == D("1000000.00")
    assert interest == D("19212.50")
    with pytest.raises(DomainError):
        withdrawal_refund([(date(2026, 8, 1), D("1.00"))], annual_rate=D("0.0435"), refund_day=date(2026, 7, 9))
    with pytest.raises(DomainError):
        withdrawal_refund([], annual_rate=D("4.35"), refund_day=date(2026, 7, 9))


# ============================================================ (b) late payment
DUE = date(2026, 3, 1)


def fee(payments=(), as_of=date(2026, 3, 31), amount=D("200000.00"), rate=D("5"), rescind=15):
    return late_fee(Instalment(DUE, amount, tuple(payments)), as_of, per_ten_thousand=rate, rescind_after_days=rescind)


def test_paid_on_time_no_fee():
    f = fee([(date(2026, 2, 27), D("200000.00"))])
    assert (f.fee, f.overdue_days, f.unpaid, f.state, f.may_rescind) == (0, 0, 0, "paid", False)
    f = fee([(DUE, D("200000.00"))])  # on the due day itself
    assert f.fee == 0 and f.overdue_days == 0


def test_paid_ten_days_late():
    # 200,000.00 × 5/10,000 = 100.00 a day; paid on 11 March: 2–11 March = 10 days → 1,000.00
    f = fee([(date(2026, 3, 11), D("200000.00"))])
    assert f.overdue_days == 10
    assert f.fee == D("1000.00")
    assert f.state == "paid" and not f.may_rescind


def test_the_fee_runs_on_the_unpaid_difference():
    # 50,000.00 paid on 5 March: 4 days × 100.00 = 400.00; then 150,000.00 × 0.0005 = 75.00 a day
    # until the rest is paid on 11 March: 6 days = 450.00 → 850.00 in all
    f = fee([(date(2026, 3, 5), D("50000.00")), (date(2026, 3, 11), D("150000.00"))])
    assert f.fee == D("850.00")
    assert f.overdue_days == 10
    assert [s[3] for s in f.segments] == [4, 6]
    # a part paid before the due date lowers the difference from the first overdue day
    f = fee([(date(2026, 2, 20), D("120000.00")), (date(2026, 3, 9), D("80000.00"))])
    assert f.fee == D("320.00")  # 80,000 × 0.0005 × 8 days


def test_accrued_to_date_while_unpaid_and_the_rescission_day():
    f = fee(as_of=date(2026, 3, 16))  # 15 days overdue: not yet *more than* 15
    assert f.overdue_days == 15 and f.fee == D("1500.00") and not f.may_rescind and f.state == "overdue"
    f = fee(as_of=date(2026, 3, 17))
    assert f.overdue_days == 16 and f.fee == D("1600.00") and f.may_rescind
    f = fee([(date(2026, 3, 10), D("1000.00"))], as_of=date(2026, 3, 20))  # partly paid, still overdue
    # 9 days × 100.00 + 10 days × 199,000 × 0.0005 (99.50) = 900.00 + 995.00
    assert f.fee == D("1895.00") and f.unpaid == D("199000.00") and f.may_rescind
    f = fee(as_of=date(2026, 2, 1))
    assert f.state == "due" and f.fee == 0
    f = fee([(date(2026, 2, 1), D("1000.00"))], as_of=date(2026, 2, 2))
    assert f.state == "partly paid"


def test_payments_after_the_day_asked_about_are_not_counted():
    f = fee([(date(2026, 3, 21), D("200000.00"))], as_of=date(2026, 3, 11))
    assert f.unpaid == D("200000.00") and f.fee == D("1000.00")


def test_fractional_rates_round_once_at_the_end():
    # 万分之2.5 on 33,333.33 for 7 days: 33,333.33 × 0.00025 × 7 = 58.3333275 → 58.33
    f = fee([(date(2026, 3, 8), D("33333.33"))], amount=D("33333.33"), rate=D("2.5"))
    assert f.fee == D("58.33")


def test_a_whole_schedule():
    items = [
        Instalment(date(2026, 1, 15), D("300000.00"), ((date(2026, 1, 15), D("300000.00")),), "down payment"),
        Instalment(date(2026, 3, 1), D("200000.00"), ((date(2026, 3, 11), D("200000.00")),), "instalment 1"),
        Instalment(date(2026, 5, 1), D("200000.00"), (), "instalment 2"),
    ]
    fees, total, rescindable = schedule_late_fees(items, date(2026, 5, 21), per_ten_thousand=D("5"),
                                                  rescind_after_days=30)
    assert [f.fee for f in fees] == [D("0.00"), D("1000.00"), D("2000.00")]
    assert total == D("3000.00") and not rescindable


@pytest.mark.parametrize(("rate", "rescind"), [(D("0"), 15), (D("-1"), 15), (D("10.5"), 15), (D("5"), 0),
                                               (D("5"), 366)])
def test_bad_late_fee_settings(rate, rescind):
    with pytest.raises(DomainError):
        fee(rate=rate, rescind=rescind)


# ============================================================ (c) deposit
def test_deposit_cap_is_20_percent_rounded_down():
    # 20 % of 1,234,567.89 = 246,913.578 → at most 246,913.57
    assert max_deposit(D("1234567.89")) == D("246913.57")
    assert check_deposit(D("246913.57"), D("1234567.89")) == D("246913.57")
    with pytest.raises(DomainError) as caught:
        check_deposit(D("246913.58"), D("1234567.89"))
    assert "20%" in caught.value.message and "246,913.57" in caught.value.message
    assert caught.value.field == "deposit"


@pytest.mark.parametrize("deposit", [D("0"), D("-100"), D("0.001")])
def test_deposit_must_be_more_than_zero_in_fen(deposit):
    with pytest.raises(DomainError):
        check_deposit(deposit, D("1000000.00"))


def test_deposit_outcomes():
    # 50,000.00 deposit: buyer backs out → forfeited; seller backs out → 100,000.00 back;
    # nobody at fault → 50,000.00 back; converted → 50,000.00 credited to the price.
    forfeited = deposit_settlement(D("50000.00"), BUYER_WITHDREW)
    assert (forfeited.refund_to_buyer, forfeited.kept_by_seller, forfeited.credited_to_price) == (
        D("0.00"), D("50000.00"), D("0.00"))
    assert deposit_settlement(D("50000.00"), SELLER_WITHDREW).refund_to_buyer == D("100000.00")
    assert deposit_settlement(D("50000.00"), NO_FAULT).refund_to_buyer == D("50000.00")
    converted = deposit_settlement(D("50000.00"), CONVERTED)
    assert converted.credited_to_price == D("50000.00") and converted.refund_to_buyer == 0
    with pytest.raises(DomainError):
        deposit_settlement(D("50000.00"), "lost")


# ============================================================ (d) payment schedule
PRICE = D("1580000.00")


def schedule(*amounts_and_days):
    return [ScheduleItem(f"item {i}", day, amount) for i, (day, amount) in enumerate(amounts_and_days, start=1)]


def test_a_schedule_that_adds_up():
    # deposit 50,000 credited + down payment 424,000 + loan 1,106,000 = 1,580,000.00
    items = schedule((date(2026, 4, 1), D("424000.00")), (date(2026, 6, 30), D("1106000.00")))
    assert check_schedule(items, PRICE, credited=D("50000.00"), not_before=date(2026, 3, 20)) == D("1530000.00")


def test_a_schedule_a_fen_short_or_over_is_refused():
    items = schedule((date(2026, 4, 1), D("424000.00")), (date(2026, 6, 30), D("1105999.99")))
    with pytest.raises(DomainError) as caught:
        check_schedule(items, PRICE, credited=D("50000.00"))
    assert "￥0.01 short" in caught.value.message and caught.value.field == "schedule"
    items = schedule((date(2026, 4, 1), D("424000.00")), (date(2026, 6, 30), D("1106000.00")))
    with pytest.raises(DomainError) as caught:
        check_schedule(items, PRICE)
    assert "￥50,000.00 too much" not in caught.value.message  # without the deposit it is 50,000 short
    assert "￥50,000.00 short" in caught.value.message
    with pytest.raises(DomainError) as caught:
        check_schedule(items, D("1500000.00"), credited=D("50000.00"))
    assert "￥80,000.00 too much" in caught.value.message


@pytest.mark.parametrize(("items", "words"), [
    ([], "no items"),
    ([(date(2026, 6, 30), D("1106000.00")), (date(2026, 4, 1), D("424000.00"))], "after item 1"),
    ([(date(2026, 4, 1), D("424000.00")), (date(2026, 4, 1), D("1106000.00"))], "after item 1"),
    ([(date(2026, 4, 1), D("1530000.00")), (date(2026, 5, 1), D("0.00"))], "more than zero"),
    ([(date(2026, 4, 1), D("1530000.005"))], "two decimals"),
    ([(date(2026, 3, 1), D("1530000.00"))], "before the contract"),
])
def test_bad_schedules_are_refused(items, words):
    with pytest.raises(DomainError) as caught:
        check_schedule(schedule(*items), PRICE, credited=D("50000.00"), not_before=date(2026, 3, 20))
    assert words in caught.value.message
