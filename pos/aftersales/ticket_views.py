"""After-sales ticket screens (售后服务单): the list (mine, or everyone's for the manager; by state;
overdue first), a new ticket from the customer's file choosing what they bought, the ticket page
with its history, the state change, photos, the dispatch slip, the refund of a return; the manager's
deadlines. The overdue tickets are on the manager's desk (their home) and the person in charge's."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import nav
from ..extensions import db
from ..staff.permissions import roles_required
from ..web import go, refuse_to_page, template_globals, transaction
from . import tickets
from .models import KINDS, STATES

bp = Blueprint("aftersales", __name__, url_prefix="/aftersales")

nav.register(nav.NavItem("aftersales.index", nav._l("After-sales tickets"), "clerk", icon="gear", order=45))
nav.register(nav.NavItem("aftersales.index", nav._l("After-sales tickets"), "manager", icon="gear", order=45))


def _me():
    return current_user._get_current_object()


def _overdue_for_me() -> int:
    if not current_user.is_authenticated:
        return 0
    me = _me()
    return tickets.overdue_count(db.session, None if me.has_role("manager") else me)


nav.register_waiting("aftersales.index", _overdue_for_me, nav._l("after-sales tickets overdue"))


def _home_lists(viewer_all: bool):
    def lists():
        if not current_user.is_authenticated:
            return []
        from ..clock import to_local

        rows = [{"url": url_for("aftersales.ticket", ticket_id=t.id), "kind": "ticket",
                 "what": f"{t.no} {tickets.KIND_NAMES[t.kind]}", "name": t.customer.name,
                 "phone": tickets.overdue_reason(t), "day": to_local(t.resolve_by).date()}
                for t in tickets.overdue(db.session, None if viewer_all else _me(), limit=10)]
        return [("tickets-overdue", nav._l("After-sales tickets overdue"), rows)] if rows or viewer_all else []
    return lists


nav.register_home_lists("manager", _home_lists(True))
nav.register_home_lists("clerk", _home_lists(False))


template_globals(bp, ticket_kinds=tickets.KIND_NAMES, ticket_states=tickets.STATE_NAMES)


# ------------------------------------------------------------------ the list
@bp.get("/tickets")
@roles_required("clerk")
def index():
    me = _me()
    state = request.args.get("state", "")
    state = state if state in STATES or state == "all" else ""
    everyone = me.has_role("manager") and request.args.get("who", "all") == "all"
    rows = tickets.ticket_list(db.session, me, state=state, everyone=everyone)
    return render_template("aftersales/tickets.html", rows=rows, state=state, everyone=everyone,
                           is_overdue=tickets.is_overdue, overdue_reason=tickets.overdue_reason, states=STATES)


# ------------------------------------------------------------------ a new ticket (from the customer's file)
def _new_page(customer_id, status: int = 200, **extra):
    from ..customers import file as files

    me = _me()
    f = files.customer_file(db.session, customer_id, me)
    return render_template("aftersales/ticket_new.html", c=f.customer, kinds=KINDS,
                           bought=tickets.purchases(db.session, f.customer.id),
                           people=files.agents(db.session) if me.has_role("manager") else [],
                           typed=extra.pop("typed", {}), **extra), status


@bp.get("/tickets/new/<int:customer_id>")
@roles_required("clerk")
def new(customer_id: int):
    return _new_page(customer_id, typed=request.args)


@bp.post("/tickets/new/<int:customer_id>")
@roles_required("clerk")
@transaction(refused=refuse_to_page(_new_page, "customer_id"))
def create(customer_id: int):
    f = request.form
    bought = tickets.split_bought(f.get("bought", ""))
    ticket = tickets.open_ticket(db.session, customer=customer_id, kind=f.get("kind", ""),
                                 description=f.get("description", ""), actor=_me(),
                                 assigned_to_id=f.get("assigned_to_id", ""), **bought)
    return go(url_for("aftersales.ticket", ticket_id=ticket.id))


# ------------------------------------------------------------------ one ticket
def _ticket_page(ticket_id, status: int = 200, **extra):
    from ..customers import file as files
    from ..customers.ownership import owner_of, shown_phone

    me = _me()
    t = tickets.get_ticket(db.session, ticket_id, me)
    return render_template(
        "aftersales/ticket.html", t=t, what=tickets.what_it_is(t), overdue=tickets.overdue_reason(t),
        may_change=tickets.may_change(db.session, t, me), next_states=tickets.TRANSITIONS[t.state],
        phone=shown_phone(me, t.customer, owner_of(db.session, t.customer_id)),
        refunds=tickets.refunds_to_record(db.session, t), slip_kinds=tickets.SLIP_FROM,
        people=files.agents(db.session) if me.has_role("manager") else [],
        typed=extra.pop("typed", {}), **extra), status


@bp.get("/tickets/<int:ticket_id>")
@roles_required("clerk")
def ticket(ticket_id: int):
    return _ticket_page(ticket_id)


_refused = refuse_to_page(_ticket_page, "ticket_id")


@bp.post("/tickets/<int:ticket_id>/state")
@roles_required("clerk")
@transaction(refused=_refused)
def change_state(ticket_id: int):
    tickets.change_state(db.session, ticket_id, request.form.get("state", ""), actor=_me(),
                         note=request.form.get("note", ""))
    return go(url_for("aftersales.ticket", ticket_id=ticket_id))


@bp.post("/tickets/<int:ticket_id>/assign")
@roles_required("manager")
@transaction(refused=_refused)
def assign(ticket_id: int):
    tickets.reassign(db.session, ticket_id, request.form.get("assigned_to_id", ""), actor=_me())
    return go(url_for("aftersales.ticket", ticket_id=ticket_id))


@bp.post("/tickets/<int:ticket_id>/photo")
@roles_required("clerk")
@transaction(refused=_refused)
def photo(ticket_id: int):
    upload = request.files.get("photo")
    tickets.add_photo(db.session, ticket_id, upload.stream if upload is not None and upload.filename else None,
                      actor=_me(), media_dir=current_app.config["POS_MEDIA_DIR"])
    return go(url_for("aftersales.ticket", ticket_id=ticket_id))


@bp.get("/photos/<int:photo_id>")
@roles_required("clerk")
def photo_file(photo_id: int):
    from pathlib import Path

    from ..errors import NotFound

    p = tickets.get_photo(db.session, photo_id, _me())
    path = Path(current_app.config["POS_MEDIA_DIR"]) / p.path
    if not path.is_file():  # the media folder was not restored with the database
        raise NotFound(_("The photo's file is missing from the media folder."))
    response = send_file(path, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/tickets/<int:ticket_id>/slip")
@roles_required("clerk")
@transaction(refused=_refused)
def slip(ticket_id: int):
    f = request.form
    tickets.make_slip(db.session, ticket_id, actor=_me(), address=f.get("address", ""), phone=f.get("phone", ""),
                      window_day=f.get("window_day", ""), window=f.get("window", ""), notes=f.get("notes", ""))
    return go(url_for("aftersales.ticket", ticket_id=ticket_id))


@bp.post("/tickets/<int:ticket_id>/refund")
@roles_required("clerk")
@transaction(refused=_refused)
def record_refund(ticket_id: int):
    tickets.record_refund(db.session, ticket_id, request.form.get("refund_id", ""), actor=_me())
    return go(url_for("aftersales.ticket", ticket_id=ticket_id))


# ------------------------------------------------------------------ the manager's deadlines
def _settings_page(status: int = 200, **extra):
    return render_template("aftersales/ticket_settings.html", kinds=KINDS, values=tickets.deadlines(db.session),
                           typed=extra.pop("typed", {}), **extra), status


@bp.get("/settings")
@roles_required("manager")
def settings():
    return _settings_page()


@bp.post("/settings")
@roles_required("manager")
@transaction(refused=lambda e: _settings_page(e.status, error=e.message, field=e.field, typed=request.form))
def save_settings():
    from flask import flash

    tickets.set_deadlines(db.session, request.form, actor=_me())
    flash(_("After-sales deadlines saved."), "success")
    return go(url_for("aftersales.settings"))
