"""Screens for price approvals on the manager's tablet (issue 15): the agent sends a request (unit,
asked price, reason); the manager's header shows how many wait (a badge the page refreshes by
itself); the manager approves or declines with a note; the agent's list shows the answer (also
refreshed by itself) and takes an approved price into the agreement form.

The routes hang on the sales office's blueprint (``property.…``)."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import nav
from ..dbtypes import utcnow
from ..errors import DomainError
from ..extensions import db
from ..staff.permissions import background, roles_required
from ..web import go, transaction
from . import price_requests, pricing, services
from .views import bp

# in the manager's header (before the board, which is then behind 更多): an agent waits with the customer
nav.register(nav.NavItem("property.price_requests", nav._l("Price approvals"), "manager", icon="receipt", order=39))
nav.register(nav.NavItem("property.price_requests", nav._l("My price requests"), "clerk", icon="receipt", order=42,
                         in_header=False))
nav.register_badge("property.price_requests", "property.price_requests_badge")
nav.register_waiting("property.price_requests", lambda: _waiting_for_me(),
                     nav._l("price requests waiting for your answer"))

POLL_SECONDS = 5


@bp.app_template_global("nav_badge")
def nav_badge(endpoint: str) -> str | None:
    """For the header: the polled count's endpoint of a header item, if it has one."""
    return nav.badge_for(endpoint)


def _me():
    return current_user._get_current_object()


def _waiting_for_me() -> int:
    me = _me()
    return price_requests.pending_count(db.session, viewer=me) if me.has_role("manager") else 0


def _context():
    me = _me()
    now = utcnow()
    manager = me.has_role("manager")
    pending = [r for r in price_requests.pending(db.session)] if manager else []
    mine = price_requests.recent(db.session, agent=None if manager else me)
    return {"pending": pending, "mine": mine, "now": now, "manager": manager, "state_of": price_requests.state_of,
            "states": price_requests.STATE_LABELS, "poll_seconds": POLL_SECONDS, "me": me,
            "valid_hours": price_requests.VALID_HOURS}


@bp.get("/price-requests", endpoint="price_requests")
@roles_required("clerk", "manager")
def price_requests_page(error=None, status=200):
    return render_template("property/price_requests.html", error=error, **_context()), status


@bp.get("/price-requests/list")
@roles_required("clerk", "manager")
@background
def price_requests_list():
    """The list again, asked by the open page every few seconds (the answers arrive by themselves)."""
    return render_template("property/_price_request_list.html", **_context())


@bp.get("/price-requests/badge")
@roles_required("manager")
@background
def price_requests_badge():
    """The header's count of requests waiting for a manager (not one's own), asked by the page."""
    n = price_requests.pending_count(db.session, viewer=_me())
    return render_template("property/_price_request_badge.html", n=n)


def _form_page(unit, typed, *, error=None, field=None, status=200):
    return render_template("property/price_request_form.html", unit=unit, line=pricing.current_line(db.session, unit),
                           typed=typed, error=error, field=field,
                           limit=unit.building.project.agent_discount_pct), status


@bp.get("/price-requests/new")
@roles_required("clerk")
def price_request_form():
    unit = services.get_unit(db.session, request.args.get("unit"))
    line = pricing.current_line(db.session, unit)
    return _form_page(unit, {"asked_total": str(line.floor_total if line else ""), "reason": ""})


def _request_refused(error: DomainError):
    unit = services.get_unit(db.session, request.args.get("unit"))
    typed = {"asked_total": request.form.get("asked_total", "")[:30], "reason": request.form.get("reason", "")[:200]}
    return _form_page(unit, typed, error=error.message, field=error.field, status=error.status)


@bp.post("/price-requests/new")
@roles_required("clerk")
@transaction(refused=_request_refused)
def price_request_create():
    req = price_requests.request_price(db.session, request.args.get("unit"), request.form.get("asked_total", ""),
                                       request.form.get("reason", ""), agent=_me())
    from flask import flash

    flash(_("Request sent: the manager sees it on their tablet."), "success")
    return go(url_for("property.price_requests", sent=req.id))


def _answer_refused(error: DomainError):
    return price_requests_page(error=error.message, status=error.status)


@bp.post("/price-requests/<int:request_id>/answer")
@roles_required("manager")
@transaction(refused=_answer_refused)
def price_request_answer(request_id: int):
    decision = request.form.get("decision", "")
    if decision not in ("approve", "decline"):
        raise DomainError(_("Approve or decline the request."), field="decision")
    price_requests.answer(db.session, request_id, manager=_me(), approve=decision == "approve",
                          note=request.form.get("note", ""))
    return go(url_for("property.price_requests"))
