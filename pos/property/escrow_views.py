"""The finance desk's screens for property money: find the agreement, 查 what is due, take the
payment into the escrow account, 唱 received / due / balance, the receipt (printer and PDF), a
reversal with the manager's PIN, and the day's escrow receipts as .xlsx."""

from __future__ import annotations

import uuid

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from .. import nav
from ..cashier import services as cashier_services
from ..clock import local_today
from ..errors import DomainError
from ..extensions import db
from ..money import amount_in_words
from ..shop import services as shop
from ..staff import services as staff_services
from ..staff.models import Staff
from ..staff.permissions import roles_required
from ..text import parse_id
from ..web import day_arg, go, pdf_response, transaction, xlsx_response
from . import agreements, escrow
from .agreement_views import _managers

bp = Blueprint("escrow", __name__, url_prefix="/property/escrow")

nav.register(nav.NavItem("escrow.desk", _l("Property payments"), "cashier", icon="cash", order=40, in_header=False))


def me() -> Staff:
    return current_user._get_current_object()


@bp.get("")
@roles_required("cashier")
def desk():
    """Find the agreement by its number; the escrow payments of this shift."""
    shift = cashier_services.current_shift(db.session, me())
    rows = []
    takings = None
    if shift is not None:
        from .sale_models import EscrowPayment

        rows = list(db.session.scalars(select(EscrowPayment).where(EscrowPayment.shift_id == shift.id)
                                       .order_by(EscrowPayment.id.desc())))
        takings = escrow.shift_takings(db.session, shift.id)
    from .models import Project

    projects = list(db.session.scalars(select(Project).order_by(Project.id)))
    return render_template("property/escrow_desk.html", shift=shift, rows=rows, takings=takings, projects=projects,
                           kinds=escrow.PAYMENT_KIND_LABELS, methods=escrow.METHOD_LABELS, today=local_today(),
                           error=None)


@bp.get("/find")
@roles_required("cashier")
def find():
    agreement = agreements.find_agreement(db.session, request.args.get("no", ""))
    return go(url_for("escrow.agreement", agreement_id=agreement.id))


def _agreement_page(agreement_id, *, typed=None, error=None, field=None, once_key=None, status=200):
    a = agreements.get_agreement(db.session, agreement_id)
    dues = escrow.dues(db.session, a)
    open_dues = [d for d in dues if d.due > 0]
    shift = cashier_services.current_shift(db.session, me())
    terms = agreements.terms(db.session, a.project_id)
    first = open_dues[0] if open_dues else None
    typed = typed or {"item": _item_key(first) if first else "", "amount": str(first.due) if first else "",
                      "method": "card", "reference": "", "value_date": local_today().isoformat(), "payer": ""}
    from . import outcomes

    refund_due = outcomes.refund_still_due(db.session, a)
    payments = escrow.payments_of(db.session, a)
    reversed_ids = {p.reverses_id for p in payments if p.reverses_id}
    return render_template("property/escrow_agreement.html", a=a, dues=dues, open_dues=open_dues, shift=shift,
                           terms=terms, typed=typed, error=error, field=field, item_key=_item_key,
                           once_key=once_key or uuid.uuid4().hex, payments=payments, reversed_ids=reversed_ids,
                           kinds=escrow.PAYMENT_KIND_LABELS, methods=escrow.METHOD_LABELS,
                           states=agreements.STATE_LABELS, in_words=amount_in_words, refund_due=refund_due,
                           outcome=outcomes.outcome_of(db.session, a), outcome_labels=outcomes.OUTCOMES), status


def _item_key(due) -> str:
    return due.kind if due.schedule_item_id is None else f"{due.kind}:{due.schedule_item_id}"


@bp.get("/agreements/<int:agreement_id>")
@roles_required("cashier")
def agreement(agreement_id: int):
    """查: the agreement, what is due on it, and the payment form."""
    return _agreement_page(agreement_id)


def _typed_from(form) -> dict:
    from ..text import plain

    return {k: plain(form.get(k, ""))[:64] for k in ("item", "amount", "method", "reference", "value_date", "payer")}


def _refused(error: DomainError):
    return _agreement_page(request.view_args["agreement_id"], typed=_typed_from(request.form), error=error.message,
                           field=error.field, once_key=request.form.get("once_key", ""), status=error.status)


@bp.post("/agreements/<int:agreement_id>")
@roles_required("cashier")
@transaction(refused=_refused)
def pay(agreement_id: int):
    data = escrow.PaymentInput(**_typed_from(request.form))
    payment = escrow.take_payment(db.session, agreement_id, data, cashier=me(),
                                  once_key=request.form.get("once_key", ""))
    return go(url_for("escrow.payment", payment_id=payment.id))


@bp.get("/payments/<int:payment_id>")
@roles_required("cashier")
def payment(payment_id: int, error=None, status=200):
    """唱: received, due, balance; the receipt; the reversal form (manager's PIN)."""
    p = escrow.get_payment(db.session, payment_id)
    return render_template("property/escrow_payment.html", p=p, text=escrow.announcement(p),
                           reversed=escrow.is_reversed(db.session, p), managers=_managers(),
                           kinds=escrow.PAYMENT_KIND_LABELS, methods=escrow.METHOD_LABELS, error=error,
                           once_key=uuid.uuid4().hex, in_words=amount_in_words), status


@bp.get("/payments/<int:payment_id>.pdf")
@roles_required("cashier", "clerk")
def receipt_pdf(payment_id: int):
    """The receipt (收据) as a PDF naming the escrow account that received the money."""
    p = escrow.get_payment(db.session, payment_id)
    return pdf_response("print/escrow_receipt_a5.html", f"{p.receipt_no}.pdf", p=p, page_size="A5 landscape",
                        kinds=escrow.PAYMENT_KIND_ZH, methods=escrow.METHOD_ZH, in_words=amount_in_words,
                        balance=max(p.due_before - p.amount, escrow.ZERO) if p.amount > 0 else None)


def _reverse_refused(error: DomainError):
    return payment(request.view_args["payment_id"], error=error.message, status=error.status)


@bp.post("/payments/<int:payment_id>/reverse")
@roles_required("cashier")
@transaction(refused=_reverse_refused)
def reverse(payment_id: int):
    manager_id = parse_id(request.form.get("manager_id"))
    if manager_id is None:
        raise DomainError(_("Choose the manager who approves the reversal."), field="manager_id")
    approver = staff_services.verify_manager_pin(db.session, manager_id, request.form.get("manager_pin"),
                                                 client=request.remote_addr or "")
    row = escrow.reverse_payment(db.session, payment_id, cashier=me(), approver=approver,
                                 reason=request.form.get("reason", ""), once_key=request.form.get("once_key", ""))
    return go(url_for("escrow.payment", payment_id=row.id))


@bp.get("/day.xlsx")
@roles_required("cashier", "manager")
def day_xlsx():
    """The day's escrow receipts (default today) as .xlsx to reconcile with the bank."""
    errors: list[str] = []
    day = day_arg("day", errors) or shop.business_today(db.session)  # the desk's day, as the takings count it
    if errors:
        raise DomainError(errors[0], field="day")
    return xlsx_response(escrow.day_workbook(db.session, day), f"escrow-{day.isoformat()}.xlsx")


@bp.post("/agreements/<int:agreement_id>/refund")
@roles_required("cashier")
@transaction(refused=_refused)
def refund(agreement_id: int):
    """Pay out the refund the manager's ruling made due (to the buyer's card or bank account)."""
    from . import outcomes

    payment = outcomes.pay_refund(db.session, agreement_id, method=request.form.get("method", ""),
                                  reference=request.form.get("reference", ""), cashier=me(),
                                  once_key=request.form.get("once_key", ""))
    return go(url_for("escrow.payment", payment_id=payment.id))


# ------------------------------------------------------------------ the 认筹 fee of a queue number
@bp.get("/queue")
@roles_required("cashier")
def find_queue():
    ticket = escrow.find_ticket(db.session, request.args.get("project"), request.args.get("number"))
    return go(url_for("escrow.queue", ticket_id=ticket.id))


def _queue_page(ticket_id, *, typed=None, error=None, once_key=None, status=200):
    from .models import QueueTicket

    t = db.session.get(QueueTicket, ticket_id)
    if t is None:
        raise DomainError(_("No such queue number."))
    due = escrow.queue_fee_due(db.session, t)
    typed = typed or {"amount": str(due), "method": "card", "reference": "", "payer": ""}
    from .models import Project

    return render_template("property/escrow_queue.html", t=t, due=due, typed=typed, error=error,
                           project=db.session.get(Project, t.project_id),
                           once_key=once_key or uuid.uuid4().hex, methods=escrow.METHOD_LABELS,
                           terms=agreements.terms(db.session, t.project_id),
                           shift=cashier_services.current_shift(db.session, me())), status


@bp.get("/queue/<int:ticket_id>")
@roles_required("cashier")
def queue(ticket_id: int):
    """查: the queue number, its 认筹 fee and what is still due."""
    return _queue_page(ticket_id)


def _queue_refused(error: DomainError):
    return _queue_page(request.view_args["ticket_id"], typed=_typed_from(request.form), error=error.message,
                       once_key=request.form.get("once_key", ""), status=error.status)


@bp.post("/queue/<int:ticket_id>")
@roles_required("cashier")
@transaction(refused=_queue_refused)
def pay_queue(ticket_id: int):
    data = escrow.PaymentInput(item="queue_fee", **{k: v for k, v in _typed_from(request.form).items()
                                                    if k != "item"})
    payment = escrow.take_queue_fee(db.session, ticket_id, data, cashier=me(),
                                    once_key=request.form.get("once_key", ""))
    return go(url_for("escrow.payment", payment_id=payment.id))
