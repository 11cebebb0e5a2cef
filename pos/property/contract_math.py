"""The arithmetic of the purchase contract (商品房买卖合同) and the subscription agreement.

Pure functions over ``Decimal`` and ``date``; no database, no request. Each rule names the
clause it implements. The model contracts are GF-2014-0171 (pre-sale, 预售) and GF-2014-0172
(completed, 现售), 住房城乡建设部 / 国家工商总局 2014; clause numbers below are those of
GF-2014-0171.

(a) **Area difference (第十三条 面积差异处理)** — :func:`area_settlement`.
    误差比 = (measured − contracted) ÷ contracted × 100 %.

    * Priced by inner area (套内建筑面积计价): the inner-area ratio decides.
    * Priced by gross area (建筑面积计价): both the gross and the inner ratio are checked;
      within ±3 % (inclusive, 含3%) for both, the price is settled on the measured gross area;
      if either is beyond 3 %, the buyer may withdraw (解除合同: everything paid refunded within
      15 days, with interest from each payment at the agreed rate — :func:`withdrawal_refund`).
      A buyer who keeps the unit settles on the gross area.
    * Keeping the unit, measured larger: the buyer pays the part within 3 % at the contract
      unit price; the part beyond 3 % is borne by the seller (the unit is still the buyer's).
      Measured smaller: the seller refunds the part within 3 %, and the part beyond 3 % double.
    * Priced per unit (按套计价): the clause does not apply.

(b) **Late payment (第八条 逾期付款责任)** — :func:`late_fee`. A daily fee of 万分之N on the
    unpaid difference of each instalment ("逾期应付款是指…分期应付款与该期的实际已付款的差额"),
    from the day after it fell due up to the day it is paid; once overdue for more than the
    agreed number of days (逾期超过__日后), the seller may rescind.

(c) **Deposit (定金)** — :func:`check_deposit`, :func:`deposit_settlement`. More than 0 and at
    most 20 % of the price (民法典 第五百八十六条: the excess is not a deposit). Buyer backs out:
    forfeited; seller backs out: refunded double (第五百八十七条); neither at fault: refunded
    (最高人民法院《关于审理商品房买卖合同纠纷案件适用法律若干问题的解释》第四条); converted to a
    contract: credited to the price. Deposit or liquidated damages, never both (第五百八十八条).

(d) **Payment schedule (附件四)** — :func:`check_schedule`: the items add up to the price to
    the fen (with the deposit credited), their dates strictly increasing.

Money is ``Decimal`` to the fen, rounded half-up once, at the end of each figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from flask_babel import gettext as _

from pos.errors import DomainError
from pos.money import FEN, format_money

ZERO = Decimal("0.00")

# ============================================================ (a) area difference
PRICED_BY_GROSS = "gross"  # 按建筑面积计价
PRICED_BY_INNER = "inner"  # 按套内建筑面积计价
PRICED_PER_UNIT = "unit"  # 按套（单元）计价
PRICING_BASES = (PRICED_BY_GROSS, PRICED_BY_INNER, PRICED_PER_UNIT)
#: 面积误差比绝对值在3%以内（含3%）
AREA_LIMIT = Decimal("0.03")
#: no flat is bigger; a larger figure is a typing error
MAX_AREA = Decimal("100000")
#: days the seller has to refund a buyer who withdraws (第十三条: 15日内)
WITHDRAWAL_REFUND_DAYS = 15


def _fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def _money(value, *, label: str, field_name: str, positive: bool = True) -> Decimal:
    if isinstance(value, float | bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{field_name} must be a Decimal (never a float)")
    amount = Decimal(value)
    if not amount.is_finite() or (amount <= 0 if positive else amount < 0):
        raise DomainError(_("%(what)s must be more than zero.", what=label), field=field_name)
    if amount != amount.quantize(FEN):
        raise DomainError(_("%(what)s is in yuan and fen (at most two decimals).", what=label), field=field_name)
    if amount >= Decimal("1000000000000"):
        raise DomainError(_("%(what)s is far too large.", what=label), field=field_name)
    return amount.quantize(FEN)


def _area(value, *, label: str, field_name: str) -> Decimal:
    if isinstance(value, float | bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{field_name} must be a Decimal (never a float)")
    area = Decimal(value)
    if not area.is_finite() or area <= 0:
        raise DomainError(_("%(what)s must be more than 0 m².", what=label), field=field_name)
    if area > MAX_AREA:
        raise DomainError(_("%(what)s must be at most %(max)s m².", what=label, max=MAX_AREA), field=field_name)
    if area != area.quantize(Decimal("0.0001")):
        raise DomainError(_("%(what)s has at most four decimals.", what=label), field=field_name)
    return area


@dataclass(frozen=True)
class AreaCheck:
    """One area compared: contracted (预测/合同约定) against measured (实测)."""

    kind: str  # "gross" or "inner"
    contracted: Decimal
    measured: Decimal

    @property
    def difference(self) -> Decimal:
        """measured − contracted, m² (positive: the flat came out bigger)."""
        return self.measured - self.contracted

    @property
    def ratio(self) -> Decimal:
        """误差比 as an exact fraction (−0.0312… for −3.12 %)."""
        return self.difference / self.contracted

    @property
    def percent(self) -> Decimal:
        """误差比 in per cent, two decimals, for showing and printing."""
        return _fen(self.ratio * 100)

    @property
    def beyond_limit(self) -> bool:
        """|误差比| > 3 % (exactly 3 % is still within: 含3%)."""
        return abs(self.difference) > AREA_LIMIT * self.contracted


@dataclass(frozen=True)
class AreaSettlement:
    """What the area-difference rule gives for a buyer who keeps the unit, and whether they may withdraw.

    All amounts are ≥ 0 and exact to the fen; ``within_amount + beyond_amount`` is the price
    of the whole difference. ``net`` is what the buyer pays (positive) or gets back (negative).
    """

    basis: str
    unit_price: Decimal
    checks: tuple[AreaCheck, ...]
    settled_on: AreaCheck
    may_withdraw: bool
    within_area: Decimal
    beyond_area: Decimal
    within_amount: Decimal
    beyond_amount: Decimal
    buyer_pays: Decimal
    seller_bears: Decimal
    refund_to_buyer: Decimal

    @property
    def net(self) -> Decimal:
        return self.buyer_pays - self.refund_to_buyer

    def check(self, kind: str) -> AreaCheck | None:
        return next((c for c in self.checks if c.kind == kind), None)


def area_settlement(*, basis: str, unit_price: Decimal,
                    contracted_gross: Decimal | None = None, measured_gross: Decimal | None = None,
                    contracted_inner: Decimal | None = None, measured_inner: Decimal | None = None) -> AreaSettlement:
    """Apply GF-2014-0171 第十三条 to measured areas.

    ``unit_price`` is the contract's price per m² of the area the unit is priced by
    (``basis`` ``"gross"`` or ``"inner"``). Priced by gross area, the gross areas are
    required and the inner areas checked too when given (the contract states both);
    priced by inner area, the inner areas are required. A measured area ≤ 0 is refused.
    """
    if basis == PRICED_PER_UNIT:
        raise DomainError(_("A unit priced per unit has no area settlement (the contract's own terms apply)."),
                          field="basis")
    if basis not in (PRICED_BY_GROSS, PRICED_BY_INNER):
        raise DomainError(_("Choose the pricing basis: by gross area or by inner area."), field="basis")
    price = _money(unit_price, label=_("The unit price"), field_name="unit_price")
    checks: list[AreaCheck] = []
    gross = inner = None
    need_gross = basis == PRICED_BY_GROSS
    if need_gross or contracted_gross is not None or measured_gross is not None:
        if contracted_gross is None or measured_gross is None:
            raise DomainError(_("Give both the contracted and the measured gross area."), field="measured_gross")
        gross = AreaCheck("gross",
                          _area(contracted_gross, label=_("The contracted gross area"), field_name="contracted_gross"),
                          _area(measured_gross, label=_("The measured gross area"), field_name="measured_gross"))
        checks.append(gross)
    if basis == PRICED_BY_INNER or contracted_inner is not None or measured_inner is not None:
        if contracted_inner is None or measured_inner is None:
            raise DomainError(_("Give both the contracted and the measured inner area."), field="measured_inner")
        inner = AreaCheck("inner",
                          _area(contracted_inner, label=_("The contracted inner area"), field_name="contracted_inner"),
                          _area(measured_inner, label=_("The measured inner area"), field_name="measured_inner"))
        checks.append(inner)
    settled_on = gross if basis == PRICED_BY_GROSS else inner
    assert settled_on is not None
    # 按建筑面积计价: the buyer may withdraw when either ratio is beyond 3 %; 按套内: the inner one.
    may_withdraw = any(c.beyond_limit for c in checks) if basis == PRICED_BY_GROSS else settled_on.beyond_limit

    difference = abs(settled_on.difference)
    within_area = min(difference, AREA_LIMIT * settled_on.contracted)
    beyond_area = difference - within_area
    whole_amount = _fen(difference * price)
    within_amount = _fen(within_area * price)
    beyond_amount = whole_amount - within_amount
    buyer_pays = seller_bears = refund = ZERO
    if settled_on.difference > 0:
        buyer_pays, seller_bears = within_amount, beyond_amount  # 3%以内部分买受人补足；超出部分出卖人承担
    elif settled_on.difference < 0:
        refund = within_amount + 2 * beyond_amount  # 3%以内部分返还；超出部分双倍返还
    return AreaSettlement(basis=basis, unit_price=price, checks=tuple(checks), settled_on=settled_on,
                          may_withdraw=may_withdraw, within_area=within_area, beyond_area=beyond_area,
                          within_amount=within_amount, beyond_amount=beyond_amount, buyer_pays=buyer_pays,
                          seller_bears=seller_bears, refund_to_buyer=refund)


def withdrawal_refund(payments: Sequence[tuple[date, Decimal]], *, annual_rate: Decimal,
                      refund_day: date) -> tuple[Decimal, Decimal]:
    """A buyer who withdraws gets back everything paid (including the loan part) and simple
    interest on each payment from the day it was paid to the refund day, at ``annual_rate``
    (a fraction; the contract says not below the PBoC benchmark). Daily rate = annual ÷ 360
    (《人民币利率管理规定》第二十条). Returns (amount paid, interest)."""
    if isinstance(annual_rate, float) or not isinstance(annual_rate, Decimal) or not annual_rate.is_finite() \
            or not 0 <= annual_rate <= Decimal("0.24"):
        raise DomainError(_("The interest rate must be between 0 and 24 per cent."), field="annual_rate")
    paid = ZERO
    interest = Decimal(0)
    for day, amount in payments:
        amount = _money(amount, label=_("A payment"), field_name="payments")
        if day > refund_day:
            raise DomainError(_("A payment cannot be dated after the refund."), field="payments")
        paid += amount
        interest += amount * annual_rate * (refund_day - day).days / 360
    return paid, _fen(interest)


# ============================================================ (b) late payment
#: 万分之N: a fee above 万分之10 (0.1 % a day, 36.5 % a year) is not one a court upholds
MAX_DAILY_RATE_PER_10000 = Decimal("10")


@dataclass(frozen=True)
class Instalment:
    """One item of the payment schedule and what has been paid on it (date, amount)."""

    due_date: date
    amount: Decimal
    payments: tuple[tuple[date, Decimal], ...] = ()
    label: str = ""


@dataclass(frozen=True)
class LateFee:
    """An instalment's state on ``as_of``: unpaid difference, days overdue, fee accrued to date."""

    instalment: Instalment
    as_of: date
    unpaid: Decimal
    overdue_days: int
    fee: Decimal
    may_rescind: bool
    segments: tuple[tuple[date, date, Decimal, int], ...] = field(default=())  # (from, to, unpaid, days)

    @property
    def state(self) -> str:
        """"paid", "overdue", "partly paid" or "due"."""
        if self.unpaid == 0:
            return "paid"
        if self.as_of > self.instalment.due_date:
            return "overdue"
        return "partly paid" if self.unpaid < self.instalment.amount else "due"


def check_daily_rate(per_ten_thousand, *, field_name: str = "late_fee_rate") -> Decimal:
    """万分之N as N (``Decimal("5")`` for 万分之五 = 0.05 % a day), 0 < N ≤ 10."""
    if isinstance(per_ten_thousand, float | bool) or not isinstance(per_ten_thousand, Decimal | int):
        raise TypeError("the late-fee rate must be a Decimal")
    rate = Decimal(per_ten_thousand)
    if not rate.is_finite() or rate <= 0 or rate > MAX_DAILY_RATE_PER_10000:
        raise DomainError(_("The daily late-fee rate is 万分之N with N more than 0 and at most %(max)s.",
                            max=MAX_DAILY_RATE_PER_10000), field=field_name)
    return rate


def late_fee(instalment: Instalment, as_of: date, *, per_ten_thousand: Decimal,
             rescind_after_days: int) -> LateFee:
    """The late fee of one instalment accrued up to ``as_of`` (GF-2014-0171 第八条).

    Each day after the due date, up to and including the day a payment settles it, the
    unpaid difference (amount due − paid so far) accrues ``per_ten_thousand`` / 10,000 of
    itself. Payments after ``as_of`` are not counted yet. ``overdue_days`` runs from the
    due date to the day the instalment was settled (or to ``as_of``); the seller may rescind
    once it is more than ``rescind_after_days`` (逾期超过N日后).
    """
    rate = check_daily_rate(per_ten_thousand) / 10000
    if isinstance(rescind_after_days, bool) or not isinstance(rescind_after_days, int) \
            or not 1 <= rescind_after_days <= 365:
        raise DomainError(_("The days after which the seller may rescind must be 1 to 365."),
                          field="rescind_after_days")
    due = _money(instalment.amount, label=_("The instalment"), field_name="amount")
    unpaid = due
    fee = Decimal(0)
    segments: list[tuple[date, date, Decimal, int]] = []
    counted_from = instalment.due_date
    settled_on: date | None = None
    for day, amount in sorted(instalment.payments, key=lambda p: p[0]):
        amount = _money(amount, label=_("A payment"), field_name="payments")
        if day > as_of:
            break
        if day > counted_from and unpaid > 0:
            days = (day - counted_from).days
            fee += unpaid * rate * days
            segments.append((counted_from, day, unpaid, days))
            counted_from = day
        unpaid = max(unpaid - amount, ZERO)
        if unpaid == 0:
            settled_on = day
            break
    if unpaid > 0 and as_of > counted_from:
        days = (as_of - counted_from).days
        fee += unpaid * rate * days
        segments.append((counted_from, as_of, unpaid, days))
    end = settled_on if settled_on is not None else as_of
    overdue_days = max((end - instalment.due_date).days, 0)
    return LateFee(instalment=instalment, as_of=as_of, unpaid=unpaid, overdue_days=overdue_days, fee=_fen(fee),
                   may_rescind=overdue_days > rescind_after_days, segments=tuple(segments))


def schedule_late_fees(instalments: Sequence[Instalment], as_of: date, *, per_ten_thousand: Decimal,
                       rescind_after_days: int) -> tuple[list[LateFee], Decimal, bool]:
    """Every instalment's state, the total fee accrued, and whether any makes the contract rescindable."""
    fees = [late_fee(i, as_of, per_ten_thousand=per_ten_thousand, rescind_after_days=rescind_after_days)
            for i in instalments]
    return fees, sum((f.fee for f in fees), ZERO), any(f.may_rescind for f in fees)


# ============================================================ (c) deposit
#: 民法典 第五百八十六条: 定金的数额…不得超过主合同标的额的百分之二十
DEPOSIT_CAP = Decimal("0.20")
CONVERTED = "converted"  # 转为购房款
BUYER_WITHDREW = "buyer_withdrew"  # 买受人违约：定金不予返还
SELLER_WITHDREW = "seller_withdrew"  # 出卖人违约：双倍返还
NO_FAULT = "no_fault"  # 不可归责于双方：返还
DEPOSIT_OUTCOMES = (CONVERTED, BUYER_WITHDREW, SELLER_WITHDREW, NO_FAULT)


def max_deposit(total_price: Decimal) -> Decimal:
    """The largest deposit for a price: 20 % of it, rounded down to the fen."""
    price = _money(total_price, label=_("The total price"), field_name="total_price")
    return (price * DEPOSIT_CAP).quantize(FEN, rounding=ROUND_DOWN)


def check_deposit(deposit: Decimal, total_price: Decimal, *, field_name: str = "deposit") -> Decimal:
    """A deposit must be more than 0 and at most 20 % of the total price (民法典 第五百八十六条)."""
    amount = _money(deposit, label=_("The deposit"), field_name=field_name)
    cap = max_deposit(total_price)
    if amount > cap:
        raise DomainError(_("The deposit may be at most 20%% of the price (%(cap)s); "
                            "the excess would not be a deposit (Civil Code art. 586).", cap=format_money(cap)),
                          field=field_name)
    return amount


@dataclass(frozen=True)
class DepositSettlement:
    """Where a deposit goes: back to the buyer, kept by the seller, or credited to the price."""

    outcome: str
    deposit: Decimal
    refund_to_buyer: Decimal
    kept_by_seller: Decimal
    credited_to_price: Decimal


def deposit_settlement(deposit: Decimal, outcome: str) -> DepositSettlement:
    """The deposit rules of the subscription agreement (定金罚则, 民法典 第五百八十七条)."""
    amount = _money(deposit, label=_("The deposit"), field_name="deposit")
    if outcome == CONVERTED:
        return DepositSettlement(outcome, amount, ZERO, ZERO, amount)
    if outcome == BUYER_WITHDREW:
        return DepositSettlement(outcome, amount, ZERO, amount, ZERO)
    if outcome == SELLER_WITHDREW:
        return DepositSettlement(outcome, amount, amount * 2, ZERO, ZERO)
    if outcome == NO_FAULT:
        return DepositSettlement(outcome, amount, amount, ZERO, ZERO)
    raise DomainError(_("Choose what happened to the agreement."), field="outcome")


# ============================================================ (d) payment schedule
@dataclass(frozen=True)
class ScheduleItem:
    """One line of 附件四: what is paid (down payment, instalment, loan), when, how much."""

    label: str
    due_date: date
    amount: Decimal


def check_schedule(items: Sequence[ScheduleItem], total_price: Decimal, *, credited: Decimal = ZERO,
                   not_before: date | None = None) -> Decimal:
    """The schedule must pay the price exactly: Σ items + ``credited`` (the deposit already
    paid) == ``total_price`` to the fen; every amount more than 0; dates strictly increasing
    and none before ``not_before`` (the contract's date). Returns the scheduled sum."""
    price = _money(total_price, label=_("The total price"), field_name="total_price")
    if isinstance(credited, float) or not isinstance(credited, Decimal) or credited < 0 \
            or credited != credited.quantize(FEN) or credited > price:
        raise DomainError(_("The amount credited must be between zero and the price."), field="credited")
    if not items:
        raise DomainError(_("The payment schedule has no items."), field="schedule")
    total = ZERO
    previous: date | None = None
    for number, item in enumerate(items, start=1):
        amount = _money(item.amount, label=_("Item %(n)d of the schedule", n=number), field_name="schedule")
        if not_before is not None and item.due_date < not_before:
            raise DomainError(_("Item %(n)d of the schedule falls due before the contract (%(day)s).",
                                n=number, day=not_before.isoformat()), field="schedule")
        if previous is not None and item.due_date <= previous:
            raise DomainError(_("Item %(n)d of the schedule must fall due after item %(m)d.", n=number, m=number - 1),
                              field="schedule")
        previous = item.due_date
        total += amount
    scheduled = total + credited
    if scheduled != price:
        gap = price - scheduled
        if gap > 0:
            message = _("The schedule adds up to %(sum)s but the price is %(price)s: %(gap)s short.",
                        sum=format_money(scheduled), price=format_money(price), gap=format_money(gap))
        else:
            message = _("The schedule adds up to %(sum)s but the price is %(price)s: %(gap)s too much.",
                        sum=format_money(scheduled), price=format_money(price), gap=format_money(-gap))
        raise DomainError(message, field="schedule")
    return total
