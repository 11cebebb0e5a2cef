"""The invoice form: the vouchers to invoice and the buyer, parsed; whether they may be
invoiced (paid, not invoiced yet, one customer) is invoicing.services' rule."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Length

from ..forms import Form, strip
from . import services


class InvoiceForm(Form):
    vouchers = StringField(_l("Vouchers"), filters=[strip], validators=[Length(max=400)])
    name = StringField(_l("Buyer"), filters=[strip], validators=[Length(max=100)])
    phone = StringField(_l("Phone"), filters=[strip], validators=[Length(max=30)])
    address = StringField(_l("Address"), filters=[strip], validators=[Length(max=200)])
    tax_no = StringField(_l("Taxpayer number"), filters=[strip], validators=[Length(max=30)])

    def numbers(self) -> list[str]:
        """The voucher numbers, however they were separated (commas, full-width commas, spaces)."""
        return numbers(self.vouchers.data)

    def buyer(self) -> services.Buyer:
        return services.Buyer(self.name.data, self.phone.data, self.address.data, self.tax_no.data)


def numbers(raw: str) -> list[str]:
    return [n.strip() for n in (raw or "").replace("，", ",").replace(" ", ",").split(",") if n.strip()]
