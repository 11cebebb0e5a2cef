"""The mortgage calculator against published worked examples, the closed formulas and
properties that must hold for every loan.

Published worked examples (figures quoted in the tests; the pages are third-party
calculators' answers, cited as where the figure was found):

* [A] http://www.ccv168.com/baike/99999.html (same text: http://m.372181.com/baike/97208.html) —
  ¥1,000,000, 30 years, 4.90 %, 等额本息: 每月应还 5307.27, 利息总额 910616.19;
  at 5.90 %: 每月还款 5,931.37, 总支付利息 1,135,291.42; 等额本金 at 5.90 %:
  首月还款 7,694.44, 每月递减 13.66, 总支付利息 887,458.33.
* [B] http://ccv168.com/wenda/220578.html — ¥630,000, 30 years, 4.90 %: 等额本息 月供 3343.58,
  利息总额 573688.2; 等额本金 第一期 4322.50, 每期递减 7.15, 利息总额 464336.25.
* [C] http://372181.com/wenda/229816.html — ¥1,000,000, 20 years, 4.90 %, 等额本息: 6544.44;
  第1个月还利息 4083.33, 还本金 2461.11.
* [D] https://13l.net/index.php/l/1771868819402209700.html — ¥300,000, 30 years, 4.90 %,
  等额本息: 月供 1592.18, 利息总额 273184.86.
* [E] http://wwwbz417.com/wenda/216670.html — ¥1,000,000, 10 years, 4.90 %, 等额本息:
  月供 10557.74, 总利息 266928.75.
* [F] http://372181.com/wenda/220224.html — ¥300,000, 10 years, 4.90 %, 等额本息: 月供 3167.32,
  总利息 80078.62.

The calculators' "total interest" is the unrounded instalment × n − P (or, for equal
principal, P·r·(n+1)/2); a real schedule rounds each month's interest to the fen, so our
totals are compared within half a fen per month of theirs, and exactly against the
sum of our own rows.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos.errors import DomainError
from pos.property import mortgage
from pos.property.mortgage import EQUAL_INSTALMENT, EQUAL_PRINCIPAL, combined_plan, plan, totals

D = Decimal
FEN = D("0.01")


def closed_instalment(principal: Decimal, annual_rate: Decimal, months: int) -> Decimal:
    """A = P·r(1+r)^n / ((1+r)^n − 1), r = annual rate / 12, computed independently here."""
    with localcontext() as ctx:
        ctx.prec = 80
        r = annual_rate / 12
        growth = (1 + r) ** months
        return principal * r * growth / (growth - 1)


def closed_equal_principal_interest(principal: Decimal, annual_rate: Decimal, months: int) -> Decimal:
    """Σ interest of 等额本金 without rounding: P·r·(n+1)/2."""
    with localcontext() as ctx:
        ctx.prec = 80
        return principal * (annual_rate / 12) * (months + 1) / 2


def within(ours: Decimal, theirs: Decimal, months: int) -> bool:
    """Half a fen of rounding per month, at most (equal principal: the balances do not compound)."""
    return abs(ours - theirs) <= D("0.005") * months


def within_drift(ours: Decimal, theirs: Decimal, annual_rate: Decimal, months: int) -> bool:
    """Equal instalment: each month's rounding (of the instalment, ≤ ½ fen, and of the interest,
    ≤ ½ fen) stays in the balance and compounds at r until the last month repays it, so the
    schedule's total may differ from the unrounded A·n − P by up to 1 fen × ((1+r)^n − 1)/r."""
    with localcontext() as ctx:
        ctx.prec = 50
        r = annual_rate / 12
        bound = FEN * (((1 + r) ** months - 1) / r)
    return abs(ours - theirs) <= bound


# ------------------------------------------------------------ published worked examples
@pytest.mark.parametrize(("principal", "rate", "months", "payment", "interest", "source"), [
    (D("1000000"), D("0.049"), 360, D("5307.27"), D("910616.19"), "A"),
    (D("1000000"), D("0.059"), 360, D("5931.37"), D("1135291.42"), "A"),
    (D("630000"), D("0.049"), 360, D("3343.58"), D("573688.20"), "B"),
    (D("300000"), D("0.049"), 360, D("1592.18"), D("273184.86"), "D"),
    (D("1000000"), D("0.049"), 120, D("10557.74"), D("266928.75"), "E"),
    (D("300000"), D("0.049"), 120, D("3167.32"), D("80078.62"), "F"),
])
def test_equal_instalment_matches_published_examples(principal, rate, months, payment, interest, source):
    rows = plan(principal, rate, months, EQUAL_INSTALMENT)
    assert len(rows) == months
    # every month but the last pays the published instalment, to the fen
    assert {row.payment for row in rows[:-1]} == {payment}, source
    assert mortgage.monthly_payment(principal, rate, months) == payment
    total = totals(rows)
    assert total.principal == principal
    assert within_drift(total.interest, interest, rate, months), (source, total.interest, interest)
    assert total.payment == principal + total.interest


def test_first_month_split_matches_published_example_c():
    rows = plan(D("1000000"), D("0.049"), 240, EQUAL_INSTALMENT)
    assert rows[0].payment == D("6544.44")
    assert rows[0].interest == D("4083.33")
    assert rows[0].principal == D("2461.11")
    assert rows[0].balance == D("997538.89")


def test_equal_instalment_full_schedule_of_the_textbook_loan():
    """¥1,000,000 over 30 years at 4.9 %: month 1, month 2, the last month and the totals."""
    rows = plan(D("1000000.00"), D("0.049"), 360, EQUAL_INSTALMENT)
    assert rows[0] == mortgage.Row(1, D("5307.27"), D("1223.94"), D("4083.33"), D("998776.06"))
    # month 2: interest on 998,776.06 at 0.49/12 % = 4078.335… → 4078.34
    assert rows[1] == mortgage.Row(2, D("5307.27"), D("1228.93"), D("4078.34"), D("997547.13"))
    assert rows[-1].balance == D("0.00")
    assert rows[-1].principal == rows[-2].balance  # the last month repays what is left
    assert rows[-1].payment == D("5305.19")  # absorbs the rounding: 2.08 less than the instalment
    total = totals(rows)
    assert total.interest == D("910615.12")  # published (unrounded) figure: 910616.19
    assert total.payment == D("1910615.12")


def test_equal_principal_first_month_of_the_textbook_loan():
    """¥1,000,000, 30 years, 4.9 %: first month 2777.78 + 4083.33 = 6861.11, then 11.34 less a month."""
    rows = plan(D("1000000"), D("0.049"), 360, EQUAL_PRINCIPAL)
    assert rows[0] == mortgage.Row(1, D("6861.11"), D("2777.78"), D("4083.33"), D("997222.22"))
    assert rows[0].payment - rows[1].payment == D("11.34")
    # the last month: 1,000,000 − 359 × 2777.78 = 2776.98, plus its interest
    assert rows[-1].principal == D("2776.98")
    assert rows[-1].interest == D("11.34")
    assert rows[-1].balance == D("0.00")
    assert within(totals(rows).interest, closed_equal_principal_interest(D("1000000"), D("0.049"), 360), 360)


def test_equal_principal_matches_published_example_b():
    rows = plan(D("630000"), D("0.049"), 360, EQUAL_PRINCIPAL)
    assert rows[0].payment == D("4322.50")  # 1750.00 + 2572.50
    assert rows[0].payment - rows[1].payment == D("7.15")
    total = totals(rows)
    assert total.principal == D("630000.00")
    assert within(total.interest, D("464336.25"), 360)


def test_equal_principal_published_example_a_at_5_9_percent():
    """[A] prints 首月 7,694.44: 2777.7777… + 4916.6666… rounded once. A schedule rounds the
    principal (2777.78) and the interest (4916.67) of the row separately, so the row says
    7694.45 — one fen apart, by construction. The monthly fall (13.66) matches."""
    rows = plan(D("1000000"), D("0.059"), 360, EQUAL_PRINCIPAL)
    assert rows[0].principal == D("2777.78")
    assert rows[0].interest == D("4916.67")
    assert rows[0].payment == D("7694.45")
    assert abs(rows[0].payment - D("7694.44")) == FEN
    assert rows[0].payment - rows[1].payment == D("13.66")
    assert within(totals(rows).interest, D("887458.33"), 360)


# ------------------------------------------------------------ the closed formulas
@pytest.mark.parametrize(("principal", "rate", "months"), [
    (D("10000"), D("0.0001"), 1), (D("250000.55"), D("0.031"), 240), (D("880000"), D("0.0285"), 300),
    (D("99999999.99"), D("0.24"), 360), (D("12345.67"), D("0.0425"), 7),
])
def test_equal_instalment_is_the_closed_formula_rounded(principal, rate, months):
    rows = plan(principal, rate, months, EQUAL_INSTALMENT)
    expected = closed_instalment(principal, rate, months).quantize(FEN, rounding=ROUND_HALF_UP)
    assert all(row.payment == expected for row in rows[:-1])
    assert within_drift(rows[-1].payment, expected, rate, months)  # only the compounded rounding


def test_one_month_loan_repays_principal_and_one_month_of_interest():
    for method in (EQUAL_INSTALMENT, EQUAL_PRINCIPAL):
        (row,) = plan(D("120000"), D("0.06"), 1, method)
        assert row == mortgage.Row(1, D("120600.00"), D("120000.00"), D("600.00"), D("0.00"))


def test_equal_principal_interest_is_balance_times_monthly_rate():
    rows = plan(D("500000"), D("0.0325"), 180, EQUAL_PRINCIPAL)
    balance = D("500000")
    for row in rows:
        assert row.interest == (balance * D("0.0325") / 12).quantize(FEN, rounding=ROUND_HALF_UP)
        balance -= row.principal
        assert row.balance == balance


# ------------------------------------------------------------ combined loans (组合贷)
def test_combined_loan_is_the_month_by_month_sum_of_its_parts():
    commercial = plan(D("600000"), D("0.049"), 360, EQUAL_INSTALMENT)
    fund = plan(D("400000"), D("0.0325"), 360, EQUAL_INSTALMENT)
    rows = combined_plan(D("600000"), D("0.049"), D("400000"), D("0.0325"), 360, EQUAL_INSTALMENT)
    assert len(rows) == 360
    for row, c, f in zip(rows, commercial, fund, strict=True):
        assert row.commercial == c and row.fund == f
        assert row.payment == c.payment + f.payment
        assert row.principal == c.principal + f.principal
        assert row.interest == c.interest + f.interest
        assert row.balance == c.balance + f.balance
    # 600,000 at 4.9 % → 3184.36; 400,000 at 3.25 % → 1740.83 (closed formula, rounded)
    assert rows[0].payment == D("3184.36") + D("1740.83")
    assert totals(rows).principal == D("1000000.00")


def test_combined_loan_with_a_shorter_fund_term_runs_to_the_longer_part():
    rows = combined_plan(D("500000"), D("0.045"), D("300000"), D("0.031"), 300, EQUAL_PRINCIPAL, fund_months=240)
    assert len(rows) == 300
    assert rows[239].fund is not None and rows[239].fund.balance == D("0.00")
    assert rows[240].fund is None
    assert rows[240].payment == rows[240].commercial.payment
    assert rows[-1].balance == D("0.00")
    assert totals(rows).principal == D("800000.00")


def test_combined_loan_names_the_part_at_fault():
    with pytest.raises(DomainError) as caught:
        combined_plan(D("500000"), D("0.045"), D("300000"), D("0.5"), 300, EQUAL_INSTALMENT)
    assert "Housing fund" in caught.value.message
    assert caught.value.field == "fund_annual_rate"
    with pytest.raises(DomainError) as caught:
        combined_plan(D("0"), D("0.045"), D("300000"), D("0.031"), 300, EQUAL_INSTALMENT)
    assert "Commercial" in caught.value.message
    assert caught.value.field == "commercial_principal"


# ------------------------------------------------------------ bad input
@pytest.mark.parametrize(("principal", "rate", "months", "method", "field", "words"), [
    (D("0"), D("0.049"), 360, EQUAL_INSTALMENT, "principal", "more than zero"),
    (D("-5"), D("0.049"), 360, EQUAL_INSTALMENT, "principal", "more than zero"),
    (D("9999.99"), D("0.049"), 360, EQUAL_INSTALMENT, "principal", "at least"),
    (D("100000000.01"), D("0.049"), 360, EQUAL_INSTALMENT, "principal", "at most"),
    (D("100000.001"), D("0.049"), 360, EQUAL_INSTALMENT, "principal", "two decimals"),
    (D("100000"), D("0"), 360, EQUAL_INSTALMENT, "annual_rate", "more than zero"),
    (D("100000"), D("-0.01"), 360, EQUAL_INSTALMENT, "annual_rate", "more than zero"),
    (D("100000"), D("0.2401"), 360, EQUAL_INSTALMENT, "annual_rate", "at most 24%"),
    (D("100000"), D("4.9"), 360, EQUAL_INSTALMENT, "annual_rate", "4.9% is written as 0.049"),
    (D("100000"), D("NaN"), 360, EQUAL_INSTALMENT, "annual_rate", "more than zero"),
    (D("100000"), D("0.049"), 0, EQUAL_INSTALMENT, "months", "1 to 360"),
    (D("100000"), D("0.049"), 361, EQUAL_INSTALMENT, "months", "1 to 360"),
    (D("100000"), D("0.049"), 360, "balloon", "method", "equal instalment"),
])
def test_bad_input_is_refused_with_a_message(principal, rate, months, method, field, words):
    with pytest.raises(DomainError) as caught:
        plan(principal, rate, months, method)
    assert words in caught.value.message
    assert caught.value.field == field
    assert caught.value.status == 422


def test_floats_are_refused_outright():
    with pytest.raises(TypeError):
        plan(100000.0, D("0.049"), 12, EQUAL_INSTALMENT)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        plan(D("100000"), 0.049, 12, EQUAL_INSTALMENT)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        plan(D("100000"), D("0.049"), 12.0, EQUAL_INSTALMENT)  # type: ignore[arg-type]


def test_messages_are_chinese_in_the_shop(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("zh_Hans_CN"):
        with pytest.raises(DomainError) as caught:
            plan(D("100000"), D("0.049"), 361, EQUAL_INSTALMENT)
    assert "360" in caught.value.message and "月" in caught.value.message


@pytest.mark.parametrize(("typed", "fraction"), [
    ("4.9", D("0.049")), ("4.9%", D("0.049")), (" ４．９％ ", D("0.049")), ("3.0875", D("0.030875")), ("24", D("0.24")),
])
def test_parse_percent_reads_what_people_type(typed, fraction):
    assert mortgage.parse_percent(typed) == fraction


@pytest.mark.parametrize("typed", ["", "abc", "0", "-1", "24.01", "4.12345", "1e3", "NaN"])
def test_parse_percent_refuses_nonsense(typed):
    with pytest.raises(DomainError):
        mortgage.parse_percent(typed)


# ------------------------------------------------------------ properties of every plan
loans = st.decimals(min_value=D("10000.00"), max_value=D("100000000.00"), places=2,
                    allow_nan=False, allow_infinity=False)
rates = st.decimals(min_value=D("0.0001"), max_value=D("0.24"), places=4, allow_nan=False, allow_infinity=False)
terms = st.integers(min_value=1, max_value=360)
methods = st.sampled_from([EQUAL_INSTALMENT, EQUAL_PRINCIPAL])
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(loans, rates, terms, methods)
def test_principal_repaid_is_the_loan_exactly(principal, rate, months, method):
    rows = plan(principal, rate, months, method)
    assert len(rows) == months
    assert [row.month for row in rows] == list(range(1, months + 1))
    assert sum(row.principal for row in rows) == principal
    assert rows[-1].balance == D("0.00")
    for row in rows:
        assert row.payment == row.principal + row.interest
        for amount in (row.payment, row.principal, row.interest, row.balance):
            assert amount == amount.quantize(FEN) and amount >= 0


@PROPERTY_SETTINGS
@given(loans, rates, terms, methods)
def test_balances_never_rise(principal, rate, months, method):
    rows = plan(principal, rate, months, method)
    balances = [principal] + [row.balance for row in rows]
    assert all(later <= earlier for earlier, later in zip(balances, balances[1:], strict=False))
    # the balance after each month is the loan less what has been repaid
    repaid = D("0.00")
    for row in rows:
        repaid += row.principal
        assert row.balance == principal - repaid


@PROPERTY_SETTINGS
@given(loans, rates, terms)
def test_equal_principal_payments_never_rise(principal, rate, months):
    rows = plan(principal, rate, months, EQUAL_PRINCIPAL)
    payments = [row.payment for row in rows]
    assert all(later <= earlier for earlier, later in zip(payments, payments[1:], strict=False))
    assert len({row.principal for row in rows[:-1]}) <= 1  # the same principal every month
    assert rows[-1].principal <= rows[0].principal


@PROPERTY_SETTINGS
@given(loans, st.decimals(min_value=D("0.0001"), max_value=D("0.10"), places=4), terms)
def test_equal_instalment_pays_the_closed_formula_every_month_but_the_last(principal, rate, months):
    rows = plan(principal, rate, months, EQUAL_INSTALMENT)
    expected = closed_instalment(principal, rate, months).quantize(FEN, rounding=ROUND_HALF_UP)
    assert all(row.payment == expected for row in rows[:-1])
    # interest is each month's opening balance × r, rounded to the fen
    opening = principal
    for row in rows:
        assert row.interest == (opening * rate / 12).quantize(FEN, rounding=ROUND_HALF_UP)
        opening = row.balance


@PROPERTY_SETTINGS
@given(loans, rates, loans, rates, terms, methods)
def test_combined_plan_sums_its_parts(c_principal, c_rate, f_principal, f_rate, months, method):
    rows = combined_plan(c_principal, c_rate, f_principal, f_rate, months, method)
    total = totals(rows)
    assert total.principal == c_principal + f_principal
    assert total.interest == totals(plan(c_principal, c_rate, months, method)).interest + \
        totals(plan(f_principal, f_rate, months, method)).interest
    assert rows[-1].balance == D("0.00")


def test_an_exact_half_fen_of_interest_rounds_up():
    """Found by hypothesis in CI: month 114 of ￥10,000 at 2.5 % over 197 months opens at ￥4,768.80;
    4,768.80 × 2.5 % ÷ 12 = 9.935 exactly, which is 9.94 half-up — not 9.93 from a monthly rate
    (0.0020833…) cut to the context's precision before multiplying."""
    rows = plan(D("10000.00"), D("0.0250"), 197, EQUAL_INSTALMENT)
    opening = rows[112].balance
    assert opening == D("4768.80") and rows[113].interest == D("9.94")
