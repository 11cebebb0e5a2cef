"""The serial search (序列号查询): type or scan a serial number, see what was sold to whom, when, and
whether it is still under warranty. Clerks, cashiers and managers; the customer's phone is masked
unless the person may see it (the customer's owner, a manager: pos.customers.ownership)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, request
from flask_login import current_user

from .. import nav
from ..customers import ownership
from ..errors import DomainError
from ..extensions import db
from ..staff.permissions import roles_required
from ..text import check_text
from . import serials
from .views import bp

nav.register(nav.NavItem("sales.serial_search", nav._l("Serial number search"), "clerk", icon="search", order=37,
                         in_header=False))
nav.register(nav.NavItem("sales.serial_search", nav._l("Serial number search"), "cashier", icon="search",
                         order=60, in_header=False))


@dataclass
class Found:
    row: serials.SoldSerial
    under_warranty: bool
    phone: str  # as this person may see it


@bp.get("/serials")
@roles_required("clerk", "cashier")
def serial_search():
    q = request.args.get("q") or ""
    error = None
    found: list[Found] = []
    if q.strip():
        try:
            q = check_text(q, label=nav._l("Serial number"), max_len=60)
            viewer = current_user._get_current_object()
            for hit in serials.look_up(db.session, q):
                customer = hit.row.customer
                phone = ""
                if customer is not None and customer.phone:
                    own = ownership.live_ownership(db.session, customer.id)
                    phone = ownership.shown_phone(viewer, customer, own)
                found.append(Found(hit.row, hit.under_warranty, phone))
        except DomainError as e:
            error = e.message
    status = 422 if error else 200
    return render_template("sales/serials_search.html", q=serials.normalise_serial(q), found=found,
                           error=error, searched=bool(q.strip())), status
