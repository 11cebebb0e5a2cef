"""Leads and follow-up screens (销售线索, 跟进): the agent's worklist (overdue, due today, later), a
new lead, one lead with its follow-up log, conversion and closing; the manager assigns."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import nav
from ..extensions import db
from ..staff.permissions import roles_required
from ..web import go, refuse_to_page, template_globals, transaction
from . import file as files
from . import leads
from .models import CHANNELS

bp = Blueprint("leads", __name__, url_prefix="/leads")

nav.register(nav.NavItem("leads.index", nav._l("Leads"), "clerk", icon="people", order=42))


def _due_for_me() -> int:
    if not current_user.is_authenticated:
        return 0
    return leads.due_count(db.session, current_user._get_current_object())


nav.register_waiting("leads.index", _due_for_me, nav._l("leads to contact today or overdue"))


def _home_lists():
    """The clerk's home: their own leads and follow-ups due today and overdue (10 each, oldest first)."""
    if not current_user.is_authenticated:
        return []
    due, overdue = leads.due_lists(db.session, _me())
    labels = {"lead": nav._l("Lead"), "follow_up": nav._l("Follow-up")}

    def rows(items):
        return [{"url": url_for("leads.lead", lead_id=d.id) if d.kind == "lead"
                 else url_for("customers.customer", customer_id=d.id),
                 "kind": d.kind, "what": labels[d.kind], "name": d.name, "phone": d.phone, "day": d.day}
                for d in items]

    return [("due-today", nav._l("To contact today"), rows(due)),
            ("overdue", nav._l("Overdue"), rows(overdue))]


nav.register_home_lists("clerk", _home_lists)


def _me():
    return current_user._get_current_object()


template_globals(bp, lead_kinds=leads.ACTIVITY_KINDS, lead_status=leads.STATUS_LABELS)


def _index(status: int = 200, **extra):
    me = _me()
    return render_template("customers/leads.html", work=leads.worklist(db.session, me), channels=CHANNELS,
                           agents=files.agents(db.session) if me.has_role("manager") else [],
                           everyone=leads.all_open(db.session) if me.has_role("manager") else [],
                           typed=extra.pop("typed", {}), **extra), status


@bp.get("/")
@roles_required("clerk")
def index():
    return _index()


@bp.post("/new")
@roles_required("clerk")
@transaction(refused=lambda e: _index(e.status, error=e.message, field=e.field, typed=request.form))
def new():
    f = request.form
    lead = leads.create_lead(db.session, actor=_me(), phone=f.get("phone", ""), name=f.get("name", ""),
                             want=f.get("want", ""), channel=f.get("channel", ""), campaign=f.get("campaign", ""),
                             assigned_to_id=f.get("assigned_to_id", ""), next_contact_on=f.get("next_contact_on", ""))
    if lead.for_known_customer:  # a lead for a customer on file is theirs: say so rather than reuse silently
        flash(_("Customer already on file: %(name)s; the lead is recorded under them.", name=lead.customer.name),
              "info")
    return go(url_for("leads.lead", lead_id=lead.id))


def _lead_page(lead_id, status: int = 200, **extra):
    me = _me()
    lead = leads.get_lead(db.session, lead_id, me)
    f = files.customer_file(db.session, lead.customer_id, me)
    return render_template("customers/lead.html", lead=lead, phone=f.phone,
                           agents=files.agents(db.session) if me.has_role("manager") else [],
                           typed=extra.pop("typed", {}), **extra), status


@bp.get("/<int:lead_id>")
@roles_required("clerk")
def lead(lead_id: int):
    return _lead_page(lead_id)


_refused = refuse_to_page(_lead_page, "lead_id")


@bp.post("/<int:lead_id>/follow-up")
@roles_required("clerk")
@transaction(refused=_refused)
def follow_up(lead_id: int):
    f = request.form
    leads.log_follow_up(db.session, lead_id, actor=_me(), kind=f.get("kind", ""), note=f.get("note", ""),
                        next_contact_on=f.get("next_contact_on", ""))
    return go(url_for("leads.lead", lead_id=lead_id))


@bp.post("/<int:lead_id>/convert")
@roles_required("clerk")
@transaction(refused=_refused)
def convert(lead_id: int):
    leads.convert(db.session, lead_id, actor=_me(), voucher_no=request.form.get("voucher_no", ""),
                  agreement_no=request.form.get("agreement_no", ""))
    return go(url_for("leads.lead", lead_id=lead_id))


@bp.post("/<int:lead_id>/close")
@roles_required("clerk")
@transaction(refused=_refused)
def close(lead_id: int):
    leads.close(db.session, lead_id, actor=_me(), reason=request.form.get("reason", ""))
    return go(url_for("leads.lead", lead_id=lead_id))


@bp.post("/<int:lead_id>/assign")
@roles_required("manager")
@transaction(refused=_refused)
def assign(lead_id: int):
    leads.reassign(db.session, lead_id, request.form.get("assigned_to_id", ""), actor=_me())
    return go(url_for("leads.lead", lead_id=lead_id))
