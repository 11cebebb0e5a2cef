"""The manager's shop settings: discount limits per role."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import nav
from ..audit.services import record
from ..errors import DomainError
from ..extensions import db
from ..staff.models import ROLES
from ..staff.permissions import roles_required
from ..web import attempt, go
from . import services

bp = Blueprint("shop", __name__)

nav.register(nav.NavItem("shop.settings", nav._l("Settings"), "manager", icon="gear", order=85))
nav.register(nav.NavItem("shop.places", nav._l("Showrooms and cash stations"), "manager", icon="building",
                         order=86, in_header=False))


def _limits():
    return {role: services.get_setting(db.session, f"discount_limit.{role}") for role in ROLES}


def _invoice_settings():
    return {"prefix": services.get_setting(db.session, "invoice.prefix"),
            "vat": services.get_setting(db.session, "invoice.vat") == "1"}


@bp.route("/manage/settings", methods=["GET", "POST"])
@roles_required("manager")
def settings():
    if request.method == "GET":
        return render_template("shop/settings.html", limits=_limits(), invoice=_invoice_settings())
    typed = {role: request.form.get(role, "") for role in ROLES}
    invoice = {"prefix": (request.form.get("invoice_prefix") or "").strip(), "vat": request.form.get("vat") == "1"}
    try:
        for role in ROLES:
            services.set_discount_limit(db.session, role, typed[role])
        services.set_invoice_settings(db.session, invoice["prefix"], invoice["vat"])
        record(db.session, "shop.settings_changed", actor=current_user._get_current_object(),
               summary=", ".join(f"{r}={typed[r]}%" for r in ROLES)
               + f"; invoice {invoice['prefix']} VAT={'on' if invoice['vat'] else 'off'}")
    except DomainError as e:
        db.session.rollback()
        return render_template("shop/settings.html", limits=typed, invoice=invoice, error=e.message,
                               field=e.field), e.status
    db.session.commit()
    flash(_("Settings saved."), "success")
    return go(url_for("shop.settings"))


# ------------------------------------------------------------------ showrooms and stations
def _places(status: int = 200, **extra):
    from .models import Station

    all_stations = list(db.session.scalars(db.select(Station).order_by(Station.code)))
    return render_template("shop/places.html", showrooms=services.showrooms(db.session), stations=all_stations,
                           **extra), status


@bp.get("/manage/places")
@roles_required("manager")
def places():
    return _places()


def _change_places(change, **typed):
    """One change of the places screen, audited; or the screen again with the error."""
    def audited():
        record(db.session, "shop.settings_changed", actor=current_user._get_current_object(), summary=change())

    _result, refused = attempt(audited, lambda e: _places(e.status, error=e.message, **typed))
    return refused or go(url_for("shop.places"))


@bp.post("/manage/places/showrooms")
@roles_required("manager")
def add_showroom():
    form = request.form

    def change():
        room = services.add_showroom(db.session, form.get("code", ""), form.get("name", ""), form.get("address", ""))
        return f"showroom {room.code} {room.name}"

    return _change_places(change, typed_room=form)


@bp.post("/manage/places/stations")
@roles_required("manager")
def add_station():
    form = request.form

    def change():
        station = services.add_station(db.session, form.get("code", ""), form.get("name", ""), form.get("showroom"))
        return f"station {station.code} {station.name}"

    return _change_places(change, typed_station=form)


@bp.post("/manage/places/stations/<int:station_id>")
@roles_required("manager")
def station_showroom(station_id: int):
    from ..errors import NotFound
    from .models import Station

    station = db.session.get(Station, station_id)
    if station is None:
        raise NotFound(_("No such cash station."))

    def change():
        services.set_station_showroom(db.session, station, request.form.get("showroom"))
        return f"station {station.code} → showroom {station.showroom_id or '-'}"

    return _change_places(change)
