"""The manager's desk: the day (日结) with its shifts, reviews, sign-off and Z report."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import nav
from ..cashier import services as cashier
from ..errors import DomainError
from ..extensions import db, refresh_statistics
from ..shop import services as shop
from ..staff.permissions import roles_required
from ..text import parse_day
from ..web import day_arg, go, pdf_response, transaction, xlsx_response
from . import charts, quotas, signoff, waiting  # noqa: F401  (waiting: what waits for the manager, on the home)
from . import dashboard as boards

bp = Blueprint("reports", __name__)

nav.register(nav.NavItem("reports.day", nav._l("Daily takings"), "manager", icon="receipt", order=10))
nav.register(nav.NavItem("reports.dashboard", nav._l("Dashboard"), "manager", icon="chart", order=11))
nav.register(nav.NavItem("reports.quotas", nav._l("Quotas"), "manager", icon="staff", order=12, in_header=False))


def _day(raw: str | None) -> date:
    if not raw:
        return shop.business_today(db.session)
    return parse_day(raw, label=_("Day"))  # 0001-01-01 / 9999-12-31 would overflow the day's arithmetic


def _page(day: date, **extra):
    return render_template("reports/day.html", s=signoff.day_summary(db.session, day),
                           summaries={sh.id: cashier.summarise(db.session, sh)
                                      for sh in signoff.shifts_of_day(db.session, day)}, **extra)


@bp.get("/reports/day")
@roles_required("manager")
def day():
    return _page(_day(request.args.get("day")))


def _shift_day(shift_id: int) -> date:
    return shop.business_day(db.session, cashier.get_shift(db.session, shift_id).opened_at)


@bp.post("/reports/shifts/<int:shift_id>/review")
@roles_required("manager")
@transaction(refused=lambda e: _page(_shift_day(request.view_args["shift_id"]), error=e.message,
                                     error_shift=request.view_args["shift_id"]))
def review(shift_id: int):
    shift = cashier.get_shift(db.session, shift_id)
    day = shop.business_day(db.session, shift.opened_at)
    signoff.review_shift(db.session, shift, request.form.get("note", ""), manager=current_user._get_current_object())
    return go(url_for("reports.day", day=day.isoformat()))


@bp.post("/reports/day/<day>/sign-off")
@roles_required("manager")
@transaction(refused=lambda e: _page(_day(request.view_args["day"]), error=e.message))
def sign_off(day: str):
    the_day = _day(day)
    z = signoff.sign_off(db.session, the_day, manager=current_user._get_current_object(),
                          note=request.form.get("note", ""))
    refresh_statistics(db.session)  # once a day, so SQLite's planner knows how the tables have grown
    flash(_("%(day)s is signed off: Z report %(no)s.", day=the_day.isoformat(), no=f"Z{z.no:04d}"), "success")
    return go(url_for("reports.z_report", no=z.no))


@bp.get("/reports/z/<int:no>")
@roles_required("manager")
def z_report(no: int):
    z = signoff.get_z(db.session, no)
    return render_template("reports/z.html", z=z, s=signoff.day_summary(db.session, z.day))


@bp.post("/reports/z/<int:no>/print")
@roles_required("manager")
@transaction()
def z_print(no: int):
    from ..printers import services as printers
    from .documents import z_document

    z = signoff.get_z(db.session, no)
    document = z_document(signoff.day_summary(db.session, z.day), z, shop.shop_name(db.session))
    job = printers.queue_from_screen(db.session, [(document, f"Z 报表 Z{z.no:04d}")], kind="z", ref=str(z.no),
                                     requested_by=current_user._get_current_object())
    return go(url_for("printers.preview", job_id=job.id))


@bp.get("/reports/z/<int:no>.pdf")
@roles_required("manager")
def z_pdf(no: int):
    z = signoff.get_z(db.session, no)
    return pdf_response("print/z_a4.html", f"z-{z.no:04d}.pdf", z=z, s=signoff.day_summary(db.session, z.day),
                        shop_name=shop.shop_name(db.session), page_size="A4")


# ------------------------------------------------------------------ dashboard
def _board_from_args():
    """The dashboard the query asks for, or (None, errors) when the filters are wrong."""
    errors: list[str] = []
    first, last = day_arg("first", errors), day_arg("last", errors)
    if errors:
        return None, errors
    try:
        first, last = boards.parse_range(db.session, first, last, request.args.get("days"))
        room = boards.showroom_arg(db.session, request.args.get("showroom"))
    except DomainError as e:
        return None, [e.message]
    return boards.build(db.session, first, last, room), []


def _chart_svgs(board) -> dict:
    names = boards.titles()
    every = max(1, board.days // 15)
    return {
        "daily": charts.columns([(r.label[5:], r.amount) for r in board.daily], title=names["daily"], every=every),
        "hourly": charts.columns([(r.label, r.amount) for r in board.hourly], title=names["hourly"]),
        "products": charts.bars([(r.label, r.amount) for r in board.products], title=names["products"]),
        "clerks": charts.bars([(r.label, r.amount) for r in board.clerks], title=names["clerks"]),
        "tenders": charts.bars([(r.label, r.amount) for r in board.tenders], title=names["tenders"]),
    }


def _refused_filters(errors: list[str]):
    return render_template("reports/dashboard.html", board=None, errors=errors, args=request.args,
                           quick=boards.QUICK_RANGES), 422


@bp.get("/reports/dashboard")
@roles_required("manager")
def dashboard():
    board, errors = _board_from_args()
    if board is None:
        return _refused_filters(errors)
    from . import appraisal

    compare = appraisal.comparisons(db.session, board.first, board.last,
                                    board.showroom.id if board.showroom is not None else None, board.total)
    return render_template("reports/dashboard.html", board=board, svgs=_chart_svgs(board), errors=[],
                           args=request.args, quick=boards.QUICK_RANGES, titles=boards.titles(),
                           headers=boards.headers(), tables=boards.TABLES, rows=boards.table_rows, compare=compare)


@bp.get("/reports/dashboard.xlsx")
@roles_required("manager")
def dashboard_xlsx():
    board, errors = _board_from_args()
    table = request.args.get("table", "all")
    if board is None or (table != "all" and table not in boards.TABLES):
        return _refused_filters(errors or [_("No such table: %(name)s.", name=table[:20])])
    tables = boards.TABLES if table == "all" else (table,)
    name = f"takings-{board.first.isoformat()}-{board.last.isoformat()}{'' if table == 'all' else '-' + table}.xlsx"
    return xlsx_response(boards.to_xlsx(board, tables), name)


# ------------------------------------------------------------------ quotas
def _quota_page(month_raw: str | None, status: int = 200, **extra):
    try:
        month = quotas.parse_month(db.session, month_raw)
    except DomainError as e:
        month, status, extra = quotas.parse_month(db.session, None), e.status, {**extra, "error": e.message}
    board = quotas.board(db.session, month)
    return render_template("reports/quotas.html", board=board, month=month, chart=_quota_chart(board),
                           **extra), status


def _quota_chart(board):
    with_target = [r for r in board.rows if r.achievement is not None]
    if with_target:
        return charts.bars([(r.staff.full_name, r.achievement) for r in with_target], title=_("Target reached"),
                           shown_as=charts.percent, mark=board.thresholds.achievement)
    return charts.bars([(r.staff.full_name, r.achieved) for r in board.rows], title=_("Achieved"))


@bp.get("/reports/quotas.xlsx")
@roles_required("manager")
def quotas_xlsx():
    try:
        month = quotas.parse_month(db.session, request.args.get("month"))
    except DomainError as e:
        return _quota_page(None, 422, error=e.message)
    return xlsx_response(quotas.to_xlsx(quotas.board(db.session, month)), f"quotas-{month}.xlsx")


@bp.get("/reports/quotas")
@roles_required("manager")
def quotas_board():
    return _quota_page(request.args.get("month"))


@bp.post("/reports/quotas/<month>/<int:staff_id>")
@roles_required("manager")
@transaction(refused=lambda e: _quota_page(request.view_args["month"], e.status, error=e.message,
                                           error_staff=request.view_args["staff_id"], typed=request.form))
def set_quota(month: str, staff_id: int):
    form = request.form
    quotas.set_quota(db.session, staff_id, quotas.parse_month(db.session, month), form.get("amount", ""),
                     form.get("units", ""), manager=current_user._get_current_object())
    return go(url_for("reports.quotas_board", month=month))


@bp.post("/reports/quotas/thresholds")
@roles_required("manager")
@transaction(refused=lambda e: _quota_page(request.form.get("month"), e.status, error=e.message,
                                           typed_kpi=request.form))
def set_thresholds():
    form = request.form
    quotas.set_thresholds(db.session, form.get("achievement", ""), form.get("collection_rate", ""),
                          form.get("new_customers", ""), manager=current_user._get_current_object())
    flash(_("KPI thresholds saved."), "success")
    return go(url_for("reports.quotas_board", month=form.get("month")))
