"""Units as .xlsx: export, and an all-or-nothing import with a row report."""

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from pos.errors import DomainError, Forbidden
from pos.property import excel, services
from pos.property.models import Unit
from tests.conftest import login_as
from tests.helpers import row_counts, text

pytestmark = pytest.mark.usefixtures("english")


def _book(rows, header=excel.COLUMNS):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def _units(session, building):
    return session.scalar(select(func.count(Unit.id)).where(Unit.building_id == building.id))


def test_export_then_import_into_an_empty_building_gives_the_same_units(session, project, b1, manager):
    exported = excel.export_units(session, b1)
    sheet = load_workbook(exported).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == excel.COLUMNS and len(rows) == 73 and rows[1][0] == "1801"
    exported.seek(0)
    copy = services.create_building(session, project, "1号楼（复制）", 18, 4, actor=manager)
    report = excel.import_units(session, copy, exported, actor=manager)
    assert report.errors == [] and report.created == 72
    a = {u.number: (u.gross_area, u.inner_area, u.list_total) for u in b1.units}
    b = {u.number: (u.gross_area, u.inner_area, u.list_total)
         for u in session.scalars(select(Unit).where(Unit.building_id == copy.id))}
    assert a == b


def test_a_bad_row_is_reported_and_the_caller_saves_nothing(session, project, manager):
    building = services.create_building(session, project, "3号楼", 2, 2, actor=manager)
    report = excel.import_units(session, building, _book([
        ["101", 1, 1, "两室", "南", "90.00", "70.00", "20.00", "建筑面积", "20000", "1800000.00"],
        ["102", 1, 2, "两室", "南", "90.00", "70.00", "19.00", "建筑面积", "20000", ""],  # 70 + 19 ≠ 90
        ["101", 2, 1, "两室", "南", "90.00", "70.00", "", "建筑面积", "20000", ""],  # duplicate number
        ["201", 2, 2, "两室", "南", "90.00", "70.00", "", "按面积", "20000", ""],  # unknown basis
        ["202", 2, 1, "两室", "南", "90.00", "70.00", "", "建筑面积", "20000", "1.00"],  # wrong total
    ]), actor=manager)
    assert [(r.row, r.outcome) for r in report.rows] == [(2, "created"), (3, "error"), (4, "error"), (5, "error"),
                                                         (6, "error")]
    assert "must equal" in report.rows[1].message and "already has a unit 101" in report.rows[2].message


def test_not_a_workbook_and_wrong_headers(session, project, manager, agent):
    building = services.create_building(session, project, "4号楼", 2, 2, actor=manager)
    with pytest.raises(DomainError, match="not an Excel"):
        excel.import_units(session, building, io.BytesIO(b"hello"), actor=manager)
    with pytest.raises(DomainError, match="column headers"):
        excel.import_units(session, building, _book([], header=["a", "b", "c"]), actor=manager)
    with pytest.raises(Forbidden):
        excel.import_units(session, building, _book([]), actor=agent)


def test_import_through_the_web_is_all_or_nothing(client, session, project, manager):
    building = services.create_building(session, project, "5号楼", 2, 2, actor=manager)
    session.commit()
    login_as(client, "M001")
    before = row_counts(session)
    bad = _book([["101", 1, 1, "两室", "南", "90", "70", "", "建筑面积", "20000", ""],
                 ["102", 1, 2, "两室", "南", "0", "0", "", "建筑面积", "20000", ""]])
    resp = client.post(f"/property/buildings/{building.id}/import", data={"file": (bad, "units.xlsx")},
                       content_type="multipart/form-data")
    assert resp.status_code == 422 and 'data-testid="import-report"' in text(resp)
    assert row_counts(session) == before
    good = _book([["101", 1, 1, "两室", "南", "90", "70", "", "建筑面积", "20000", ""]])
    resp = client.post(f"/property/buildings/{building.id}/import", data={"file": (good, "units.xlsx")},
                       content_type="multipart/form-data")
    assert resp.status_code == 200
    assert _units(session, building) == 1
    resp = client.get(f"/property/buildings/{building.id}/units.xlsx")
    assert resp.status_code == 200 and resp.data[:2] == b"PK"
    login_as(client, "C001")
    assert client.get(f"/property/buildings/{building.id}/units.xlsx").status_code == 403
