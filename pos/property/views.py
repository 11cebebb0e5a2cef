"""Sales office screens: the sales-control board (销控表), a unit's details, holds and locks.

The board stays live by polling ``/property/buildings/<id>/changes?v=<version>&t=<time>`` every
1.5 s: one indexed query answers ``204 No Content`` when nothing changed; otherwise the changed
cells and the counts come back as out-of-band swaps (``hx-swap-oob``), with a new poller that
carries the building's new version. (Measured against server-sent events in bench/bench_property.py:
polling keeps no connection or worker per open board, which matters on a threaded WSGI server.)
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import nav
from ..dbtypes import utcnow
from ..extensions import db, htmx
from ..staff.permissions import background, roles_required
from ..web import template_globals, transaction
from . import pricing, services
from .models import SOLD_STATUSES, STATUSES

bp = Blueprint("property", __name__, url_prefix="/property")

nav.register(nav.NavItem("property.index", nav._l("Sales control"), "clerk", icon="building", order=40))
nav.register(nav.NavItem("property.index", nav._l("Sales control"), "manager", icon="building", order=40))
nav.register(nav.NavItem("property.setup", nav._l("Projects and price lists"), "manager", icon="building",
                         order=44, in_header=False))
nav.register(nav.NavItem("property.openings", nav._l("Queue numbers and opening day"), "clerk", icon="people",
                         order=43, in_header=False))

POLL_MS = 1500

#: Okabe–Ito colour-blind-safe palette, a symbol per status (shape tells it without colour)
STATUS_STYLE = {
    "not_for_sale": ("#BBBBBB", "#000000", "–"),
    "available": ("#009E73", "#FFFFFF", "○"),
    "held": ("#F0E442", "#000000", "◐"),
    "subscribed": ("#E69F00", "#000000", "◆"),
    "contracted": ("#D55E00", "#FFFFFF", "●"),
    "filed": ("#CC79A7", "#000000", "■"),
    "sold": ("#0072B2", "#FFFFFF", "✔"),
    "locked": ("#000000", "#FFFFFF", "✖"),
}


def _me():
    return current_user._get_current_object()


def _wan(amount) -> str:
    """¥3,696,100.00 → '369.61万' (the board's short form; the details show the exact figure)."""
    from decimal import ROUND_HALF_UP, Decimal

    return f"{(amount / 10000).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}万"


template_globals(bp, sc_style=STATUS_STYLE, sc_labels=services.STATUS_LABELS, sc_statuses=STATUSES, sc_wan=_wan,
                 sc_sold_statuses=SOLD_STATUSES, basis_labels=services.BASIS_LABELS)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


# ------------------------------------------------------------------ the board
@bp.get("/")
@roles_required("clerk")
def index():
    now = utcnow()
    rows = []
    for project in services.projects(db.session):
        tallies = [(b, services.tally(db.session, [b.id], now)) for b in project.buildings]
        total = services.Tally()
        for _b, t in tallies:
            total.merge(t)
        rows.append((project, tallies, total))
    return render_template("property/index.html", rows=rows)


@bp.get("/openings")
@roles_required("clerk")
def openings():
    """Queue numbers and opening day: the projects, each with its queue and open session."""
    from . import opening

    return render_template("property/openings.html", rows=[(p, opening.current_session(db.session, p))
                                                            for p in services.projects(db.session)])


@bp.get("/buildings/<int:building_id>")
@roles_required("clerk")
def building_board(building_id: int):
    building = services.get_building(db.session, building_id)
    board = services.board(db.session, building)
    return render_template("property/board.html", boards=[board], project=building.project, single=True,
                           project_tally=None, wall=request.args.get("wall") == "1", poll_ms=POLL_MS)


@bp.get("/projects/<int:project_id>")
@roles_required("clerk")
def project_board(project_id: int):
    project = services.get_project(db.session, project_id)
    now = utcnow()
    boards = [services.board(db.session, b, now) for b in project.buildings]
    total = services.Tally()
    for board in boards:
        total.merge(board.tally)
    return render_template("property/board.html", boards=boards, project=project, single=False,
                           project_tally=total, wall=request.args.get("wall") == "1", poll_ms=POLL_MS)


@bp.get("/buildings/<int:building_id>/changes")
@roles_required("clerk")
@background
def changes(building_id: int):
    """The open board's cheap question: 204 when nothing changed, else the changed cells (oob).
    The board asks it by itself every 1.5 s: not the person's activity (the idle logout still applies)."""
    try:
        version = int(request.args.get("v", ""))
        since = datetime.fromtimestamp(int(request.args.get("t", "")), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        abort(400)
    now = utcnow()
    answer = services.changes_since(db.session, building_id, version, since, now)
    if answer is None:
        return "", 204
    new_version, changed = answer
    building = services.get_building(db.session, building_id)
    tally = services.tally(db.session, [building_id], now)
    project_tally = None
    if request.args.get("p") == "1":
        project_tally = services.tally(db.session, [b.id for b in building.project.buildings], now)
    return render_template("property/_changes.html", building=building, version=new_version, at=_epoch(now),
                           cells=changed, tally=tally, project=building.project, project_tally=project_tally,
                           with_project=request.args.get("p") == "1", poll_ms=POLL_MS, now=now)


# ------------------------------------------------------------------ a unit
def _unit_panel(unit_id, status: int = 200, **extra):
    unit = services.get_unit(db.session, unit_id)
    now = utcnow()
    context = {
        "unit": unit, "status": services.shown_status(unit, now), "claim": services.live_claim(db.session, unit.id),
        "events": services.history(db.session, unit.id), "price": pricing.current_line(db.session, unit),
        "now": now, "managers": _managers(), **extra,
    }
    if context["claim"] is not None and context["claim"].ended_at is None and context["status"] != "held" \
            and context["claim"].kind == "hold":
        context["claim"] = None  # lapsed: shown as available
    template = "property/_unit.html" if htmx else "property/unit.html"
    return render_template(template, **context), status


def _managers():
    from sqlalchemy import select

    from ..staff.models import Staff, StaffRole

    return list(db.session.scalars(select(Staff).join(StaffRole).where(StaffRole.role == "manager",
                                                                        Staff.active.is_(True)).order_by(Staff.staff_no)))


def _refused(e):
    return _unit_panel(request.view_args["unit_id"], e.status, error=e.message,
                       typed=request.form)


@bp.get("/units/<int:unit_id>")
@roles_required("clerk")
def unit(unit_id: int):
    return _unit_panel(unit_id)


@bp.post("/units/<int:unit_id>/hold")
@roles_required("clerk")
@transaction(refused=_refused)
def hold(unit_id: int):
    services.hold_unit(db.session, unit_id, actor=_me(), customer_name=request.form.get("customer_name", ""))
    return _unit_panel(unit_id, message=_("Held."), changed=True)


@bp.post("/units/<int:unit_id>/release-hold")
@roles_required("clerk")
@transaction(refused=_refused)
def release_hold(unit_id: int):
    services.release_hold(db.session, unit_id, actor=_me())
    return _unit_panel(unit_id, message=_("Hold released."), changed=True)


@bp.post("/units/<int:unit_id>/lock")
@roles_required("manager")
@transaction(refused=_refused)
def lock(unit_id: int):
    services.lock_unit(db.session, unit_id, actor=_me(), reason=request.form.get("reason", ""),
                       until=request.form.get("until", ""))
    return _unit_panel(unit_id, message=_("Locked."), changed=True)


@bp.post("/units/<int:unit_id>/unlock")
@roles_required("manager")
@transaction(refused=_refused)
def unlock(unit_id: int):
    services.unlock_unit(db.session, unit_id, actor=_me())
    return _unit_panel(unit_id, message=_("Unlocked."), changed=True)


@bp.post("/units/<int:unit_id>/release")
@roles_required("manager")
@transaction(refused=_refused)
def release(unit_id: int):
    services.release_units(db.session, [unit_id], actor=_me())
    return _unit_panel(unit_id, message=_("Released for sale."), changed=True)


@bp.post("/units/<int:unit_id>/withdraw")
@roles_required("manager")
@transaction(refused=_refused)
def withdraw(unit_id: int):
    services.withdraw_units(db.session, [unit_id], actor=_me(), reason=request.form.get("reason", ""))
    return _unit_panel(unit_id, message=_("Withdrawn from sale."), changed=True)


@bp.post("/units/<int:unit_id>/price-check")
@roles_required("clerk")
@transaction(refused=_refused)
def price_check(unit_id: int):
    """Try a price for a unit: within the agent's limit at once; lower with a manager's PIN."""
    from ..staff.services import verify_manager_pin

    unit = services.get_unit(db.session, unit_id)
    approver = None
    if request.form.get("manager_id"):
        approver = verify_manager_pin(db.session, services._int(request.form["manager_id"]),
                                      request.form.get("manager_pin"))
    check = pricing.check_price(db.session, unit, request.form.get("price", ""), actor=_me(), approver=approver)
    return _unit_panel(unit_id, checked=check, typed=request.form)


def board_url(building, project_mode: bool, version: int, at: int) -> str:
    return url_for("property.changes", building_id=building.id, v=version, t=at, p="1" if project_mode else None)


@bp.app_template_global()
def sc_poll_url(building, project_mode, version, at):
    return board_url(building, project_mode, version, at)


@bp.app_template_global()
def sc_epoch(moment):
    return _epoch(moment)


# ------------------------------------------------------------------ units as .xlsx
@bp.get("/buildings/<int:building_id>/units.xlsx")
@roles_required("manager")
def export_units(building_id: int):
    from ..web import xlsx_response
    from . import excel

    building = services.get_building(db.session, building_id)
    return xlsx_response(excel.export_units(db.session, building), f"units-{building.id}.xlsx")


def _import_page(building_id, status: int = 200, **extra):
    building = services.get_building(db.session, building_id)
    return render_template("property/import.html", building=building, **extra), status


@bp.get("/buildings/<int:building_id>/import")
@roles_required("manager")
def import_form(building_id: int):
    return _import_page(building_id)


@bp.post("/buildings/<int:building_id>/import")
@roles_required("manager")
@transaction(refused=lambda e: _import_page(request.view_args["building_id"], e.status, error=e.message))
def import_units(building_id: int):
    """All or nothing: a workbook with one bad row saves nothing and says which rows are wrong."""
    from . import excel

    building = services.get_building(db.session, building_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_page(building_id, 422, error=_("Choose an .xlsx file to import."))
    import io

    report = excel.import_units(db.session, building, io.BytesIO(upload.read()), actor=_me())
    if report.errors:
        return _import_page(building_id, 422, report=report,
                            error=_("Nothing was imported: %(n)d rows are wrong.", n=len(report.errors)))
    return _import_page(building_id, report=report, message=_("%(n)d units imported.", n=report.created))


# ------------------------------------------------------------------ the manager's set-up: projects, buildings, prices
def _setup_page(status: int = 200, **extra):
    return render_template("property/setup.html", projects=services.projects(db.session),
                           today=utcnow().date().isoformat(), **extra), status


@bp.get("/setup")
@roles_required("manager")
def setup():
    return _setup_page()


def _setup_refused(e):
    return _setup_page(e.status, error=e.message, typed=request.form)


@bp.post("/setup/projects")
@roles_required("manager")
@transaction(refused=_setup_refused)
def create_project():
    f = request.form
    project = services.create_project(
        db.session, actor=_me(), name=f.get("name", ""), address=f.get("address", ""),
        developer=f.get("developer", ""), developer_licence_no=f.get("developer_licence_no", ""),
        presale_permit_no=f.get("presale_permit_no", ""), presale_permit_date=f.get("presale_permit_date", ""),
        escrow_bank=f.get("escrow_bank", ""), escrow_account_name=f.get("escrow_account_name", ""),
        escrow_account_no=f.get("escrow_account_no", ""), hold_hours=f.get("hold_hours", "24"),
        agent_discount_pct=f.get("agent_discount_pct", "2"))
    return _setup_page(message=_("Project %(name)s created.", name=project.name))


def parse_stacks(text: str) -> list[services.StackRule]:
    """One unit position per line: layout, orientation, gross area, inner area, unit price[, basis]."""
    from ..errors import DomainError

    stacks = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if not any(parts):
            continue
        if len(parts) not in (5, 6):
            raise DomainError(_("Line %(n)d: give layout, orientation, gross area, inner area, unit price.", n=n),
                              field="stacks")
        basis = parts[5] if len(parts) == 6 else "gross"
        stacks.append(services.StackRule(parts[0], parts[1], parts[2], parts[3], parts[4], basis))
    return stacks


@bp.post("/setup/projects/<int:project_id>/buildings")
@roles_required("manager")
@transaction(refused=_setup_refused)
def generate_building(project_id: int):
    f = request.form
    project = services.get_project(db.session, project_id)
    building = services.generate_building(db.session, project, f.get("name", ""), f.get("floors", ""),
                                          parse_stacks(f.get("stacks", "")), floor_premium=f.get("floor_premium", "0"),
                                          premium_from_floor=f.get("premium_from_floor", "2"), actor=_me())
    return _setup_page(message=_("%(name)s generated with %(n)d units.", name=building.name,
                                 n=building.floors * building.units_per_floor))


@bp.post("/setup/buildings/<int:building_id>/price-list")
@roles_required("manager")
@transaction(refused=_setup_refused)
def publish_price_list(building_id: int):
    building = services.get_building(db.session, building_id)
    price_list = pricing.publish_from_list(db.session, building, effective_on=request.form.get("effective_on", ""),
                                           floor_pct=request.form.get("floor_pct", ""), actor=_me(),
                                           note=request.form.get("note", ""))
    return _setup_page(message=_("Price list v%(no)d of %(name)s published, in force from %(day)s.",
                                 no=price_list.version_no, name=building.name, day=price_list.effective_on))


from . import price_request_views as _price_request_views  # noqa: E402,F401  (its routes hang on this blueprint)
