"""What people type, made plain and checked in one place (输入规范化).

A tablet sends whatever its keyboard produced: full-width digits from a Chinese IME
(１３８…), Arabic-Indic or Devanagari digits, ``+86``/``0086`` and dashes in a phone,
superscripts that pass ``str.isdigit`` and fail ``int`` (``²``), control bytes pasted
from somewhere, a NUL that PostgreSQL cannot store, ten thousand characters in a
reason box. Everything typed goes through here before it is checked or compared:

* numbers, phones, IDs, barcodes, 数电票 numbers, quantities: :func:`plain` (NFKC and
  every script's decimal digits to ASCII) and then a strict ASCII pattern;
* free text (names, addresses, reasons, notes): :func:`check_text` — trimmed, no
  control characters, at most so many characters per field;
* every request: :func:`request_problem` (called before any view runs) refuses NUL and
  control characters in any field and caps each field's length.

The helpers raise :class:`~pos.errors.DomainError` with a message a clerk understands,
so a view (or a form's validator) answers 4xx with the input kept and nothing saved.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .errors import DomainError

#: C0 controls except TAB, LF, CR; DEL; C1 controls. NUL is among them.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: a row id, a count, a whole number: ASCII digits only (``\d`` would take any script's digits)
INT_RE = re.compile(r"[+-]?[0-9]+", re.ASCII)
DECIMAL_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
#: mainland mobile numbers: 1 then 3–9 then nine digits
MOBILE_RE = re.compile(r"1[3-9][0-9]{9}", re.ASCII)
#: landline with its area code: 010 and 02x take three digits, the others four; 7–8 digit number
LANDLINE_RE = re.compile(r"(?:0(?:10|2[0-9])[2-9][0-9]{6,7}|0[3-9][0-9]{2}[2-9][0-9]{6,7})", re.ASCII)
#: separators people put in a phone number
PHONE_SEPARATORS_RE = re.compile(r"[\s\-‐‑‒–—―－.·()（）/]")
#: the largest row id a database integer column holds (PostgreSQL INTEGER)
MAX_ID = 2**31 - 1
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2199, 12, 31)

#: the most characters each form field may carry (checked for every request, before any view): a safety
#: net well above what a person types, so that the services' own, tighter limits answer with the field's
#: message (and the input kept) for anything a person might type.
FIELD_LIMITS: dict[str, int] = {
    "reason": 500, "note": 1000, "notes": 1000, "name": 200, "full_name": 200, "address": 400, "phone": 60,
    "received_by": 200, "window": 100, "q": 1000, "tax_no": 60, "number": 100, "barcode": 100, "code": 60,
    "model": 200, "spec": 300, "colour": 100, "family": 300, "unit": 40, "cheque_ref": 200, "cheque_bank": 200,
    "cheque_drawer": 200, "invoice_prefix": 60, "staff_no": 60, "pin": 40, "manager_pin": 40, "password": 256,
    "once_key": 128, "selling_points": 4000, "functions": 4000, "serials": 4000, "barcodes": 8000, "next": 1000,
    "return_to": 1000, "back": 1000, "needs": 1000, "terms": 2000,
}
#: any other field (a select's value, an amount, a count, a date) carries at most this many
DEFAULT_LIMIT = 1000
#: fields whose content is written for people (Chinese names, notes): a longer default
FIELD_LABELS = {
    "reason": _l("Reason"), "note": _l("Note"), "notes": _l("Notes"), "name": _l("Name"),
    "address": _l("Address"), "phone": _l("Phone"), "received_by": _l("Received by"),
    "q": _l("Search"), "selling_points": _l("Selling points"),
}


class BadRequestInput(DomainError):
    """The request carries bytes no person types (NUL, control characters) or far too much."""

    status = 400


# ------------------------------------------------------------------ normalising
def plain(value) -> str:
    """NFKC, every script's decimal digits as ASCII, trimmed. ``'１３８ ٠٠'`` → ``'138 00'``.

    Superscripts, circled and fraction digits (``²``, ``①``, ``½``: Unicode "other numbers")
    are kept as they are, so the strict patterns refuse them instead of reading ``²`` as 2.
    """
    if value is None:
        return ""
    text = str(value)
    out: list[str] = []
    run: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Nd":
            run.append(str(unicodedata.decimal(ch)))
        elif category == "No":
            out.append(unicodedata.normalize("NFKC", "".join(run)))
            run = []
            out.append(ch)
        else:
            run.append(ch)
    out.append(unicodedata.normalize("NFKC", "".join(run)))
    # NFKC may itself produce digits of another script (rare compatibility forms): map again
    return "".join(str(unicodedata.decimal(c)) if unicodedata.category(c) == "Nd" else c
                   for c in "".join(out)).strip()


def has_control(value: str) -> bool:
    return bool(CONTROL_RE.search(value or ""))


def _label(label) -> str:
    return str(label) if label else _("This field")


def check_text(value, *, label=None, max_len: int, required: bool = False, field: str | None = None) -> str:
    """Free text a person wrote (a name, an address, a reason): trimmed, no control characters,
    at most ``max_len`` characters. Returns the trimmed text."""
    text = "" if value is None else str(value).strip()
    if has_control(text):
        raise DomainError(_("%(field)s contains control characters; type it again.", field=_label(label)),
                          field=field)
    if len(text) > max_len:
        raise DomainError(_("%(field)s takes at most %(n)d characters (%(got)d typed).", field=_label(label),
                            n=max_len, got=len(text)), field=field)
    if required and not text:
        raise DomainError(_("%(field)s is required.", field=_label(label)), field=field)
    return text


# ------------------------------------------------------------------ numbers
def parse_int(value, *, label=None, minimum: int = 0, maximum: int, default: int | None = None,
              field: str | None = None) -> int:
    """A whole number typed by a person (a count, units, a page): any script's digits, within bounds.

    Empty → ``default`` (or refused when there is none)."""
    text = plain(value).replace(",", "").replace(" ", "")
    if not text:
        if default is not None:
            return default
        raise DomainError(_("%(field)s: type a whole number.", field=_label(label)), field=field)
    if len(text) > 30 or not INT_RE.fullmatch(text):
        raise DomainError(_("%(field)s: %(value)s is not a whole number.", field=_label(label), value=text[:12]),
                          field=field)
    number = int(text)
    if number < minimum or number > maximum:
        raise DomainError(_("%(field)s: %(value)s is out of range (%(lo)d to %(hi)d).", field=_label(label),
                            value=text[:12], lo=minimum, hi=maximum), field=field)
    return number


def parse_id(value) -> int | None:
    """A row id from a select or a hidden field: a positive ASCII integer a database column holds,
    else ``None`` (the caller then says "choose …"). ``'abc'``, ``'-1'``, ``'1.5'``, ``'9'*30`` → None."""
    text = plain(value)
    if not text or len(text) > 12 or not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def parse_decimal(value, *, label=None, places: int, minimum: Decimal = Decimal(0), maximum: Decimal,
                  field: str | None = None) -> Decimal:
    """A decimal number typed by a person (a quantity, a rate): any script's digits, at most
    ``places`` decimals, within bounds. ``1e30``, ``NaN``, ``Infinity`` are refused."""
    text = plain(value).replace(",", "").replace("，", "").replace(" ", "")
    if not text or len(text) > 40 or not DECIMAL_RE.fullmatch(text):
        raise DomainError(_("%(field)s: %(value)s is not a number.", field=_label(label), value=text[:12]),
                          field=field)
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern already said no
        raise DomainError(_("%(field)s: %(value)s is not a number.", field=_label(label), value=text[:12]),
                          field=field) from None
    if number < minimum or number > maximum:
        raise DomainError(_("%(field)s: %(value)s is out of range (%(lo)s to %(hi)s).", field=_label(label),
                            value=text[:12], lo=minimum, hi=maximum), field=field)
    if -number.as_tuple().exponent > places and number != number.quantize(Decimal(1).scaleb(-places)):
        if places == 0:
            raise DomainError(_("%(field)s: a whole number, please (not %(value)s).", field=_label(label),
                                value=text[:12]), field=field)
        raise DomainError(_("%(field)s: at most %(n)d decimals.", field=_label(label), n=places), field=field)
    return number


def ascii_digits(value, *, label=None, length: int | tuple[int, int] | None = None,
                 field: str | None = None) -> str:
    """A number that is an identifier (a 数电票 number, a barcode): ASCII digits only after
    normalising, spaces and dashes dropped, optionally of a given length (or range)."""
    text = PHONE_SEPARATORS_RE.sub("", plain(value))
    lo, hi = (length, length) if isinstance(length, int) else (length or (1, 64))
    if not text.isascii() or not text.isdigit() or not lo <= len(text) <= hi:
        if lo == hi:
            raise DomainError(_("%(field)s is %(n)d digits.", field=_label(label), n=lo), field=field)
        raise DomainError(_("%(field)s is %(a)d to %(b)d digits.", field=_label(label), a=lo, b=hi), field=field)
    return text


def normalise_phone(value) -> str | None:
    """The phone as stored and compared, or None when it is neither a mainland mobile nor a
    landline with its area code (see :func:`phone`)."""
    text = PHONE_SEPARATORS_RE.sub("", plain(value))
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13 and MOBILE_RE.fullmatch(text[2:]):
        text = text[2:]
    return text if MOBILE_RE.fullmatch(text) or LANDLINE_RE.fullmatch(text) else None


def phone(value, *, field: str | None = "phone") -> str:
    """A mainland phone number as stored and compared: a mobile as its 11 digits
    (``+86 138-0013-8001``, ``0086 13800138001``, ``１３８００１３８００１`` → ``13800138001``),
    a landline as its area code and number in digits (``021-5888 6666`` → ``02158886666``).
    Anything else is refused with a message saying what a phone number looks like."""
    text = normalise_phone(value)
    if text is not None:
        return text
    raise DomainError(_("Not a phone number: type a mobile (11 digits, 13x–19x) or a landline with its "
                        "area code (e.g. 021-58886666)."), field=field)


# ------------------------------------------------------------------ dates
def parse_day(value, *, label=None, earliest: date = EARLIEST_DAY, latest: date = LATEST_DAY,
              field: str | None = None) -> date:
    """A YYYY-MM-DD date within sane bounds (``0001-01-01`` and ``9999-12-31`` overflow the
    arithmetic around them, and nobody in a shop means them)."""
    text = plain(value)
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise DomainError(_("%(field)s: not a date: %(value)s (use YYYY-MM-DD).", field=_label(label),
                            value=text[:20]), field=field)
    if not earliest <= day <= latest:
        raise DomainError(_("%(field)s: %(day)s is out of range (%(a)s to %(b)s).", field=_label(label),
                            day=day.isoformat(), a=earliest.isoformat(), b=latest.isoformat()), field=field)
    return day


# ------------------------------------------------------------------ every request
def _field_limit(name: str) -> int:
    base = re.sub(r"[_\-]?[0-9]+$", "", name)  # qty_12, count_10000, rej_reason_5000
    return FIELD_LIMITS.get(name, FIELD_LIMITS.get(base, DEFAULT_LIMIT))


def ids_out_of_range(request) -> bool:
    """A row id in the address (``/staff/<int:staff_id>``) that no database column holds: there is
    nothing there (PostgreSQL would refuse the query with "integer out of range", SQLite overflows)."""
    return any(isinstance(v, int) and not 0 <= v <= MAX_ID for v in (request.view_args or {}).values())


def request_problem(request) -> str | None:
    """What is wrong with a request's typed input as a whole, or None: a NUL or another
    control character anywhere (path, query, form, file names), or a field longer than its cap.
    Called before any view, so the answer is a 400 and nothing is saved."""
    def bad_chars(text: str) -> bool:
        return bool(CONTROL_RE.search(text.replace("\t", "").replace("\n", "").replace("\r", "")))

    for value in (request.view_args or {}).values():
        if isinstance(value, str) and bad_chars(value):
            return _("The address contains control characters.")
    for source in (request.args, request.form):
        for key in source:
            if bad_chars(key) or len(key) > 100:
                return _("The request carries a field no form has.")
            limit = _field_limit(key)
            for value in source.getlist(key):
                if bad_chars(value):
                    return _("%(field)s contains control characters (or a NUL byte); type it again.",
                             field=FIELD_LABELS.get(key, key))
                if len(value) > limit:
                    return _("%(field)s takes at most %(n)d characters (%(got)d typed).",
                             field=FIELD_LABELS.get(key, key), n=limit, got=len(value))
    for storage in request.files.values():
        if storage.filename and (bad_chars(storage.filename) or len(storage.filename) > 255):
            return _("The file name contains control characters or is too long.")
    return None
