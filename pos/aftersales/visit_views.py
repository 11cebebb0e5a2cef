"""Return visit screens (回访): the person's list, one visit with its call script and result, the home's
due lists; the manager's satisfaction report (满意度) with the settings it depends on."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock, nav
from ..audit.services import record
from ..extensions import db
from ..staff.permissions import roles_required
from ..web import day_arg, go, refuse_to_page, template_globals, transaction
from . import survey, visits
from .visit_models import RATINGS

bp = Blueprint("visits", __name__, url_prefix="/aftersales")

nav.register(nav.NavItem("visits.index", nav._l("Return visits"), "clerk", icon="phone", order=44))
nav.register(nav.NavItem("visits.satisfaction", nav._l("Customer satisfaction"), "manager", icon="chart", order=48,
                         in_header=False))


def _me():
    return current_user._get_current_object()


def _due_for_me() -> int:
    if not current_user.is_authenticated:
        return 0
    return visits.due_count(db.session, _me())


nav.register_waiting("visits.index", _due_for_me, nav._l("return visits due today or overdue"))


def _home_lists():
    """The clerk's (and manager's) home: their return visits due today and overdue (ten each, oldest first)."""
    if not current_user.is_authenticated:
        return []
    due, overdue = visits.due_lists(db.session, _me())
    what = nav._l("Return visit")

    def rows(items):
        return [{"url": url_for("visits.visit", visit_id=v.id), "kind": "return_visit", "what": what,
                 "name": v.customer.name, "phone": visits.REASON_LABELS.get(v.reason, v.reason), "day": v.due_on}
                for v in items]

    return [("visits-due-today", nav._l("Return visits due today"), rows(due)),
            ("visits-overdue", nav._l("Return visits overdue"), rows(overdue))]


nav.register_home_lists("clerk", _home_lists)
nav.register_home_lists("manager", _home_lists)  # a manager who sells has visits to make too


def ticket_url(ticket) -> str | None:
    """A ticket's page (the tickets' screens may not be there yet: then no link)."""
    from werkzeug.routing import BuildError

    try:
        return url_for("aftersales.ticket", ticket_id=ticket.id)
    except BuildError:
        return None


template_globals(bp, rating_labels=visits.RATING_LABELS, visit_reasons=visits.REASON_LABELS,
                 visit_states=visits.STATE_LABELS, ticket_url=ticket_url)


@bp.get("/visits")
@roles_required("clerk")
def index():
    me = _me()
    today = clock.local_today()
    rows = visits.open_visits(db.session, me)
    return render_template("aftersales/visits.html", today=today,
                           overdue=[v for v in rows if v.due_on < today],
                           due=[v for v in rows if v.due_on == today],
                           later=[v for v in rows if v.due_on > today],
                           done=visits.recent_done(db.session, me), everyone=me.has_role("manager"))


def _visit_page(visit_id, status: int = 200, **extra):
    me = _me()
    visit = visits.get_visit(db.session, visit_id, me)
    script = visits.call_script(db.session, visit, me)
    tomorrow = clock.local_today() + timedelta(days=1)
    return render_template("aftersales/visit.html", s=script, v=visit, ratings=RATINGS, tomorrow=tomorrow,
                           typed=extra.pop("typed", {}), **extra), status


@bp.get("/visits/<int:visit_id>")
@roles_required("clerk")
def visit(visit_id: int):
    return _visit_page(visit_id)


@bp.post("/visits/<int:visit_id>/result")
@roles_required("clerk")
@transaction(refused=refuse_to_page(_visit_page, "visit_id"))
def result(visit_id: int):
    f = request.form
    v = visits.record_result(db.session, visit_id, actor=_me(), outcome=f.get("outcome", ""),
                             comment=f.get("comment", ""), retry_on=f.get("retry_on", ""))
    if v.state == "open":
        flash(_("Not reached: the visit comes back on %(day)s.", day=v.due_on.isoformat()), "info")
    else:
        flash(_("Return visit recorded."), "success")
    return go(url_for("visits.visit", visit_id=visit_id))


# ------------------------------------------------------------------ the manager's report
def _period(errors: list[str]):
    today = clock.local_today()
    start = day_arg("start", errors) or today.replace(day=1)
    end = day_arg("end", errors) or today
    if end < start:
        errors.append(_("The period ends before it starts."))
        start, end = end, start
    return start, end


def _report_page(status: int = 200, **extra):
    errors: list[str] = list(extra.pop("errors", []))
    start, end = _period(errors)
    since, _x = clock.local_day_bounds(start)
    _y, until = clock.local_day_bounds(end)
    report = visits.satisfaction_report(db.session, since, until)
    typed = extra.pop("typed", {})
    return render_template("aftersales/visit_report.html", r=report, start=start, end=end, errors=errors,
                           days=typed.get("return_visit_days", visits.return_visit_days(db.session)),
                           base_url=typed.get("survey_base_url", survey.base_url(db.session)), **extra), (
        422 if errors and status == 200 else status)


@bp.get("/satisfaction")
@roles_required("manager")
def satisfaction():
    return _report_page()


@bp.post("/satisfaction/settings")
@roles_required("manager")
@transaction(refused=lambda e: _report_page(e.status, error=e.message, field=e.field, typed=request.form))
def satisfaction_settings():
    days = visits.set_return_visit_days(db.session, request.form.get("return_visit_days", ""))
    base = survey.set_base_url(db.session, request.form.get("survey_base_url", ""))
    record(db.session, "shop.settings_changed", actor=_me(),
           summary=f"return visit after {days} days; survey address {base or '-'}")
    flash(_("Return visit settings saved."), "success")
    return go(url_for("visits.satisfaction"))
