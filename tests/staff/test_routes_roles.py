"""Every registered route × every role (and anonymous): allowed, 403, or sent to login.

The expected answer comes from what each view declares (``roles_required``,
``any_staff``, ``public``), so a new route is checked here without anyone
adding it; a route that declares nothing fails ``test_every_route_declares_roles``.
"""

from __future__ import annotations

import pytest

from pos.staff.permissions import ANY_STAFF, PUBLIC, allowed
from tests.conftest import login_as

PEOPLE = {"clerk": "C001", "cashier": "S001", "manager": "M001", "delivery": "D001", None: None}
CONVERTER_VALUE = {"IntegerConverter": "999999", "PathConverter": "nothing/there.png"}


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        values = {name: CONVERTER_VALUE.get(type(conv).__name__, "nothing") for name, conv in rule._converters.items()}
        url = app.url_map.bind("localhost").build(rule.endpoint, values, method=None, force_external=False)
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield rule.endpoint, method, url


def test_every_route_declares_roles(app):
    undeclared = [e for e, _, _ in routes(app) if not hasattr(app.view_functions[e], "pos_roles")]
    assert undeclared == []


def test_an_undeclared_route_is_refused(app, client):
    @app.get("/undeclared-test-route")
    def undeclared():
        return "should never be served"

    login_as(client, "M001")
    assert client.get("/undeclared-test-route").status_code == 403


@pytest.mark.parametrize("role", list(PEOPLE), ids=lambda r: r or "anonymous")
def test_every_route_for_every_role(app, role):
    seen = 0
    for endpoint, method, url in routes(app):
        client = app.test_client()
        if role:
            login_as(client, PEOPLE[role])
        declared = app.view_functions[endpoint].pos_roles
        resp = client.open(url, method=method, data={})
        where = (f"{method} {url} ({endpoint}) as {role or 'anonymous'}: "
                 f"{resp.status_code} {resp.headers.get('Location', '')}")
        # the gate answers 302 to the login screen; views that end a session (logout) answer 303
        to_login = resp.status_code == 302 and "/login" in resp.headers.get("Location", "")
        if declared == PUBLIC:
            assert resp.status_code not in (401, 403) and not to_login, where
        elif role is None:
            assert to_login, where
        elif declared == ANY_STAFF or allowed({role}, declared):
            assert resp.status_code != 403 and not to_login and resp.status_code < 500, where
        else:
            assert resp.status_code == 403, where
        seen += 1
    assert seen >= 15


def test_manager_inherits_clerk_and_cashier_but_not_delivery():
    assert allowed({"manager"}, frozenset({"clerk"}))
    assert allowed({"manager"}, frozenset({"cashier"}))
    assert not allowed({"manager"}, frozenset({"delivery"}))
    assert not allowed({"clerk"}, frozenset({"manager"}))
