"""The delivery staff's screens (phone or tablet), the clerk's delivery request, the
manager's assignments, the slip in print, and the cashier receiving delivery cash."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import nav
from ..errors import DomainError
from ..extensions import db
from ..money import format_money
from ..qr import qr_svg
from ..sales import pickup, serials
from ..sales.pickup_views import pickup_refused, typed_serials
from ..shop import services as shop
from ..staff import services as staff_services
from ..staff.models import Staff
from ..staff.permissions import roles_required
from ..text import parse_id
from ..web import go, pdf_response, refuse_with, template_globals, transaction, valid
from . import services
from .forms import DispatchRequestForm
from .models import SlipStatus

bp = Blueprint("delivery", __name__)

nav.register(nav.NavItem("delivery.queue", nav._l("My deliveries"), "delivery", icon="truck", order=10))
nav.register(nav.NavItem("delivery.manage", nav._l("Dispatch"), "manager", icon="truck", order=50))
nav.register(nav.NavItem("delivery.cash", nav._l("Delivery cash"), "cashier", icon="cash", order=35,
                         in_header=False))

STATUS_LABELS = {SlipStatus.OPEN: nav._l("Waiting for a driver"), SlipStatus.ASSIGNED: nav._l("Assigned"),
                 SlipStatus.OUT: nav._l("Out for delivery"), SlipStatus.DELIVERED: nav._l("Delivered")}
EVENT_LABELS = {"created": nav._l("Slip created"), "pulled": nav._l("Taken by the driver"),
                "assigned": nav._l("Assigned"), "out": nav._l("Out for delivery"), "delivered": nav._l("Delivered"),
                "failed": nav._l("Not delivered")}


def me() -> Staff:
    return current_user._get_current_object()


def delivery_history(voucher):
    return services.slips_of(db.session, voucher.id) if voucher is not None and voucher.id else []


template_globals(bp, slip_status_labels=STATUS_LABELS, delivery_event_labels=EVENT_LABELS,
                 delivery_history=delivery_history)


def drivers() -> list[Staff]:
    return staff_services.drivers(db.session)


# ------------------------------------------------------------------ the clerk asks for delivery
@bp.post("/delivery/request/<no>")
@roles_required("clerk")
@transaction(refused=pickup_refused("delivery_error"))
def request_delivery(no: str):
    voucher = pickup.find_for_pickup(db.session, no)
    form = valid(DispatchRequestForm())
    slip = services.request_delivery(db.session, no, form.quantities(voucher), clerk=me(),
                                    serials=typed_serials(voucher), **form.details())
    flash(_("Dispatch slip %(no)s created for the delivery staff.", no=slip.no), "success")
    return go(url_for("delivery.slip", slip_id=slip.id))


# ------------------------------------------------------------------ delivery staff
@bp.get("/delivery")
@roles_required("delivery")
def queue():
    mine, free = services.queue(db.session, me())
    return render_template("delivery/queue.html", mine=mine, free=free)


@bp.get("/delivery/slips/<int:slip_id>")
@roles_required("delivery", "clerk")
def slip(slip_id: int):
    s = services.get_slip(db.session, slip_id)
    services.check_may_see(s, me())
    return render_template("delivery/slip.html", s=s, qr=qr_svg(s.no), drivers=drivers())


def _slip_refused(e: DomainError):
    """A driver's step was refused: the slip again with the message and what was typed."""
    s = services.get_slip(db.session, request.view_args["slip_id"])
    services.check_may_see(s, me())
    return render_template("delivery/slip.html", s=s, qr=qr_svg(s.no), drivers=drivers(), error=e.message,
                           form=request.form)


def _after_step(s):
    """Back to the slip, or to the queue when the slip went back to the pool."""
    return go(url_for("delivery.slip", slip_id=s.id) if s.status != SlipStatus.OPEN or s.driver_id
              else url_for("delivery.queue"))


@bp.post("/delivery/slips/<int:slip_id>/pull")
@roles_required("delivery")
@transaction(refused=_slip_refused)
def pull(slip_id: int):
    return _after_step(services.pull(db.session, slip_id, driver=me()))


@bp.post("/delivery/slips/<int:slip_id>/out")
@roles_required("delivery")
@transaction(refused=_slip_refused)
def out(slip_id: int):
    s = services.get_slip(db.session, slip_id)
    services.mark_out(db.session, s, driver=me())
    return _after_step(s)


@bp.post("/delivery/slips/<int:slip_id>/delivered")
@roles_required("delivery")
@transaction(refused=_slip_refused)
def delivered(slip_id: int):
    s = services.get_slip(db.session, slip_id)
    services.mark_delivered(db.session, s, request.form.get("received_by", ""), driver=me(),
                            collected=request.form.get("collected") == "1")
    return _after_step(s)


@bp.post("/delivery/slips/<int:slip_id>/failed")
@roles_required("delivery")
@transaction(refused=_slip_refused)
def failed(slip_id: int):
    s = services.get_slip(db.session, slip_id)
    services.mark_failed(db.session, s, request.form.get("reason", ""), driver=me())
    return _after_step(s)


@bp.get("/delivery/slips/<int:slip_id>.pdf")
@roles_required("delivery", "clerk")
def slip_pdf(slip_id: int):
    s = services.get_slip(db.session, slip_id)
    services.check_may_see(s, me())
    return pdf_response("print/slip_a5.html", f"slip-{s.no}.pdf", s=s, qr=qr_svg(s.no), page_size="A5",
                        shop_name=shop.shop_name(db.session),
                        serials=serials.serials_by_line(db.session, s.voucher_id, pickup_id=s.pickup_id))


@bp.post("/delivery/slips/<int:slip_id>/print")
@roles_required("delivery", "clerk")
@transaction()
def slip_print(slip_id: int):
    from ..printers import services as printers
    from .documents import slip_document

    s = services.get_slip(db.session, slip_id)
    services.check_may_see(s, me())
    document = slip_document(s, shop.shop_name(db.session))
    printers.queue_from_screen(db.session, [(document, f"送货单 {s.no}")], kind="slip", ref=s.no, requested_by=me())
    return go(url_for("delivery.slip", slip_id=s.id))


# ------------------------------------------------------------------ the manager
@bp.get("/delivery/manage")
@roles_required("manager")
def manage():
    return render_template("delivery/manage.html", slips=services.all_slips(db.session), drivers=drivers())


@bp.post("/delivery/slips/<int:slip_id>/assign")
@roles_required("manager")
@transaction(refused=refuse_with("delivery/manage.html", lambda: {"slips": services.all_slips(db.session),
                                                                  "drivers": drivers()}))
def assign(slip_id: int):
    s = services.get_slip(db.session, slip_id)
    services.assign(db.session, s, request.form.get("driver_id", type=parse_id), manager=me())
    return go(url_for("delivery.manage"))


# ------------------------------------------------------------------ the cashier receives delivery cash
@bp.get("/cashier/delivery-cash")
@roles_required("cashier")
def cash():
    return render_template("delivery/cash.html", rows=services.cash_to_receive(db.session),
                           once=uuid.uuid4().hex)


@bp.post("/cashier/delivery-cash/<int:cash_id>")
@roles_required("cashier")
@transaction(refused=refuse_with("delivery/cash.html", lambda: {"rows": services.cash_to_receive(db.session)}))
def receive_cash(cash_id: int):
    row = services.receive_cash(db.session, cash_id, cashier_staff=me())
    flash(_("Received %(amount)s from %(name)s; voucher %(no)s is paid.", amount=format_money(row.amount),
            name=row.driver.full_name, no=row.slip.voucher.no), "success")
    return go(url_for("delivery.cash"))
