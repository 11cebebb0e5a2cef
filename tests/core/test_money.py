"""Money: exact fen, half-up rounding, ￥ formatting and amounts in words (人民币大写)."""

from decimal import Decimal

import pytest

from pos.money import (
    amount_in_words,
    format_money,
    format_plain,
    from_fen,
    in_words_with_prefix,
    parse_money,
    to_decimal,
    to_fen,
)

# The People's Bank of China's official examples (SPEC.md): either form where two are given.
OFFICIAL = [
    ("1409.50", {"壹仟肆佰零玖元伍角"}),
    ("6007.14", {"陆仟零柒元壹角肆分"}),
    ("1680.32", {"壹仟陆佰捌拾元零叁角贰分", "壹仟陆佰捌拾元叁角贰分"}),
    ("107000.53", {"壹拾万柒仟元零伍角叁分", "壹拾万零柒仟元伍角叁分"}),
    ("16409.02", {"壹万陆仟肆佰零玖元零贰分"}),
    ("325.04", {"叁佰贰拾伍元零肆分"}),
]


@pytest.mark.parametrize(("amount", "accepted"), OFFICIAL)
def test_official_examples(amount, accepted):
    assert amount_in_words(Decimal(amount)) in accepted


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("100", "壹佰元整"),
        ("100.00", "壹佰元整"),
        ("16", "壹拾陆元整"),  # 壹拾, never 拾 alone
        ("10", "壹拾元整"),
        ("0.05", "伍分"),
        ("0.50", "伍角"),
        ("0", "零元整"),
        ("20.30", "贰拾元零叁角"),
        ("100.04", "壹佰元零肆分"),
        ("100500", "壹拾万零伍佰元整"),
        ("1000000", "壹佰万元整"),
        ("100000001", "壹亿零壹元整"),
        ("100010000", "壹亿零壹万元整"),
        ("1000000000", "壹拾亿元整"),
        ("168", "壹佰陆拾捌元整"),
        ("1.005", "壹元零壹分"),  # rounded half-up to the fen first
        ("1.004", "壹元整"),
    ],
)
def test_more_amounts(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_words_use_only_the_capitals():
    for cents in range(0, 100_000, 7):
        words = amount_in_words(from_fen(cents * 131))
        assert not set(words) & set("一二两三四五六七八九十毛另")
        assert not words.endswith("分整")


def test_zheng_after_jiao_is_available():
    assert amount_in_words(Decimal("1409.50"), zheng_after_jiao=True) == "壹仟肆佰零玖元伍角整"


def test_prefix_has_no_gap():
    assert in_words_with_prefix(Decimal("100")) == "人民币壹佰元整"


def test_negative_amounts_for_refunds():
    assert amount_in_words(Decimal("-12.50")) == "负壹拾贰元伍角"


def test_format_money():
    assert format_money(Decimal("1234.5")) == "￥1,234.50"
    assert format_money(0) == "￥0.00"
    assert format_money(Decimal("-3")) == "-￥3.00"
    assert format_money(Decimal("1000000")) == "￥1,000,000.00"
    assert format_money("2.005") == "￥2.01"
    assert format_plain(Decimal("200")) == "200.00"
    assert format_money(Decimal("1")).startswith("\uffe5")


def test_fen_round_trip():
    assert to_fen(Decimal("1680.32")) == 168032
    assert from_fen(168032) == Decimal("1680.32")
    assert to_fen("0.005") == 1  # half-up
    assert to_fen("-0.005") == -1
    assert to_decimal(12) == Decimal("12.00")


@pytest.mark.parametrize("bad", [0.1, 1.0, float("nan")])
def test_floats_are_refused_loudly(bad):
    with pytest.raises(TypeError):
        to_decimal(bad)
    with pytest.raises(TypeError):
        amount_in_words(bad)
    with pytest.raises(TypeError):
        format_money(bad)
    with pytest.raises(TypeError):
        to_fen(bad)


def test_other_junk_is_refused():
    with pytest.raises(TypeError):
        to_decimal(True)
    with pytest.raises(ValueError):
        to_decimal("abc")
    with pytest.raises(ValueError):
        to_decimal(Decimal("Infinity"))
    with pytest.raises(TypeError):
        from_fen(1.5)


@pytest.mark.parametrize(
    ("typed", "value"), [("168", "168.00"), ("1,680.5", "1680.50"), ("￥12", "12.00"), (" 0.1 ", "0.10")]
)
def test_parse_money(typed, value):
    assert parse_money(typed) == Decimal(value)


@pytest.mark.parametrize("typed", ["", "abc", "1.234", "NaN", "1e999999"])
def test_parse_money_refuses(typed):
    with pytest.raises(ValueError):
        parse_money(typed)
