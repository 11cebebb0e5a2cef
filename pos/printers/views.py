"""Printers (manager) and print jobs (cashier): status, failed and waiting jobs, retry,
reprint (重印), and the on-screen preview of any job."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from printing.documents import layout

from .. import nav
from ..errors import DomainError
from ..extensions import db
from ..qr import qr_svg
from ..shop import services as shop
from ..staff.permissions import background, roles_required
from ..web import go
from . import services

bp = Blueprint("printers", __name__)

nav.register(nav.NavItem("printers.manage", nav._l("Printers"), "manager", icon="printer", order=86))
nav.register(nav.NavItem("printers.jobs", nav._l("Print jobs"), "cashier", icon="printer", order=40,
                         in_header=False))

STATUS_LABELS = {"queued": nav._l("Waiting"), "printing": nav._l("Printing"), "done": nav._l("Printed"),
                 "failed": nav._l("Failed")}


@bp.app_context_processor
def printer_labels():
    return {"job_status_labels": STATUS_LABELS}


def _station_printer():
    from ..cashier.services import current_shift

    shift = current_shift(db.session, current_user._get_current_object())
    return services.printer_for(db.session, shift.station_id if shift else None)


# ------------------------------------------------------------------ cashier: jobs and status
@bp.get("/printers/status")
@roles_required("cashier")
@background
def status():
    """The printer badge on the cash desk (polled by htmx)."""
    printer = _station_printer()
    db.session.commit()
    return render_template("printers/_badge.html", printer=printer, problems=services.problems(db.session, printer))


@bp.get("/printers/jobs")
@roles_required("cashier")
def jobs():
    return _jobs_page()


def _jobs_page(status: int = 200, **extra):
    printer = None if "manager" in current_user.roles else _station_printer()
    db.session.commit()
    return render_template("printers/jobs.html", jobs=services.recent_jobs(
        db.session, printer, viewer=current_user._get_current_object()), printer=printer,
                           **extra), status


@bp.get("/printers/jobs/<int:job_id>")
@roles_required("cashier")
def preview(job_id: int):
    job = services.get_job(db.session, job_id, viewer=current_user._get_current_object())
    lines = layout(services.document_of(job), job.printer.paper_mm)
    return render_template("printers/preview.html", job=job, lines=lines, qr_svg=qr_svg)


@bp.post("/printers/jobs/<int:job_id>/retry")
@roles_required("cashier")
def retry(job_id: int):
    job = services.get_job(db.session, job_id, viewer=current_user._get_current_object())
    try:
        services.retry(db.session, job, actor=current_user._get_current_object())
    except DomainError as e:
        db.session.rollback()
        return _jobs_page(e.status, errors=[e.message])
    db.session.commit()
    flash(_("Sent to the printer again."), "success")
    return go(url_for("printers.jobs"))


@bp.post("/printers/jobs/<int:job_id>/reprint")
@roles_required("cashier")
def reprint(job_id: int):
    job = services.get_job(db.session, job_id, viewer=current_user._get_current_object())
    new = services.reprint(db.session, job, requested_by=current_user._get_current_object())
    db.session.commit()
    flash(_("Reprint queued (重印 %(n)d).", n=new.reprint_no), "success")
    return go(url_for("printers.preview", job_id=new.id))


# ------------------------------------------------------------------ manager: printers
def _form_values():
    f = request.form
    return {"name": f.get("name", ""), "connector": f.get("connector", ""), "address": f.get("address", ""),
            "paper_mm": f.get("paper_mm", ""), "native_qr": f.get("native_qr") == "1",
            "encoding": f.get("encoding", "gb18030"), "station_id": f.get("station_id") or None,
            "is_default": f.get("is_default") == "1", "active": f.get("active") == "1"}


@bp.route("/manage/printers", methods=["GET", "POST"])
@roles_required("manager")
def manage():
    if request.method == "GET":
        return render_template("printers/manage.html", printers=services.printers(db.session),
                               stations=shop.stations(db.session), values={"paper_mm": 80, "native_qr": True,
                                                                           "active": True, "connector": "network"})
    values = _form_values()
    try:
        printer = services.save_printer(db.session, None, actor=current_user._get_current_object(), **values)
    except DomainError as e:
        db.session.rollback()
        return render_template("printers/manage.html", printers=services.printers(db.session),
                               stations=shop.stations(db.session), values=values, error=e.message), e.status
    db.session.commit()
    flash(_("Printer %(name)s saved.", name=printer.name), "success")
    return go(url_for("printers.manage"))


@bp.route("/manage/printers/<int:printer_id>", methods=["GET", "POST"])
@roles_required("manager")
def edit(printer_id: int):
    printer = services.get_printer(db.session, printer_id)
    if request.method == "GET":
        values = {k: getattr(printer, k) for k in ("name", "connector", "address", "paper_mm", "native_qr",
                                                   "encoding", "station_id", "is_default", "active")}
        return render_template("printers/edit.html", printer=printer, stations=shop.stations(db.session),
                               values=values)
    values = _form_values()
    try:
        services.save_printer(db.session, printer, actor=current_user._get_current_object(), **values)
    except DomainError as e:
        db.session.rollback()
        return render_template("printers/edit.html", printer=services.get_printer(db.session, printer_id),
                               stations=shop.stations(db.session), values=values, error=e.message), e.status
    db.session.commit()
    flash(_("Printer %(name)s saved.", name=printer.name), "success")
    return go(url_for("printers.manage"))


@bp.post("/manage/printers/<int:printer_id>/test")
@roles_required("manager")
def test_print(printer_id: int):
    printer = services.get_printer(db.session, printer_id)
    job = services.enqueue(db.session, services.test_document(printer), kind="test", title=f"打印测试 {printer.name}",
                           printer=printer, requested_by=current_user._get_current_object())
    db.session.commit()
    flash(_("Test page queued for %(name)s.", name=printer.name), "success")
    return go(url_for("printers.preview", job_id=job.id))
