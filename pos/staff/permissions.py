"""Who may use which route.

Every view declares its roles with one of the decorators below. A global
``before_request`` hook (:func:`enforce`) refuses any route that declares
nothing — so a new route is closed until somebody says who may use it, and the
route × role test in ``tests/staff/test_routes_roles.py`` lists it.

A manager may do everything a clerk and a cashier may (SPEC.md, roles).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import abort, current_app, request
from flask_login import current_user

PUBLIC = "public"  # no login (the login screens, the health check, static files)
ANY_STAFF = "any"  # any logged-in member of staff

#: the roles a manager holds implicitly
MANAGER_INHERITS = frozenset({"clerk", "cashier"})


def roles_required(*roles: str):
    """``@roles_required("cashier")``: only staff holding one of these roles (managers
    also pass where clerk or cashier is named)."""
    from .models import ROLES

    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    def mark(view):
        view.pos_roles = frozenset(roles)
        return view

    return mark


def background(view):
    """A request the page makes by itself (the printer badge's polling): it does not count as
    the person's activity, so it never keeps an idle tablet logged in."""
    view.pos_background = True
    return view


def public(view):
    view.pos_roles = PUBLIC
    return view


def any_staff(view):
    view.pos_roles = ANY_STAFF
    return view


def effective_roles(roles: Iterable[str]) -> frozenset[str]:
    roles = frozenset(roles)
    if "manager" in roles:
        roles |= MANAGER_INHERITS
    return roles


def allowed(roles: Iterable[str], declared) -> bool:
    if declared == PUBLIC or declared == ANY_STAFF:
        return True
    return bool(effective_roles(roles) & declared)


def declared_roles(endpoint: str | None):
    if endpoint is None:
        return None
    if endpoint == "static" or endpoint.endswith(".static"):
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "pos_roles", None)


def enforce():
    """``before_request``: closed unless the route declares who may use it."""
    endpoint = request.endpoint
    if endpoint is None:  # 404 / 405: let Flask answer
        return None
    declared = declared_roles(endpoint)
    if declared is None:
        current_app.logger.error("route %s declares no roles: refused", endpoint)
        abort(403)
    if declared == PUBLIC:
        return None
    if not current_user.is_authenticated:
        from ..extensions import login_manager

        return login_manager.unauthorized()
    if not allowed(current_user.roles, declared):
        abort(403)
    return None


def user_may(endpoint: str) -> bool:
    """For templates: may the current person open this endpoint?"""
    declared = declared_roles(endpoint)
    if declared is None:
        return False
    if declared == PUBLIC:
        return True
    return bool(current_user.is_authenticated and allowed(current_user.roles, declared))
