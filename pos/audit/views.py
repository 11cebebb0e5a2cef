"""The manager's audit-log screen, with filters by person, kind and date."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from .. import nav
from ..extensions import db
from ..staff import services as staff_services
from ..staff.permissions import roles_required
from ..text import parse_id
from ..web import day_arg
from . import services
from .details import details

bp = Blueprint("audit", __name__)

nav.register(nav.NavItem("audit.audit_log", nav._l("Audit log"), "manager", icon="audit", order=90, in_header=False))

PAGE = 100


@bp.get("/audit")
@roles_required("manager")
def audit_log():
    errors: list[str] = []
    staff_id = request.args.get("staff", type=parse_id)
    kind = (request.args.get("kind") or "").strip()[:40] or None
    day_from = day_arg("from", errors)
    day_to = day_arg("to", errors)
    page = max(1, request.args.get("page", 1, type=parse_id) or 1)
    if day_from and day_to and day_from > day_to:
        errors.append(_("The start date is after the end date."))
    entries = [] if errors else services.search(
        db.session, staff_id=staff_id, kind=kind, day_from=day_from, day_to=day_to,
        limit=PAGE + 1, offset=(page - 1) * PAGE,
    )
    has_more = len(entries) > PAGE
    status = 422 if errors else 200
    return render_template(
        "audit/list.html", entries=entries[:PAGE], has_more=has_more, page=page, errors=errors,
        people=staff_services.all_staff(db.session), kinds=services.kinds_in_use(db.session),
        kind_labels=services.KIND_LABELS, record_labels=services.RECORD_LABELS, details=details,
        filters={"staff": staff_id, "kind": kind or "", "from": request.args.get("from", ""),
                 "to": request.args.get("to", "")},
    ), status
