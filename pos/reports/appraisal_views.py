"""The manager's appraisal screens (绩效考核): the month with every person's measures and bonus, the
rules form, a person's sheet with the adjustments, approval, the A4 sheet and the payroll .xlsx; the year."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import nav
from ..errors import DomainError
from ..extensions import db
from ..shop import services as shop
from ..staff.models import Staff
from ..staff.permissions import roles_required
from ..text import parse_id
from ..web import go, pdf_response, transaction, xlsx_response
from . import appraisal

bp = Blueprint("appraisal", __name__, url_prefix="/reports/appraisal")

nav.register(nav.NavItem("appraisal.month", _l("Appraisal"), "manager", icon="staff", order=13, in_header=False))


def me() -> Staff:
    return current_user._get_current_object()


def _month_or_now(raw):
    """(month, error): a bad month shows this month with the message."""
    try:
        return appraisal.parse_month(db.session, raw), None
    except DomainError as e:
        return appraisal.parse_month(db.session, None), e


def _month_page(raw, status: int = 200, **extra):
    month, error = _month_or_now(raw)
    if error is not None:
        status, extra = error.status, {**extra, "error": error.message}
    a = appraisal.month_appraisal(db.session, month)
    r = appraisal.rules(db.session)
    return render_template("reports/appraisal.html", a=a, month=month, rules=r, names=appraisal.rule_names(),
                           values=extra.pop("typed_rules", None) or appraisal.rule_values(r),
                           over=month.last < shop.business_today(db.session), **extra), status


@bp.get("")
@roles_required("manager")
def month():
    return _month_page(request.args.get("month"))


@bp.get("/year")
@roles_required("manager")
def year():
    today = shop.business_today(db.session)
    raw = request.args.get("year") or str(today.year)
    number = parse_id(raw)
    error, status = None, 200
    try:
        a = appraisal.year_appraisal(db.session, number if number is not None else -1)
    except DomainError as e:
        error, status = e.message, e.status
        a = appraisal.year_appraisal(db.session, today.year)
    return render_template("reports/appraisal_year.html", a=a, year=a.first.year, error=error,
                           approved=appraisal.approved_months(db.session, a.first.year)), status


def _person(month_raw: str, staff_id: int):
    try:
        month = appraisal.parse_month(db.session, month_raw)
    except DomainError:
        abort(404)
    a = appraisal.month_appraisal(db.session, month)
    sheet = a.sheet_of(staff_id)
    if sheet is None:
        abort(404)
    return month, a, sheet


def _person_page(month_raw: str, staff_id: int, status: int = 200, **extra):
    month, a, sheet = _person(month_raw, staff_id)
    return render_template("reports/appraisal_person.html", a=a, month=month, s=sheet,
                           marks=sheet.marks(a.rules), **extra), status


@bp.get("/<month>/<int:staff_id>")
@roles_required("manager")
def person(month: str, staff_id: int):
    return _person_page(month, staff_id)


@bp.get("/<month>/<int:staff_id>.pdf")
@roles_required("manager")
def person_pdf(month: str, staff_id: int):
    the_month, a, sheet = _person(month, staff_id)
    return pdf_response("print/appraisal_a4.html", f"appraisal-{the_month}-{sheet.staff.staff_no}.pdf", a=a,
                        month=the_month, s=sheet, marks=sheet.marks(a.rules), page_size="A4",
                        shop_name=shop.shop_name(db.session))


@bp.post("/<month>/<int:staff_id>/adjust")
@roles_required("manager")
@transaction(refused=lambda e: _person_page(request.view_args["month"], request.view_args["staff_id"], e.status,
                                            error=e.message, typed=request.form))
def adjust(month: str, staff_id: int):
    the_month = appraisal.parse_month(db.session, month)
    appraisal.adjust(db.session, the_month, staff_id, request.form.get("amount", ""), request.form.get("reason", ""),
                     manager=me())
    flash(_("Bonus adjusted."), "success")
    return go(url_for("appraisal.person", month=str(the_month), staff_id=staff_id))


@bp.post("/<month>/approve")
@roles_required("manager")
@transaction(refused=lambda e: _month_page(request.view_args["month"], e.status, error=e.message))
def approve(month: str):
    the_month = appraisal.parse_month(db.session, month)
    appraisal.approve(db.session, the_month, manager=me())
    flash(_("The appraisal of %(month)s is approved and frozen.", month=str(the_month)), "success")
    return go(url_for("appraisal.month", month=str(the_month)))


@bp.post("/rules")
@roles_required("manager")
@transaction(refused=lambda e: _month_page(request.form.get("month"), e.status, error=e.message,
                                           typed_rules=request.form, error_field=e.field))
def set_rules():
    appraisal.set_rules(db.session, request.form, manager=me())
    flash(_("Appraisal thresholds and bonus rules saved."), "success")
    return go(url_for("appraisal.month", month=request.form.get("month") or None))


@bp.post("/<month>/payroll.xlsx")
@roles_required("manager")
@transaction(refused=lambda e: _month_page(request.view_args["month"], e.status, error=e.message))
def payroll(month: str):
    the_month = appraisal.parse_month(db.session, month)
    a = appraisal.month_appraisal(db.session, the_month)
    return xlsx_response(appraisal.payroll_xlsx(db.session, a, manager=me()), f"appraisal-{the_month}.xlsx")
