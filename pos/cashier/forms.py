"""The cash desk's forms: they parse and type-check what the cashier typed (counts by
denomination, tenders, the refund); what is due, what may be refunded and who may approve
stay in cashier.services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, Length

from ..forms import CountField, Form, IdField, strip
from . import services
from .models import DENOMINATIONS


class CountsForm(Form):
    """A count of the drawer by denomination: ``count_<fen>`` boxes (empty is 0)."""

    def counts(self) -> dict[int, int]:
        """Denomination (fen) → how many, for the denominations counted."""
        return {d: self[f"count_{d}"].data for d in DENOMINATIONS if self[f"count_{d}"].data}


for _d in DENOMINATIONS:
    setattr(CountsForm, f"count_{_d}", CountField())


class OpenShiftForm(CountsForm):
    """Open a shift: the station and the float counted by denomination."""

    station = IdField(_l("Cash station"))


class CloseShiftForm(CountsForm):
    """Close a shift: the drawer counted by denomination and a note for any difference."""

    note = StringField(_l("Note"), filters=[strip], validators=[Length(max=200)])


class TenderForm(CountsForm):
    """What the customer handed over (数 / 验): the notes counted, the ones refused, or a plain cash
    amount, and other tenders (card, WeChat Pay, Alipay, cheque) with their references."""

    once_key = HiddenField()
    cash_amount = StringField(filters=[strip])
    serials = StringField(filters=[strip], validators=[Length(max=400)])

    def plain_cash(self) -> str | None:
        return self.cash_amount.data or None

    def rejected(self) -> list[services.Rejected]:
        """One entry per refused note, with its reason and serial number when typed."""
        counts = services.parse_rejected_counts({d: self[f"rej_{d}"].data for d in DENOMINATIONS}, self.counts())
        serials = [s.strip() for s in (self.serials.data or "").replace("，", ",").split(",") if s.strip()]
        out = []
        for d, n in counts.items():
            for _i in range(n):
                out.append(services.Rejected(d, self[f"rej_reason_{d}"].data, serials.pop(0) if serials else ""))
        return out

    def others(self) -> list[services.OtherTender]:
        """The non-cash tenders that have an amount."""
        return [services.OtherTender(kind, self[f"{kind}_amount"].data, self[f"{kind}_ref"].data,
                                     self[f"{kind}_bank"].data, self[f"{kind}_drawer"].data)
                for kind in services.OTHER_KINDS if self[f"{kind}_amount"].data]

    def tenders(self) -> dict:
        """Everything a tally or a payment takes, by its keyword."""
        return {"counts": self.counts(), "plain_cash": self.plain_cash(), "rejected": self.rejected(),
                "others": self.others()}


for _d in DENOMINATIONS:
    setattr(TenderForm, f"rej_{_d}", CountField())
    setattr(TenderForm, f"rej_reason_{_d}", StringField(default="counterfeit",
                                                       validators=[AnyOf(services.REJECT_REASONS)]))
for _kind in services.OTHER_KINDS:
    setattr(TenderForm, f"{_kind}_amount", StringField(filters=[strip], validators=[Length(max=20)]))
    for _part in ("ref", "bank", "drawer"):
        setattr(TenderForm, f"{_kind}_{_part}", StringField(filters=[strip], validators=[Length(max=60)]))


class RefundForm(Form):
    """A refund: how many of each line (``qty_<line id>``, checked by the rule), the way the money
    goes back, the reason, and the approving manager with their PIN."""

    once_key = HiddenField()
    method = StringField(filters=[strip])
    reason = StringField(filters=[strip], validators=[Length(max=200)])
    manager_id = IdField()
    manager_pin = StringField(filters=[strip], validators=[Length(max=6)])

    def quantities(self, voucher) -> dict[int, str]:
        """Line id → the quantity typed for it (the rule parses and checks it against what is left)."""
        from flask import request

        return {line.id: request.form.get(f"qty_{line.id}", "") for line in voucher.lines}

    def approval(self):
        """The manager's approval typed on this tablet (wrong PINs count per person and tablet)."""
        from flask import request

        from ..sales.services import Approval

        if not self.manager_id.data:
            return None
        return Approval(self.manager_id.data, self.manager_pin.data, request.remote_addr or "")
