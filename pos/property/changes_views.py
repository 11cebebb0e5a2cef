"""Screens for changes approved by the manager's PIN (issue 16): an agreement moved to another unit
(换房) or replaced at a new price, a contract's new price, and the supplementary agreement
(补充协议) of each on A4. The routes hang on the agreements' and the contracts' blueprints."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..errors import DomainError, Forbidden, NotFound
from ..extensions import db
from ..money import amount_in_words
from ..staff import services as staff_services
from ..staff.permissions import roles_required
from ..text import parse_id, plain
from ..web import go, pdf_response, template_globals, transaction
from . import agreements, changes, contracts, pricing
from .agreement_views import _managers
from .agreement_views import bp as agreements_bp
from .contract_views import bp as contracts_bp


def _me():
    return current_user._get_current_object()


def _visible(agreement) -> None:
    viewer = _me()
    if agreement.agent_id != viewer.id and not (viewer.has_role("manager") or viewer.has_role("cashier")):
        raise Forbidden(_("This is %(name)s's agreement.", name=agreement.agent.full_name))


def _approver():
    manager_id = parse_id(request.form.get("manager_id"))
    if manager_id is None or not plain(request.form.get("manager_pin")):
        raise Forbidden(_("A manager must approve a change with their PIN."), field="manager_pin")
    return staff_services.verify_manager_pin(db.session, manager_id, request.form.get("manager_pin"),
                                             client=request.remote_addr or "")


@agreements_bp.app_template_global("agreement_change")
def agreement_change(agreement):
    """For the agreement's page: the change that replaced it or made it (reads only)."""
    return changes.change_of(db.session, agreement)


template_globals(agreements_bp, change_kinds=changes.CHANGE_KIND_LABELS)


# ------------------------------------------------------------------ an agreement: 换房 or a new price
def _agreement_form(agreement_id, typed=None, *, error=None, field=None, status=200):
    a = agreements.get_agreement(db.session, agreement_id)
    _visible(a)
    units = changes.available_units(db.session, a)
    prices = {u.id: pricing.current_line(db.session, u) for u in units}
    typed = typed or {"new_unit": "", "new_total": "", "reason": "", "lock_days": "0", "manager_id": ""}
    return render_template("property/change_agreement.html", a=a, units=units, prices=prices, typed=typed,
                           managers=_managers(), error=error, field=field, states=agreements.STATE_LABELS,
                           change=changes.change_of(db.session, a)), status


@agreements_bp.get("/<int:agreement_id>/change")
@roles_required("clerk", "manager")
def change_form(agreement_id: int):
    return _agreement_form(agreement_id)


def _change_refused(error: DomainError):
    typed = {k: plain(request.form.get(k, ""))[:200] for k in ("new_unit", "new_total", "reason", "lock_days",
                                                                "manager_id")}
    return _agreement_form(request.view_args["agreement_id"], typed, error=error.message, field=error.field,
                           status=error.status)


@agreements_bp.post("/<int:agreement_id>/change")
@roles_required("clerk", "manager")
@transaction(refused=_change_refused)
def change(agreement_id: int):
    approver = _approver()
    made = changes.change_agreement(db.session, agreement_id, new_unit_id=request.form.get("new_unit", ""),
                                    new_total=request.form.get("new_total", ""), actor=_me(), approver=approver,
                                    reason=request.form.get("reason", ""), lock_days=request.form.get("lock_days", ""))
    flash(_("Agreement %(old)s is replaced by %(new)s. Print the supplementary agreement to sign.",
            old=made.old_agreement.no, new=made.new_agreement.no), "success")
    return go(url_for("agreements.show", agreement_id=made.new_agreement_id))


@agreements_bp.get("/changes/<int:change_id>.pdf")
@roles_required("clerk", "manager", "cashier")
def change_pdf(change_id: int):
    """The supplementary agreement (补充协议) of a unit or price change, on A4 to sign."""
    c = changes.get_change(db.session, change_id)
    _visible(c.old_agreement)
    return pdf_response("print/change_supplement_a4.html", f"{c.new_agreement.no}-bc.pdf", c=c,
                        old=c.old_agreement, new=c.new_agreement, contract=None, page_size="A4",
                        page_margin="16mm 18mm", in_words=amount_in_words)


# ------------------------------------------------------------------ a contract: a new price
def _contract_form(contract_id, typed=None, *, error=None, field=None, status=200):
    c = contracts.get_contract(db.session, contract_id)
    _visible(c.agreement) if c.agent_id != _me().id else None
    typed = typed or {"new_total": str(c.total_price), "reason": "", "manager_id": ""}
    return render_template("property/change_contract_price.html", c=c, typed=typed, managers=_managers(),
                           error=error, field=field, kinds=contracts.ITEM_KINDS,
                           history=changes.schedule_history(db.session, c),
                           line=pricing.current_line(db.session, c.unit)), status


@contracts_bp.get("/<int:contract_id>/price")
@roles_required("clerk", "manager")
def price_form(contract_id: int):
    return _contract_form(contract_id)


def _price_refused(error: DomainError):
    typed = {k: plain(request.form.get(k, ""))[:200] for k in ("new_total", "reason", "manager_id")}
    return _contract_form(request.view_args["contract_id"], typed, error=error.message, field=error.field,
                          status=error.status)


@contracts_bp.post("/<int:contract_id>/price")
@roles_required("clerk", "manager")
@transaction(refused=_price_refused)
def change_price(contract_id: int):
    approver = _approver()
    made = changes.change_contract_price(db.session, contract_id, new_total=request.form.get("new_total", ""),
                                         actor=_me(), approver=approver, reason=request.form.get("reason", ""))
    flash(_("The contract's price is changed. Print the supplementary agreement to sign."), "success")
    return go(url_for("contracts.price_form", contract_id=contract_id, change=made.id))


@contracts_bp.get("/changes/<int:change_id>.pdf")
@roles_required("clerk", "manager", "cashier")
def contract_change_pdf(change_id: int):
    c = changes.get_contract_change(db.session, change_id)
    if c.kind != "price":
        raise NotFound(_("No such change."))
    contract = c.contract
    _visible(contract.agreement) if contract.agent_id != _me().id else None
    return pdf_response("print/change_supplement_a4.html", f"{contract.no}-bc{c.id}.pdf", c=c,
                        old=contract.agreement, new=contract.agreement, contract=contract, page_size="A4",
                        page_margin="16mm 18mm", in_words=amount_in_words,
                        before=changes.schedule_before(c), after=changes.schedule_after(db.session, c),
                        kinds_zh=contracts.ITEM_KINDS_ZH)
