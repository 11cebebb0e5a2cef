"""Logging out ends the session on the server too: a copy of the cookie taken before 切换用户
(or before someone else's PIN took the tablet) no longer logs anybody in."""

import pytest

from tests.conftest import staff_by_no

COOKIE = "session"


def _pin_login(client, staff_no, pin):
    resp = client.post(f"/login/{staff_by_no(staff_no).id}", data={"pin": pin})
    # a redirect, or the screen the person starts on (a clerk's counter, pos.web.show)
    assert resp.status_code in (302, 303) or resp.headers.get("Content-Location"), resp.status_code
    return client.get_cookie(COOKIE).value


def _with_cookie(app, value):
    other = app.test_client()
    other.set_cookie(COOKIE, value)
    return other


def _home(client):
    return client.get("/home/clerk")


@pytest.mark.parametrize("switch", ["logout", "pin"])
def test_a_cookie_captured_before_switching_user_stops_working(app, client, switch):
    captured = _pin_login(client, "C001", "1001")
    thief = _with_cookie(app, captured)
    assert _home(thief).status_code == 200  # the copy works while the session lives
    if switch == "logout":
        assert client.post("/logout").status_code in (302, 303)  # 切换用户
    else:
        _pin_login(client, "C002", "1002")  # the next person types their PIN on the same tablet
    resp = _home(thief)
    assert resp.status_code in (302, 303) and "/login" in resp.headers["Location"]
    # the person logs in again: a fresh session works, the captured one still does not
    fresh = app.test_client()
    _pin_login(fresh, "C001", "1001")
    assert _home(fresh).status_code == 200
    assert _home(thief).status_code in (302, 303)


def test_logging_in_again_as_oneself_keeps_ones_other_tablet(app, client):
    """A clerk with two tablets: logging in on the second does not end the first."""
    first = app.test_client()
    _pin_login(first, "C001", "1001")
    _pin_login(client, "C001", "1001")
    assert _home(first).status_code == 200
