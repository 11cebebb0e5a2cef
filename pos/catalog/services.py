"""Catalogue rules (商品目录): search, products, prices, stock, suggestions.

The search key makes one column searchable by name, brand, model, spec, colour,
barcode and pinyin initials; search runs on the server and returns a page at a
time (the catalogue is never loaded into the tablet).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import and_, column, func, literal_column, or_, select, table
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, lazyload, load_only
from sqlalchemy.orm.attributes import set_committed_value

from ..audit.services import record
from ..errors import DomainError, get_or_404
from ..money import format_money, parse_money, plain_number
from ..sqlhints import PLAN_EACH_TIME
from ..text import parse_decimal, plain
from . import search_index
from .models import Brand, Category, Product, ProductPicture, ProductRelation

MAX_QUERY = 60
BARCODE_RE = re.compile(r"^[0-9A-Za-z-]{4,40}$")
UNITS = ("件", "台", "套", "个", "盒", "瓶", "根", "米", "公斤", "箱", "张")


def pinyin_initials(text: str) -> str:
    """'海尔冰箱' → 'hebx' (letters and digits kept as they are, lower-cased).

    pypinyin is imported here, not with the module: its dictionaries take about 55 MB, and only a
    product being saved needs them (searches read the keys stored at write time)."""
    from pypinyin import Style, lazy_pinyin

    return "".join(p[0] for p in lazy_pinyin(text or "", style=Style.FIRST_LETTER, errors="default") if p).lower()


def build_search_key(product: Product, brand_name: str) -> str:
    parts = [
        product.name, brand_name, product.model, product.spec, product.colour, product.barcode or "",
        pinyin_initials(product.name), pinyin_initials(brand_name),
    ]
    return " ".join(p.strip().lower() for p in parts if p)[:400]


def index_product(product: Product, brand_name: str) -> None:
    """Fill the columns catalogue search reads (call after any change to the product's words)."""
    product.search_key = build_search_key(product, brand_name)
    product.search_grams = " ".join(search_index.grams(product.search_key))


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


#: what the counter's quick results show of a product (catalog/_quick_results.html): a search as you type
#: reads these columns of each row found, not its long texts, search columns, brand and category
BRIEF = (Product.id, Product.name, Product.model, Product.colour, Product.list_price, Product.stock_on_hand,
         Product.active)
BRIEF_LOAD = (load_only(*BRIEF), lazyload(Product.brand), lazyload(Product.category))


@dataclass
class SearchResult:
    products: list[Product]
    has_more: bool
    exact_barcode: Product | None = None


def search_products(
    session: Session,
    query: str = "",
    *,
    category_id: int | None = None,
    brand_id: int | None = None,
    in_stock: bool = False,
    include_inactive: bool = False,
    limit: int = 24,
    offset: int = 0,
    brief: bool = False,
) -> SearchResult:
    """Search as you type: every word must appear (name, brand, model, spec, colour,
    barcode or pinyin initials). A scanned barcode finds its product at once. ``brief``: the products
    carry only what the counter's quick list shows (:data:`BRIEF`), without their brand and category."""
    query = plain((query or "")[:MAX_QUERY * 2])[:MAX_QUERY].lower()  # a full-width barcode is the barcode
    if query and BARCODE_RE.match(query) and query.isdigit() and len(query) >= 8:
        product = session.scalar(select(Product).where(Product.barcode == query))
        if product is not None and (product.active or include_inactive):
            return SearchResult([product], False, exact_barcode=product)
    stmt = select(Product).options(*BRIEF_LOAD) if brief else select(Product)
    conditions = []
    terms = query.split()[:8]
    for term in terms:
        conditions.append(Product.search_key.like(f"%{_like_escape(term)}%", escape="\\"))
    indexed = [t for t in terms if len(t) >= search_index.MIN_INDEXED]
    dialect = session.get_bind().dialect.name
    if indexed and dialect == "sqlite":
        # drive the query from the FTS5 trigram index
        match = " AND ".join('"' + t.replace('"', '""') + '"' for t in indexed)
        fts = table(search_index.FTS_TABLE, column("rowid"))
        stmt = stmt.join(fts, fts.c.rowid == Product.id).where(
            literal_column(search_index.FTS_TABLE).op("MATCH")(match))
    elif dialect == "postgresql":
        bigrams = [g for t in terms for g in search_index.grams(t)]
        if bigrams:  # narrowed by the GIN index over the bigrams; LIKE then decides
            conditions.append(literal_column(search_index.PG_TSVECTOR).op("@@")(
                func.plainto_tsquery("simple", " ".join(bigrams))))
            stmt = stmt.prefix_with(PLAN_EACH_TIME)  # the words decide between the index and the id order
    if not include_inactive:
        conditions.append(Product.active.is_(True))
    if category_id:
        conditions.append(Product.category_id == category_id)
    if brand_id:
        conditions.append(Product.brand_id == brand_id)
    if in_stock:
        conditions.append(Product.stock_on_hand > 0)
    if conditions:
        stmt = stmt.where(and_(*conditions))
    rows = list(session.scalars(stmt.order_by(Product.id).limit(limit + 1).offset(offset)))
    return SearchResult(rows[:limit], len(rows) > limit)


def get_product(session: Session, product_id: int) -> Product:
    return get_or_404(session, Product, product_id, _("No such product."))


def family_variants(session: Session, product: Product) -> list[Product]:
    """The other colours of the same model (same ``family``)."""
    if not product.family:
        return []
    return list(session.scalars(
        select(Product).where(Product.family == product.family, Product.id != product.id,
                              Product.active.is_(True)).order_by(Product.colour)
    ))


def brands(session: Session) -> list[Brand]:
    return list(session.scalars(select(Brand).order_by(Brand.name)))


def categories(session: Session) -> list[Category]:
    return list(session.scalars(select(Category).order_by(Category.name)))


# ------------------------------------------------------------------ suggestions
def accessories(session: Session, product_ids, *, limit: int = 6) -> list[Product]:
    ids = list(product_ids)
    if not ids:
        return []
    stmt = (
        select(Product).join(ProductRelation, ProductRelation.related_id == Product.id)
        .where(ProductRelation.product_id.in_(ids), ProductRelation.kind == "accessory",
               Product.active.is_(True), Product.id.not_in(ids))
        .distinct().limit(limit)
    )
    return list(session.scalars(stmt))


def has_accessories(session: Session, product_id: int, *, besides) -> bool:
    """Has this product an active accessory that is neither itself nor one of ``besides``? A row id
    read with LIMIT 1, not the products (:func:`accessories` reads up to six whole products)."""
    ids = [product_id, *besides]
    return session.scalar(
        select(ProductRelation.id).join(Product, Product.id == ProductRelation.related_id)
        .where(ProductRelation.product_id == product_id, ProductRelation.kind == "accessory",
               Product.active.is_(True), Product.id.not_in(ids)).limit(1)) is not None


def load_pictures(session: Session, products) -> None:
    """The pictures of these products (not yet read) in one statement, as if each had read its own."""
    waiting = {p.id: p for p in products if "pictures" in sa_inspect(p).unloaded}
    if not waiting:
        return
    found: dict[int, list[ProductPicture]] = {pid: [] for pid in waiting}
    for picture in session.scalars(select(ProductPicture).where(ProductPicture.product_id.in_(list(waiting)))
                                   .order_by(ProductPicture.product_id, ProductPicture.position)):
        found[picture.product_id].append(picture)
    for pid, pictures in found.items():
        set_committed_value(waiting[pid], "pictures", pictures)


def linked_alternatives(session: Session, product: Product, *, limit: int = 6) -> list[Product]:
    """The in-stock products the manager linked as alternatives to ``product``."""
    return list(session.scalars(
        select(Product).join(ProductRelation, ProductRelation.related_id == Product.id)
        .where(ProductRelation.product_id == product.id, ProductRelation.kind == "alternative",
               Product.active.is_(True), Product.stock_on_hand > 0).limit(limit)
    ))


def alternatives(session: Session, product: Product, *, limit: int = 6) -> list[Product]:
    """In-stock products to offer instead: the ones the manager linked, then the same
    category at a similar price (±30 %)."""
    linked = linked_alternatives(session, product, limit=limit)
    if len(linked) >= limit:
        return linked
    price, wanted = product.list_price, limit - len(linked)
    low = (price * Decimal("0.7")).quantize(Decimal("0.01"))
    high = (price * Decimal("1.3")).quantize(Decimal("0.01"))
    seen = {p.id for p in linked} | {product.id}
    # the nearest prices are read from the index on (category, price) of in-stock products
    # (ix_product_in_stock_price: the conditions are written as its own, the 0 a literal), upwards
    # from the price and downwards below it, and merged by distance, then id: as ordering the
    # whole range by |price − this price| would, without reading and sorting all of it
    offered = (Product.category_id == product.category_id, Product.active.is_(True),
               Product.stock_on_hand > literal_column("0"), Product.id.not_in(seen),
               or_(Product.family != product.family, Product.family == ""))
    above = list(session.scalars(select(Product).where(*offered, Product.list_price >= price,
                                                       Product.list_price <= high)
                                 .order_by(Product.list_price, Product.id).limit(wanted)))
    below = list(session.scalars(select(Product).where(*offered, Product.list_price < price,
                                                       Product.list_price >= low)
                                 .order_by(Product.list_price.desc(), Product.id).limit(wanted)))
    similar = sorted([*above, *below], key=lambda p: (abs(p.list_price - price), p.id))[:wanted]
    return linked + similar


# ------------------------------------------------------------------ manager: products
@dataclass
class ProductInput:
    """What the manager typed (or one spreadsheet row), before it is checked."""

    name: str = ""
    brand: str = ""
    category: str = ""
    model: str = ""
    spec: str = ""
    colour: str = ""
    family: str = ""
    barcode: str = ""
    unit: str = "件"
    whole_units_only: bool = True
    list_price: str = ""
    vat_rate: str = "13"
    selling_points: str = ""
    functions: str = ""
    active: bool = True
    requires_serial: bool | None = None  # None: as it is (a spreadsheet without the column)
    warranty_months: str | None = None  # None: as it is


def _text(value, limit: int, label: str, *, required: bool = False, field: str = "") -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not value:
        raise DomainError(_("%(label)s is required.", label=label), field=field)
    if len(value) > limit:
        raise DomainError(_("%(label)s has at most %(n)d characters.", label=label, n=limit), field=field)
    return value


def check_price(value, *, field: str = "list_price") -> Decimal:
    try:
        price = parse_money(str(value) if not isinstance(value, Decimal) else str(value))
    except ValueError:
        raise DomainError(_("Not a price: %(value)s", value=str(value)[:20]), field=field) from None
    if price < 0:
        raise DomainError(_("A price cannot be negative."), field=field)
    if price > Decimal("99999999.99"):
        raise DomainError(_("That price is too large."), field=field)
    return price


MAX_WARRANTY_MONTHS = 120


def check_warranty_months(value) -> int:
    """Warranty months (保修月数): a whole number 0–120; empty is 0 (no warranty)."""
    raw = plain(value)
    if raw == "":
        return 0
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_WARRANTY_MONTHS:
        raise DomainError(_("Warranty months are a whole number from 0 to %(n)d.", n=MAX_WARRANTY_MONTHS),
                          field="warranty_months")
    return int(raw)


def check_vat_rate(value) -> int:
    try:
        rate = Decimal(str(value).strip().rstrip("%") or "0")
    except InvalidOperation:
        raise DomainError(_("Not a VAT rate: %(value)s", value=str(value)[:10]), field="vat_rate") from None
    if not rate.is_finite() or rate < 0 or rate > 100:
        raise DomainError(_("A VAT rate is between 0 and 100 %."), field="vat_rate")
    return int((rate * 100).to_integral_value())


def _resolve(session: Session, model, name: str, label: str, field: str):
    row = session.scalar(select(model).where(model.name == name))
    if row is None:
        raise DomainError(_("Unknown %(label)s: %(name)s", label=label, name=name), field=field)
    return row


def _apply(session: Session, product: Product, data: ProductInput) -> dict:
    """Check ``data`` and write it onto ``product``; returns what changed (old, new)."""
    name = _text(data.name, 100, _("Name"), required=True, field="name")
    brand = _resolve(session, Brand, _text(data.brand, 60, _("Brand"), required=True, field="brand"),
                     _("brand"), "brand")
    category = _resolve(session, Category, _text(data.category, 60, _("Category"), required=True,
                                                 field="category"), _("category"), "category")
    barcode = _text(data.barcode, 40, _("Barcode"), field="barcode") or None
    if barcode and not BARCODE_RE.match(barcode):
        raise DomainError(_("A barcode is 4 to 40 letters or digits."), field="barcode")
    if barcode:
        other = session.scalar(select(Product).where(Product.barcode == barcode, Product.id != (product.id or 0)))
        if other is not None:
            raise DomainError(_("Barcode %(code)s is already used by %(name)s.", code=barcode, name=other.name),
                              field="barcode")
    unit = _text(data.unit, 10, _("Unit"), required=True, field="unit")
    price = check_price(data.list_price)
    changes = {}
    values = {
        "name": name, "brand_id": brand.id, "category_id": category.id,
        "model": _text(data.model, 60, _("Model"), field="model"),
        "spec": _text(data.spec, 100, _("Spec"), field="spec"),
        "colour": _text(data.colour, 30, _("Colour"), field="colour"),
        "barcode": barcode, "unit": unit, "whole_units_only": bool(data.whole_units_only),
        "list_price": price, "vat_rate_bp": check_vat_rate(data.vat_rate),
        "selling_points": _text(data.selling_points, 2000, _("Selling points"), field="selling_points"),
        "functions": _text(data.functions, 2000, _("Functions"), field="functions"),
        "active": bool(data.active),
        "requires_serial": bool(product.requires_serial if data.requires_serial is None else data.requires_serial),
        "warranty_months": (product.warranty_months or 0) if data.warranty_months is None
        else check_warranty_months(data.warranty_months),
    }
    if values["requires_serial"] and not values["whole_units_only"]:
        raise DomainError(_("A product with serial numbers is sold in whole units only."), field="requires_serial")
    family = _text(data.family, 100, _("Family"), field="family") or f"{brand.name}|{values['model'] or name}"
    values["family"] = family
    for key, value in values.items():
        old = getattr(product, key)
        if old != value:
            changes[key] = (old, value)
            setattr(product, key, value)
    product.brand = brand
    product.category = category
    index_product(product, brand.name)
    return changes


def create_product(session: Session, data: ProductInput, *, actor) -> Product:
    product = Product(stock_on_hand=Decimal("0"))
    _apply(session, product, data)
    session.add(product)
    session.flush()
    record(session, "catalog.product_created", actor=actor, record=product,
           summary=f"{product.name} {product.model} {format_money(product.list_price)}")
    return product


def update_product(session: Session, product: Product, data: ProductInput, *, actor) -> dict:
    """Change a product. A price change is audited; vouchers keep the price they were written at."""
    changes = _apply(session, product, data)
    if "list_price" in changes:
        old, new = changes["list_price"]
        record(session, "catalog.price_changed", actor=actor, record=product,
               summary=f"{product.name}: {format_money(old)} → {format_money(new)}")
    other = {k: v for k, v in changes.items() if k not in ("list_price", "brand_id", "category_id")}
    if other or {"brand_id", "category_id"} & changes.keys():
        record(session, "catalog.product_changed", actor=actor, record=product,
               summary=", ".join(sorted(changes)))
    return changes


MAX_STOCK = Decimal("10000000")


def check_stock(product: Product, value, *, label=None) -> Decimal:
    """A stock count as typed (any script's digits): from 0 to ``MAX_STOCK``, whole units for a
    whole-unit product, at most three decimals (what the database keeps) for the others."""
    qty = parse_decimal(value, label=label or _("Stock"), places=3, maximum=MAX_STOCK, field="quantity")
    if product.whole_units_only and qty != qty.to_integral_value():
        raise DomainError(_("%(name)s is counted in whole %(unit)s.", name=product.name, unit=product.unit),
                          field="quantity")
    return qty.quantize(Decimal("0.001"))


def adjust_stock(session: Session, product: Product, new_quantity, reason: str, *, actor) -> None:
    """Set stock on hand after a count (盘点). Pickups reduce stock themselves."""
    reason = _text(reason, 200, _("Reason"), required=True, field="reason")
    qty = check_stock(product, new_quantity)
    old = product.stock_on_hand
    product.stock_on_hand = qty
    record(session, "catalog.stock_adjusted", actor=actor, record=product, reason=reason,
           summary=f"{product.name}: {plain_number(old)} → {plain_number(qty)}")


def set_relations(session: Session, product: Product, kind: str, related_ids, *, actor) -> None:
    if kind not in ProductRelation.KINDS:
        raise DomainError(_("Unknown kind of suggestion."))
    wanted = {int(i) for i in related_ids if str(i).strip()} - {product.id}
    if wanted:
        found = set(session.scalars(select(Product.id).where(Product.id.in_(wanted))))
        if found != wanted:
            raise DomainError(_("Some of those products do not exist."))
    existing = {r.related_id: r for r in session.scalars(
        select(ProductRelation).where(ProductRelation.product_id == product.id, ProductRelation.kind == kind))}
    for rid, row in existing.items():
        if rid not in wanted:
            session.delete(row)
    for rid in wanted - existing.keys():
        session.add(ProductRelation(product_id=product.id, related_id=rid, kind=kind))
    record(session, "catalog.relations_set", actor=actor, record=product,
           summary=f"{kind}: {', '.join(str(i) for i in sorted(wanted))}")


def relations(session: Session, product: Product, kind: str) -> list[Product]:
    return list(session.scalars(
        select(Product).join(ProductRelation, ProductRelation.related_id == Product.id)
        .where(ProductRelation.product_id == product.id, ProductRelation.kind == kind).order_by(Product.name)
    ))


def _add_named(session: Session, model, name: str, *, label: str, exists: str, kind: str, actor):
    """A new brand or category: a name of at most 60 characters, not taken yet; audited."""
    name = _text(name, 60, label, required=True, field="name")
    if session.scalar(select(model).where(model.name == name)):
        raise DomainError(exists % {"name": name}, field="name")
    row = model(name=name)
    session.add(row)
    session.flush()
    record(session, kind, actor=actor, record=row, summary=name)
    return row


def add_brand(session: Session, name: str, *, actor) -> Brand:
    return _add_named(session, Brand, name, label=_("Brand"), exists=_("Brand %(name)s exists already."),
                      kind="catalog.brand_added", actor=actor)


def add_category(session: Session, name: str, *, actor) -> Category:
    return _add_named(session, Category, name, label=_("Category"),
                      exists=_("Category %(name)s exists already."), kind="catalog.category_added", actor=actor)
