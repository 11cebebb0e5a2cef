"""Screens for subscription agreements (商品房认购书): find a unit, draft the agreement, see it,
print it on A4 to sign."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from .. import nav
from ..clock import local_today
from ..errors import DomainError, NotFound
from ..extensions import db
from ..money import amount_in_words
from ..staff import services as staff_services
from ..staff.models import Staff, StaffRole
from ..staff.permissions import roles_required
from ..text import parse_id, plain
from ..web import go, pdf_response, transaction
from . import agreements, pricing, services
from .models import AVAILABLE, HELD, Building, Unit
from .sale_models import ID_TYPES, RESIDENT_ID

bp = Blueprint("agreements", __name__, url_prefix="/property/agreements")

nav.register(nav.NavItem("agreements.index", _l("Subscription agreements"), "clerk", icon="receipt", order=55,
                         in_header=False))

nav.register(nav.NavItem("agreements.overdue", _l("Overdue agreements"), "manager", icon="receipt", order=46,
                         in_header=False))

BUYER_SLOTS = agreements.MAX_BUYERS


def me() -> Staff:
    return current_user._get_current_object()


def _managers() -> list[Staff]:
    return list(db.session.scalars(select(Staff).join(StaffRole).where(StaffRole.role == "manager",
                                                                       Staff.active.is_(True)).order_by(Staff.staff_no)))


def _buildings() -> list[Building]:
    return list(db.session.scalars(select(Building).order_by(Building.project_id, Building.id)))


@bp.get("")
@roles_required("clerk", "manager", "cashier")
def index():
    """Recent agreements (an agent sees their own, the manager and the finance desk all), and a
    finder for the unit to draft the next one for."""
    viewer = me()
    rows = agreements.recent(db.session, agent=None if viewer.has_role("cashier") else viewer)
    return render_template("property/agreements.html", rows=rows, buildings=_buildings(),
                           states=agreements.STATE_LABELS)


def _find_unit() -> Unit:
    unit_id = parse_id(request.args.get("unit"))
    if unit_id is not None:
        return services.get_unit(db.session, unit_id)
    building_id = parse_id(request.args.get("building"))
    number = plain(request.args.get("number"))[:20]
    unit = None
    if building_id and number:
        unit = db.session.scalar(select(Unit).where(Unit.building_id == building_id, Unit.number == number))
    if unit is None:
        raise NotFound(_("No such unit: choose the building and type the unit number (e.g. 1801)."))
    return unit


def _typed_from(form) -> agreements.AgreementInput:
    buyers = [agreements.BuyerInput(name=form.get(f"buyer_name_{i}", ""), id_type=form.get(f"buyer_id_type_{i}", ""),
                                    id_number=form.get(f"buyer_id_number_{i}", ""),
                                    phone=form.get(f"buyer_phone_{i}", ""), address=form.get(f"buyer_address_{i}", ""),
                                    share=form.get(f"buyer_share_{i}", ""))
              for i in range(BUYER_SLOTS)]
    return agreements.AgreementInput(
        buyers=buyers, total_price=form.get("total_price", ""), deposit=form.get("deposit", ""),
        contract_deadline=form.get("contract_deadline", ""), payment_method=form.get("payment_method", ""),
        loan_type=form.get("loan_type", ""), down_payment_pct=form.get("down_payment_pct", ""),
        signing_place=form.get("signing_place", ""), note=form.get("note", ""),
        price_request=form.get("price_request", ""))


def _defaults(unit: Unit) -> dict:
    line = pricing.current_line(db.session, unit)
    claim = services.live_claim(db.session, unit.id)
    typed = {"total_price": str(line.filed_total if line else unit.list_total), "deposit": "50000",
             "contract_deadline": (local_today() + timedelta(days=7)).isoformat(), "payment_method": "mortgage",
             "loan_type": "commercial", "down_payment_pct": "30",
             "signing_place": unit.building.project.name + "售楼处",
             "note": ""}
    for i in range(BUYER_SLOTS):
        typed.update({f"buyer_name_{i}": "", f"buyer_id_type_{i}": RESIDENT_ID, f"buyer_id_number_{i}": "",
                      f"buyer_phone_{i}": "", f"buyer_address_{i}": "", f"buyer_share_{i}": ""})
    if claim is not None and services.shown_status(unit) == HELD:
        typed["buyer_name_0"] = claim.customer_name
    return typed


def _form_page(unit: Unit, typed: dict, *, error=None, field=None, status=200):
    line = pricing.current_line(db.session, unit)
    claim = services.live_claim(db.session, unit.id)
    return render_template(
        "property/agreement_form.html", unit=unit, typed=typed, line=line, claim=claim,
        shown=services.shown_status(unit), status_labels=services.STATUS_LABELS, basis_labels=services.BASIS_LABELS,
        id_types=[(k, agreements.ID_TYPE_LABELS[k]) for k in ID_TYPES], methods=agreements.PAYMENT_METHOD_LABELS,
        loans=agreements.LOAN_TYPE_LABELS, slots=range(BUYER_SLOTS), managers=_managers(), error=error,
        field=field, terms=agreements.terms(db.session, unit.building.project_id),
        max_deposit=agreements.contract_math.max_deposit(line.filed_total if line else unit.list_total),
        approvals=_approvals(unit, typed),
    ), status


def _approvals(unit: Unit, typed: dict) -> list:
    """The agent's approved prices for this unit (from the manager's tablet), and the one chosen."""
    from . import price_requests

    rows = price_requests.usable(db.session, unit.id, me())
    chosen = parse_id(typed.get("price_request"))
    if chosen and all(r.id != chosen for r in rows):  # the chosen one no longer usable: the refusal says why
        typed["price_request"] = ""
    return rows


@bp.get("/new")
@roles_required("clerk", "manager")
def new():
    """The agreement form for a unit (available, or held for the customer who signs)."""
    unit = _find_unit()
    shown = services.shown_status(unit)
    if shown not in (AVAILABLE, HELD):
        raise DomainError(_("Unit %(number)s is %(status)s: no agreement can be drafted for it.",
                            number=unit.number, status=services.STATUS_LABELS[shown]))
    typed = _defaults(unit)
    chosen = parse_id(request.args.get("price_request"))
    if chosen:  # from the agent's list of answers: the approved price, pre-filled
        from . import price_requests

        for r in price_requests.usable(db.session, unit.id, me()):
            if r.id == chosen:
                typed["price_request"], typed["total_price"] = str(r.id), str(r.asked_total)
    return _form_page(unit, typed)


def _refused(error: DomainError):
    unit = services.get_unit(db.session, request.args.get("unit"))
    typed = {k: plain(v)[:200] for k, v in request.form.items() if k not in ("csrf_token", "manager_pin")}
    return _form_page(unit, typed, error=error.message, field=error.field, status=error.status)


@bp.post("/new")
@roles_required("clerk", "manager")
@transaction(refused=_refused)
def create():
    unit_id = parse_id(request.args.get("unit"))
    if unit_id is None:
        raise NotFound(_("No such unit."))
    approver = None
    manager_id = parse_id(request.form.get("manager_id"))
    if manager_id and request.form.get("manager_pin"):
        approver = staff_services.verify_manager_pin(db.session, manager_id, request.form.get("manager_pin"),
                                                     client=request.remote_addr or "")
    agreement = agreements.create_agreement(db.session, unit_id, _typed_from(request.form), actor=me(),
                                            approver=approver)
    return go(url_for("agreements.show", agreement_id=agreement.id))


def _visible(agreement) -> None:
    viewer = me()
    if agreement.agent_id != viewer.id and not (viewer.has_role("manager") or viewer.has_role("cashier")):
        from ..errors import Forbidden

        raise Forbidden(_("This is %(name)s's agreement.", name=agreement.agent.full_name))


@bp.get("/<int:agreement_id>")
@roles_required("clerk", "manager", "cashier")
def show(agreement_id: int):
    agreement = agreements.get_agreement(db.session, agreement_id)
    _visible(agreement)
    from . import contracts, escrow, outcomes

    return render_template("property/agreement.html", a=agreement, states=agreements.STATE_LABELS,
                           contract=contracts.contract_of(db.session, agreement),
                           outcome=outcomes.outcome_of(db.session, agreement), outcome_labels=outcomes.OUTCOMES,
                           methods=agreements.PAYMENT_METHOD_LABELS, loans=agreements.LOAN_TYPE_LABELS,
                           basis_labels=services.BASIS_LABELS, id_types=agreements.ID_TYPE_LABELS,
                           in_words=amount_in_words, payments=escrow.payments_of(db.session, agreement),
                           kinds=escrow.PAYMENT_KIND_LABELS,
                           deposit_paid=escrow.paid_on(db.session, agreement, "deposit"))


@bp.get("/<int:agreement_id>.pdf")
@roles_required("clerk", "manager", "cashier")
def pdf(agreement_id: int):
    """The agreement on A4, laid out like a 商品房认购书, with signature lines."""
    agreement = agreements.get_agreement(db.session, agreement_id)
    _visible(agreement)
    return pdf_response("print/agreement_a4.html", f"{agreement.no}.pdf", a=agreement, page_size="A4",
                        page_margin="14mm 16mm", methods=agreements.PAYMENT_METHOD_ZH, loans=agreements.LOAN_TYPE_ZH,
                        basis_labels=agreements.BASIS_ZH, id_types=agreements.ID_TYPE_ZH,
                        in_words=amount_in_words, max_deadline=agreements.MAX_DEADLINE_DAYS)


# ------------------------------------------------------------------ overdue agreements (the manager)
@bp.get("/overdue")
@roles_required("manager")
def overdue(error=None, field=None, status=200):
    """Agreements past their deadline without a contract, with the outcomes the manager may record."""
    from . import outcomes

    return render_template("property/agreements_overdue.html", rows=outcomes.overdue_agreements(db.session),
                           outcomes=outcomes.OUTCOMES, states=agreements.STATE_LABELS, error=error, field=field,
                           today=local_today()), status


def _end_refused(error: DomainError):
    return overdue(error=error.message, field=error.field, status=error.status)


@bp.post("/<int:agreement_id>/end")
@roles_required("manager")
@transaction(refused=_end_refused)
def end(agreement_id: int):
    from . import outcomes

    outcomes.end_agreement(db.session, agreement_id, request.form.get("outcome", ""), manager=me(),
                           reason=request.form.get("reason", ""), lock_days=request.form.get("lock_days", ""))
    return go(url_for("agreements.show", agreement_id=agreement_id))


@bp.app_template_global("property_deal")
def property_deal(unit):
    """For the sales-control board's unit panel: the unit's live agreement, its contract and the days
    left to file it (reads only)."""
    from . import contracts

    agreement = agreements.agreement_for_unit(db.session, unit.id)
    contract = contracts.contract_of(db.session, agreement) if agreement is not None else None
    countdown = contracts.filing_countdown(contract) if contract is not None else None
    return {"agreement": agreement, "contract": contract, "countdown": countdown,
            "states": agreements.STATE_LABELS, "contract_states": contracts.STATE_LABELS}


from . import changes_views as _changes_views  # noqa: E402,F401  (its routes hang on this blueprint and contracts')
