"""The manager's shop settings: discount limits per role."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import nav
from ..audit.services import record
from ..extensions import db
from ..money import plain_number
from ..staff.models import ROLES
from ..staff.permissions import roles_required
from ..web import go, refuse_with, transaction
from . import services

bp = Blueprint("shop", __name__)

nav.register(nav.NavItem("shop.settings", nav._l("Settings"), "manager", icon="gear", order=85, in_header=False))
nav.register(nav.NavItem("shop.places", nav._l("Showrooms and cash stations"), "manager", icon="building",
                         order=86, in_header=False))


@bp.app_context_processor
def day_state():
    """``frozen_today()`` for any template: today's business day if it is signed off (日结), else None
    — the counter and the cash desk say so up front."""
    from flask_babel import get_locale

    # a label's colon in the reader's language: full-width in Chinese (顾客：), ": " in English
    colon = "：" if getattr(get_locale(), "language", "zh") == "zh" else ": "
    return {"frozen_today": lambda: services.frozen_today(db.session, hold=False), "colon": colon}


def _limits():
    return {role: services.get_setting(db.session, f"discount_limit.{role}") for role in ROLES}


def _invoice_settings():
    return {"prefix": services.get_setting(db.session, "invoice.prefix"),
            "vat": services.get_setting(db.session, "invoice.vat") == "1"}


def _typed_settings() -> dict:
    """The discount limits and the invoice settings as typed (the template's ``limits`` and ``invoice``)."""
    return {"limits": {role: request.form.get(role, "") for role in ROLES},
            "invoice": {"prefix": (request.form.get("invoice_prefix") or "").strip(),
                        "vat": request.form.get("vat") == "1"},
            "announce": request.form.get("announce_language", ""), "announce_languages": services.ANNOUNCE_LANGUAGES,
            "max_cash": request.form.get("max_cash_tendered", "")}


@bp.get("/manage/settings")
@roles_required("manager")
def settings():
    return render_template("shop/settings.html", limits=_limits(), invoice=_invoice_settings(),
                           announce=services.announce_language(db.session),
                           announce_languages=services.ANNOUNCE_LANGUAGES,
                           max_cash=plain_number(services.max_cash_tendered(db.session)))


@bp.post("/manage/settings")
@roles_required("manager")
@transaction(refused=refuse_with("shop/settings.html", _typed_settings))
def save_settings():
    typed = _typed_settings()
    limits, invoice = typed["limits"], typed["invoice"]
    for role in ROLES:
        services.set_discount_limit(db.session, role, limits[role])
    services.set_invoice_settings(db.session, invoice["prefix"], invoice["vat"])
    if typed["announce"]:
        services.set_announce_language(db.session, typed["announce"])
    if typed["max_cash"].strip():
        services.set_max_cash_tendered(db.session, typed["max_cash"])
    record(db.session, "shop.settings_changed", actor=current_user._get_current_object(),
           summary=", ".join(f"{r}={limits[r]}%" for r in ROLES)
           + f"; invoice {invoice['prefix']} VAT={'on' if invoice['vat'] else 'off'}",
           data={"limits": {r: str(limits[r]) for r in ROLES}, "invoice_prefix": invoice["prefix"],
                 "vat": bool(invoice["vat"]), "announce": services.announce_language(db.session)})
    flash(_("Settings saved."), "success")
    return go(url_for("shop.settings"))


# ------------------------------------------------------------------ showrooms and stations
def _places(**extra):
    from .models import Station

    all_stations = list(db.session.scalars(db.select(Station).order_by(Station.code)))
    return render_template("shop/places.html", showrooms=services.showrooms(db.session), stations=all_stations,
                           **extra)


@bp.get("/manage/places")
@roles_required("manager")
def places():
    return _places()


def _places_refused(**typed):
    """A change of the places screen refused: the screen again with the message (and the form's input)."""
    return lambda e: _places(error=e.message, **{name: request.form for name in typed})


def _changed_places(summary: str):
    """A change of the places screen, audited."""
    record(db.session, "shop.settings_changed", actor=current_user._get_current_object(), summary=summary)
    return go(url_for("shop.places"))


@bp.post("/manage/places/showrooms")
@roles_required("manager")
@transaction(refused=_places_refused(typed_room=True))
def add_showroom():
    form = request.form
    room = services.add_showroom(db.session, form.get("code", ""), form.get("name", ""), form.get("address", ""))
    return _changed_places(f"showroom {room.code} {room.name}")


@bp.post("/manage/places/stations")
@roles_required("manager")
@transaction(refused=_places_refused(typed_station=True))
def add_station():
    form = request.form
    station = services.add_station(db.session, form.get("code", ""), form.get("name", ""), form.get("showroom"))
    return _changed_places(f"station {station.code} {station.name}")


@bp.post("/manage/places/stations/<int:station_id>")
@roles_required("manager")
@transaction(refused=_places_refused())
def station_showroom(station_id: int):
    from ..errors import get_or_404
    from .models import Station

    station = get_or_404(db.session, Station, station_id, _("No such cash station."))
    services.set_station_showroom(db.session, station, request.form.get("showroom"))
    return _changed_places(f"station {station.code} → showroom {station.showroom_id or '-'}")
