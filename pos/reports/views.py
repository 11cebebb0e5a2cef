"""The manager's desk: the day (日结) with its shifts, reviews, sign-off and Z report."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import nav
from ..cashier import services as cashier
from ..errors import DomainError
from ..extensions import db
from ..shop import services as shop
from ..staff.permissions import roles_required
from ..web import go, pdf_response
from . import services

bp = Blueprint("reports", __name__)

nav.register(nav.NavItem("reports.day", nav._l("Daily takings"), "manager", icon="chart", order=10))


def _day(raw: str | None) -> date:
    if not raw:
        return shop.business_today(db.session)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise DomainError(_("Not a date: %(value)s (use YYYY-MM-DD).", value=raw[:20])) from None


def _page(day: date, status: int = 200, **extra):
    return render_template("reports/day.html", s=services.day_summary(db.session, day),
                           summaries={sh.id: cashier.summarise(db.session, sh)
                                      for sh in services.shifts_of_day(db.session, day)}, **extra), status


@bp.get("/reports/day")
@roles_required("manager")
def day():
    return _page(_day(request.args.get("day")))


@bp.post("/reports/shifts/<int:shift_id>/review")
@roles_required("manager")
def review(shift_id: int):
    shift = cashier.get_shift(db.session, shift_id)
    day = shop.business_day(db.session, shift.opened_at)
    try:
        services.review_shift(db.session, shift, request.form.get("note", ""),
                              manager=current_user._get_current_object())
    except DomainError as e:
        db.session.rollback()
        return _page(day, e.status, error=e.message, error_shift=shift_id)
    db.session.commit()
    return go(url_for("reports.day", day=day.isoformat()))


@bp.post("/reports/day/<day>/sign-off")
@roles_required("manager")
def sign_off(day: str):
    the_day = _day(day)
    try:
        z = services.sign_off(db.session, the_day, manager=current_user._get_current_object(),
                              note=request.form.get("note", ""))
    except DomainError as e:
        db.session.rollback()
        return _page(the_day, e.status, error=e.message)
    db.session.commit()
    flash(_("%(day)s is signed off: Z report %(no)s.", day=the_day.isoformat(), no=f"Z{z.no:04d}"), "success")
    return go(url_for("reports.z_report", no=z.no))


@bp.get("/reports/z/<int:no>")
@roles_required("manager")
def z_report(no: int):
    z = services.get_z(db.session, no)
    return render_template("reports/z.html", z=z, s=services.day_summary(db.session, z.day))


@bp.post("/reports/z/<int:no>/print")
@roles_required("manager")
def z_print(no: int):
    from ..printers import services as printers
    from .printing import z_document

    z = services.get_z(db.session, no)
    document = z_document(services.day_summary(db.session, z.day), z, getattr(shop.showroom(db.session), "name", ""))
    job = printers.queue_from_screen(db.session, [(document, f"Z 报表 Z{z.no:04d}")], kind="z", ref=str(z.no),
                                     requested_by=current_user._get_current_object())
    return go(url_for("printers.preview", job_id=job.id))


@bp.get("/reports/z/<int:no>.pdf")
@roles_required("manager")
def z_pdf(no: int):
    z = services.get_z(db.session, no)
    return pdf_response("print/z_a4.html", f"z-{z.no:04d}.pdf", z=z, s=services.day_summary(db.session, z.day),
                        shop_name=getattr(shop.showroom(db.session), "name", ""), page_size="A4")
