"""The login screens, switching user, the staff screens and the audit log, over HTTP."""

import time

import pytest
from sqlalchemy import select

from pos.audit.models import AuditEntry
from pos.catalog.models import Product
from pos.extensions import db
from pos.staff.models import Staff
from tests.conftest import CASHIER, CLERK, MANAGER, login_as, make_app, staff_by_no
from tests.helpers import count, shown_at, text


def test_login_page_shows_tiles_in_chinese(client):
    resp = client.get("/login")
    assert resp.status_code == 200
    body = text(resp)
    assert "请选择您的姓名" in body and "李晓梅" in body and "营业员" in body
    assert 'lang="zh-CN"' in body


def test_keypad_login_lands_on_the_role_home(client):
    clerk = staff_by_no(CLERK)
    assert "PIN" in text(client.get(f"/login/{clerk.id}"))
    resp = client.post(f"/login/{clerk.id}", data={"pin": "1001"})
    # answered with the counter itself (pos.web.show), where a redirect to the home sent the tablet on to it;
    # the header marks it as the screen shown
    assert shown_at(resp) == "/counter" and 'data-testid="voucher-panel"' in text(resp)
    assert 'href="/counter" aria-current="page"' in text(resp)
    resp = client.get("/")  # a clerk lands on the counter, not on a page of tiles
    assert resp.status_code == 302 and resp.headers["Location"] == "/counter"
    assert "营业员工作台" in text(client.get("/home/clerk"))


@pytest.mark.parametrize(("staff_no", "pin", "screen", "shows"), [
    ("C001", "1001", "/counter", 'data-testid="voucher-panel"'),
    ("S001", "2001", "/cashier", "开班"),  # no shift open yet: the cash desk asks for the float
    ("D001", "3001", "/delivery", 'data-testid="free-slips"'),
    ("M001", "9001", None, None),  # a manager's home is a page of tiles: sent there
])
def test_each_person_is_answered_with_their_first_screen(client, staff_no, pin, screen, shows):
    resp = client.post(f"/login/{staff_by_no(staff_no).id}", data={"pin": pin})
    if screen is None:
        assert resp.status_code == 303 and resp.headers["Location"] == "/"
        return
    assert shown_at(resp) == screen and shows in text(resp)
    assert f'href="{screen}" aria-current="page"' in text(resp)  # the header marks the screen shown


def test_a_login_asked_to_go_back_to_a_first_screen_answers_with_it(client, session):
    """The keypad's ``next`` (a hand-off, or a tablet that logs its clerks in onto the counter): one of the
    screens people start on is drawn in the login's answer; any other address is where the tablet is sent."""
    clerk = staff_by_no(CLERK)
    page = text(client.get(f"/login/{clerk.id}?next=/counter"))
    assert 'name="next" value="/counter"' in page and "hx-post" not in page.split('data-testid="keypad"')[0][-400:]
    resp = client.post(f"/login/{clerk.id}", data={"pin": "1001", "next": "/counter"})
    assert shown_at(resp) == "/counter" and 'data-testid="voucher-panel"' in text(resp)
    resp = client.post(f"/login/{clerk.id}", data={"pin": "1001", "next": "/vouchers"})
    assert resp.status_code == 303 and resp.headers["Location"] == "/vouchers"
    resp = client.post(f"/login/{clerk.id}", data={"pin": "1001", "next": "/cashier"})  # not theirs: sent, refused
    assert resp.status_code == 303 and resp.headers["Location"] == "/cashier"
    assert client.get("/cashier").status_code == 403


def test_htmx_login_answers_with_hx_redirect(client):
    cashier = staff_by_no(CASHIER)
    resp = client.post(f"/login/{cashier.id}", data={"pin": "2001"}, headers={"HX-Request": "true"})
    # htmx is sent to the screen the person starts on (their cash desk), not to the home that sends it on
    assert resp.status_code == 200 and resp.headers["HX-Redirect"] == "/cashier"
    assert "收银台" in text(client.get("/", follow_redirects=True))


@pytest.mark.parametrize(("pin", "status", "message"), [
    ("0000", 401, "PIN 码错误"),
    ("", 422, "请输入 PIN 码"),
    ("12", 422, "4 到 6 位数字"),
    ("abcd", 422, "4 到 6 位数字"),
])
def test_wrong_pins(client, pin, status, message):
    clerk = staff_by_no(CLERK)
    resp = client.post(f"/login/{clerk.id}", data={"pin": pin}, headers={"HX-Request": "true"})
    assert resp.status_code == status
    assert message in text(resp)
    assert client.get("/").status_code == 302  # still not logged in


def test_five_wrong_pins_lock_and_the_screen_says_so(client):
    clerk = staff_by_no("C002")
    for _ in range(4):
        assert client.post(f"/login/{clerk.id}", data={"pin": "0000"}).status_code == 401
    resp = client.post(f"/login/{clerk.id}", data={"pin": "0000"})
    assert resp.status_code == 423 and "已被锁定 5 分钟" in text(resp)
    resp = client.post(f"/login/{clerk.id}", data={"pin": "1002"})
    assert resp.status_code == 423 and "分钟后再试" in text(resp)


def test_deactivated_person_is_refused_and_their_session_ends(client, session):
    clerk = staff_by_no("C002")
    login_as(client, "C002")
    assert client.get("/").status_code == 302  # to the role home
    clerk.active = False
    session.commit()
    resp = client.get("/home/clerk")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    resp = client.post(f"/login/{clerk.id}", data={"pin": "1002"})
    assert resp.status_code == 403 and "已停用" in text(resp)


def test_unknown_staff_tile_is_404(client):
    assert client.get("/login/999999").status_code == 404


def test_password_login_for_managers(client):
    resp = client.post("/login/password", data={"staff_no": "M001", "password": "wrong-one"})
    assert resp.status_code == 401 and "工号或密码错误" in text(resp)
    resp = client.post("/login/password", data={"staff_no": "", "password": ""})
    assert resp.status_code == 422
    resp = client.post("/login/password", data={"staff_no": "M001", "password": "manager-demo"})
    assert resp.status_code == 303
    assert "店长工作台" in text(client.get("/", follow_redirects=True))


def test_switch_user_is_one_tap(as_clerk):
    resp = as_clerk.post("/logout")
    assert resp.status_code == 303 and resp.headers["Location"] == "/login"
    assert as_clerk.get("/").status_code == 302


def test_idle_logout(tmp_path, template_db, media_dir):
    app = make_app(tmp_path, template_db, media_dir, POS_IDLE_LOGOUT_MINUTES=1)
    client = app.test_client()
    with app.app_context():
        login_as(client, CLERK)
    assert client.get("/home/clerk").status_code == 200
    with client.session_transaction() as sess:
        sess["last_seen"] = time.time() - 61
    resp = client.get("/home/clerk")
    assert resp.status_code == 302 and "reason=idle" in resp.headers["Location"]
    assert "已自动退出" in text(client.get(resp.headers["Location"]))


def test_htmx_request_after_logout_gets_hx_redirect(client):
    resp = client.get("/staff", headers={"HX-Request": "true"})
    assert resp.status_code == 200 and resp.headers["HX-Redirect"].startswith("/login")


def test_csrf_is_required_on_posts(tmp_path, template_db, media_dir):
    app = make_app(tmp_path, template_db, media_dir, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        clerk = staff_by_no(CLERK)
    resp = client.post(f"/login/{clerk.id}", data={"pin": "1001"})
    assert resp.status_code == 400 and "页面已过期" in resp.get_data(as_text=True)
    # with the token from the page (as htmx sends it, in a header) it works
    page = client.get("/login").get_data(as_text=True)
    token = page.split('"X-CSRFToken": "')[1].split('"')[0]
    resp = client.post(f"/login/{clerk.id}", data={"pin": "1001"}, headers={"X-CSRFToken": token})
    assert shown_at(resp) == "/counter"
    # the counter it answers with carries a token of the new session (the login cleared the old one):
    # its first tap works
    token = text(resp).split('"X-CSRFToken": "')[1].split('"')[0]
    with app.app_context():
        product_id = db.session.scalar(select(Product.id).where(Product.stock_on_hand > 0).limit(1))
    resp = client.post("/counter/lines", data={"product_id": product_id, "quantity": "1"},
                       headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert resp.status_code == 200, text(resp)[:300]


def test_language_switch(client):
    resp = client.post("/lang", data={"lang": "en", "back": "/login"})
    assert resp.status_code == 303
    body = text(client.get("/login"))
    assert "Who is working?" in body and 'lang="en"' in body
    assert client.post("/lang", data={"lang": "xx"}).status_code == 400


def test_wrong_role_gets_403_in_chinese(as_clerk):
    resp = as_clerk.get("/staff")
    assert resp.status_code == 403 and "无权" in text(resp)
    assert as_clerk.get("/home/manager").status_code == 403


# ------------------------------------------------------------- staff screens
def test_manager_adds_staff(as_manager, session):
    resp = as_manager.post("/staff/new", data={"staff_no": "C010", "full_name": "新营业员", "roles": ["clerk"],
                                               "pin": "5678"})
    assert resp.status_code == 303
    staff = staff_by_no("C010")
    assert staff.roles == {"clerk"}
    assert "新营业员" in text(as_manager.get("/staff"))


@pytest.mark.parametrize(("data", "message"), [
    ({"staff_no": "C001"}, "已被使用"),
    ({"pin": "12"}, "4 到 6 位数字"),
    ({"pin": "1234567"}, "4 到 6 位数字"),
    ({"pin": "-123"}, "4 到 6 位数字"),
    ({"full_name": ""}, "请输入全名"),
    ({"full_name": "长" * 41}, "最多 40 个字符"),
    ({"staff_no": "x" * 21}, "最多 20 个字符"),
    ({"roles": []}, "请至少选择一个角色"),
    ({"roles": ["manager"]}, "店长密码"),
])
def test_bad_staff_input_is_refused_and_nothing_saved(as_manager, session, data, message):
    before = count(session, Staff)
    form = {"staff_no": "C011", "full_name": "某某", "roles": ["clerk"], "pin": "1234", **data}
    resp = as_manager.post("/staff/new", data=form)
    assert resp.status_code == 422
    assert message in text(resp)
    assert count(session, Staff) == before
    # the input is kept
    if data.get("full_name", "某某") == "某某":
        assert 'value="某某"' in text(resp)


def test_reset_pin_and_deactivate_from_the_screen(as_manager, session):
    clerk = staff_by_no("C002")
    assert as_manager.post(f"/staff/{clerk.id}/pin", data={"pin": "12"}).status_code == 422
    assert as_manager.post(f"/staff/{clerk.id}/pin", data={"pin": "7777"}).status_code == 303
    resp = as_manager.post(f"/staff/{clerk.id}/deactivate", data={"reason": "离职"})
    assert resp.status_code == 303
    session.refresh(clerk)
    assert clerk.active is False
    resp = as_manager.post(f"/staff/{clerk.id}/deactivate", data={"reason": ""})
    assert resp.status_code == 422 and "已经停用" in text(resp)
    assert as_manager.post(f"/staff/{clerk.id}/reactivate").status_code == 303
    entry = session.scalar(select(AuditEntry).where(AuditEntry.kind == "staff.deactivated"))
    assert entry.reason == "离职" and entry.staff.staff_no == "M001"


def test_manager_cannot_deactivate_self(as_manager):
    me = staff_by_no(MANAGER)
    resp = as_manager.post(f"/staff/{me.id}/deactivate", data={})
    assert resp.status_code == 422 and "不能停用自己" in text(resp)


def test_staff_detail_of_nobody_is_404(as_manager):
    assert as_manager.get("/staff/999999").status_code == 404
    assert as_manager.post("/staff/999999/pin", data={"pin": "1234"}).status_code == 404


# ------------------------------------------------------------- audit log
def test_audit_log_lists_and_filters(as_manager, session):
    clerk = staff_by_no("C002")
    as_manager.post(f"/staff/{clerk.id}/pin", data={"pin": "7777"})
    body = text(as_manager.get("/audit"))
    assert "staff.pin_reset" in body and "王建国" in body
    manager = staff_by_no(MANAGER)
    body = text(as_manager.get(f"/audit?staff={manager.id}&kind=staff.pin_reset"))
    assert "staff.pin_reset" in body and "staff.created" not in body.split("<tbody>")[1]
    assert as_manager.get("/audit?from=2026-13-01").status_code == 422
    resp = as_manager.get("/audit?from=2026-11-02&to=2026-11-01")
    assert resp.status_code == 422 and "开始日期晚于结束日期" in text(resp)


def test_audit_log_is_for_managers(as_cashier):
    assert as_cashier.get("/audit").status_code == 403
