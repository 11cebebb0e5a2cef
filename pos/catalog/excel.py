"""The catalogue as an Excel workbook (.xlsx, openpyxl): export, and import with a
row-by-row report. An import with any bad row saves nothing."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import DomainError
from .models import Product
from .services import ProductInput, create_product, update_product

# column header → ProductInput field (the Chinese header is what the shop sees)
COLUMNS = [
    ("条码", "barcode"), ("名称", "name"), ("品牌", "brand"), ("品类", "category"), ("型号", "model"),
    ("规格", "spec"), ("颜色", "colour"), ("系列", "family"), ("单位", "unit"), ("整数销售", "whole_units_only"),
    ("零售价", "list_price"), ("税率%", "vat_rate"), ("启用", "active"), ("卖点", "selling_points"),
    ("功能", "functions"), ("库存", "stock"),
]
MAX_ROWS = 20_000
YES = {"是", "y", "yes", "true", "1", "启用"}
NO = {"否", "n", "no", "false", "0", "停用", ""}


@dataclass
class RowResult:
    row: int
    barcode: str
    outcome: str  # created | updated | unchanged | error
    message: str = ""


@dataclass
class ImportReport:
    rows: list[RowResult] = field(default_factory=list)

    @property
    def errors(self) -> list[RowResult]:
        return [r for r in self.rows if r.outcome == "error"]

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)


def export_catalogue(session: Session) -> io.BytesIO:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("商品")
    ws.append([header for header, _key in COLUMNS])
    for p in session.scalars(select(Product).order_by(Product.id).execution_options(yield_per=1000)):
        ws.append([
            p.barcode or "", p.name, p.brand.name, p.category.name, p.model, p.spec, p.colour, p.family, p.unit,
            "是" if p.whole_units_only else "否", f"{p.list_price:.2f}", f"{p.vat_rate_bp / 100:g}",
            "是" if p.active else "否", p.selling_points, p.functions, f"{p.stock_on_hand:f}".rstrip("0").rstrip("."),
        ])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # Excel keeps numbers as floats: read them back through their shortest text, never as binary floats
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value).strip()


def _flag(value: str, header: str) -> bool:
    v = value.strip().lower()
    if v in YES:
        return True
    if v in NO:
        return False
    raise DomainError(_("%(col)s must be 是 or 否, not %(value)s.", col=header, value=value[:10]))


def import_catalogue(session: Session, stream, *, actor) -> ImportReport:
    """Check every row; create products whose barcode is new, update the others.
    The caller commits only when ``report.errors`` is empty."""
    try:
        wb = load_workbook(stream, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise DomainError(_("That is not an Excel .xlsx file.")) from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    try:
        header = [_cell(c) for c in next(rows)]
    except StopIteration:
        raise DomainError(_("The workbook is empty.")) from None
    index = {}
    for title, key in COLUMNS:
        if title in header:
            index[key] = header.index(title)
    missing = [t for t, k in COLUMNS if k in ("barcode", "name", "brand", "category", "list_price") and k not in index]
    if missing:
        raise DomainError(_("Missing columns: %(cols)s", cols="、".join(missing)))

    report = ImportReport()
    seen: dict[str, int] = {}
    for number, values in enumerate(rows, start=2):
        if number - 1 > MAX_ROWS:
            raise DomainError(_("At most %(n)d rows in one import.", n=MAX_ROWS))
        if values is None or all(v is None or str(v).strip() == "" for v in values):
            continue
        cells = {key: _cell(values[i]) if i < len(values) else "" for key, i in index.items()}
        barcode = cells.get("barcode", "")
        try:
            if not barcode:
                raise DomainError(_("条码 (barcode) is required to match the product."))
            if barcode in seen:
                raise DomainError(_("Barcode %(code)s appears twice (row %(row)d too).", code=barcode,
                                    row=seen[barcode]))
            seen[barcode] = number
            data = ProductInput(
                barcode=barcode, name=cells.get("name", ""), brand=cells.get("brand", ""),
                category=cells.get("category", ""), model=cells.get("model", ""), spec=cells.get("spec", ""),
                colour=cells.get("colour", ""), family=cells.get("family", ""), unit=cells.get("unit", "") or "件",
                whole_units_only=_flag(cells.get("whole_units_only", "是") or "是", "整数销售"),
                list_price=cells.get("list_price", ""), vat_rate=cells.get("vat_rate", "") or "13",
                active=_flag(cells.get("active", "是") or "是", "启用"),
                selling_points=cells.get("selling_points", ""), functions=cells.get("functions", ""),
            )
            with session.begin_nested():
                product = session.scalar(select(Product).where(Product.barcode == barcode))
                if product is None:
                    product = create_product(session, data, actor=actor)
                    stock = cells.get("stock", "")
                    if stock:
                        try:
                            qty = Decimal(stock)
                        except InvalidOperation:
                            raise DomainError(_("库存 is not a number: %(v)s", v=stock[:20])) from None
                        if not qty.is_finite() or qty < 0:
                            raise DomainError(_("库存 cannot be negative."))
                        product.stock_on_hand = qty
                    report.rows.append(RowResult(number, barcode, "created"))
                else:
                    changes = update_product(session, product, data, actor=actor)
                    report.rows.append(RowResult(number, barcode, "updated" if changes else "unchanged",
                                                 ", ".join(sorted(changes))))
        except DomainError as e:
            report.rows.append(RowResult(number, barcode, "error", e.message))
    wb.close()
    return report
