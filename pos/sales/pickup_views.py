"""The clerk's pickup screens (取货): find the stamped voucher, hand the goods over line by line.

The page is public to other domains' screens: delivery shows it again when a delivery request
is refused (:func:`pickup_page`)."""

from __future__ import annotations

import uuid

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _

from .. import errors, nav
from ..errors import DomainError
from ..extensions import db
from ..staff.permissions import roles_required
from ..web import go, transaction
from . import pickup, serials
from .models import Pickup, Voucher
from .views import bp, me

nav.register(nav.NavItem("sales.pickup_find", nav._l("Pickup"), "clerk", icon="box", order=35))


def pickup_page(voucher: Voucher, **extra):
    """The pickup screen of a voucher: what is left, what was handed over, why not (if not);
    on a refused POST the form's input is kept (``form``) with the same ``once_key``."""
    refusal = None
    try:
        pickup.check_can_hand_over(voucher, for_delivery=voucher.pay_on_delivery)
    except DomainError as e:
        refusal = e.message
    posted = request.method == "POST"
    return render_template("sales/pickup.html", v=voucher, left=pickup.remaining(db.session, voucher),
                           done=pickup.picked(db.session, voucher), history=pickup.pickups_of(db.session, voucher),
                           sold_serials=serials.serials_by_line(db.session, voucher.id),
                           refusal=refusal, form=request.form if posted else {},
                           once_key=request.form.get("once_key", "") if posted else uuid.uuid4().hex, **extra)


def typed_serials(voucher: Voucher) -> dict[int, str]:
    """Line id → the serial box as typed (``serials_<line id>``; one serial per line of the box)."""
    return {line.id: request.form.get(f"serials_{line.id}", "") for line in voucher.lines}


def pickup_refused(box: str = "error"):
    """``refused=`` for a POST from the pickup screen: the screen again, the message in ``box``
    (``error`` for the hand-over, ``delivery_error`` for the delivery request), the input kept."""
    return lambda e: pickup_page(pickup.find_for_pickup(db.session, request.view_args["no"]), **{box: e.message})


@bp.get("/pickup")
@roles_required("clerk")
def pickup_find():
    no = (request.args.get("no") or "").strip()
    if not no:
        return render_template("sales/pickup_find.html")
    try:
        voucher = pickup.find_for_pickup(db.session, no)
    except DomainError as e:
        return render_template("sales/pickup_find.html", error=e.message, no=no), e.status
    return pickup_page(voucher)


@bp.post("/pickup/<no>")
@roles_required("clerk")
@transaction(refused=pickup_refused())
def pickup_hand_over(no: str):
    voucher = pickup.find_for_pickup(db.session, no)
    quantities = {line.id: request.form.get(f"qty_{line.id}", "") for line in voucher.lines}
    pickup.hand_over(db.session, no, quantities, clerk=me(), once_key=request.form.get("once_key", ""),
                     shop_copy=request.form.get("shop_copy") == "1", serials=typed_serials(voucher))
    flash(_("Handed over. Thank the customer and see them off."), "success")
    return go(url_for("sales.pickup_find", no=voucher.no))


@bp.post("/pickup/<no>/print/<int:pickup_id>")
@roles_required("clerk")
@transaction()
def pickup_print(no: str, pickup_id: int):
    """Queue the handover note (交货单: lines, serial numbers, warranty) for the default printer."""
    from ..printers import services as printers
    from ..shop import services as shop

    voucher = pickup.find_for_pickup(db.session, no)

    def on_this_voucher(row: Pickup) -> None:
        if row.voucher_id != voucher.id:
            raise errors.NotFound(_("No such handover."))

    p = errors.get_or_404(db.session, Pickup, pickup_id, _("No such handover."), check=on_this_voucher)
    document = pickup.handover_document(db.session, p, shop.shop_name(db.session))
    printers.queue_from_screen(db.session, [(document, f"交货单 {voucher.no}")], kind="voucher", ref=voucher.no,
                               requested_by=me())
    return go(url_for("sales.pickup_find", no=voucher.no))
