"""The manager's product form: what was typed, as a ``ProductInput`` (texts trimmed, ticks as
booleans). The limits, the price and the VAT rate are checked by catalog.services (the same
rules check a spreadsheet row), with messages naming the field."""

from __future__ import annotations

from wtforms import BooleanField, StringField

from ..forms import Form, strip
from . import services

TEXTS = ("name", "brand", "category", "model", "spec", "colour", "family", "barcode", "unit", "list_price",
         "vat_rate", "selling_points", "functions")


class ProductForm(Form):
    whole_units_only = BooleanField(false_values=("", "0"))
    active = BooleanField(false_values=("", "0"))
    requires_serial = BooleanField(false_values=("", "0"))
    warranty_months = StringField(filters=[strip])

    def product_input(self) -> services.ProductInput:
        return services.ProductInput(**{name: self[name].data for name in TEXTS},
                                     whole_units_only=self.whole_units_only.data, active=self.active.data,
                                     requires_serial=self.requires_serial.data,
                                     warranty_months=self.warranty_months.data or "")


for _name in TEXTS:
    setattr(ProductForm, _name, StringField(filters=[strip]))
