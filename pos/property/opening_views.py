"""Queue numbers and the opening-day screens: the queue, the selection desk and the big screen."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..staff.permissions import background, roles_required
from ..web import go, refuse_to_page, transaction
from . import opening, services

bp = Blueprint("opening", __name__, url_prefix="/property")


def _me():
    return current_user._get_current_object()


def _queue_page(project_id, status: int = 200, **extra):
    project = services.get_project(db.session, project_id)
    return render_template("property/queue.html", project=project,
                           tickets=opening.tickets(db.session, project, with_units=True),
                           current=opening.current_session(db.session, project), labels=opening.TICKET_LABELS,
                           **extra), status


@bp.get("/projects/<int:project_id>/queue")
@roles_required("clerk")
def queue(project_id: int):
    return _queue_page(project_id)


@bp.post("/projects/<int:project_id>/queue")
@roles_required("clerk")
@transaction(refused=refuse_to_page(_queue_page, "project_id", keep_field=False))
def issue(project_id: int):
    project = services.get_project(db.session, project_id)
    ticket = opening.issue_ticket(db.session, project, actor=_me(), phone=request.form.get("phone", ""),
                                  name=request.form.get("name", ""), fee=request.form.get("fee", "0"))
    return _queue_page(project_id, message=_("Queue number %(no)d issued to %(name)s.", no=ticket.number,
                                             name=ticket.customer_name))


@bp.post("/projects/<int:project_id>/opening")
@roles_required("manager")
@transaction(refused=lambda e: _queue_page(request.view_args["project_id"], e.status, error=e.message))
def open_session(project_id: int):
    project = services.get_project(db.session, project_id)
    sel = opening.open_session(db.session, project, actor=_me(), call_window=request.form.get("call_window", "1"))
    return go(url_for("opening.desk", session_id=sel.id))


def _desk(session_id, status: int = 200, **extra):
    """The selection desk. An htmx answer (after a choice) carries only the called and skipped
    numbers — what the agent needs next — not the whole queue, so a choice stays cheap."""
    from ..extensions import htmx

    sel = opening.get_session(db.session, session_id)
    return render_template("property/_desk.html" if htmx else "property/opening.html", sel=sel,
                           called=opening.called(db.session, sel),
                           tickets=opening.skipped(db.session, sel), labels=opening.TICKET_LABELS,
                           queue=None if htmx else opening.tickets(db.session, sel.project, with_units=True),
                           **extra), status


@bp.get("/opening/<int:session_id>")
@roles_required("clerk")
def desk(session_id: int):
    return _desk(session_id)


_desk_refused = refuse_to_page(_desk, "session_id", keep_field=False)


@bp.post("/opening/<int:session_id>/choose")
@roles_required("clerk")
@transaction(refused=_desk_refused)
def choose(session_id: int):
    sel = opening.get_session(db.session, session_id)
    if request.form.get("unit_id"):  # tapped on the board
        unit = services.get_unit(db.session, request.form["unit_id"])
    else:  # typed: building and unit number
        unit = opening.find_unit(db.session, sel.project_id, request.form.get("building_id", ""),
                                 request.form.get("number", ""))
    ticket = opening.choose(db.session, sel, request.form.get("ticket_id", ""), unit.id, actor=_me())
    return _desk(session_id, message=_("Queue number %(no)d: unit %(unit)s is held for %(name)s.",
                                       no=ticket.number, unit=unit.number, name=ticket.customer_name))


@bp.post("/opening/<int:session_id>/tickets/<int:ticket_id>/skip")
@roles_required("manager")
@transaction(refused=_desk_refused)
def skip(session_id: int, ticket_id: int):
    opening.skip(db.session, opening.get_session(db.session, session_id), ticket_id, actor=_me())
    return _desk(session_id)


@bp.post("/opening/<int:session_id>/tickets/<int:ticket_id>/recall")
@roles_required("manager")
@transaction(refused=_desk_refused)
def recall(session_id: int, ticket_id: int):
    opening.recall(db.session, opening.get_session(db.session, session_id), ticket_id, actor=_me())
    return _desk(session_id)


@bp.post("/opening/<int:session_id>/close")
@roles_required("manager")
@transaction(refused=_desk_refused)
def close(session_id: int):
    opening.close_session(db.session, opening.get_session(db.session, session_id), actor=_me())
    return _desk(session_id, message=_("The selection session is closed."))


@bp.get("/opening/<int:session_id>/screen")
@roles_required("clerk")
def screen(session_id: int):
    """The big screen in the sales hall: the numbers called now, refreshed every 1.5 s (``screen_poll``)."""
    return _screen(session_id)


@bp.get("/opening/<int:session_id>/screen/poll")
@roles_required("clerk")
@background
def screen_poll(session_id: int):
    """The big screen's own 1.5 s refresh: not the person's activity, so it never defeats the idle logout."""
    return _screen(session_id)


def _screen(session_id: int):
    sel = opening.get_session(db.session, session_id)
    return render_template("property/screen.html", sel=sel, called=opening.called(db.session, sel),
                           chosen=[t for t in opening.tickets(db.session, sel.project) if t.status == "chosen"][-8:])
