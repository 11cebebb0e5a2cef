"""Quotation screens (报价单): the clerk's list and builder, the manager's review queue, the
customer's answer, the voucher in one tap, and the A4 PDF (approved quotations only)."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import nav
from ..catalog.models import Product
from ..errors import Conflict
from ..extensions import db
from ..qr import qr_svg
from ..staff.permissions import roles_required
from ..web import go, pdf_response, refuse_to_page, template_globals, transaction
from . import quotations as quotes
from .quotation_models import QuotationStatus

bp = Blueprint("quotations", __name__, url_prefix="/quotations")

nav.register(nav.NavItem("quotations.index", nav._l("Quotations"), "clerk", icon="receipt", order=43))
nav.register_waiting("quotations.reviews", lambda: len(quotes.waiting_for_review(db.session)),
                     nav._l("quotations to review"))
nav.register(nav.NavItem("quotations.reviews", nav._l("Quotations to review"), "manager", icon="receipt",
                         order=38, in_header=False))


def _me():
    return current_user._get_current_object()


template_globals(bp, quotation_status=quotes.shown_status)


def _index(status: int = 200, **extra):
    return render_template("sales/quotations.html", mine=quotes.of_clerk(db.session, _me()),
                           typed=extra.pop("typed", {}), **extra), status


@bp.get("/")
@roles_required("clerk")
def index():
    return _index()


@bp.post("/new")
@roles_required("clerk")
@transaction(refused=lambda e: _index(e.status, error=e.message, field=e.field, typed=request.form,
                                     existing=getattr(e, "existing", None)))
def new():
    f = request.form
    q = quotes.create(db.session, actor=_me(), phone=f.get("phone", ""), name=f.get("name", ""),
                      valid_until=f.get("valid_until", ""), terms=f.get("terms", ""))
    return go(url_for("quotations.show", quotation_id=q.id))


def _page(quotation_id, status: int = 200, **extra):
    q = quotes.get(db.session, quotation_id, _me())
    products = []
    if q.status == QuotationStatus.DRAFT:
        products = list(db.session.scalars(db.select(Product).where(Product.active.is_(True))
                                           .order_by(Product.name).limit(500)))
    from ..customers import file as files

    f = files.customer_file(db.session, q.customer_id, _me())
    return render_template("sales/quotation.html", q=q, products=products, versions=quotes.versions(db.session, q),
                           expired=quotes.is_expired(q), phone=f.phone, typed=extra.pop("typed", {}), **extra), status


@bp.get("/<int:quotation_id>")
@roles_required("clerk")
def show(quotation_id: int):
    return _page(quotation_id)


_refused = refuse_to_page(_page, "quotation_id")


@bp.post("/<int:quotation_id>/lines")
@roles_required("clerk")
@transaction(refused=_refused)
def add_line(quotation_id: int):
    f = request.form
    quotes.add_line(db.session, quotation_id, f.get("product_id", ""), f.get("quantity", "1"), f.get("unit_price"),
                    actor=_me())
    return go(url_for("quotations.show", quotation_id=quotation_id))


@bp.post("/<int:quotation_id>/lines/<int:line_id>/remove")
@roles_required("clerk")
@transaction(refused=_refused)
def remove_line(quotation_id: int, line_id: int):
    quotes.remove_line(db.session, quotation_id, line_id, actor=_me())
    return go(url_for("quotations.show", quotation_id=quotation_id))


@bp.post("/<int:quotation_id>/submit")
@roles_required("clerk")
@transaction(refused=_refused)
def submit(quotation_id: int):
    quotes.submit(db.session, quotation_id, actor=_me())
    return go(url_for("quotations.show", quotation_id=quotation_id))


@bp.post("/<int:quotation_id>/review")
@roles_required("manager")
@transaction(refused=_refused)
def review(quotation_id: int):
    quotes.review(db.session, quotation_id, actor=_me(), approve=request.form.get("decision") == "approve",
                  note=request.form.get("note", ""))
    return go(url_for("quotations.show", quotation_id=quotation_id))


@bp.post("/<int:quotation_id>/revise")
@roles_required("clerk")
@transaction(refused=_refused)
def revise(quotation_id: int):
    new = quotes.revise(db.session, quotation_id, actor=_me())
    return go(url_for("quotations.show", quotation_id=new.id))


@bp.post("/<int:quotation_id>/answer")
@roles_required("clerk")
@transaction(refused=_refused)
def answer(quotation_id: int):
    quotes.answer(db.session, quotation_id, actor=_me(), accepted=request.form.get("answer") == "accepted",
                  reason=request.form.get("reason", ""))
    return go(url_for("quotations.show", quotation_id=quotation_id))


@bp.post("/<int:quotation_id>/voucher")
@roles_required("clerk")
@transaction(refused=_refused)
def to_voucher(quotation_id: int):
    v = quotes.to_voucher(db.session, quotation_id, actor=_me())
    return go(url_for("sales.voucher", no=v.no))


@bp.get("/<int:quotation_id>.pdf")
@roles_required("clerk")
def pdf(quotation_id: int):
    q = quotes.get(db.session, quotation_id, _me())
    if q.status not in (QuotationStatus.APPROVED, QuotationStatus.ACCEPTED, QuotationStatus.CONVERTED):
        raise Conflict(_("Only an approved quotation is printed for the customer."))
    from ..shop import services as shop

    return pdf_response("print/quotation_a4.html", f"quotation-{q.no}.pdf", q=q, qr=qr_svg(q.no), page_size="A4",
                        expired=quotes.is_expired(q), shop_name=shop.shop_name(db.session))


@bp.post("/<int:quotation_id>/print")
@roles_required("clerk")
@transaction(refused=_refused)
def print_receipt(quotation_id: int):
    quotes.print_receipt(db.session, quotation_id, actor=_me())
    return go(url_for("quotations.show", quotation_id=quotation_id))


@bp.get("/reviews")
@roles_required("manager")
def reviews():
    return render_template("sales/quotation_reviews.html", waiting=quotes.waiting_for_review(db.session))
