"""Screens for purchase contracts (商品房买卖合同): draft from an agreement in force, sign, file
(网签/备案), hand over; the A4 print of the data pages and the schedule; the mortgage plan beside
it; the area-difference calculator and its supplementary agreement."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import nav
from ..clock import local_today
from ..errors import DomainError, Forbidden
from ..extensions import db
from ..money import FEN, amount_in_words
from ..staff.models import Staff
from ..staff.permissions import roles_required
from ..text import plain
from ..web import go, pdf_response, transaction
from . import agreements, changes, contracts, mortgage
from .sale_models import MORTGAGE

bp = Blueprint("contracts", __name__, url_prefix="/property/contracts")

nav.register(nav.NavItem("contracts.index", _l("Purchase contracts"), "clerk", icon="receipt", order=56,
                         in_header=False))

METHOD_LABELS = {mortgage.EQUAL_INSTALMENT: _l("Equal instalment"), mortgage.EQUAL_PRINCIPAL: _l("Equal principal")}


def me() -> Staff:
    return current_user._get_current_object()


def _visible(contract) -> None:
    viewer = me()
    if contract.agent_id != viewer.id and not (viewer.has_role("manager") or viewer.has_role("cashier")):
        raise Forbidden(_l("This contract belongs to another agent."))


@bp.get("")
@roles_required("clerk", "manager")
def index():
    """Contracts waiting to be filed, with the days left of the 30 allowed (warned from day 25)."""
    return render_template("property/contracts.html", filings=contracts.open_filings(db.session),
                           states=contracts.STATE_LABELS)


def _defaults(a) -> dict:
    today = local_today()
    typed = {"delivery_date": today.replace(year=today.year + 2).isoformat(), "loan_bank": "",
             "loan_rate": "3.5", "fund_amount": "", "fund_rate": "2.85", "loan_years": "30",
             "loan_method": mortgage.EQUAL_INSTALMENT}
    rest = a.total_price - a.deposit
    if a.payment_method == MORTGAGE:
        down = max((a.total_price * (a.down_payment_pct or 30) / 100).quantize(FEN) - a.deposit, FEN)
        rows = [("down_payment", today + timedelta(days=1), down), ("loan", today + timedelta(days=60), rest - down)]
    else:
        rows = [("down_payment", today + timedelta(days=1), rest)]
    for i in range(contracts.MAX_ITEMS):
        kind, due, amount = rows[i] if i < len(rows) else ("instalment", None, None)
        typed.update({f"item_kind_{i}": kind, f"item_due_{i}": due.isoformat() if due else "",
                      f"item_amount_{i}": str(amount) if amount is not None else "", f"item_label_{i}": ""})
    return typed


def _form_page(agreement_id, typed=None, *, error=None, field=None, status=200):
    a = agreements.get_agreement(db.session, agreement_id)
    return render_template("property/contract_form.html", a=a, typed=typed or _defaults(a), error=error, field=field,
                           kinds=contracts.ITEM_KINDS, slots=range(contracts.MAX_ITEMS), methods=METHOD_LABELS,
                           terms=agreements.terms(db.session, a.project_id),
                           loans=agreements.LOAN_TYPE_LABELS), status


@bp.get("/new")
@roles_required("clerk", "manager")
def new():
    return _form_page(request.args.get("agreement"))


def _typed_from(form) -> contracts.ContractInput:
    items = [contracts.ItemInput(kind=form.get(f"item_kind_{i}", ""), due_date=form.get(f"item_due_{i}", ""),
                                 amount=form.get(f"item_amount_{i}", ""), label=form.get(f"item_label_{i}", ""))
             for i in range(contracts.MAX_ITEMS)]
    return contracts.ContractInput(items=items, delivery_date=form.get("delivery_date", ""),
                                   loan_bank=form.get("loan_bank", ""), loan_rate=form.get("loan_rate", ""),
                                   fund_amount=form.get("fund_amount", ""), fund_rate=form.get("fund_rate", ""),
                                   loan_years=form.get("loan_years", ""),
                                   loan_method=form.get("loan_method", mortgage.EQUAL_INSTALMENT))


def _refused(error: DomainError):
    typed = {k: plain(v)[:100] for k, v in request.form.items() if k != "csrf_token"}
    return _form_page(request.args.get("agreement"), typed, error=error.message, field=error.field,
                      status=error.status)


@bp.post("/new")
@roles_required("clerk", "manager")
@transaction(refused=_refused)
def create():
    contract = contracts.create_contract(db.session, request.args.get("agreement"), _typed_from(request.form),
                                         actor=me())
    return go(url_for("contracts.show", contract_id=contract.id))


def _show(contract_id, *, error=None, status=200):
    c = contracts.get_contract(db.session, contract_id)
    _visible(c)
    plan = contracts.contract_plan(c)
    from .agreement_views import _managers

    return render_template("property/contract.html", c=c, a=c.agreement, states=contracts.STATE_LABELS,
                           managers=_managers(), paid=contracts.paid_in(db.session, c),
                           kinds=contracts.ITEM_KINDS, item_states=contracts.ITEM_STATES, plan=plan,
                           countdown=contracts.filing_countdown(c),
                           schedule=contracts.schedule_states(db.session, c), error=error,
                           methods=agreements.PAYMENT_METHOD_LABELS, loans=agreements.LOAN_TYPE_LABELS,
                           loan_methods=METHOD_LABELS, in_words=amount_in_words,
                           late_fee_rate=contracts.late_fee_rate(c),
                           history=changes.schedule_history(db.session, c)), status


@bp.get("/<int:contract_id>")
@roles_required("clerk", "manager", "cashier")
def show(contract_id: int):
    return _show(contract_id)


def _step_refused(error: DomainError):
    return _show(request.view_args["contract_id"], error=error.message, status=error.status)


@bp.post("/<int:contract_id>/sign")
@roles_required("clerk", "manager")
@transaction(refused=_step_refused)
def sign(contract_id: int):
    contracts.sign_contract(db.session, contract_id, actor=me())
    return go(url_for("contracts.show", contract_id=contract_id))


@bp.post("/<int:contract_id>/file")
@roles_required("clerk", "manager")
@transaction(refused=_step_refused)
def file(contract_id: int):
    contracts.file_contract(db.session, contract_id, request.form.get("filing_no", ""), actor=me())
    return go(url_for("contracts.show", contract_id=contract_id))


@bp.post("/<int:contract_id>/handover")
@roles_required("manager")
@transaction(refused=_step_refused)
def handover(contract_id: int):
    contracts.hand_over(db.session, contract_id, actor=me())
    return go(url_for("contracts.show", contract_id=contract_id))


@bp.get("/<int:contract_id>.pdf")
@roles_required("clerk", "manager", "cashier")
def pdf(contract_id: int):
    """The contract's data pages and the payment schedule (附件四) on A4, the loan plan's summary."""
    c = contracts.get_contract(db.session, contract_id)
    _visible(c)
    return pdf_response("print/contract_a4.html", f"{c.no}.pdf", c=c, a=c.agreement, page_size="A4",
                        page_margin="14mm 16mm", plan=contracts.contract_plan(c), kinds=contracts.ITEM_KINDS_ZH,
                        methods=agreements.PAYMENT_METHOD_ZH, loans=agreements.LOAN_TYPE_ZH,
                        basis=agreements.BASIS_ZH, id_types=agreements.ID_TYPE_ZH, in_words=amount_in_words,
                        late_fee_rate=contracts.late_fee_rate(c))


@bp.get("/<int:contract_id>/area")
@roles_required("clerk", "manager")
def area(contract_id: int):
    """The area-difference calculator (第十三条): measured areas in, the settlement out (reads only)."""
    c = contracts.get_contract(db.session, contract_id)
    _visible(c)
    typed = {"measured_gross": plain(request.args.get("measured_gross"))[:20],
             "measured_inner": plain(request.args.get("measured_inner"))[:20]}
    result, error, field = None, None, None
    if typed["measured_gross"] or typed["measured_inner"]:
        try:
            result = contracts.area_settlement(c, typed["measured_gross"], typed["measured_inner"])
        except DomainError as e:
            error, field = e.message, e.field
    if request.args.get("print") and result is not None:
        return pdf_response("print/area_settlement_a4.html", f"{c.no}-area.pdf", c=c, a=c.agreement, r=result,
                            page_size="A4", in_words=amount_in_words)
    return render_template("property/contract_area.html", c=c, typed=typed, r=result, error=error,
                           field=field), (422 if error else 200)


@bp.post("/<int:contract_id>/cancel")
@roles_required("clerk", "manager")
@transaction(refused=_step_refused)
def cancel(contract_id: int):
    """退房 with the manager's PIN: the contract is cancelled as a new record, the refund made due."""
    from ..staff import services as staff_services
    from ..text import parse_id

    manager_id = parse_id(request.form.get("manager_id"))
    if manager_id is None:
        raise DomainError(_l("Choose the manager who approves the reversal."), field="manager_id")
    approver = staff_services.verify_manager_pin(db.session, manager_id, request.form.get("manager_pin"),
                                                 client=request.remote_addr or "")
    contracts.cancel_contract(db.session, contract_id, actor=me(), approver=approver,
                              reason=request.form.get("reason", ""), refund=request.form.get("refund", ""),
                              lock_days=request.form.get("lock_days", ""))
    return go(url_for("contracts.show", contract_id=contract_id))
