"""The manager's lead conversion (线索转化): leads registered in a period, converted and closed, by
channel and by person, with a chart (server-side SVG) and an .xlsx. Reports imports customers."""

from __future__ import annotations

import io
from datetime import timedelta

from flask import Blueprint, render_template
from flask_babel import gettext as _

from ..clock import local_day_bounds, local_today
from ..customers import leads
from ..extensions import db
from ..staff.permissions import roles_required
from ..web import day_arg, xlsx_response
from . import charts

bp = Blueprint("lead_report", __name__, url_prefix="/reports/leads")


def _period():
    errors: list[str] = []
    first = day_arg("from", errors) or (local_today() - timedelta(days=29))
    last = day_arg("to", errors) or local_today()
    if not errors and last < first:
        errors.append(_("The end of the period is before its start."))
    if not errors and (last - first).days > 366:
        errors.append(_("A period of at most one year."))
    return first, last, errors


def _rows(first, last):
    start, _end = local_day_bounds(first)
    _start, end = local_day_bounds(last)
    return leads.conversion(db.session, start, end)


@bp.get("/")
@roles_required("manager")
def conversion():
    first, last, errors = _period()
    if errors:
        return render_template("reports/lead_conversion.html", first=first, last=last, errors=errors,
                               by_channel=[], by_person=[], chart_channel="", chart_person=""), 422
    by_channel, by_person = _rows(first, last)

    def chart(rows, title):
        return charts.bars([(r.label, r.rate) for r in rows], title=title, shown_as=charts.percent) if rows else ""

    return render_template("reports/lead_conversion.html", first=first, last=last, errors=[],
                           by_channel=by_channel, by_person=by_person,
                           chart_channel=chart(by_channel, _("Conversion by channel")),
                           chart_person=chart(by_person, _("Conversion by person")))


@bp.get("/export.xlsx")
@roles_required("manager")
def export():
    from openpyxl import Workbook

    first, last, errors = _period()
    if errors:
        return render_template("reports/lead_conversion.html", first=first, last=last, errors=errors,
                               by_channel=[], by_person=[], chart_channel="", chart_person=""), 422
    by_channel, by_person = _rows(first, last)
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in ((_("By channel"), by_channel), (_("By person"), by_person)):
        ws = wb.create_sheet(title)
        ws.append([title, _("Leads"), _("Converted"), _("Closed"), _("Conversion rate") + " %"])
        for r in rows:
            ws.append([r.label, r.leads, r.converted, r.closed, r.rate])
    data = io.BytesIO()
    wb.save(data)
    data.seek(0)
    return xlsx_response(data, f"leads-{first}-{last}.xlsx")
