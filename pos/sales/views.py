"""The clerk's counter: the open voucher, write-up, the sales voucher document,
phone orders with their read-back, and the manager's order review."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import nav
from ..catalog import services as catalog
from ..catalog.models import Product
from ..customers import services as customers
from ..errors import DomainError
from ..extensions import db, htmx
from ..qr import qr_svg
from ..staff import services as staff_services
from ..staff.models import Staff
from ..staff.permissions import roles_required
from ..text import parse_id
from ..web import ReadWhenShown, address_bar, go, pdf_response, refuse_with, show, template_globals, transaction
from . import services
from .models import PaymentState, Voucher, VoucherLine, VoucherStatus

bp = Blueprint("sales", __name__)

nav.register(nav.NavItem("catalog.browse", nav._l("Catalogue"), "clerk", icon="search", order=10))
nav.register(nav.NavItem("sales.counter", nav._l("Open voucher"), "clerk", icon="cart", order=20))
nav.register(nav.NavItem("sales.phone_order_new", nav._l("Phone order"), "clerk", icon="phone", order=30,
                         in_header=False))
nav.register(nav.NavItem("sales.voucher_list", nav._l("Vouchers"), "clerk", icon="receipt", order=25))
nav.register(nav.NavItem("sales.review_list", nav._l("Order review"), "manager", icon="audit", order=20))

SESSION_KEY = "voucher_id"

STATUS_LABELS = {
    VoucherStatus.DRAFT: nav._l("Draft"),
    VoucherStatus.AWAITING_REVIEW: nav._l("Waiting for order review"),
    VoucherStatus.WRITTEN_UP: nav._l("Written up, not paid yet"),
    VoucherStatus.REJECTED: nav._l("Rejected in review"),
    VoucherStatus.CANCELLED: nav._l("Cancelled"),
}
PAYMENT_LABELS = {
    PaymentState.PAID: nav._l("Payment received"),  # not "Paid": a property schedule's column says 已付
    PaymentState.AWAITING_CLEARANCE: nav._l("Paid by cheque: waiting for the funds"),
}


def status_label(voucher: Voucher) -> str:
    if voucher.status == VoucherStatus.WRITTEN_UP and voucher.payment_state in PAYMENT_LABELS:
        return str(PAYMENT_LABELS[voucher.payment_state])
    return str(STATUS_LABELS.get(voucher.status, voucher.status))


def me() -> Staff:
    return current_user._get_current_object()


def current_voucher(*, lines: bool = True) -> Voucher:
    """The clerk's open voucher, to change (a POST): made on the first change, else read under its row
    lock (the change's rule checks it again). ``lines=False``: its lines are not read unless used
    (adding a product)."""
    voucher = services.open_draft(db.session, me(), voucher_id=session.get(SESSION_KEY), lines=lines, lock=True)
    session[SESSION_KEY] = voucher.id
    return voucher


def shown_voucher(drafts: list[Voucher] | None = None) -> Voucher:
    """The clerk's open voucher, to show (a GET, a refusal): never saved here. With no draft yet,
    an empty one that the first change (:func:`current_voucher`) saves. ``drafts``: the clerk's
    drafts, already read (the counter lists them): the voucher is one of them."""
    return (services.find_draft(db.session, me(), voucher_id=session.get(SESSION_KEY), drafts=drafts)
            or Voucher(clerk=me(), status=VoucherStatus.DRAFT, channel="counter", total=Decimal("0")))


def managers() -> ReadWhenShown:
    """The managers who may approve a price on the spot, read only if the approval box is shown."""
    return ReadWhenShown(lambda: staff_services.managers(db.session))


def counter_voucher() -> Voucher | None:
    """For any template (the catalogue's badge and product page): the clerk's open voucher, if any."""
    if not current_user.is_authenticated:
        return None
    return services.find_draft(db.session, me(), voucher_id=session.get(SESSION_KEY))


def product_suggestions(product, customer):
    return services.suggestions_for_product(db.session, product, customer)


template_globals(bp, status_label=status_label, PaymentState=PaymentState, known_customer=services.known_customer,
                 # the catalogue's screens show the open voucher and sell from it: sales lends them these
                 counter_voucher=counter_voucher, approving_managers=managers, product_suggestions=product_suggestions)


def _approval_from_form() -> services.Approval | None:
    manager_id = request.form.get("manager_id", type=parse_id)
    pin = request.form.get("manager_pin", "")
    if manager_id and pin:
        return services.Approval(manager_id, pin, request.remote_addr or "")
    return None


def panel_context(voucher: Voucher, **extra) -> dict:
    return {
        "voucher": voucher,
        "shortages": services.stock_shortages(voucher),
        "suggestions": services.suggestions_for_voucher(db.session, voucher),
        "managers": managers(),
        **extra,
    }


def render_panel(voucher: Voucher, **extra):
    return render_template("sales/_voucher_panel.html", oob=True, **panel_context(voucher, **extra))


def panel_refused(e: DomainError):
    """A change of the open voucher was refused: the panel again with the message."""
    return render_panel(shown_voucher(), error=e.message)


def _changed(voucher: Voucher, **extra):
    """A change of the open voucher was made: the panel (htmx) or the counter."""
    return render_panel(voucher, **extra) if htmx else redirect(url_for("sales.counter"))


def _on_voucher(voucher: Voucher) -> tuple[int, set[int], set[int]]:
    """Before a product is added: how many lines the voucher has, their ids and their products'."""
    return services.line_ids(db.session, voucher)


def _line_added(voucher: Voucher, line: VoucherLine, before: tuple[int, set[int], set[int]]):
    """A product was added at the counter: only what changed (sales/_line_added.html) — its line and
    the other lines of that product (their stock warning counts them all), the total, and the
    suggestions only when they change — so that neither the work nor the answer grows with the
    voucher (its other lines are not read). The first line: the whole (short) panel."""
    if not htmx:
        return redirect(url_for("sales.counter"))
    n_lines, line_ids, product_ids = before
    if not n_lines:
        return render_panel(voucher)
    # a product new to the voucher has this one line, when the lines were read under the voucher's lock
    # (no other tablet added one since); else its lines are read
    alone = line.product_id not in product_ids and services.lines_read_under_lock(db.session, voucher)
    same, shortages = services.lines_of_product(db.session, voucher, line.product, only=line if alone else None)
    suggestions = None
    if shortages:  # in-stock alternatives for it
        suggestions = services.suggestions_for_voucher(db.session, voucher)
    elif line.product_id not in product_ids:  # a product new to the voucher: its accessories, the history,
        # and it leaves the suggestions that showed it (tapped on an accessory's or an alternative's card)
        if voucher.customer_id is not None \
                or catalog.has_accessories(db.session, line.product_id, besides=product_ids) \
                or services.may_be_suggested(db.session, voucher, line.product_id, product_ids):
            suggestions = services.suggestions_for_voucher(db.session, voucher)
    response = make_response(render_template(
        "sales/_line_added.html", voucher=voucher, changed_lines=same, shortages=shortages,
        appended_id=None if line.id in line_ids else line.id, suggestions=suggestions))
    response.headers["HX-Reswap"] = "none"  # everything is swapped by its id (hx-swap-oob)
    return response


# ------------------------------------------------------------------ the open voucher
@bp.get("/counter")
@roles_required("clerk")
def counter():
    return _counter_page()


def _counter_page(**extra):
    """The counter: the search, the clerk's drafts, the open voucher's panel (with ``extra``: a refusal's
    message and what waits). A refused plain form answers with it too; the address bar then shows the
    counter's own address (base.html's ``data-url``), so that a reload asks for the counter, not the form."""
    if request.method == "POST":
        address_bar(url_for("sales.counter"))
    drafts = services.drafts_of(db.session, me())
    voucher = shown_voucher(drafts)
    results = catalog.search_products(db.session, request.args.get("q", ""), limit=8)
    return render_template("sales/counter.html", result=results, q=request.args.get("q", ""),
                           drafts=drafts, **panel_context(voucher, **extra))


@bp.post("/counter/switch/<int:voucher_id>")
@roles_required("clerk")
def switch_draft(voucher_id: int):
    voucher = services.get_voucher(db.session, voucher_id)
    services.check_owner(voucher, me())
    services.check_editable(voucher)
    session[SESSION_KEY] = voucher.id
    return go(url_for("sales.counter"))


@bp.post("/counter/new")
@roles_required("clerk")
@transaction()
def new_draft():
    voucher = Voucher(clerk=me(), status=VoucherStatus.DRAFT, channel="counter")
    db.session.add(voucher)
    db.session.flush()
    session[SESSION_KEY] = voucher.id
    return go(url_for("sales.counter"))


def _line_refused(e: DomainError):
    """Adding or changing a line was refused: the form again with what was typed (and the
    manager's PIN asked for when the discount needs it)."""
    form = request.form
    product_id = form.get("product_id", type=parse_id)
    pending = {"product_id": product_id, "quantity": form.get("quantity", "1"),
               "unit_price": form.get("unit_price") or "", "line_id": request.view_args.get("line_id")}
    needs = isinstance(e, services.NeedsApproval) or bool(form.get("manager_id"))
    if form.get("return_to") == "suggestion":  # a suggestion's add button: the reason in its place
        return render_template("sales/_suggestion_added.html", error=e.message)
    if form.get("return_to") == "product":
        product = catalog.get_product(db.session, product_id) if product_id else None
        return render_template("catalog/_add_form.html", product=product, error=e.message, needs_approval=needs,
                               pending=pending, managers=managers(), voucher=shown_voucher())
    return render_panel(shown_voucher(), error=e.message, needs_approval=needs, pending=pending)


@bp.post("/counter/lines")
@roles_required("clerk")
@transaction(refused=_line_refused)
def add_line():
    voucher = current_voucher(lines=False)
    product_id = request.form.get("product_id", type=parse_id)
    if not product_id:
        raise DomainError(_("Choose a product."))
    before = _on_voucher(voucher) if request.form.get("return_to") not in ("suggestion", "product") else None
    line = services.add_line(db.session, voucher, product_id, request.form.get("quantity", "1"),
                             request.form.get("unit_price") or None, actor=me(), approval=_approval_from_form())
    if request.form.get("return_to") == "suggestion":  # a suggestion's add button on the product page
        if not htmx:
            flash(_("%(name)s added to the voucher.", name=line.product_name), "success")
            return redirect(request.referrer or url_for("sales.counter"))
        return render_template("sales/_suggestion_added.html", line=line, voucher=voucher)
    if request.form.get("return_to") == "product":
        if not htmx:
            flash(_("%(name)s added to the voucher.", name=line.product_name), "success")
            return redirect(url_for("catalog.product", product_id=product_id))
        return render_template("catalog/_add_form.html", product=line.product, voucher=voucher, managers=managers(),
                               added=line, pending={"quantity": "1", "unit_price": ""})
    return _line_added(voucher, line, before)


@bp.post("/counter/scan")
@roles_required("clerk")
@transaction(refused=panel_refused)
def scan():
    """A USB scanner typed a barcode into the counter's search box and pressed Enter: add one."""
    voucher = current_voucher(lines=False)
    code = (request.form.get("q") or "").strip()
    found = catalog.search_products(db.session, code, limit=1).exact_barcode if code else None
    if found is None:
        raise DomainError(_("No product with barcode %(code)s: tap + beside a result to add it.", code=code[:40]))
    before = _on_voucher(voucher)
    line = services.add_line(db.session, voucher, found.id, "1", actor=me())
    return _line_added(voucher, line, before)


def _line_before(voucher: Voucher, line_id: int) -> tuple[Product, bool] | None:
    """Before a line is changed or taken off: its product, and whether that product's lines were
    short of stock (None: not a line of this voucher — the change is refused)."""
    line = db.session.get(VoucherLine, line_id)
    if line is None or line.voucher_id != voucher.id:
        return None
    return line.product, bool(services.lines_of_product(db.session, voucher, line.product)[1])


def _line_changed(voucher: Voucher, before: tuple[Product, bool], *, removed_id: int | None = None):
    """A line's quantity or price was changed, or the line taken off: as for an added product
    (sales/_line_added.html), only what changed — the lines of that product (their stock warning
    counts them all; the removed one is deleted by its id), the total, and the suggestions only when
    they change: the product's lines became short of stock or stopped being (alternatives), or it
    left the voucher (its accessories, the history). The last line taken off: the whole panel."""
    if not htmx:
        return redirect(url_for("sales.counter"))
    if removed_id is not None and not services.has_lines(db.session, voucher):
        return render_panel(voucher)
    product, was_short = before
    same, shortages = services.lines_of_product(db.session, voucher, product)
    changes_suggestions = bool(shortages) != was_short or (removed_id is not None and (was_short or not same))
    response = make_response(render_template(
        "sales/_line_added.html", voucher=voucher, changed_lines=same, shortages=shortages, appended_id=None,
        removed_id=removed_id,
        suggestions=services.suggestions_for_voucher(db.session, voucher) if changes_suggestions else None))
    response.headers["HX-Reswap"] = "none"  # everything is swapped by its id (hx-swap-oob)
    return response


@bp.post("/counter/lines/<int:line_id>")
@roles_required("clerk")
@transaction(refused=_line_refused)
def update_line(line_id: int):
    voucher = current_voucher(lines=False)
    before = _line_before(voucher, line_id)
    services.update_line(db.session, voucher, line_id, request.form.get("quantity", ""),
                         request.form.get("unit_price", ""), actor=me(), approval=_approval_from_form())
    return _line_changed(voucher, before)


@bp.post("/counter/lines/<int:line_id>/remove")
@roles_required("clerk")
@transaction(refused=panel_refused)
def remove_line(line_id: int):
    voucher = current_voucher(lines=False)
    before = _line_before(voucher, line_id)
    services.remove_line(db.session, voucher, line_id, actor=me())
    return _line_changed(voucher, before, removed_id=line_id)


@bp.post("/counter/customer")
@roles_required("clerk")
@transaction(refused=lambda e: render_panel(
    shown_voucher(), customer_error=e.message,
    customer_input={"phone": request.form.get("phone", ""), "name": request.form.get("name", "")}))
def set_customer():
    voucher = current_voucher()
    services.set_customer(db.session, voucher, phone=request.form.get("phone", ""),
                          name=request.form.get("name", ""), actor=me())
    return _changed(voucher)


@bp.post("/counter/customer/clear")
@roles_required("clerk")
@transaction(refused=panel_refused)
def clear_customer():
    voucher = current_voucher()
    services.clear_customer(db.session, voucher, actor=me())
    return _changed(voucher)


@bp.post("/counter/interest/<int:product_id>")
@roles_required("clerk")
@transaction()
def record_interest(product_id: int):
    """The product page was shown to the open voucher's customer: remember their interest
    (posted by the page once it has loaded, so that opening the page itself writes nothing)."""
    voucher = services.find_draft(db.session, me(), voucher_id=session.get(SESSION_KEY))
    if voucher is not None and voucher.customer is not None:
        customers.record_interest(db.session, voucher.customer, catalog.get_product(db.session, product_id),
                                 actor=me())
    return "", 204


def _shown_lines() -> list[services.ShownLine] | None:
    """What the panel showed when 开单 was tapped: each line's id, quantity and price boxes (the
    write-up form includes them); None from a form without them (no script)."""
    ids = request.form.getlist("line_id")
    if not ids:
        return None
    quantities, prices = request.form.getlist("quantity"), request.form.getlist("unit_price")
    if len(quantities) != len(ids) or len(prices) != len(ids):
        raise DomainError(_("This voucher form is out of date: reload the page."))
    return [services.ShownLine(parse_id(i) or 0, q, p) for i, q, p in zip(ids, quantities, prices, strict=True)]


def _write_up_refused(e: DomainError):
    """Write-up was refused: the panel again with the message, and the change still waiting on the
    screen (a price waiting for the manager's PIN keeps its approval box)."""
    if isinstance(e, services.NotAsShown):
        pending = dict(e.pending)
        if "product_id" in pending:  # a product not added yet: its quantity and price came with the form
            pending.update(quantity=request.form.get("pending_quantity", "1"),
                           unit_price=request.form.get("pending_unit_price", ""))
        if htmx:
            return render_panel(shown_voucher(), error=e.message, needs_approval=e.needs_approval, pending=pending)
        return _counter_page(error=e.message, needs_approval=e.needs_approval, pending=pending), e.status
    if not htmx:  # 开单 (a plain form, from the counter or the product page): the counter, the voucher and why
        return _counter_page(error=e.message), e.status
    return render_panel(shown_voucher(), error=e.message)


@bp.post("/counter/write-up")
@roles_required("clerk")
@transaction(refused=_write_up_refused)
def write_up():
    voucher = current_voucher()
    services.write_up(db.session, voucher, actor=me(), shown=_shown_lines(),
                      pending_product_id=request.form.get("pending_product_id", type=parse_id))
    session.pop(SESSION_KEY, None)
    # the voucher's page at once, drawn from the voucher just written up (pos.web.show): a voucher
    # written up this moment has no pickup and no dispatch slip yet
    return show(url_for("sales.voucher", no=voucher.no), lambda: _voucher_page(voucher, pickups=[], slips=[]))


@bp.post("/counter/discard")
@roles_required("clerk")
@transaction(refused=panel_refused)
def discard():
    voucher = current_voucher()
    services.discard_draft(db.session, voucher, actor=me())
    session.pop(SESSION_KEY, None)
    flash(_("The draft was thrown away."), "info")
    return go(url_for("sales.counter"))


# ------------------------------------------------------------------ vouchers
@bp.get("/vouchers")
@roles_required("clerk", "cashier")
def voucher_list():
    mine_only = not ({"manager", "cashier"} & current_user.roles)
    vouchers = services.vouchers_of_day(db.session, me() if mine_only else None)
    return render_template("sales/voucher_list.html", vouchers=vouchers, mine_only=mine_only)


@bp.get("/vouchers/<no>")
@roles_required("clerk", "cashier")
def voucher(no: str):
    from .pickup import pickups_of

    v = services.get_by_no(db.session, no)
    return _voucher_page(v, pickups=pickups_of(db.session, v))


def _voucher_page(v: Voucher, *, pickups, slips=None):
    """``slips``: its dispatch slips, when known without reading them (else the page reads them)."""
    known = {} if slips is None else {"slips": slips}
    return render_template("sales/voucher.html", v=v, qr=qr_svg(v.no), problems=services.verify(v),
                           pickups=pickups, **known,
                           may_cancel=v.status == VoucherStatus.WRITTEN_UP and v.payment_state == PaymentState.UNPAID
                           and (v.clerk_id == current_user.id or "manager" in current_user.roles))


def _cancel_refused(e: DomainError):
    v = services.get_by_no(db.session, request.view_args["no"])
    return render_template("sales/voucher.html", v=v, qr=qr_svg(v.no), problems=services.verify(v),
                           may_cancel=True, cancel_error=e.message, reason=request.form.get("reason", ""))


@bp.post("/vouchers/<no>/cancel")
@roles_required("clerk")
@transaction(refused=_cancel_refused)
def voucher_cancel(no: str):
    v = services.get_by_no(db.session, no)
    services.cancel(db.session, v, request.form.get("reason", ""), actor=me())
    flash(_("Voucher %(no)s was cancelled.", no=v.no), "success")
    return go(url_for("sales.voucher", no=v.no))


@bp.get("/vouchers/<no>.pdf")
@roles_required("clerk", "cashier")
def voucher_pdf(no: str):
    """The sales voucher on A5 (with the payment stamp and the copy's name when asked)."""
    from ..shop import services as shop

    v = services.get_by_no(db.session, no)
    which = request.args.get("copy") or None
    if which not in (None, "finance", "stub", "customer"):
        abort(404)
    return pdf_response("print/voucher_a5.html", f"voucher-{v.no}.pdf", v=v, which=which, qr=qr_svg(v.no),
                        shop_name=shop.shop_name(db.session), page_size="A5 landscape")


@bp.post("/vouchers/<no>/print")
@roles_required("clerk")
@transaction()
def voucher_print(no: str):
    """Queue the sales voucher for the default printer (the customer takes it to the cashier)."""
    from ..printers import services as printers
    from ..shop import services as shop
    from .documents import voucher_document

    v = services.get_by_no(db.session, no)
    document = voucher_document(v, shop.shop_name(db.session), copy_label="客户联")
    printers.queue_from_screen(db.session, [(document, f"销售凭证 {v.no}")], kind="voucher", ref=v.no,
                               requested_by=me())
    return go(url_for("sales.voucher", no=v.no))


# ------------------------------------------------------------------ phone orders
def _phone_order_data() -> dict:
    return {k: request.form.get(k, "") for k in ("name", "phone", "address", "notes")}


@bp.get("/phone-orders/new")
@roles_required("clerk")
def phone_order_new():
    return render_template("sales/phone_order_new.html", data=_phone_order_data())


@bp.post("/phone-orders/new")
@roles_required("clerk")
@transaction(refused=refuse_with("sales/phone_order_new.html", lambda: {"data": _phone_order_data()}))
def phone_order_start():
    voucher = services.start_phone_order(db.session, actor=me(), **_phone_order_data())
    session[SESSION_KEY] = voucher.id
    return go(url_for("sales.counter"))


@bp.get("/phone-orders/<int:voucher_id>/read-back")
@roles_required("clerk")
def read_back(voucher_id: int):
    voucher = services.get_voucher(db.session, voucher_id)
    services.check_owner(voucher, me())
    if voucher.channel != "phone":
        abort(404)
    return render_template("sales/read_back.html", voucher=voucher, script=services.read_back_script(voucher))


def _read_back_refused(e: DomainError):
    voucher = services.get_voucher(db.session, request.view_args["voucher_id"])
    return render_template("sales/read_back.html", voucher=voucher, error=e.message,
                           script=services.read_back_script(voucher))


@bp.post("/phone-orders/<int:voucher_id>/confirm")
@roles_required("clerk")
@transaction(refused=_read_back_refused)
def confirm_read_back(voucher_id: int):
    voucher = services.get_voucher(db.session, voucher_id)
    services.confirm_read_back(db.session, voucher, actor=me())
    if session.get(SESSION_KEY) == voucher.id:
        session.pop(SESSION_KEY)
    flash(_("The order of %(name)s was sent to the manager for review.", name=voucher.customer_name), "success")
    return go(url_for("sales.counter"))


@bp.get("/reviews")
@roles_required("manager")
def review_list():
    return render_template("sales/review_list.html", queue=services.review_queue(db.session))


def _review_page(voucher: Voucher, **extra):
    history = services.customer_history(db.session, voucher.customer, limit=10)
    return render_template("sales/review.html", voucher=voucher, shortages=services.stock_shortages(voucher),
                           history=history, **extra)


def _reviewed() -> Voucher:
    """The voucher of a review route (after a refusal, read again)."""
    return services.get_voucher(db.session, request.view_args["voucher_id"])


@bp.get("/reviews/<int:voucher_id>")
@roles_required("manager")
def review(voucher_id: int):
    return _review_page(_reviewed())


@bp.post("/reviews/<int:voucher_id>/approve")
@roles_required("manager")
@transaction(refused=lambda e: _review_page(_reviewed(), error=e.message))
def review_approve(voucher_id: int):
    voucher = services.get_voucher(db.session, voucher_id)
    services.approve_phone_order(db.session, voucher, manager=me(),
                                 pay_on_delivery=request.form.get("pay_on_delivery") == "1",
                                 credit_override=request.form.get("credit_override", ""))
    flash(_("Approved: voucher %(no)s.", no=voucher.no), "success")
    return go(url_for("sales.voucher", no=voucher.no))


@bp.post("/reviews/<int:voucher_id>/reject")
@roles_required("manager")
@transaction(refused=lambda e: _review_page(_reviewed(), reject_error=e.message,
                                             reason=request.form.get("reason", "")))
def review_reject(voucher_id: int):
    voucher = services.get_voucher(db.session, voucher_id)
    services.reject_phone_order(db.session, voucher, request.form.get("reason", ""), manager=me())
    flash(_("The order of %(name)s was rejected.", name=voucher.customer_name), "info")
    return go(url_for("sales.review_list"))


# the pickup screens (取货) are in their own module, on this blueprint
from . import pickup_views, serials_views  # noqa: E402,F401
