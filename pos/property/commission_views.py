"""The monthly commission report (售房激励金) per agent with its lines, its .xlsx, the manager's
approval that freezes it, and the agents' base pay (the base of collision deductions)."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from .. import nav
from ..errors import DomainError
from ..extensions import db
from ..staff.models import Staff, StaffRole
from ..staff.permissions import roles_required
from ..text import parse_id
from ..web import go, transaction, xlsx_response
from . import commission

bp = Blueprint("commission", __name__, url_prefix="/property/commission")

nav.register(nav.NavItem("commission.index", _l("Sales commission"), "manager", icon="chart", order=47,
                         in_header=False))


def me() -> Staff:
    return current_user._get_current_object()


def _agents() -> list[Staff]:
    return list(db.session.scalars(select(Staff).join(StaffRole).where(StaffRole.role == "clerk",
                                                                       Staff.active.is_(True)).order_by(Staff.staff_no)))


def _page(month_raw, *, error=None, status=200):
    try:
        report = commission.compute(db.session, month_raw)
    except DomainError as e:
        report, error, status = commission.compute(db.session, None), e.message, e.status
    viewer = me()
    if not viewer.has_role("manager"):
        report.agents = [a for a in report.agents if a.agent.id == viewer.id]
    pay = {a.id: commission.base_pay(db.session, a.id) for a in _agents()} if viewer.has_role("manager") else {}
    return render_template("property/commission.html", report=report, error=error, agents=_agents(), pay=pay,
                           manager=viewer.has_role("manager")), status


@bp.get("")
@roles_required("clerk", "manager")
def index():
    return _page(request.args.get("month"))


@bp.get("/month.xlsx")
@roles_required("manager")
def xlsx():
    report = commission.compute(db.session, request.args.get("month"))
    return xlsx_response(commission.workbook(report), f"commission-{report.month}.xlsx")


def _refused(error: DomainError):
    return _page(request.form.get("month"), error=error.message, status=error.status)


@bp.post("/approve")
@roles_required("manager")
@transaction(refused=_refused)
def approve():
    row = commission.approve(db.session, request.form.get("month"), manager=me())
    return go(url_for("commission.index", month=row.month))


@bp.post("/base-pay")
@roles_required("manager")
@transaction(refused=_refused)
def base_pay():
    staff_id = parse_id(request.form.get("staff_id"))
    if staff_id is None or db.session.get(Staff, staff_id) is None:
        raise DomainError(_l("Choose the agent."), field="staff_id")
    commission.set_base_pay(db.session, staff_id, request.form.get("base_pay", ""), manager=me())
    return go(url_for("commission.index", month=request.form.get("month") or None))
