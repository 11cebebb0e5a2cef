"""The details of an audit entry in the reader's language.

An entry stores the event's data (amounts, numbers, codes) and the details are written when the
entry is read, in the language of whoever reads it — not frozen in the language of whoever acted
("cash ￥50.00; change ￥11.00" once stood in a Chinese manager's log). Entries written before
the data was kept, and kinds without a renderer here, show their stored summary."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..money import format_money

#: tender kinds and payment methods as the staff call them
TENDERS = {
    "cash": _l("cash"), "card": _l("bank card"), "wechat": _l("WeChat Pay"), "alipay": _l("Alipay"),
    "cheque": _l("cheque"), "original": _l("to the original payment"),
}
PICKUP_STATES = {"complete": _l("all handed over"), "partial": _l("partly handed over, the rest stays open")}
LOGIN_KINDS = {"pin": _l("PIN"), "password": _l("password")}


def money(value) -> str:
    try:
        return format_money(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)


def _payment(d: dict) -> str:
    sep = _("; ")
    tenders = sep.join(f"{TENDERS.get(t['kind'], t['kind'])} {money(t['amount'])}" for t in d.get("tenders", []))
    text = _("%(voucher)s %(total)s: %(tenders)s", voucher=d.get("voucher", ""), total=money(d.get("total", "0")),
             tenders=tenders)
    if d.get("change") and Decimal(str(d["change"])) > 0:
        text += sep + _("change %(amount)s", amount=money(d["change"]))
    if d.get("rejected"):
        text += sep + _("%(n)d note(s) rejected", n=int(d["rejected"]))
    return text


def _refund(d: dict) -> str:
    return _("%(voucher)s %(amount)s (%(method)s), approved by %(manager)s", voucher=d.get("voucher", ""),
             amount=money(d.get("amount", "0")), method=TENDERS.get(d.get("method", ""), d.get("method", "")),
             manager=d.get("approved_by", ""))


def _shift_closed(d: dict) -> str:
    return _("expected %(expected)s, counted %(counted)s, over/short %(diff)s", expected=money(d.get("expected")),
             counted=money(d.get("counted")), diff=money(d.get("over_short")))


def _phone_order_approved(d: dict) -> str:
    text = f"{d.get('voucher', '')} {money(d.get('total', '0'))}"
    return text + (" · " + _("pay on delivery") if d.get("pay_on_delivery") else "")


def _slip_created(d: dict) -> str:
    text = _("%(slip)s for %(voucher)s: %(address)s", slip=d.get("slip", ""), voucher=d.get("voucher", ""),
             address=d.get("address", ""))
    if d.get("collect"):
        text += " · " + _("collect %(amount)s", amount=money(d["collect"]))
    return text


def _picked_up(d: dict) -> str:
    lines = ", ".join(f"{line['name']} ×{line['qty']}" for line in d.get("lines", []))
    state = PICKUP_STATES.get(d.get("state", ""), d.get("state", ""))
    return f"{d.get('voucher', '')}: {lines} ({state})"


def _discount_approved(d: dict) -> str:
    return _("%(clerk)s: %(name)s at %(price)s (list %(list)s)", clerk=d.get("clerk", ""), name=d.get("product", ""),
             price=money(d.get("price")), list=money(d.get("list")))


def _locked(d: dict) -> str:
    from datetime import datetime

    from ..clock import format_local

    until = format_local(datetime.fromisoformat(d["until"]), "%H:%M:%S")
    return _("%(how)s from %(client)s: locked until %(until)s after %(n)d wrong attempts",
             how=LOGIN_KINDS.get(d.get("with", ""), d.get("with", "")), client=d.get("client", "") or "—",
             until=until, n=int(d.get("failures", 0)))


def _settings(d: dict) -> str:
    from .. import nav

    limits = "，".join(f"{nav.ROLE_LABELS.get(r, r)} {v}%" for r, v in d.get("limits", {}).items())
    return _("Discount limits: %(limits)s; invoice series %(prefix)s, VAT %(vat)s; announcement in %(lang)s",
             limits=limits, prefix=d.get("invoice_prefix", ""), vat=_("on") if d.get("vat") else _("off"),
             lang={"zh_CN": "中文", "en": "English"}.get(d.get("announce", ""), d.get("announce", "")))


def _login(d: dict) -> str:
    return str(LOGIN_KINDS.get(d.get("with", ""), d.get("with", "")))


DETAILS: dict[str, Callable[[dict], str]] = {
    "cashier.payment_taken": _payment,
    "cashier.refund": _refund,
    "cashier.shift_closed": _shift_closed,
    "sales.phone_order_approved": _phone_order_approved,
    "delivery.slip_created": _slip_created,
    "sales.picked_up": _picked_up,
    "sales.dispatched": _picked_up,
    "staff.login": _login,
    "sales.discount_approved": _discount_approved,
    "staff.locked": _locked,
    "shop.settings_changed": _settings,
}


def details(entry) -> str:
    """What the entry says, in the reader's language (its stored summary for older rows)."""
    render = DETAILS.get(entry.kind)
    if entry.data and render is not None:
        try:
            return render(entry.data)
        except (KeyError, TypeError, ValueError, InvalidOperation):
            pass  # data of an older shape: the summary still says it
    return entry.summary or ""
