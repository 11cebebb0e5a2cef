"""Printers (manager) and print jobs (cashier): status, failed and waiting jobs, retry,
reprint (重印), and the on-screen preview of any job."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from printing.documents import layout

from .. import nav
from ..extensions import db
from ..qr import qr_svg
from ..shop import services as shop
from ..staff.permissions import background, roles_required
from ..web import go, refuse_with, template_globals, transaction
from . import STATION_OF, services

bp = Blueprint("printers", __name__)

nav.register(nav.NavItem("printers.manage", nav._l("Printers"), "manager", icon="printer", order=86,
                         in_header=False))
nav.register(nav.NavItem("printers.jobs", nav._l("Print jobs"), "cashier", icon="printer", order=40,
                         in_header=False))

STATUS_LABELS = {"queued": nav._l("Waiting"), "printing": nav._l("Printing"), "done": nav._l("Printed"),
                 "failed": nav._l("Failed")}


template_globals(bp, job_status_labels=STATUS_LABELS)


@bp.app_template_filter("receipt_cells")
def receipt_cells(text: str):
    """A printed line for the on-screen preview, column for column as the printer prints it: a
    character the printer gets as two bytes (Chinese, and ambiguous punctuation such as × — “ …)
    is a cell two columns wide, whatever the browser's font or punctuation squeezing would do."""
    from markupsafe import Markup, escape

    from printing.documents import char_width, clean

    out = []
    for ch in clean(text):
        out.append(f'<span class="w2">{escape(ch)}</span>' if char_width(ch) == 2 else str(escape(ch)))
    return Markup("".join(out))


def _station_id() -> int | None:
    """This cashier's station (the cashier domain tells, pos.printers.STATION_OF), or None."""
    station_of = current_app.extensions.get(STATION_OF, lambda session, person: None)
    return station_of(db.session, current_user._get_current_object())


def _station_printer():
    """The printer of this cashier's station as configured, or None before any printer exists
    (read only: the on-screen preview printer is made by the first print, not by a screen)."""
    return services.find_printer_for(db.session, _station_id())


# ------------------------------------------------------------------ cashier: jobs and status
@bp.get("/printers/status")
@roles_required("cashier")
@background
def status():
    """The printer badge on the cash desk (polled by htmx); it says when the spooler is silent."""
    return render_template("printers/_badge.html", **services.badge(db.session, _station_id()))


@bp.get("/printers/jobs")
@roles_required("cashier")
def jobs():
    return _jobs_page()


def _jobs_page(**extra):
    """The manager sees every printer's jobs; a cashier their station's printer's (none before it exists)."""
    every = "manager" in current_user.roles
    printer = None if every else _station_printer()
    jobs = (services.recent_jobs(db.session, printer, viewer=current_user._get_current_object())
            if every or printer is not None else [])
    return render_template("printers/jobs.html", jobs=jobs, printer=printer, **extra)


@bp.get("/printers/jobs/<int:job_id>")
@roles_required("cashier")
def preview(job_id: int):
    job = services.get_job(db.session, job_id, viewer=current_user._get_current_object())
    lines = layout(services.document_of(job), job.printer.paper_mm)
    return render_template("printers/preview.html", job=job, lines=lines, qr_svg=qr_svg)


@bp.post("/printers/jobs/<int:job_id>/retry")
@roles_required("cashier")
@transaction(refused=lambda e: _jobs_page(errors=[e.message]))
def retry(job_id: int):
    job = services.get_job(db.session, job_id, viewer=current_user._get_current_object())
    services.retry(db.session, job, actor=current_user._get_current_object())
    flash(_("Sent to the printer again."), "success")
    return go(url_for("printers.jobs"))


@bp.post("/printers/jobs/<int:job_id>/reprint")
@roles_required("cashier")
@transaction()
def reprint(job_id: int):
    job = services.get_job(db.session, job_id, viewer=current_user._get_current_object())
    new = services.reprint(db.session, job, requested_by=current_user._get_current_object())
    flash(_("Reprint queued (重印 %(n)d).", n=new.reprint_no), "success")
    return go(url_for("printers.preview", job_id=new.id))


# ------------------------------------------------------------------ manager: printers
def _form_values():
    f = request.form
    return {"name": f.get("name", ""), "connector": f.get("connector", ""), "address": f.get("address", ""),
            "paper_mm": f.get("paper_mm", ""), "native_qr": f.get("native_qr") == "1",
            "encoding": f.get("encoding", "gb18030"), "station_id": f.get("station_id") or None,
            "is_default": f.get("is_default") == "1", "active": f.get("active") == "1"}


@bp.get("/manage/printers")
@roles_required("manager")
def manage():
    return render_template("printers/manage.html", printers=services.printers(db.session),
                           stations=shop.stations(db.session), values={"paper_mm": 80, "native_qr": True,
                                                                       "active": True, "connector": "network"})


@bp.post("/manage/printers")
@roles_required("manager")
@transaction(refused=refuse_with("printers/manage.html", lambda: {
    "printers": services.printers(db.session), "stations": shop.stations(db.session), "values": _form_values()}))
def add():
    printer = services.save_printer(db.session, None, actor=current_user._get_current_object(), **_form_values())
    flash(_("Printer %(name)s saved.", name=printer.name), "success")
    return go(url_for("printers.manage"))


@bp.get("/manage/printers/<int:printer_id>")
@roles_required("manager")
def edit(printer_id: int):
    printer = services.get_printer(db.session, printer_id)
    values = {k: getattr(printer, k) for k in ("name", "connector", "address", "paper_mm", "native_qr",
                                               "encoding", "station_id", "is_default", "active")}
    return render_template("printers/edit.html", printer=printer, stations=shop.stations(db.session), values=values)


@bp.post("/manage/printers/<int:printer_id>")
@roles_required("manager")
@transaction(refused=refuse_with("printers/edit.html", lambda: {
    "printer": services.get_printer(db.session, request.view_args["printer_id"]),
    "stations": shop.stations(db.session), "values": _form_values()}))
def save(printer_id: int):
    printer = services.get_printer(db.session, printer_id)
    services.save_printer(db.session, printer, actor=current_user._get_current_object(), **_form_values())
    flash(_("Printer %(name)s saved.", name=printer.name), "success")
    return go(url_for("printers.manage"))


@bp.post("/manage/printers/<int:printer_id>/test")
@roles_required("manager")
@transaction()
def test_print(printer_id: int):
    printer = services.get_printer(db.session, printer_id)
    job = services.enqueue(db.session, services.test_document(printer), kind="test", title=f"打印测试 {printer.name}",
                           printer=printer, requested_by=current_user._get_current_object())
    flash(_("Test page queued for %(name)s.", name=printer.name), "success")
    return go(url_for("printers.preview", job_id=job.id))
