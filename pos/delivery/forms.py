"""The delivery request form (the clerk asks for delivery instead of a pickup), parsed; whether
the goods may go, and when, is delivery.services' rule."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import Length

from ..forms import DayField, Form, strip


class DispatchRequestForm(Form):
    once_key = HiddenField()
    name = StringField(_l("Customer name"), filters=[strip], validators=[Length(max=60)])
    phone = StringField(_l("Phone"), filters=[strip], validators=[Length(max=30)])
    address = StringField(_l("Address"), filters=[strip], validators=[Length(max=200)])
    window_day = DayField(_l("Delivery day"))
    window = StringField(_l("Time window"), filters=[strip], validators=[Length(max=20)])
    notes = StringField(_l("Notes"), filters=[strip], validators=[Length(max=200)])

    def quantities(self, voucher) -> dict[int, str]:
        """Line id → the quantity to deliver as typed (the rule checks it against what is left)."""
        from flask import request

        return {line.id: request.form.get(f"qty_{line.id}", "") for line in voucher.lines}

    def details(self) -> dict:
        """The keywords of ``delivery.services.request_delivery`` this form fills."""
        return {"once_key": self.once_key.data or "", "name": self.name.data, "phone": self.phone.data,
                "address": self.address.data, "window_day": self.window_day.data, "window": self.window.data,
                "notes": self.notes.data}
