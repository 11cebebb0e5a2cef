"""Visitor and caller registration, the agent's customers, follow-ups, and the manager's collision
queue (来访登记, 我的客户, 跟进, 撞单)."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import nav
from ..extensions import db, htmx
from ..staff.permissions import roles_required
from ..web import go, refuse_to_page, template_globals, transaction
from . import ownership as own
from .models import CHANNELS

bp = Blueprint("visitors", __name__, url_prefix="/visitors")

nav.register(nav.NavItem("visitors.index", nav._l("Visitors"), "clerk", icon="people", order=41))
nav.register(nav.NavItem("visitors.collisions", nav._l("Collisions"), "manager", icon="people", order=42))


def _me():
    return current_user._get_current_object()


template_globals(bp, channel_labels=own.CHANNEL_LABELS, follow_up_kinds=own.FOLLOW_UP_KINDS,
                 ruling_labels=own.RULINGS, mask_phone=own.mask_phone)


def _index(status: int = 200, q: str = "", **extra):
    return render_template("customers/visitors.html", mine=own.my_customers(db.session, _me()), channels=CHANNELS,
                           results=own.search_customers(db.session, q, _me()) if q else [], q=q, **extra), status


@bp.get("/")
@roles_required("clerk")
def index():
    return _index()


@bp.post("/search")
@roles_required("clerk")
def search():
    """Find a customer by name or the phone's last digits. A POST although it writes nothing: what is
    typed (a phone, a name) must not land in the address bar, the browser's history or the access log."""
    return _index(q=request.form.get("q", "").strip()[:40])


def _register_refused(e):
    return render_template("customers/_register.html", channels=CHANNELS, typed=request.form, error=e.message,
                           field=e.field), e.status


@bp.post("/register")
@roles_required("clerk")
@transaction(refused=_register_refused)
def register():
    form = request.form
    reg = own.register_visit(db.session, actor=_me(), phone=form.get("phone", ""), name=form.get("name", ""),
                             channel=form.get("channel", ""), needs_area=form.get("needs_area", ""),
                             needs_budget=form.get("needs_budget", ""), needs_layout=form.get("needs_layout", ""),
                             note=form.get("note", ""), referrer_phone=form.get("referrer_phone", ""))
    return render_template("customers/_register.html", channels=CHANNELS, reg=reg, typed={})


@bp.get("/customers/<int:customer_id>")
@roles_required("clerk")
def customer(customer_id: int):
    return _customer_page(customer_id)


def _customer_page(customer_id, status: int = 200, **extra):
    customer, ownership, mine, visits, follow_ups = own.customer_file(db.session, customer_id, _me())
    return render_template("customers/customer.html", customer=customer, ownership=ownership, mine=mine,
                           visits=visits, follow_ups=follow_ups,
                           phone=own.shown_phone(_me(), customer, ownership), **extra), status


@bp.post("/customers/<int:customer_id>/follow-ups")
@roles_required("clerk")
@transaction(refused=refuse_to_page(_customer_page, "customer_id", keep_field=False))
def follow_up(customer_id: int):
    own.add_follow_up(db.session, customer_id, actor=_me(), kind=request.form.get("kind", ""),
                      note=request.form.get("note", ""), next_on=request.form.get("next_on", ""))
    return go(url_for("visitors.customer", customer_id=customer_id))


@bp.get("/collisions")
@roles_required("manager")
def collisions():
    return _collisions()


def _collisions(status: int = 200, **extra):
    from sqlalchemy import select

    from ..staff.models import Staff, StaffRole

    agents = list(db.session.scalars(select(Staff).join(StaffRole).where(StaffRole.role == "clerk",
                                                                          Staff.active.is_(True))
                                     .order_by(Staff.staff_no)))
    return render_template("customers/collisions.html", pending=own.pending_collisions(db.session),
                           ruled=own.ruled_collisions(db.session), pool=own.pool(db.session), agents=agents,
                           **extra), status


@bp.post("/collisions/<int:collision_id>/rule")
@roles_required("manager")
@transaction(refused=lambda e: _collisions(e.status, error=e.message))
def rule(collision_id: int):
    own.rule_collision(db.session, collision_id, actor=_me(), ruling=request.form.get("ruling", ""),
                       note=request.form.get("note", ""), malicious_id=request.form.get("malicious_id"))
    if htmx:
        return _collisions(message=_("Ruling recorded."))
    return go(url_for("visitors.collisions"))


@bp.post("/pool/<int:customer_id>/reassign")
@roles_required("manager")
@transaction(refused=lambda e: _collisions(e.status, error=e.message))
def reassign(customer_id: int):
    own.reassign(db.session, customer_id, request.form.get("staff_id"), actor=_me())
    return _collisions(message=_("Customer reassigned."))


@bp.post("/export.xlsx")
@roles_required("manager")
@transaction()
def export():
    """Customer data leaves the building only through the manager, and the audit log says so (a POST:
    it writes the audit entry)."""
    from ..web import xlsx_response

    return xlsx_response(own.export_customers(db.session, actor=_me()), "customers.xlsx")


@bp.post("/customers/<int:customer_id>/household")
@roles_required("clerk")
@transaction(refused=refuse_to_page(_customer_page, "customer_id", keep_field=False))
def household(customer_id: int):
    own.link_household(db.session, customer_id, request.form.get("head_phone", ""), actor=_me(),
                       relation=request.form.get("relation", ""))
    return go(url_for("visitors.customer", customer_id=customer_id))
