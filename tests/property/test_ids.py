"""The resident identity number check (GB 11643-1999 公民身份号码, ISO 7064:1983 MOD 11-2).

The two worked examples are the ones printed in GB 11643-1999 itself (§8 / appendix):
``11010519491231002X`` (Beijing Chaoyang, born 1949-12-31, a woman — check character X) and
``440524188001010014`` (born 1880-01-01 — a valid checksum whose birth date is no longer
plausible for a buyer). Other valid numbers are constructed from the algorithm.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pos.errors import DomainError
from pos.property.ids import (
    PROVINCES,
    WEIGHTS,
    age_on,
    check_char,
    is_valid_resident_id,
    normalise,
    parse_resident_id,
)

TODAY = date(2026, 11, 26)


def make_id(region: str, born: date, sequence: int) -> str:
    """Build a valid number by hand: S = Σ aᵢWᵢ, check = (12 − S mod 11) mod 11, 10 → X."""
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    s = sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True))
    value = (12 - s % 11) % 11
    return body + ("X" if value == 10 else str(value))


def test_weights_are_powers_of_two_mod_11():
    # GB 11643-1999 §8.2: Wᵢ = 2^(i−1) mod 11, i = 18 … 2 from the left
    assert WEIGHTS == tuple(pow(2, i - 1, 11) for i in range(18, 1, -1))


def test_the_standards_own_example():
    resident = parse_resident_id("11010519491231002X", today=TODAY)
    assert resident.number == "11010519491231002X"
    assert resident.region == "110105"
    assert resident.birth_date == date(1949, 12, 31)
    assert resident.sex == "F"  # 17th digit 2: even
    assert check_char("11010519491231002") == "X"


def test_the_standards_second_example_has_a_good_checksum_but_an_implausible_birth():
    assert check_char("44052418800101001") == "4"
    with pytest.raises(DomainError) as caught:
        parse_resident_id("440524188001010014", today=TODAY)
    assert "birth date" in caught.value.message


@pytest.mark.parametrize("typed", [
    "11010519491231002x",                # lowercase x
    "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits and X
    "１１０１０５１９４９１２３１００２ｘ",  # full-width lowercase x
    " 110105 19491231 002X ",            # spaces
    "110105-19491231-002X",              # dashes
    "110105\u300019491231\u3000002X",    # ideographic spaces
])
def test_what_people_type_is_normalised_first(typed):
    assert normalise(typed) == "11010519491231002X"
    assert parse_resident_id(typed, today=TODAY).number == "11010519491231002X"


def test_constructed_numbers_for_men_and_women():
    man = make_id("320102", date(1985, 6, 15), 131)
    woman = make_id("510104", date(1992, 2, 29), 246)  # a leap day
    assert parse_resident_id(man, today=TODAY).sex == "M"
    assert parse_resident_id(woman, today=TODAY).sex == "F"
    assert parse_resident_id(woman, today=TODAY).birth_date == date(1992, 2, 29)


def test_a_residence_permit_number_for_hong_kong_residents():
    permit = make_id("810000", date(1990, 1, 1), 11)
    assert is_valid_resident_id(permit, today=TODAY)


@pytest.mark.parametrize(("typed", "words"), [
    ("", "18 characters"),
    ("11010519491231002", "18 characters"),       # 17 characters
    ("11010519491231002XX", "18 characters"),     # 19
    ("1101051949123100X2", "18 characters"),      # X not last
    ("11010519491231002Y", "18 characters"),
    ("110105194912310021", "check digit"),        # wrong check
    ("11010519491231020X", "check digit"),        # two adjacent digits swapped
])
def test_bad_numbers_are_refused(typed, words):
    with pytest.raises(DomainError) as caught:
        parse_resident_id(typed, today=TODAY)
    assert words in caught.value.message
    assert caught.value.field == "id_number"


def test_impossible_dates_are_refused_even_with_a_good_checksum():
    for body in ("11010519490230001", "11010519491301001", "11010519490000001"):  # 30 Feb, month 13, day 0
        number = body + check_char(body)
        with pytest.raises(DomainError) as caught:
            parse_resident_id(number, today=TODAY)
        assert "birth date" in caught.value.message
    assert not is_valid_resident_id(make_id("110105", date(1899, 12, 31), 1), today=TODAY)
    tomorrow = TODAY + timedelta(days=1)
    assert not is_valid_resident_id(make_id("110105", tomorrow, 1), today=TODAY)
    assert is_valid_resident_id(make_id("110105", TODAY, 1), today=TODAY)  # born today (a baby can own a flat)


def test_unknown_region_codes_are_refused():
    for region in ("000000", "990101", "100101", "720000"):
        with pytest.raises(DomainError) as caught:
            parse_resident_id(make_id(region, date(1980, 1, 1), 1), today=TODAY)
        assert "region" in caught.value.message


def test_age():
    resident = parse_resident_id(make_id("330106", date(2008, 11, 27), 5), today=TODAY)
    assert age_on(resident, TODAY) == 17
    assert age_on(resident, date(2026, 11, 27)) == 18


# ------------------------------------------------------------ properties
births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
regions = st.tuples(st.sampled_from(sorted(PROVINCES)), st.integers(0, 9999)).map(lambda t: f"{t[0]}{t[1]:04d}")
sequences = st.integers(0, 999)


@settings(max_examples=300, deadline=None)
@given(regions, births, sequences)
def test_every_constructed_number_is_valid(region, born, sequence):
    number = make_id(region, born, sequence)
    resident = parse_resident_id(number.lower(), today=TODAY)
    assert resident.number == number
    assert resident.birth_date == born
    assert resident.sex == ("M" if sequence % 2 else "F")


@settings(max_examples=300, deadline=None)
@given(regions, births, sequences, st.integers(0, 17), st.integers(1, 10))
def test_any_single_changed_character_is_caught(region, born, sequence, position, shift):
    number = make_id(region, born, sequence)
    alphabet = "0123456789X" if position == 17 else "0123456789"
    old = alphabet.index(number[position])
    new = alphabet[(old + shift) % len(alphabet)]
    if new == number[position]:
        return
    changed = number[:position] + new + number[position + 1:]
    assert not is_valid_resident_id(changed, today=TODAY)


@settings(max_examples=300, deadline=None)
@given(regions, births, sequences, st.integers(0, 16))
def test_any_swap_of_two_adjacent_characters_is_caught(region, born, sequence, position):
    number = make_id(region, born, sequence)
    if number[position] == number[position + 1]:
        return
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2:]
    assert not is_valid_resident_id(swapped, today=TODAY)
