"""Introduce (商品介绍): search and the product page shown to the customer; and the
manager's catalogue screens (products, prices, stock, suggestions, Excel)."""

from __future__ import annotations

import uuid
from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import nav, tx
from ..errors import DomainError
from ..extensions import db, htmx
from ..money import plain_number
from ..staff.permissions import roles_required
from ..text import parse_id
from ..web import go, refuse_with, template_globals, transaction, xlsx_response
from . import excel, services
from .forms import ProductForm
from .models import Product, ProductPicture
from .pictures import check_picture

bp = Blueprint("catalog", __name__)

nav.register(nav.NavItem("catalog.manage_products", nav._l("Products"), "manager", icon="box", order=40))

PAGE = 24
IMPORT_OUTCOMES = {"created": nav._l("added"), "updated": nav._l("updated"), "unchanged": nav._l("unchanged"),
                   "error": nav._l("wrong")}


template_globals(bp, import_outcomes=IMPORT_OUTCOMES)


def _filters():
    return {
        "q": (request.args.get("q") or "").strip()[: services.MAX_QUERY],
        "category": request.args.get("category", type=parse_id),
        "brand": request.args.get("brand", type=parse_id),
        "in_stock": request.args.get("in_stock") == "1",
        "page": max(1, request.args.get("page", 1, type=parse_id) or 1),
    }


def _search(f, *, include_inactive=False, limit=PAGE, brief=False):
    return services.search_products(
        db.session, f["q"], category_id=f["category"], brand_id=f["brand"], in_stock=f["in_stock"],
        include_inactive=include_inactive, limit=limit, offset=(f["page"] - 1) * limit, brief=brief,
    )


# ------------------------------------------------------------------ introduce
@bp.get("/catalog")
@roles_required("clerk")
def browse():
    f = _filters()
    quick = request.args.get("view") == "quick"
    result = _search(f, limit=8 if quick else PAGE, brief=quick)
    if result.exact_barcode is not None and not htmx and not quick:
        # a USB scanner typed the barcode and pressed Enter: open the product at once
        return redirect(url_for("catalog.product", product_id=result.exact_barcode.id))
    context = {"result": result, "f": f}
    if quick:
        return render_template("catalog/_quick_results.html", result=result, q=f["q"])
    if htmx and request.headers.get("HX-Target") == "results":
        return render_template("catalog/_results.html", **context)
    return render_template("catalog/browse.html", brands=services.brands(db.session),
                           categories=services.categories(db.session), **context)


@bp.get("/catalog/products/<int:product_id>")
@roles_required("clerk")
def product(product_id: int):
    """The product as shown to the customer; the open voucher's part of the page (the badge, the add
    form, what the customer looked at before) comes from sales through the template's context."""
    item = services.get_product(db.session, product_id)
    return render_template("catalog/product.html", product=item, variants=services.family_variants(db.session, item),
                           pending={"quantity": "1", "unit_price": ""})


# ------------------------------------------------------------------ manager: products
@bp.get("/manage/products")
@roles_required("manager")
def manage_products():
    return _list_page()


def _list_page(**extra):
    f = _filters()
    result = _search(f, include_inactive=True, limit=50)
    return render_template("catalog/manage_list.html", result=result, f=f, brands=services.brands(db.session),
                           categories=services.categories(db.session), **extra)


def _input_from_form() -> services.ProductInput:
    return ProductForm().product_input()


def _input_from_product(p: Product) -> services.ProductInput:
    return services.ProductInput(
        name=p.name, brand=p.brand.name, category=p.category.name, model=p.model, spec=p.spec, colour=p.colour,
        family=p.family, barcode=p.barcode or "", unit=p.unit, whole_units_only=p.whole_units_only,
        list_price=f"{p.list_price:.2f}", vat_rate=f"{p.vat_rate_bp / 100:g}", selling_points=p.selling_points,
        functions=p.functions, active=p.active, requires_serial=p.requires_serial,
        warranty_months=str(p.warranty_months or 0),
    )


def _save_picture(product: Product) -> None:
    upload = request.files.get("picture")
    if upload is None or not upload.filename:
        return
    suffix = check_picture(upload.stream)  # a JPEG/PNG/WebP of sane size (no decompression bomb)
    rel = f"products/{uuid.uuid4().hex}{suffix}"
    target = Path(current_app.config["POS_MEDIA_DIR"]) / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    upload.stream.seek(0)
    upload.save(target)
    product.pictures.insert(0, ProductPicture(path=rel))  # the newest picture comes first
    for index, pic in enumerate(product.pictures):
        pic.position = index


def _form_page(template_product, data, error=None, field=None, **extra):
    return render_template(
        "catalog/manage_form.html", product=template_product, data=data, error=error, field=field, **extra,
        brands=services.brands(db.session), categories=services.categories(db.session), units=services.UNITS,
        accessories=services.relations(db.session, template_product, "accessory") if template_product else [],
        alternatives=services.relations(db.session, template_product, "alternative") if template_product else [],
    )


def _edited() -> Product | None:
    """The product of a manage route (None on the new-product screen); read again after a refusal."""
    product_id = request.view_args.get("product_id")
    return services.get_product(db.session, product_id) if product_id is not None else None  # 0 is not "new"


def _product_refused(e: DomainError):
    """The product form again with what was typed and the message."""
    return _form_page(_edited(), _input_from_form(), e.message, e.field)


def _panel_refused(error: str, **typed):
    """A panel of the product's page (stock, suggestions) refused: the page with the product as
    saved and the message in that panel (template variable ``error``; ``typed`` gives the input)."""
    def refused(e: DomainError):
        item = _edited()
        return _form_page(item, _input_from_product(item), **{error: e.message},
                          **{name: value() for name, value in typed.items()})

    return refused


@bp.get("/manage/products/new")
@roles_required("manager")
def manage_new():
    return _form_page(None, services.ProductInput())


@bp.post("/manage/products/new")
@roles_required("manager")
@transaction(refused=_product_refused)
def manage_create():
    item = services.create_product(db.session, _input_from_form(), actor=current_user._get_current_object())
    _save_picture(item)
    flash(_("%(name)s was added.", name=item.name), "success")
    return go(url_for("catalog.manage_edit", product_id=item.id))


@bp.get("/manage/products/<int:product_id>")
@roles_required("manager")
def manage_edit(product_id: int):
    item = services.get_product(db.session, product_id)
    return _form_page(item, _input_from_product(item))


@bp.post("/manage/products/<int:product_id>")
@roles_required("manager")
@transaction(refused=_product_refused)
def manage_save(product_id: int):
    item = services.get_product(db.session, product_id)
    services.update_product(db.session, item, _input_from_form(), actor=current_user._get_current_object())
    _save_picture(item)
    flash(_("%(name)s was saved.", name=item.name), "success")
    return go(url_for("catalog.manage_edit", product_id=item.id))


@bp.post("/manage/products/<int:product_id>/stock")
@roles_required("manager")
@transaction(refused=_panel_refused(error="stock_error"))
def manage_stock(product_id: int):
    item = services.get_product(db.session, product_id)
    services.adjust_stock(db.session, item, request.form.get("quantity", ""), request.form.get("reason", ""),
                          actor=current_user._get_current_object())
    flash(_("Stock of %(name)s set to %(qty)s.", name=item.name, qty=plain_number(item.stock_on_hand)), "success")
    return go(url_for("catalog.manage_edit", product_id=item.id))


@bp.post("/manage/products/<int:product_id>/relations/<kind>")
@roles_required("manager")
@transaction(refused=_panel_refused(error="relations_error", relations_input=lambda: {
    request.view_args["kind"]: request.form.get("barcodes", "")}))
def manage_relations(product_id: int, kind: str):
    item = services.get_product(db.session, product_id)
    ids = []
    for code in request.form.get("barcodes", "").replace("，", ",").replace("\n", ",").split(","):
        code = code.strip()
        if not code:
            continue
        found = services.search_products(db.session, code, include_inactive=True, limit=1).exact_barcode
        if found is None:
            raise DomainError(_("No product with barcode %(code)s.", code=code[:40]))
        ids.append(found.id)
    services.set_relations(db.session, item, kind, ids, actor=current_user._get_current_object())
    flash(_("Suggestions saved."), "success")
    return go(url_for("catalog.manage_edit", product_id=item.id))


def _name_refused(e: DomainError):
    return _list_page(errors=[e.message], name=request.form.get("name", ""))


@bp.post("/manage/brands")
@roles_required("manager")
@transaction(refused=_name_refused)
def manage_add_brand():
    row = services.add_brand(db.session, request.form.get("name", ""), actor=current_user._get_current_object())
    flash(_("Brand %(name)s added.", name=row.name), "success")
    return go(url_for("catalog.manage_products"))


@bp.post("/manage/categories")
@roles_required("manager")
@transaction(refused=_name_refused)
def manage_add_category():
    row = services.add_category(db.session, request.form.get("name", ""), actor=current_user._get_current_object())
    flash(_("Category %(name)s added.", name=row.name), "success")
    return go(url_for("catalog.manage_products"))


# ------------------------------------------------------------------ Excel
@bp.get("/manage/products/export.xlsx")
@roles_required("manager")
def manage_export():
    data = excel.export_catalogue(db.session)
    return xlsx_response(data, "catalogue.xlsx")


@bp.get("/manage/products/import")
@roles_required("manager")
def manage_import():
    return render_template("catalog/import.html")


@bp.post("/manage/products/import")
@roles_required("manager")
@tx.batched_writes
@transaction(refused=refuse_with("catalog/import.html"))
def manage_import_run():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise DomainError(_("Choose an .xlsx file."))
    report = excel.import_catalogue(db.session, upload.stream, actor=current_user._get_current_object(),
                                    batch_seconds=tx.BATCH_SECONDS)
    if not report.errors:
        from ..extensions import refresh_statistics

        refresh_statistics(db.session)  # thousands of new products: the planner learns the new sizes
    # a wrong row refuses the whole file: every row is checked before the first is written
    return render_template("catalog/import.html", report=report), 422 if report.errors else 200
