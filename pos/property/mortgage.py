"""The mortgage calculator (房贷计算器): month-by-month repayment plans, to the fen.

Pure functions — no database, no request. A plan is what the sales office shows and
prints for a customer beside the contract; the bank's own schedule is the one that binds.

**Rates are fractions.** ``annual_rate`` is the nominal annual rate as a fraction:
``Decimal("0.049")`` is 4.9 % a year, ``Decimal("0.031")`` is 3.1 %. The monthly rate is
``annual_rate / 12`` (how Chinese banks quote 月利率 = 年利率 ÷ 12). Accepted:
``0 < annual_rate <= 0.24`` — a figure like ``4.9`` is refused with a message saying to
write 4.9 % as 0.049 (:func:`parse_percent` turns what a person types, "4.9" or "4.9%",
into the fraction).

Two methods:

* ``"equal_instalment"`` — 等额本息: the same payment every month,
  ``A = P·r·(1+r)^n / ((1+r)^n − 1)`` rounded half-up to the fen; each month's interest
  is the balance × r rounded half-up to the fen, the principal is A − interest.
* ``"equal_principal"`` — 等额本金: the same principal every month, P ÷ n rounded *up*
  to the fen, plus the balance × r (rounded half-up) in interest — payments fall month
  by month. Rounding the regular principal up means the last month's principal is at
  most the others', so the payments never rise at the end.

In both, the last month repays exactly the balance that is left (it absorbs every
rounding remainder), so the principal repaid equals the loan to the fen and the final
balance is 0.00.

A combined loan (组合贷) is a commercial part and a housing-fund (公积金) part, each
with its own rate (and possibly its own term), planned separately and summed month by
month: :func:`combined_plan`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, ROUND_UP, Decimal, InvalidOperation, localcontext

from flask_babel import gettext as _

from pos.errors import DomainError
from pos.money import FEN, format_money

EQUAL_INSTALMENT = "equal_instalment"
EQUAL_PRINCIPAL = "equal_principal"
METHODS = (EQUAL_INSTALMENT, EQUAL_PRINCIPAL)

#: a housing loan under ¥10,000 is a typing error (and below about ¥1,300 over 360 months
#: the equal-principal plan could not round its principal up to the fen)
MIN_PRINCIPAL = Decimal("10000.00")
#: ¥100 million: bigger loans are not sold over a sales-office counter
MAX_PRINCIPAL = Decimal("100000000.00")
#: 24 % a year — the ceiling courts protect for any lending; mortgages sit far below it
MAX_ANNUAL_RATE = Decimal("0.24")
MIN_MONTHS = 1
MAX_MONTHS = 360  # 30 years, the longest housing loan the banks grant

#: enough digits that (1 + r)^360 carries no error visible at the fen
_PRECISION = 60


@dataclass(frozen=True)
class Row:
    """One month of a plan: what is paid, how it splits, and the balance after it."""

    month: int
    payment: Decimal
    principal: Decimal
    interest: Decimal
    balance: Decimal


@dataclass(frozen=True)
class Totals:
    """Sums over a plan (还款总额, 本金, 利息总额) and its first and last payments."""

    months: int
    payment: Decimal
    principal: Decimal
    interest: Decimal
    first_payment: Decimal
    last_payment: Decimal


@dataclass(frozen=True)
class CombinedRow:
    """One month of a combined loan: the sums, and each part's own row (None once that part is repaid)."""

    month: int
    payment: Decimal
    principal: Decimal
    interest: Decimal
    balance: Decimal
    commercial: Row | None
    fund: Row | None


def _fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def check_principal(principal, *, field: str = "principal") -> Decimal:
    """The loan amount: a ``Decimal`` in whole fen, ¥10,000.00 to ¥100,000,000.00."""
    if isinstance(principal, float | bool) or not isinstance(principal, Decimal | int):
        raise TypeError("the principal must be a Decimal (never a float)")
    principal = Decimal(principal)
    if not principal.is_finite() or principal <= 0:
        raise DomainError(_("The loan amount must be more than zero."), field=field)
    if principal != principal.quantize(FEN):
        raise DomainError(_("The loan amount is in yuan and fen (at most two decimals)."), field=field)
    if principal < MIN_PRINCIPAL:
        raise DomainError(_("The loan amount must be at least %(min)s.", min=format_money(MIN_PRINCIPAL)),
                          field=field)
    if principal > MAX_PRINCIPAL:
        raise DomainError(_("The loan amount must be at most %(max)s.", max=format_money(MAX_PRINCIPAL)),
                          field=field)
    return principal.quantize(FEN)


def check_rate(annual_rate, *, field: str = "annual_rate") -> Decimal:
    """The annual rate as a fraction, ``0 < rate <= 0.24`` (``Decimal("0.049")`` for 4.9 %)."""
    if isinstance(annual_rate, float | bool) or not isinstance(annual_rate, Decimal | int):
        raise TypeError("the annual rate must be a Decimal fraction such as Decimal('0.049') (never a float)")
    rate = Decimal(annual_rate)
    if not rate.is_finite() or rate <= 0:
        raise DomainError(_("The interest rate must be more than zero."), field=field)
    if rate > MAX_ANNUAL_RATE:
        if 1 <= rate <= 100:
            # somebody passed per cent: say how the figure is written
            raise DomainError(_("The rate is a fraction here: %(pct)s%% is written as %(frac)s.",
                                pct=_plain(rate), frac=_plain(rate / 100)), field=field)
        raise DomainError(_too_high(), field=field)
    return rate


def check_months(months, *, field: str = "months") -> int:
    """The term in months, 1 to 360."""
    if isinstance(months, bool) or not isinstance(months, int):
        raise TypeError("the term must be a whole number of months")
    if not MIN_MONTHS <= months <= MAX_MONTHS:
        raise DomainError(_("The term must be 1 to %(max)d months (30 years).", max=MAX_MONTHS), field=field)
    return months


def check_method(method) -> str:
    if method not in METHODS:
        raise DomainError(_("Choose equal instalment or equal principal."), field="method")
    return method


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _too_high() -> str:
    return _("The interest rate must be at most %(max)s%% a year.", max=_plain(MAX_ANNUAL_RATE * 100))


def parse_percent(text, *, field: str = "annual_rate") -> Decimal:
    """What a person types as a rate — ``"4.9"``, ``"4.9%"``, ``"４．９％"`` — as a fraction (0.049).

    The figure is read as per cent; at most four decimals of a per cent (a rate such as
    3.0875 %). The result is then checked like any rate.
    """
    from pos.text import plain  # the one place typed text is normalised

    cleaned = plain(text).replace(" ", "").rstrip("%").rstrip("％")
    try:
        pct = Decimal(cleaned)
    except (InvalidOperation, ValueError):
        raise DomainError(_("The interest rate is a number of per cent, such as 4.9."), field=field) from None
    if not pct.is_finite() or not cleaned or len(cleaned) > 12:
        raise DomainError(_("The interest rate is a number of per cent, such as 4.9."), field=field)
    if pct != pct.quantize(Decimal("0.0001")):
        raise DomainError(_("The interest rate has at most four decimals."), field=field)
    if pct <= 0:
        raise DomainError(_("The interest rate must be more than zero."), field=field)
    if pct > MAX_ANNUAL_RATE * 100:
        raise DomainError(_too_high(), field=field)
    return check_rate(pct / 100, field=field)


def monthly_payment(principal: Decimal, annual_rate: Decimal, months: int) -> Decimal:
    """The equal-instalment monthly payment ``P·r(1+r)^n / ((1+r)^n − 1)``, rounded half-up to the fen."""
    principal = check_principal(principal)
    rate = check_rate(annual_rate)
    months = check_months(months)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return _fen(_instalment_exact(principal, rate / 12, months))


def _instalment_exact(principal: Decimal, r: Decimal, n: int) -> Decimal:
    growth = (1 + r) ** n
    return principal * r * growth / (growth - 1)


def plan(principal: Decimal, annual_rate: Decimal, months: int, method: str) -> list[Row]:
    """The month-by-month plan of a loan.

    ``principal`` — the loan in yuan (``Decimal``, whole fen, ¥10,000.00 to ¥100 million);
    ``annual_rate`` — the nominal annual rate **as a fraction** (``Decimal("0.049")`` = 4.9 %),
    more than 0 and at most 0.24; ``months`` — 1 to 360; ``method`` — ``"equal_instalment"``
    (等额本息) or ``"equal_principal"`` (等额本金).

    Returns one :class:`Row` per month (month 1 first): ``payment``, ``principal``,
    ``interest`` and ``balance`` after the payment, each a ``Decimal`` to the fen, with
    ``payment == principal + interest``. The last row repays exactly what is left, so the
    principal column adds up to the loan and the last balance is 0.00. Bad input raises
    :class:`~pos.errors.DomainError` with a translated message.
    """
    check_method(method)
    principal = check_principal(principal)
    rate = check_rate(annual_rate)
    months = check_months(months)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        if method == EQUAL_INSTALMENT:
            return _equal_instalment(principal, rate, months)
        return _equal_principal(principal, rate, months)


def _month_interest(balance: Decimal, annual_rate: Decimal) -> Decimal:
    """A month's interest: the balance × the annual rate ÷ 12, rounded to the fen once. Multiplied
    before dividing, so that an exact half fen (4,768.80 × 2.5 % ÷ 12 = 9.935) rounds up as it should,
    rather than 9.93 from a monthly rate cut to the context's precision (0.0020833…)."""
    return _fen(balance * annual_rate / 12)


def _equal_instalment(principal: Decimal, annual_rate: Decimal, n: int) -> list[Row]:
    payment = _fen(_instalment_exact(principal, annual_rate / 12, n))
    balance = principal
    rows: list[Row] = []
    for month in range(1, n + 1):
        interest = _month_interest(balance, annual_rate)
        if month == n:
            repaid = balance
        else:
            # Never below zero nor above the balance, even where rounding drift at extreme
            # rates would otherwise make a month pay off more (or less) than is owed.
            repaid = min(max(payment - interest, Decimal("0.00")), balance)
        balance -= repaid
        rows.append(Row(month, repaid + interest, repaid, interest, balance))
    return rows


def _equal_principal(principal: Decimal, annual_rate: Decimal, n: int) -> list[Row]:
    regular = (principal / n).quantize(FEN, rounding=ROUND_UP)
    # P >= MIN_PRINCIPAL and n <= 360 keep (n − 1) × regular within the loan, so the last
    # month's principal (the remainder) is never negative and never above the regular one.
    balance = principal
    rows: list[Row] = []
    for month in range(1, n + 1):
        interest = _month_interest(balance, annual_rate)
        repaid = balance if month == n else regular
        balance -= repaid
        rows.append(Row(month, repaid + interest, repaid, interest, balance))
    return rows


def totals(rows: Sequence[Row] | Sequence[CombinedRow]) -> Totals:
    """Total payment (还款总额), principal and interest (利息总额) of a plan, exact sums of its rows."""
    if not rows:
        raise ValueError("an empty plan has no totals")
    zero = Decimal("0.00")
    return Totals(
        months=len(rows),
        payment=sum((row.payment for row in rows), zero),
        principal=sum((row.principal for row in rows), zero),
        interest=sum((row.interest for row in rows), zero),
        first_payment=rows[0].payment,
        last_payment=rows[-1].payment,
    )


def combined_plan(commercial_principal: Decimal, commercial_rate: Decimal,
                  fund_principal: Decimal, fund_rate: Decimal, months: int, method: str,
                  *, fund_months: int | None = None) -> list[CombinedRow]:
    """A combined loan (组合贷): the commercial part and the housing-fund part (公积金贷款),
    each planned with its own rate by :func:`plan` and summed month by month.

    ``fund_months`` is the housing-fund part's term when it differs from the commercial
    part's (``months``); the plan runs to the longer of the two, the part already repaid
    showing ``None``. Both parts use the same method.
    """
    check_method(method)
    try:
        commercial = plan(commercial_principal, commercial_rate, months, method)
    except DomainError as error:
        raise DomainError(_("Commercial loan: %(problem)s", problem=error.message),
                          field=_part_field("commercial", error.field)) from None
    try:
        fund = plan(fund_principal, fund_rate, months if fund_months is None else fund_months, method)
    except DomainError as error:
        raise DomainError(_("Housing fund loan: %(problem)s", problem=error.message),
                          field=_part_field("fund", error.field)) from None
    rows: list[CombinedRow] = []
    zero = Decimal("0.00")
    commercial_left = commercial[-1].balance  # 0.00; kept for the months after a part ends
    fund_left = fund[-1].balance
    for index in range(max(len(commercial), len(fund))):
        c = commercial[index] if index < len(commercial) else None
        f = fund[index] if index < len(fund) else None
        parts = [p for p in (c, f) if p is not None]
        rows.append(CombinedRow(
            month=index + 1,
            payment=sum((p.payment for p in parts), zero),
            principal=sum((p.principal for p in parts), zero),
            interest=sum((p.interest for p in parts), zero),
            balance=(c.balance if c else commercial_left) + (f.balance if f else fund_left),
            commercial=c,
            fund=f,
        ))
    return rows


def _part_field(part: str, field: str | None) -> str:
    return f"{part}_{field}" if field else part
