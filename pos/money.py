"""Exact money: ``Decimal`` yuan in Python, integer fen (分) in the database.

Rules (SPEC.md "Amounts in words", DESIGN.md "Money"):

* never a float, anywhere — passing one raises ``TypeError`` at once;
* anything finer than a fen is rounded half-up to the fen;
* figures are written ``￥1,234.50`` (U+FFE5, two decimals);
* amounts in words follow the People's Bank of China's
  《正确填写票据和结算凭证的基本规定》 and reproduce its official examples.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")
YUAN_SIGN = "\uffe5"  # ￥ — prints on GB18030 printers, unlike U+00A5

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")  # within a group of four digits
_GROUP_UNITS = ("", "万", "亿", "万亿")  # groups of four digits, lowest first

MoneyLike = Decimal | int | str
#: nothing in a showroom costs a trillion yuan; bigger figures are typing errors
MAX_AMOUNT = Decimal("1000000000000")


def to_decimal(value: MoneyLike) -> Decimal:
    """Turn an int, a ``Decimal`` or a numeric string into yuan, rounded half-up to the fen.

    Floats are refused: ``0.1 + 0.2`` is not money.
    """
    if isinstance(value, bool):
        raise TypeError("a bool is not an amount of money")
    if isinstance(value, float):
        raise TypeError("money must never be a float; pass a Decimal, an int or a string")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "")
        text = text.lstrip(YUAN_SIGN + "¥")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"not an amount of money: {value!r}") from None
    else:
        raise TypeError(f"not an amount of money: {type(value).__name__}")
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise ValueError(f"not an amount of money: {value!r}")
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def to_fen(value: MoneyLike) -> int:
    """Yuan (``Decimal``/str/int) → integer fen for the database."""
    return int(to_decimal(value) * 100)


def from_fen(fen: int) -> Decimal:
    """Integer fen from the database → ``Decimal`` yuan with two places."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"fen must be an int, not {type(fen).__name__}")
    return (Decimal(fen) / 100).quantize(FEN)


def format_money(value: MoneyLike, *, sign: bool = True) -> str:
    """``Decimal('1234.5')`` → ``'￥1,234.50'``; negative amounts as ``'-￥12.00'``."""
    amount = to_decimal(value)
    body = f"{abs(amount):,.2f}"
    prefix = YUAN_SIGN if sign else ""
    return f"-{prefix}{body}" if amount < 0 else f"{prefix}{body}"


def format_plain(value: MoneyLike) -> str:
    """``Decimal('200')`` → ``'200.00'`` — for spoken and inline text (收您 200.00 元)."""
    return f"{to_decimal(value):.2f}"


def _group_in_words(group: int) -> str:
    """0 < group < 10000 → capitals with 拾佰仟; inner zeros become one 零, trailing zeros nothing."""
    out: list[str] = []
    digits = f"{group:04d}"
    pending_zero = False
    for position, ch in enumerate(digits):
        d = int(ch)
        unit = _SMALL_UNITS[3 - position]
        if d == 0:
            if out:
                pending_zero = True
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        out.append(_DIGITS[d] + unit)
    return "".join(out)


def _yuan_in_words(yuan: int) -> str:
    """The integer part, 壹拾 always written with 壹 (¥16.00 → 壹拾陆元整).

    Zeros: one 零 between digits; where a group ends in zeros (the 万 or 亿 place
    is zero) but the next group starts with a non-zero 仟, the 零 is left out —
    the PBOC rule allows either and its first example (壹拾万柒仟元…) leaves it out.
    A group that starts with zeros after a non-zero group gets one 零.
    """
    if yuan == 0:
        return ""
    groups: list[int] = []
    while yuan:
        groups.append(yuan % 10000)
        yuan //= 10000
    if len(groups) > len(_GROUP_UNITS):
        raise ValueError("amount too large to write in words")
    out: list[str] = []
    zero_gap = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            if out:
                zero_gap = True
            continue
        if out and (zero_gap or group < 1000):
            out.append("零")
        zero_gap = False
        out.append(_group_in_words(group) + _GROUP_UNITS[index])
    return "".join(out)


def amount_in_words(value: MoneyLike, *, zheng_after_jiao: bool = False) -> str:
    """Chinese capital numerals (人民币大写) for an amount, without the 人民币 prefix.

    ``Decimal('100')`` → ``'壹佰元整'``; ``Decimal('1409.50')`` → ``'壹仟肆佰零玖元伍角'``;
    ``Decimal('1680.32')`` → ``'壹仟陆佰捌拾元零叁角贰分'``.

    整 always follows 元 when there are no jiao or fen, never follows 分, and
    follows 角 only when ``zheng_after_jiao`` is set (the finance ministry's form).
    Negative amounts (refunds) are prefixed with 负.
    """
    amount = to_decimal(value)
    if amount < 0:
        return "负" + amount_in_words(-amount, zheng_after_jiao=zheng_after_jiao)
    fen_total = int(amount * 100)
    yuan, cents = divmod(fen_total, 100)
    jiao, fen = divmod(cents, 10)

    if fen_total == 0:
        return "零元整"
    words = _yuan_in_words(yuan)
    if yuan:
        words += "元"
    if jiao == 0 and fen == 0:
        return words + "整"
    if jiao:
        # 元 place zero but 角 is not: one 零 may be written (壹仟陆佰捌拾元零叁角贰分).
        if yuan and yuan % 10 == 0:
            words += "零"
        words += _DIGITS[jiao] + "角"
        if fen == 0:
            return words + ("整" if zheng_after_jiao else "")
    elif yuan:
        words += "零"  # zero 角 between 元 and 分: 叁佰贰拾伍元零肆分
    if fen:
        words += _DIGITS[fen] + "分"
    return words


def in_words_with_prefix(value: MoneyLike) -> str:
    """``'人民币壹佰元整'`` — written right after 人民币 with no gap."""
    return "人民币" + amount_in_words(value)


def parse_money(text: str) -> Decimal:
    """Parse what a person typed ("168", "168.5", "1,680.00", "￥12") into yuan.

    Raises ``ValueError`` for anything that is not a plain amount with at most two
    decimals (a clerk typing 1.234 probably meant something else).
    """
    if text is None:
        raise ValueError("empty")
    from .text import plain  # full-width and other scripts' digits typed as ASCII ('１６８．５' is 168.5)

    cleaned = plain(text).replace(",", "").replace("，", "").lstrip(YUAN_SIGN + "¥").strip()
    if not cleaned:
        raise ValueError("empty")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise ValueError(f"not an amount: {text!r}")
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(f"more than two decimals: {text!r}")
    return amount.quantize(FEN)


def plain_number(value: Decimal | int) -> str:
    """``Decimal('10.000')`` → ``'10'``, ``Decimal('2.500')`` → ``'2.5'`` (never ``1E+1``)."""
    if isinstance(value, float):
        raise TypeError("a float is not an exact number")
    text = f"{Decimal(value):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
