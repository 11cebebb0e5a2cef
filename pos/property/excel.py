"""A building's units as an Excel workbook (.xlsx): export, and import with a row-by-row report.
An import with any bad row saves nothing (the caller rolls back when ``report.errors``)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit.services import record
from ..catalog.excel import cell_text, check_workbook_size, not_xlsx, sheet_rows
from ..errors import DomainError
from . import services
from .models import BY_GROSS, BY_INNER, PER_UNIT, Building, Unit

COLUMNS = ["房号", "楼层", "户位", "户型", "朝向", "建筑面积", "套内面积", "分摊面积", "计价方式", "单价", "总价",
           "状态"]
BASIS_NAMES = {BY_GROSS: "建筑面积", BY_INNER: "套内面积", PER_UNIT: "按套"}
BASIS_BY_NAME = {**{v: k for k, v in BASIS_NAMES.items()}, **{k: k for k in BASIS_NAMES}, "": BY_GROSS}
MAX_UNITS = 5000


@dataclass
class RowResult:
    row: int
    number: str
    outcome: str  # created | error
    message: str = ""


@dataclass
class ImportReport:
    rows: list[RowResult] = field(default_factory=list)

    @property
    def errors(self) -> list[RowResult]:
        return [r for r in self.rows if r.outcome == "error"]

    @property
    def created(self) -> int:
        return sum(1 for r in self.rows if r.outcome == "created")


def export_units(session: Session, building: Building) -> io.BytesIO:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(building.name[:31] or "units")
    ws.append(COLUMNS)
    for u in session.scalars(select(Unit).where(Unit.building_id == building.id)
                             .order_by(Unit.floor.desc(), Unit.stack)):
        ws.append([u.number, u.floor, u.stack, u.layout, u.orientation, f"{u.gross_area}", f"{u.inner_area}",
                   f"{u.shared_area}", BASIS_NAMES[u.pricing_basis], f"{u.list_unit_price:.2f}",
                   f"{u.list_total:.2f}", str(services.STATUS_LABELS[services.shown_status(u)])])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def import_units(session: Session, building: Building, stream, *, actor) -> ImportReport:
    """Add the workbook's units to ``building`` (new units, not for sale until released). Every row
    is checked by the same rules as a unit typed in; a total given in the file must match the price
    times the area. The caller commits only when ``report.errors`` is empty."""
    services._require_manager(actor)
    check_workbook_size(stream)
    try:
        wb = load_workbook(stream, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError, TypeError,
            AttributeError, IndexError):
        raise not_xlsx() from None
    report = ImportReport()
    try:
        rows = sheet_rows(wb.worksheets[0]) if wb.worksheets else iter(())
        header = next(rows, None)
        if header is None or [cell_text(h) for h in header[:3]] != COLUMNS[:3]:
            raise DomainError(_("The first row must be the column headers: %(cols)s.", cols=", ".join(COLUMNS)))
        for index, values in enumerate(rows, start=2):
            cells = [cell_text(v) for v in values] + [""] * len(COLUMNS)
            if not any(cells[:11]):
                continue
            if len(report.rows) >= MAX_UNITS:
                raise DomainError(_("At most %(n)d units in one import.", n=MAX_UNITS))
            report.rows.append(_import_row(session, building, index, cells, actor))
    finally:
        wb.close()
    if not report.rows:
        raise DomainError(_("The workbook has no units in it."))
    if not report.errors:
        record(session, "property.unit_added", actor=actor, record=building,
               summary=f"{building.name}: {report.created} units imported")
    return report


def _import_row(session: Session, building: Building, index: int, cells: list[str], actor) -> RowResult:
    number = cells[0]
    try:
        basis = BASIS_BY_NAME.get(cells[8])
        if basis is None:
            raise DomainError(_("计价方式 must be 建筑面积, 套内面积 or 按套, not %(value)s.", value=cells[8][:10]))
        with session.begin_nested():
            unit = services.add_unit(session, building, number=number, floor=cells[1], stack=cells[2],
                                     layout=cells[3], orientation=cells[4], gross_area=cells[5],
                                     inner_area=cells[6], shared_area=cells[7] or None, pricing_basis=basis,
                                     unit_price=cells[9], actor=actor, audit=False)
            if cells[10] and services.parse_price(cells[10], _("total price")) != unit.list_total:
                raise DomainError(_("The total %(given)s is not the unit price × the area (%(total)s).",
                                    given=cells[10], total=unit.list_total))
    except DomainError as e:
        return RowResult(index, number, "error", e.message)
    return RowResult(index, unit.number, "created")
