"""What every domain's forms.py builds on: the posted form and the fields that parse what staff type.

A form parses and type-checks (a count is a whole number of notes, a day is a date, an id is an
id); a wrong value is a form error — the view's ``web.valid(form)`` refuses the request at 422,
nothing saved — never a 500. The rules (what is due, who may approve, whether a day is too far
ahead) stay in the services.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.widgets import TextInput

from .errors import DomainError
from .text import parse_day, parse_id, plain

WHOLE_RE = re.compile(r"[0-9]{1,12}", re.ASCII)
#: notes or coins of one denomination in one count (a drawer never holds more)
MAX_COUNT = 10_000


class Form(FlaskForm):
    """A posted form. CSRF is checked for every POST by CSRFProtect (the form's token or htmx's
    X-CSRFToken header) before any view, so not a second time here."""

    class Meta:
        csrf = False


class TypedField(Field):
    """A text box whose value is parsed: ``data`` is the parsed value, the box shows what was typed."""

    widget = TextInput()

    def _value(self):
        return self.raw_data[0] if self.raw_data else ("" if self.data is None else str(self.data))

    def process_formdata(self, valuelist):
        self.data = self.parse(valuelist[0] if valuelist else "")

    def parse(self, raw: str):  # pragma: no cover - every subclass says how
        raise NotImplementedError


class CountField(TypedField):
    """A number of notes or coins: a whole number from 0 to ``MAX_COUNT`` in any script's digits
    (``５`` is 5; ``²``, ``-1``, ``1.5`` are refused); empty is 0."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, default=0, **kwargs)

    def parse(self, raw):
        text = plain(raw)
        if not text:
            return 0
        if not WHOLE_RE.fullmatch(text):
            raise ValueError(_("A count is a whole number of notes, not %(value)s.", value=text[:10]))
        if int(text) > MAX_COUNT:
            raise ValueError(_("%(n)d notes of one kind? Check the count.", n=int(text)))
        return int(text)


class IdField(TypedField):
    """A row id from a select or a hidden field; ``None`` when empty or not an id (the service
    then says "choose …")."""

    def parse(self, raw):
        return parse_id(raw)


class DayField(TypedField):
    """A YYYY-MM-DD day within sane bounds, or ``None`` when left empty."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)

    def parse(self, raw):
        if not plain(raw):
            return None
        try:
            return parse_day(raw, label=self.label.text)
        except DomainError as e:
            raise ValueError(e.message) from None



def strip(value):
    """A filter: text boxes are trimmed."""
    return value.strip() if isinstance(value, str) else value
