"""The catalogue as an Excel workbook (.xlsx, openpyxl): export, and import with a
row-by-row report. An import with any bad row saves nothing."""

from __future__ import annotations

import io
import re
import time
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from .. import text
from ..errors import DomainError
from .models import Product
from .services import ProductInput, _apply, check_stock, create_product, update_product

# column header → ProductInput field (the Chinese header is what the shop sees)
COLUMNS = [
    ("条码", "barcode"), ("名称", "name"), ("品牌", "brand"), ("品类", "category"), ("型号", "model"),
    ("规格", "spec"), ("颜色", "colour"), ("系列", "family"), ("单位", "unit"), ("整数销售", "whole_units_only"),
    ("零售价", "list_price"), ("税率%", "vat_rate"), ("启用", "active"), ("卖点", "selling_points"),
    ("功能", "functions"), ("库存", "stock"), ("序列号", "requires_serial"), ("保修月数", "warranty_months"),
]
MAX_ROWS = 20_000
#: refused before parsing: the workbook's members uncompressed (the XML openpyxl would read) …
MAX_UNCOMPRESSED = 64 * 1024 * 1024
#: … or a sheet with more rows than an import takes (counted in the XML, before openpyxl reads it)
MAX_MEMBERS = 200
MAX_COLUMNS = 40  # cells read per row (the catalogue has 18 columns)
MAX_CELL = 4000  # characters in one cell
ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
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
            "是" if p.requires_serial else "否", p.warranty_months or 0,
        ])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def cell_text(value) -> str:
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


def not_xlsx() -> DomainError:
    return DomainError(_("That is not an Excel .xlsx file (or it is damaged): save it again from Excel or WPS."))


def check_workbook_size(stream) -> None:
    """Refuse, before openpyxl parses anything, a workbook that would take too much memory: more than
    ``MAX_UNCOMPRESSED`` bytes once its members are unpacked (311 KB of shared strings can unpack to
    hundreds of MB), a DTD (entity expansion), or a sheet with more than ``MAX_ROWS`` rows. The zip's
    declared sizes bound what is read (zipfile stops at them), and each sheet's rows are counted by
    streaming its XML in chunks. Leaves ``stream`` at its start."""
    too_big = DomainError(_("This workbook is too large to import (at most %(rows)d rows and %(mb)d MB "
                            "unpacked); split it into smaller files.", rows=MAX_ROWS,
                            mb=MAX_UNCOMPRESSED // (1024 * 1024)))
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNCOMPRESSED:
                raise too_big
            for member in members:
                if not member.filename.endswith((".xml", ".rels")):
                    continue
                is_sheet = member.filename.startswith("xl/worksheets/")
                rows, tail = 0, b""
                with archive.open(member) as data:
                    while chunk := data.read(1 << 16):
                        window = tail + chunk
                        if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                            raise not_xlsx()
                        if is_sheet:  # a match ending inside the tail was counted with the chunk before
                            rows += sum(1 for m in ROW_TAG.finditer(window) if m.end() > len(tail))
                            if rows > MAX_ROWS + 1:
                                raise too_big
                        tail = window[-24:]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise not_xlsx() from None
    finally:
        stream.seek(0)


def sheet_rows(ws):
    """The sheet's rows as tuples of at most ``MAX_COLUMNS`` values; a damaged sheet says so."""
    try:
        yield from ws.iter_rows(values_only=True, max_col=MAX_COLUMNS)
    except DomainError:
        raise
    except Exception:  # openpyxl raises whatever its XML parser or type conversion raised
        raise not_xlsx() from None


def import_catalogue(session: Session, stream, *, actor, batch_seconds: float | None = None) -> ImportReport:
    """Check every row; create products whose barcode is new, update the others.
    The caller commits only when ``report.errors`` is empty. The workbook is checked for size
    first, then read in openpyxl's read-only (streaming) mode, row by row.

    Every row is checked before anything is written (reading only, so no write lock is held while
    the file is parsed). With ``batch_seconds`` the import then owns its transactions, like the
    print spooler: it writes in batches of at most that long, each committed under its own write
    lock, so a payment at the cash desk never waits behind a long import (SQLite has one writer
    at a time). The view marks itself ``tx.batched_writes`` so the request does not take the
    write lock at its start."""
    check_workbook_size(stream)
    try:
        wb = load_workbook(stream, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError, TypeError,
            AttributeError, IndexError):
        # SyntaxError: xml.etree's ParseError (broken workbook XML)
        raise not_xlsx() from None
    try:
        return _import_rows(session, wb, actor=actor, batch_seconds=batch_seconds)
    finally:
        wb.close()


def _import_rows(session: Session, wb, *, actor, batch_seconds: float | None = None) -> ImportReport:
    if not wb.worksheets:
        raise DomainError(_("The workbook has no sheet."))
    rows = sheet_rows(wb.worksheets[0])
    try:
        header = [cell_text(c) for c in next(rows)]
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
    checked: list[tuple[int, str, ProductInput, str]] = []
    for number, values in enumerate(rows, start=2):
        if number - 1 > MAX_ROWS:
            raise DomainError(_("At most %(n)d rows in one import.", n=MAX_ROWS))
        if values is None or all(v is None or str(v).strip() == "" for v in values):
            continue
        cells = {key: cell_text(values[i]) if i < len(values) else "" for key, i in index.items()}
        barcode = cells.get("barcode", "")[:40]
        try:
            for value in cells.values():
                if len(value) > MAX_CELL:
                    raise DomainError(_("A cell holds at most %(n)d characters.", n=MAX_CELL))
                if text.has_control(value):
                    raise DomainError(_("A cell contains control characters."))
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
                # a sheet without these columns (an older export) leaves them as they are
                requires_serial=(_flag(cells["requires_serial"] or "否", "序列号")
                                 if "requires_serial" in cells else None),
                warranty_months=cells.get("warranty_months"),
            )
            stock = cells.get("stock", "")
            _check_row(session, data, stock)
            checked.append((number, barcode, data, stock))
        except DomainError as e:
            report.rows.append(RowResult(number, barcode, "error", e.message))
    if report.errors:
        return report  # nothing written
    _write_rows(session, checked, report, actor=actor, batch_seconds=batch_seconds)
    return report


def _check_row(session: Session, data: ProductInput, stock: str) -> None:
    """Every check the write would make, on a product that is never added to the session
    (reads only: no write lock while the file is parsed)."""
    with session.no_autoflush:
        existing = session.scalar(select(Product).where(Product.barcode == data.barcode))
        probe = Product(stock_on_hand=Decimal("0"))
        probe.id = existing.id if existing is not None else None
        _apply(session, probe, data)
        if existing is None and stock:
            check_stock(probe, stock, label="库存")


#: how long a batched import leaves SQLite's write lock free between batches (see _write_rows)
WRITER_GAP_SECONDS = 0.12


def _begin_write(session: Session) -> None:
    real = session() if isinstance(session, scoped_session) else session
    if session.get_bind().dialect.name == "sqlite" and not real.in_transaction():
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def _write_rows(session: Session, checked: list, report: ImportReport, *, actor,
                batch_seconds: float | None) -> None:
    """Write the checked rows: in the caller's transaction, or (``batch_seconds``) in batches the
    import commits itself. A row that fails here was changed by someone else after the check
    (the other rows of a batched import are kept; the report says which row failed)."""
    batch_started = None
    if batch_seconds is not None:
        session.commit()  # the checking read ends; nothing was written in it
    for number, barcode, data, stock in checked:
        if batch_seconds is not None and batch_started is None:
            _begin_write(session)
            batch_started = time.monotonic()
        try:
            with session.begin_nested():
                product = session.scalar(select(Product).where(Product.barcode == barcode))
                if product is None:
                    product = create_product(session, data, actor=actor)
                    if stock:
                        product.stock_on_hand = check_stock(product, stock, label="库存")
                    report.rows.append(RowResult(number, barcode, "created"))
                else:
                    changes = update_product(session, product, data, actor=actor)
                    report.rows.append(RowResult(number, barcode, "updated" if changes else "unchanged",
                                                 ", ".join(sorted(changes))))
        except DomainError as e:
            report.rows.append(RowResult(number, barcode, "error", e.message))
        if batch_started is not None and time.monotonic() - batch_started >= batch_seconds:
            session.commit()  # let the cash desk write
            batch_started = None
            # SQLite's busy handler of a waiting payment polls for the lock with sleeps of up to
            # 100 ms: leave the lock free a little longer than that, or the import takes it back
            # at once, batch after batch, and the payment waits for the whole import.
            if session.get_bind().dialect.name == "sqlite":
                time.sleep(WRITER_GAP_SECONDS)
    if batch_started is not None:
        session.commit()
