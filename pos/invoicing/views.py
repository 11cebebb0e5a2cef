"""The cashier's invoice screens: issue for paid vouchers, find, void and reissue,
the 数电票 number, print (receipt printer and A5 PDF), export for the tax platform."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import nav
from ..errors import DomainError
from ..extensions import db
from ..sales import services as sales
from ..shop import services as shop
from ..staff.permissions import roles_required
from ..web import day_arg, go, pdf_response, show, template_globals, transaction, valid, xlsx_response
from . import services
from .forms import InvoiceForm, numbers

bp = Blueprint("invoicing", __name__)

nav.register(nav.NavItem("invoicing.invoice_list", nav._l("Invoices"), "cashier", icon="receipt", order=20))


def me():
    return current_user._get_current_object()


def shift_invoices(shift):
    """For the shift report: the invoices issued and voided during the shift."""
    from .shift import invoices_of_shift

    return invoices_of_shift(db.session, shift)


template_globals(bp, shift_invoices=shift_invoices)


def _shop_name() -> str:
    return shop.shop_name(db.session)


@bp.get("/invoices")
@roles_required("cashier")
def invoice_list():
    errors: list[str] = []
    day_from, day_to = day_arg("from", errors), day_arg("to", errors)
    if day_from and day_to and day_from > day_to:
        errors.append(_("The start date is after the end date."))
    found = [] if errors else services.find(db.session, query=request.args.get("q", ""), day_from=day_from,
                                            day_to=day_to)
    return render_template("invoicing/list.html", invoices=found, errors=errors, args=request.args), \
        422 if errors else 200


def _replaced_and_raw():
    """The invoice being reissued (or None) and the voucher numbers asked for, as typed."""
    replaces = services.get(db.session, request.values["replaces"]) if request.values.get("replaces") else None
    raw = request.values.get("vouchers", "")
    if replaces is not None and not raw:
        raw = ",".join(v.no for v in replaces.vouchers)
    return replaces, raw


def _issue_refused(e: DomainError):
    """The invoice was refused: the form again with the vouchers and the buyer as typed."""
    replaces, raw = _replaced_and_raw()
    try:
        vouchers = services.check_vouchers(db.session, numbers(raw))
    except DomainError:
        vouchers = []
    return render_template("invoicing/new.html", vouchers=vouchers, raw=raw, buyer=InvoiceForm().buyer().__dict__,
                           error=e.message, replaces=replaces, vat=services.vat_enabled(db.session))


@bp.get("/invoices/new")
@roles_required("cashier")
def invoice_new():
    replaces, raw = _replaced_and_raw()
    vouchers, error = [], None
    try:
        vouchers = services.check_vouchers(db.session, numbers(raw)) if raw else []
    except DomainError as e:
        error = e.message
    source = replaces or (vouchers[0].customer if vouchers and vouchers[0].customer else None)
    known = sales.known_customer(vouchers[0]) if vouchers else {}  # what the voucher and the delivery know
    buyer = {"name": getattr(source, "buyer_name", None) or known.get("name") or getattr(source, "name", ""),
             "phone": getattr(source, "buyer_phone", None) or known.get("phone") or getattr(source, "phone", ""),
             "address": getattr(source, "buyer_address", None) or known.get("address")
             or getattr(source, "address", ""),
             "tax_no": getattr(source, "buyer_tax_no", "")}
    return render_template("invoicing/new.html", vouchers=vouchers, raw=raw, buyer=buyer, error=error,
                           replaces=replaces, vat=services.vat_enabled(db.session)), 422 if error else 200


@bp.post("/invoices/new")
@roles_required("cashier")
@transaction(refused=_issue_refused)
def invoice_issue():
    replaces, raw = _replaced_and_raw()
    form = valid(InvoiceForm())
    invoice = services.issue(db.session, numbers(raw), form.buyer(), preparer=me(), replaces=replaces)
    flash(_("Invoice %(no)s issued.", no=invoice.no), "success")
    # the invoice's page at once, drawn from the invoice just issued (pos.web.show), not fetched again
    return show(url_for("invoicing.invoice", no=invoice.no), lambda: _invoice_page(invoice))


def _invoice_page(invoice, **extra):
    return render_template("invoicing/invoice.html", inv=invoice, chain=services.chain(invoice), **extra)


def _invoice_refused(error: str, typed: str):
    """A form on the invoice's page refused: the page with the message in that form and its input."""
    return lambda e: _invoice_page(services.get(db.session, request.view_args["no"], for_page=True),
                                   **{error: e.message, typed: request.form.get(typed, "")})


@bp.get("/invoices/<no>")
@roles_required("cashier")
def invoice(no: str):
    return _invoice_page(services.get(db.session, no, for_page=True))


@bp.post("/invoices/<no>/void")
@roles_required("cashier")
@transaction(refused=_invoice_refused("void_error", "reason"))
def invoice_void(no: str):
    inv = services.get(db.session, no)
    services.void(db.session, inv, request.form.get("reason", ""), actor=me())
    flash(_("Invoice %(no)s is void. Issue the corrected one now.", no=inv.no), "info")
    return go(url_for("invoicing.invoice_new", replaces=inv.no))


@bp.post("/invoices/<no>/platform")
@roles_required("cashier")
@transaction(refused=_invoice_refused("platform_error", "number"))
def invoice_platform(no: str):
    inv = services.get(db.session, no)
    services.link_platform(db.session, inv, request.form.get("number", ""), actor=me())
    flash(_("数电票 number recorded."), "success")
    return go(url_for("invoicing.invoice", no=inv.no))


@bp.get("/invoices/<no>.pdf")
@roles_required("cashier")
def invoice_pdf(no: str):
    inv = services.get(db.session, no)
    return pdf_response("print/invoice_a5.html", f"invoice-{inv.no}.pdf", inv=inv, shop=shop.showroom(db.session),
                        shop_name=_shop_name(), page_size="A5 landscape")


@bp.post("/invoices/<no>/print")
@roles_required("cashier")
@transaction()
def invoice_print(no: str):
    from ..cashier.services import current_shift
    from ..printers import services as printers
    from .documents import invoice_document

    inv = services.get(db.session, no)
    shift = current_shift(db.session, me())
    printers.queue_from_screen(db.session, [(invoice_document(inv, _shop_name()), f"发票 {inv.no}")], kind="invoice",
                               ref=inv.no, station_id=shift.station_id if shift else None, requested_by=me())
    return go(url_for("invoicing.invoice", no=inv.no))


@bp.get("/invoices/export.xlsx")
@roles_required("cashier")
def invoice_export():
    errors: list[str] = []
    day_from, day_to = day_arg("from", errors), day_arg("to", errors)
    if not errors and (day_from is None or day_to is None):
        errors.append(_("Choose the first and the last day."))
    if not errors:
        try:
            data = services.export_for_platform(db.session, day_from, day_to)
        except DomainError as e:
            errors.append(e.message)
    if errors:
        return render_template("invoicing/list.html", invoices=[], errors=errors, args=request.args), 422
    return xlsx_response(data, f"invoices-{day_from}-{day_to}.xlsx")
