"""The manager's collections page (房款回收): the collection rate for a period per agent, project and
overall, and the overdue schedule items with days and late fees; an agent sees their own overdue."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import nav
from ..clock import local_today
from ..extensions import db
from ..staff.permissions import roles_required
from ..web import day_arg
from . import collections

bp = Blueprint("collections", __name__, url_prefix="/property/collections")

nav.register(nav.NavItem("collections.index", _l("Collections (property)"), "manager", icon="chart", order=45,
                         in_header=False))


@bp.get("")
@roles_required("clerk", "manager")
def index():
    errors: list[str] = []
    today = local_today()
    first = day_arg("first", errors) or today.replace(day=1)
    last = day_arg("last", errors) or today
    if not errors and last < first:
        errors.append(_("The period ends before it starts."))
    status = 422 if errors else 200
    if errors:
        first, last = today.replace(day=1), today
    me = current_user._get_current_object()
    manager = me.has_role("manager")
    rates = collections.collection(db.session, first, last) if manager else None
    late = collections.overdue(db.session, today, agent_id=None if manager else me.id)
    total_late = collections.overdue_count(db.session, today, agent_id=None if manager else me.id)
    return render_template("property/collections.html", rates=rates, overdue=late, first=first, last=last,
                           overdue_total=total_late,
                           errors=errors, manager=manager), status
