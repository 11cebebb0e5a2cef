"""The 18-digit resident identity number (公民身份号码), GB 11643-1999.

Structure (GB 11643-1999 §4–§8): six digits of address code (GB/T 2260 region of first
registration), eight digits of birth date (YYYYMMDD), three digits of sequence code (odd
for men, even for women) and one check character computed with ISO 7064:1983 MOD 11-2:

    S = Σ aᵢ·Wᵢ (i = 18 … 2, Wᵢ = 2^(i−1) mod 11 → 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2)
    check = (12 − S mod 11) mod 11, written "X" when it is 10.

The same format (and check) is used by the Hong Kong, Macao and Taiwan residents'
residence permits (港澳台居民居住证, address codes 81/82/83).

What people type is normalised first: full-width digits (１２３), a full-width or
lowercase x, spaces and dashes. Pure functions; the messages are translated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from pos.errors import DomainError

#: Wᵢ for the 17 body digits, left to right (GB 11643-1999 §8.2)
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
#: check character for S mod 11 = 0 … 10
CHECK_CHARS = "10X98765432"
#: province-level parts of GB/T 2260 (the first two digits of the address code), plus the
#: codes of the Hong Kong, Macao and Taiwan residence permits (81, 82, 83) and Taiwan (71)
PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82", "83",
})
#: nobody alive was born earlier (the oldest people on record were born in the 1900s)
EARLIEST_BIRTH = date(1900, 1, 1)
ID_RE = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)
_SEPARATORS_RE = re.compile(r"[\s\-‐‑‒–—―－]")


@dataclass(frozen=True)
class ResidentId:
    """A checked resident identity number and what it says."""

    number: str
    region: str
    birth_date: date
    sex: str  # "M" or "F" (the 17th digit: odd for men, even for women)


def normalise(text) -> str:
    """``'１１０１０５ １９４９１２３１ ００２ｘ'`` → ``'11010519491231002X'``: any script's digits as
    ASCII (NFKC via :func:`pos.text.plain`), spaces and dashes dropped, x upper-cased."""
    from pos.text import plain

    return _SEPARATORS_RE.sub("", plain(text)).upper()


def check_char(body: str) -> str:
    """The check character for the first 17 digits (ISO 7064 MOD 11-2)."""
    if len(body) != 17 or not body.isascii() or not body.isdigit():
        raise ValueError("the body of a resident ID is 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(body, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def parse_resident_id(text, *, today: date | None = None, field: str = "id_number") -> ResidentId:
    """Normalise and check an 18-digit resident ID; raise a translated :class:`DomainError`
    naming what is wrong (length, check character, birth date, region)."""
    number = normalise(text)
    if not ID_RE.fullmatch(number):
        raise DomainError(_("A resident ID number is 18 characters: 17 digits and a digit or X."), field=field)
    if check_char(number[:17]) != number[17]:
        raise DomainError(_("This ID number's check digit is wrong — please check each digit."), field=field)
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise DomainError(_("This ID number holds no real birth date (%(digits)s).", digits=number[6:14]),
                          field=field) from None
    if today is None:
        from pos.clock import local_today

        today = local_today()
    if born < EARLIEST_BIRTH or born > today:
        raise DomainError(_("This ID number holds an impossible birth date (%(day)s).", day=born.isoformat()),
                          field=field)
    if number[:2] not in PROVINCES:
        raise DomainError(_("This ID number starts with no region code in use (%(code)s).", code=number[:6]),
                          field=field)
    return ResidentId(number=number, region=number[:6], birth_date=born, sex="M" if int(number[16]) % 2 else "F")


def is_valid_resident_id(text, *, today: date | None = None) -> bool:
    try:
        parse_resident_id(text, today=today)
    except DomainError:
        return False
    return True


def age_on(resident: ResidentId, day: date) -> int:
    """Whole years of age on ``day`` (a buyer under 18 signs through a guardian)."""
    born = resident.birth_date
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
