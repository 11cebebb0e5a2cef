"""The clerk's counter: the open voucher, write-up, the sales voucher document,
phone orders with their read-back, and the manager's order review."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import nav
from ..catalog import services as catalog
from ..errors import DomainError
from ..extensions import db, htmx
from ..qr import qr_svg
from ..staff.models import Staff, StaffRole
from ..staff.permissions import roles_required
from ..web import go, pdf_response
from . import services
from .models import Voucher, VoucherStatus

bp = Blueprint("sales", __name__)

nav.register(nav.NavItem("catalog.browse", nav._l("Catalogue"), "clerk", icon="search", order=10))
nav.register(nav.NavItem("sales.counter", nav._l("Open voucher"), "clerk", icon="cart", order=20))
nav.register(nav.NavItem("sales.phone_order_new", nav._l("Phone order"), "clerk", icon="phone", order=30,
                         in_header=False))
nav.register(nav.NavItem("sales.voucher_list", nav._l("Vouchers"), "clerk", icon="receipt", order=40))
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
    "paid": nav._l("Paid"),
    "awaiting_clearance": nav._l("Paid by cheque: waiting for the funds"),
}


def status_label(voucher: Voucher) -> str:
    if voucher.status == VoucherStatus.WRITTEN_UP and voucher.payment_state in PAYMENT_LABELS:
        return str(PAYMENT_LABELS[voucher.payment_state])
    return str(STATUS_LABELS.get(voucher.status, voucher.status))


@bp.app_context_processor
def sales_labels():
    return {"status_label": status_label}


def me() -> Staff:
    return current_user._get_current_object()


def current_voucher() -> Voucher:
    voucher = services.open_draft(db.session, me(), voucher_id=session.get(SESSION_KEY))
    session[SESSION_KEY] = voucher.id
    return voucher


def managers() -> list[Staff]:
    return list(db.session.scalars(
        select(Staff).join(StaffRole).where(StaffRole.role == "manager", Staff.active.is_(True))
        .order_by(Staff.staff_no)
    ))


def _approval_from_form() -> services.Approval | None:
    manager_id = request.form.get("manager_id", type=int)
    pin = request.form.get("manager_pin", "")
    if manager_id and pin:
        return services.Approval(manager_id, pin)
    return None


def panel_context(voucher: Voucher, **extra) -> dict:
    return {
        "voucher": voucher,
        "shortages": services.stock_shortages(voucher),
        "suggestions": services.suggestions_for_voucher(db.session, voucher),
        "managers": managers(),
        **extra,
    }


def render_panel(voucher: Voucher, status: int = 200, **extra):
    return render_template("sales/_voucher_panel.html", oob=True, **panel_context(voucher, **extra)), status


# ------------------------------------------------------------------ the open voucher
@bp.get("/counter")
@roles_required("clerk")
def counter():
    voucher = current_voucher()
    db.session.commit()
    results = catalog.search_products(db.session, request.args.get("q", ""), limit=8)
    return render_template("sales/counter.html", result=results, q=request.args.get("q", ""),
                           drafts=services.drafts_of(db.session, me()), **panel_context(voucher))


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
def new_draft():
    voucher = Voucher(clerk=me(), status=VoucherStatus.DRAFT, channel="counter")
    db.session.add(voucher)
    db.session.commit()
    session[SESSION_KEY] = voucher.id
    return go(url_for("sales.counter"))


@bp.post("/counter/lines")
@roles_required("clerk")
def add_line():
    voucher = current_voucher()
    from_product = request.form.get("return_to") == "product"
    product_id = request.form.get("product_id", type=int)
    quantity = request.form.get("quantity", "1")
    unit_price = request.form.get("unit_price") or None
    try:
        if not product_id:
            raise DomainError(_("Choose a product."))
        line = services.add_line(db.session, voucher, product_id, quantity, unit_price, actor=me(),
                                 approval=_approval_from_form())
    except DomainError as e:
        db.session.rollback()
        voucher = current_voucher()
        pending = {"product_id": product_id, "quantity": quantity, "unit_price": unit_price or ""}
        needs = isinstance(e, services.NeedsApproval) or request.form.get("manager_id")
        if from_product:
            product = catalog.get_product(db.session, product_id) if product_id else None
            return render_template("catalog/_add_form.html", product=product, error=e.message,
                                   needs_approval=needs, pending=pending, managers=managers(),
                                   voucher=voucher), e.status
        return render_panel(voucher, e.status, error=e.message, needs_approval=needs, pending=pending)
    db.session.commit()
    if from_product:
        if not htmx:
            flash(_("%(name)s added to the voucher.", name=line.product_name), "success")
            return redirect(url_for("catalog.product", product_id=product_id))
        return render_template("catalog/_add_form.html", product=line.product, voucher=voucher, managers=managers(),
                               added=line, pending={"quantity": "1", "unit_price": ""})
    if not htmx:
        return redirect(url_for("sales.counter"))
    return render_panel(voucher)


@bp.post("/counter/scan")
@roles_required("clerk")
def scan():
    """A USB scanner typed a barcode into the counter's search box and pressed Enter: add one."""
    voucher = current_voucher()
    code = (request.form.get("q") or "").strip()
    found = catalog.search_products(db.session, code, limit=1).exact_barcode if code else None
    try:
        if found is None:
            raise DomainError(_("No product with barcode %(code)s: tap + beside a result to add it.",
                                code=code[:40]))
        services.add_line(db.session, voucher, found.id, "1", actor=me())
    except DomainError as e:
        db.session.rollback()
        return render_panel(current_voucher(), e.status, error=e.message)
    db.session.commit()
    return render_panel(voucher, scanned=True) if htmx else redirect(url_for("sales.counter"))


@bp.post("/counter/lines/<int:line_id>")
@roles_required("clerk")
def update_line(line_id: int):
    voucher = current_voucher()
    quantity = request.form.get("quantity", "")
    unit_price = request.form.get("unit_price", "")
    try:
        services.update_line(db.session, voucher, line_id, quantity, unit_price, actor=me(),
                             approval=_approval_from_form())
    except DomainError as e:
        db.session.rollback()
        voucher = current_voucher()
        needs = isinstance(e, services.NeedsApproval) or request.form.get("manager_id")
        return render_panel(voucher, e.status, error=e.message, needs_approval=needs,
                            pending={"line_id": line_id, "quantity": quantity, "unit_price": unit_price})
    db.session.commit()
    return render_panel(voucher) if htmx else redirect(url_for("sales.counter"))


@bp.post("/counter/lines/<int:line_id>/remove")
@roles_required("clerk")
def remove_line(line_id: int):
    voucher = current_voucher()
    try:
        services.remove_line(db.session, voucher, line_id, actor=me())
    except DomainError as e:
        db.session.rollback()
        return render_panel(current_voucher(), e.status, error=e.message)
    db.session.commit()
    return render_panel(voucher) if htmx else redirect(url_for("sales.counter"))


@bp.post("/counter/customer")
@roles_required("clerk")
def set_customer():
    voucher = current_voucher()
    phone, name = request.form.get("phone", ""), request.form.get("name", "")
    try:
        services.set_customer(db.session, voucher, phone=phone, name=name, actor=me())
    except DomainError as e:
        db.session.rollback()
        return render_panel(current_voucher(), e.status, customer_error=e.message,
                            customer_input={"phone": phone, "name": name})
    db.session.commit()
    return render_panel(voucher) if htmx else redirect(url_for("sales.counter"))


@bp.post("/counter/customer/clear")
@roles_required("clerk")
def clear_customer():
    voucher = current_voucher()
    services.clear_customer(db.session, voucher, actor=me())
    db.session.commit()
    return render_panel(voucher) if htmx else redirect(url_for("sales.counter"))


@bp.post("/counter/write-up")
@roles_required("clerk")
def write_up():
    voucher = current_voucher()
    try:
        services.write_up(db.session, voucher, actor=me())
    except DomainError as e:
        db.session.rollback()
        return render_panel(current_voucher(), e.status, error=e.message)
    db.session.commit()
    session.pop(SESSION_KEY, None)
    return go(url_for("sales.voucher", no=voucher.no))


@bp.post("/counter/discard")
@roles_required("clerk")
def discard():
    voucher = current_voucher()
    services.discard_draft(db.session, voucher, actor=me())
    db.session.commit()
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
    return render_template("sales/voucher.html", v=v, qr=qr_svg(v.no), problems=services.verify(v),
                           pickups=pickups_of(db.session, v),
                           may_cancel=v.status == VoucherStatus.WRITTEN_UP and v.payment_state == "unpaid"
                           and (v.clerk_id == current_user.id or "manager" in current_user.roles))


@bp.post("/vouchers/<no>/cancel")
@roles_required("clerk")
def voucher_cancel(no: str):
    v = services.get_by_no(db.session, no)
    reason = request.form.get("reason", "")
    try:
        services.cancel(db.session, v, reason, actor=me())
    except DomainError as e:
        db.session.rollback()
        v = services.get_by_no(db.session, no)
        return render_template("sales/voucher.html", v=v, qr=qr_svg(v.no), problems=services.verify(v),
                               may_cancel=True, cancel_error=e.message, reason=reason), e.status
    db.session.commit()
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
                        shop_name=getattr(shop.showroom(db.session), "name", ""), page_size="A5 landscape")


@bp.post("/vouchers/<no>/print")
@roles_required("clerk")
def voucher_print(no: str):
    """Queue the sales voucher for the default printer (the customer takes it to the cashier)."""
    from ..printers import services as printers
    from ..shop import services as shop
    from .documents import voucher_document

    v = services.get_by_no(db.session, no)
    document = voucher_document(v, getattr(shop.showroom(db.session), "name", ""), copy_label="客户联")
    printers.queue_from_screen(db.session, [(document, f"销售凭证 {v.no}")], kind="voucher", ref=v.no,
                               requested_by=me())
    return go(url_for("sales.voucher", no=v.no))


# ------------------------------------------------------------------ phone orders
@bp.route("/phone-orders/new", methods=["GET", "POST"])
@roles_required("clerk")
def phone_order_new():
    data = {k: request.form.get(k, "") for k in ("name", "phone", "address", "notes")}
    if request.method == "GET":
        return render_template("sales/phone_order_new.html", data=data)
    try:
        voucher = services.start_phone_order(db.session, actor=me(), **data)
    except DomainError as e:
        db.session.rollback()
        return render_template("sales/phone_order_new.html", data=data, error=e.message, field=e.field), e.status
    db.session.commit()
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


@bp.post("/phone-orders/<int:voucher_id>/confirm")
@roles_required("clerk")
def confirm_read_back(voucher_id: int):
    voucher = services.get_voucher(db.session, voucher_id)
    try:
        services.confirm_read_back(db.session, voucher, actor=me())
    except DomainError as e:
        db.session.rollback()
        voucher = services.get_voucher(db.session, voucher_id)
        return render_template("sales/read_back.html", voucher=voucher, error=e.message,
                               script=services.read_back_script(voucher)), e.status
    db.session.commit()
    if session.get(SESSION_KEY) == voucher.id:
        session.pop(SESSION_KEY)
    flash(_("The order of %(name)s was sent to the manager for review.", name=voucher.customer_name), "success")
    return go(url_for("sales.counter"))


@bp.get("/reviews")
@roles_required("manager")
def review_list():
    return render_template("sales/review_list.html", queue=services.review_queue(db.session))


def _review_page(voucher: Voucher, status: int = 200, **extra):
    history = services.customer_history(db.session, voucher.customer, limit=10)
    return render_template("sales/review.html", voucher=voucher, shortages=services.stock_shortages(voucher),
                           history=history, **extra), status


@bp.get("/reviews/<int:voucher_id>")
@roles_required("manager")
def review(voucher_id: int):
    return _review_page(services.get_voucher(db.session, voucher_id))


@bp.post("/reviews/<int:voucher_id>/approve")
@roles_required("manager")
def review_approve(voucher_id: int):
    voucher = services.get_voucher(db.session, voucher_id)
    try:
        services.approve_phone_order(db.session, voucher, manager=me(),
                                     pay_on_delivery=request.form.get("pay_on_delivery") == "1")
    except DomainError as e:
        db.session.rollback()
        return _review_page(services.get_voucher(db.session, voucher_id), e.status, error=e.message)
    db.session.commit()
    flash(_("Approved: voucher %(no)s.", no=voucher.no), "success")
    return go(url_for("sales.voucher", no=voucher.no))


@bp.post("/reviews/<int:voucher_id>/reject")
@roles_required("manager")
def review_reject(voucher_id: int):
    voucher = services.get_voucher(db.session, voucher_id)
    reason = request.form.get("reason", "")
    try:
        services.reject_phone_order(db.session, voucher, reason, manager=me())
    except DomainError as e:
        db.session.rollback()
        return _review_page(services.get_voucher(db.session, voucher_id), e.status, reject_error=e.message,
                            reason=reason)
    db.session.commit()
    flash(_("The order of %(name)s was rejected.", name=voucher.customer_name), "info")
    return go(url_for("sales.review_list"))


# ------------------------------------------------------------------ pickup (取货)
nav.register(nav.NavItem("sales.pickup_find", nav._l("Pickup"), "clerk", icon="box", order=35))


def _pickup_page(voucher: Voucher, status: int = 200, **extra):
    import uuid

    from . import pickup

    refusal = None
    try:
        pickup.check_can_hand_over(voucher, for_delivery=voucher.pay_on_delivery)
    except DomainError as e:
        refusal = e.message
    return render_template("sales/pickup.html", v=voucher, left=pickup.remaining(db.session, voucher),
                           done=pickup.picked(db.session, voucher), history=pickup.pickups_of(db.session, voucher),
                           refusal=refusal, once_key=extra.pop("once_key", uuid.uuid4().hex),
                           form=request.form if request.method == "POST" else {}, **extra), status


@bp.get("/pickup")
@roles_required("clerk")
def pickup_find():
    no = (request.args.get("no") or "").strip()
    if not no:
        return render_template("sales/pickup_find.html")
    from . import pickup

    try:
        voucher = pickup.find_for_pickup(db.session, no)
    except DomainError as e:
        return render_template("sales/pickup_find.html", error=e.message, no=no), e.status
    return _pickup_page(voucher)


@bp.post("/pickup/<no>")
@roles_required("clerk")
def pickup_hand_over(no: str):
    from . import pickup

    voucher = pickup.find_for_pickup(db.session, no)
    quantities = {line.id: request.form.get(f"qty_{line.id}", "") for line in voucher.lines}
    once_key = request.form.get("once_key", "")
    try:
        pickup.hand_over(db.session, no, quantities, clerk=me(), once_key=once_key,
                         shop_copy=request.form.get("shop_copy") == "1")
    except DomainError as e:
        db.session.rollback()
        return _pickup_page(pickup.find_for_pickup(db.session, no), e.status, error=e.message, once_key=once_key)
    db.session.commit()
    flash(_("Handed over. Thank the customer and see them off."), "success")
    return go(url_for("sales.pickup_find", no=voucher.no))
