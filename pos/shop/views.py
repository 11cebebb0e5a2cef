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
from ..web import go
from . import services

bp = Blueprint("shop", __name__)

nav.register(nav.NavItem("shop.settings", nav._l("Settings"), "manager", icon="gear", order=85))


def _limits():
    return {role: services.get_setting(db.session, f"discount_limit.{role}") for role in ROLES}


@bp.route("/manage/settings", methods=["GET", "POST"])
@roles_required("manager")
def settings():
    if request.method == "GET":
        return render_template("shop/settings.html", limits=_limits())
    typed = {role: request.form.get(role, "") for role in ROLES}
    try:
        for role in ROLES:
            services.set_discount_limit(db.session, role, typed[role])
        record(db.session, "shop.settings_changed", actor=current_user._get_current_object(),
               summary=", ".join(f"{r}={typed[r]}%" for r in ROLES))
    except DomainError as e:
        db.session.rollback()
        return render_template("shop/settings.html", limits=typed, error=e.message, field=e.field), e.status
    db.session.commit()
    flash(_("Settings saved."), "success")
    return go(url_for("shop.settings"))
