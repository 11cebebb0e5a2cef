"""Introduce (商品介绍): search and the product page shown to the customer; and the
manager's catalogue screens (products, prices, stock, suggestions, Excel)."""

from __future__ import annotations

import uuid
from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from PIL import Image, UnidentifiedImageError

from .. import nav
from ..errors import DomainError
from ..extensions import db, htmx
from ..money import plain_number
from ..staff.permissions import roles_required
from ..web import go, xlsx_response
from . import excel, services
from .models import Product, ProductPicture

bp = Blueprint("catalog", __name__)

nav.register(nav.NavItem("catalog.manage_products", nav._l("Products"), "manager", icon="box", order=40))

PAGE = 24
IMPORT_OUTCOMES = {"created": nav._l("added"), "updated": nav._l("updated"), "unchanged": nav._l("unchanged"),
                   "error": nav._l("wrong")}


@bp.app_context_processor
def catalog_labels():
    return {"import_outcomes": IMPORT_OUTCOMES}
PICTURE_TYPES = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}


def _filters():
    return {
        "q": (request.args.get("q") or "").strip()[: services.MAX_QUERY],
        "category": request.args.get("category", type=int),
        "brand": request.args.get("brand", type=int),
        "in_stock": request.args.get("in_stock") == "1",
        "page": max(1, request.args.get("page", 1, type=int) or 1),
    }


def _search(f, *, include_inactive=False, limit=PAGE):
    return services.search_products(
        db.session, f["q"], category_id=f["category"], brand_id=f["brand"], in_stock=f["in_stock"],
        include_inactive=include_inactive, limit=limit, offset=(f["page"] - 1) * limit,
    )


def _open_voucher():
    from ..sales import services as sales

    voucher_id = session.get("voucher_id")
    if not voucher_id:
        return None
    voucher = db.session.get(sales.Voucher, voucher_id)
    if voucher is None or voucher.clerk_id != current_user.id or voucher.status != "draft":
        return None
    return voucher


# ------------------------------------------------------------------ introduce
@bp.get("/catalog")
@roles_required("clerk")
def browse():
    f = _filters()
    quick = request.args.get("view") == "quick"
    result = _search(f, limit=8 if quick else PAGE)
    if result.exact_barcode is not None and not htmx and not quick:
        # a USB scanner typed the barcode and pressed Enter: open the product at once
        return redirect(url_for("catalog.product", product_id=result.exact_barcode.id))
    context = {"result": result, "f": f, "voucher": _open_voucher()}
    if quick:
        return render_template("catalog/_quick_results.html", result=result, q=f["q"])
    if htmx and request.headers.get("HX-Target") == "results":
        return render_template("catalog/_results.html", **context)
    return render_template("catalog/browse.html", brands=services.brands(db.session),
                           categories=services.categories(db.session), **context)


@bp.get("/catalog/products/<int:product_id>")
@roles_required("clerk")
def product(product_id: int):
    from ..sales import services as sales

    item = services.get_product(db.session, product_id)
    voucher = _open_voucher()
    customer = voucher.customer if voucher else None
    if customer is not None:
        sales.record_interest(db.session, customer, item, actor=current_user._get_current_object())
        db.session.commit()
    from ..sales.views import managers

    return render_template(
        "catalog/product.html", product=item, variants=services.family_variants(db.session, item),
        suggestions=sales.suggestions_for_product(db.session, item, customer), voucher=voucher,
        managers=managers(), pending={"quantity": "1", "unit_price": ""},
    )


# ------------------------------------------------------------------ manager: products
@bp.get("/manage/products")
@roles_required("manager")
def manage_products():
    return _list_page()


def _list_page(status: int = 200, **extra):
    f = _filters()
    result = _search(f, include_inactive=True, limit=50)
    return render_template("catalog/manage_list.html", result=result, f=f, brands=services.brands(db.session),
                           categories=services.categories(db.session), **extra), status


def _input_from_form() -> services.ProductInput:
    form = request.form
    return services.ProductInput(
        name=form.get("name", ""), brand=form.get("brand", ""), category=form.get("category", ""),
        model=form.get("model", ""), spec=form.get("spec", ""), colour=form.get("colour", ""),
        family=form.get("family", ""), barcode=form.get("barcode", ""), unit=form.get("unit", ""),
        whole_units_only=form.get("whole_units_only") == "1", list_price=form.get("list_price", ""),
        vat_rate=form.get("vat_rate", ""), selling_points=form.get("selling_points", ""),
        functions=form.get("functions", ""), active=form.get("active") == "1",
    )


def _input_from_product(p: Product) -> services.ProductInput:
    return services.ProductInput(
        name=p.name, brand=p.brand.name, category=p.category.name, model=p.model, spec=p.spec, colour=p.colour,
        family=p.family, barcode=p.barcode or "", unit=p.unit, whole_units_only=p.whole_units_only,
        list_price=f"{p.list_price:.2f}", vat_rate=f"{p.vat_rate_bp / 100:g}", selling_points=p.selling_points,
        functions=p.functions, active=p.active,
    )


def _save_picture(product: Product) -> None:
    upload = request.files.get("picture")
    if upload is None or not upload.filename:
        return
    try:
        with Image.open(upload.stream) as img:
            kind = img.format
            img.verify()
    except (UnidentifiedImageError, OSError):
        raise DomainError(_("The picture must be a JPEG, PNG or WebP image."), field="picture") from None
    if kind not in PICTURE_TYPES:
        raise DomainError(_("The picture must be a JPEG, PNG or WebP image."), field="picture")
    rel = f"products/{uuid.uuid4().hex}{PICTURE_TYPES[kind]}"
    target = Path(current_app.config["POS_MEDIA_DIR"]) / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    upload.stream.seek(0)
    upload.save(target)
    product.pictures.insert(0, ProductPicture(path=rel))  # the newest picture comes first
    for index, pic in enumerate(product.pictures):
        pic.position = index


def _form_page(template_product, data, status=200, error=None, field=None, **extra):
    return render_template(
        "catalog/manage_form.html", product=template_product, data=data, error=error, field=field, **extra,
        brands=services.brands(db.session), categories=services.categories(db.session), units=services.UNITS,
        accessories=services.relations(db.session, template_product, "accessory") if template_product else [],
        alternatives=services.relations(db.session, template_product, "alternative") if template_product else [],
    ), status


@bp.route("/manage/products/new", methods=["GET", "POST"])
@roles_required("manager")
def manage_new():
    if request.method == "GET":
        return _form_page(None, services.ProductInput())
    data = _input_from_form()
    try:
        item = services.create_product(db.session, data, actor=current_user._get_current_object())
        _save_picture(item)
    except DomainError as e:
        db.session.rollback()
        return _form_page(None, data, e.status, e.message, e.field)
    db.session.commit()
    flash(_("%(name)s was added.", name=item.name), "success")
    return go(url_for("catalog.manage_edit", product_id=item.id))


@bp.route("/manage/products/<int:product_id>", methods=["GET", "POST"])
@roles_required("manager")
def manage_edit(product_id: int):
    item = services.get_product(db.session, product_id)
    if request.method == "GET":
        return _form_page(item, _input_from_product(item))
    data = _input_from_form()
    try:
        services.update_product(db.session, item, data, actor=current_user._get_current_object())
        _save_picture(item)
    except DomainError as e:
        db.session.rollback()
        return _form_page(services.get_product(db.session, product_id), data, e.status, e.message, e.field)
    db.session.commit()
    flash(_("%(name)s was saved.", name=item.name), "success")
    return go(url_for("catalog.manage_edit", product_id=item.id))


@bp.post("/manage/products/<int:product_id>/stock")
@roles_required("manager")
def manage_stock(product_id: int):
    item = services.get_product(db.session, product_id)
    try:
        services.adjust_stock(db.session, item, request.form.get("quantity", ""), request.form.get("reason", ""),
                              actor=current_user._get_current_object())
    except DomainError as e:
        db.session.rollback()
        item = services.get_product(db.session, product_id)
        return _form_page(item, _input_from_product(item), e.status, stock_error=e.message)
    db.session.commit()
    flash(_("Stock of %(name)s set to %(qty)s.", name=item.name, qty=plain_number(item.stock_on_hand)), "success")
    return go(url_for("catalog.manage_edit", product_id=item.id))


@bp.post("/manage/products/<int:product_id>/relations/<kind>")
@roles_required("manager")
def manage_relations(product_id: int, kind: str):
    item = services.get_product(db.session, product_id)
    raw = request.form.get("barcodes", "")
    try:
        ids = []
        for code in raw.replace("，", ",").replace("\n", ",").split(","):
            code = code.strip()
            if not code:
                continue
            found = services.search_products(db.session, code, include_inactive=True, limit=1).exact_barcode
            if found is None:
                raise DomainError(_("No product with barcode %(code)s.", code=code[:40]))
            ids.append(found.id)
        services.set_relations(db.session, item, kind, ids, actor=current_user._get_current_object())
    except DomainError as e:
        db.session.rollback()
        item = services.get_product(db.session, product_id)
        return _form_page(item, _input_from_product(item), e.status, relations_error=e.message,
                          relations_input={kind: raw})
    db.session.commit()
    flash(_("Suggestions saved."), "success")
    return go(url_for("catalog.manage_edit", product_id=item.id))


def _add_named(add, done_message: str):
    try:
        row = add(db.session, request.form.get("name", ""), actor=current_user._get_current_object())
    except DomainError as e:
        db.session.rollback()
        return _list_page(e.status, errors=[e.message], name=request.form.get("name", ""))
    db.session.commit()
    flash(done_message % {"name": row.name}, "success")
    return go(url_for("catalog.manage_products"))


@bp.post("/manage/brands")
@roles_required("manager")
def manage_add_brand():
    return _add_named(services.add_brand, _("Brand %(name)s added."))


@bp.post("/manage/categories")
@roles_required("manager")
def manage_add_category():
    return _add_named(services.add_category, _("Category %(name)s added."))


# ------------------------------------------------------------------ Excel
@bp.get("/manage/products/export.xlsx")
@roles_required("manager")
def manage_export():
    data = excel.export_catalogue(db.session)
    return xlsx_response(data, "catalogue.xlsx")


@bp.route("/manage/products/import", methods=["GET", "POST"])
@roles_required("manager")
def manage_import():
    if request.method == "GET":
        return render_template("catalog/import.html")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("catalog/import.html", error=_("Choose an .xlsx file.")), 422
    try:
        report = excel.import_catalogue(db.session, upload.stream, actor=current_user._get_current_object())
    except DomainError as e:
        db.session.rollback()
        return render_template("catalog/import.html", error=e.message), e.status
    if report.errors:
        db.session.rollback()
        return render_template("catalog/import.html", report=report), 422
    db.session.commit()
    return render_template("catalog/import.html", report=report)
