"""The sales-control board's screens: the board, the cheap 'changed since' poll, a unit's panel,
holding, releasing and locking through the web — refusals at 4xx with nothing saved."""

from datetime import timedelta

from sqlalchemy import select

from pos.clock import local_today
from pos.property.models import Building, Unit, UnitClaim
from tests.conftest import login_as
from tests.helpers import count, row_counts, text

HX = {"HX-Request": "true"}


def _version(session, building):
    return session.scalar(select(Building.version).where(Building.id == building.id))


def test_board_shows_floors_top_down_with_legend_counts_and_symbols(as_clerk, b2):
    resp = as_clerk.get(f"/property/buildings/{b2.id}")
    assert resp.status_code == 200
    page = text(resp)
    assert page.index(">33F<") < page.index(">1F<")  # the top floor on top
    assert page.count('class="sc-cell ') == 264
    assert 'data-testid="legend"' in page and "◐" in page and "✔" in page and "✖" in page
    assert "可售" in page and "已认购" in page and "锁定" in page  # Chinese by default
    assert f'hx-get="/property/buildings/{b2.id}/changes?v={b2.version}' in page
    assert 'hx-trigger="every 1500ms"' in page


def test_project_board_has_both_buildings_and_the_project_total(as_manager, project):
    page = text(as_manager.get(f"/property/projects/{project.id}"))
    assert 'data-testid="board-1号楼"' in page and 'data-testid="board-2号楼"' in page
    assert f'data-testid="tally-p{project.id}"' in page and "&amp;p=1" in page


def test_index_lists_projects_with_their_figures(as_clerk, project):
    page = text(as_clerk.get("/property/"))
    assert project.name in page and project.escrow_account_no in page


def test_poll_answers_204_when_nothing_changed(as_clerk, session, b1):
    t = int(local_today().toordinal())  # any past instant
    resp = as_clerk.get(f"/property/buildings/{b1.id}/changes?v={_version(session, b1)}&t={t}")
    assert resp.status_code == 204 and resp.data == b""


def test_poll_answers_the_changed_cells_out_of_band(client, session, b1, unit_no):
    from pos.dbtypes import utcnow

    login_as(client, "C002")
    before, t = _version(session, b1), int(utcnow().timestamp())
    unit = unit_no(b1, "1701")
    resp = client.post(f"/property/units/{unit.id}/hold", data={"customer_name": "孙先生"}, headers=HX)
    assert resp.status_code == 200, text(resp)
    login_as(client, "C001")
    resp = client.get(f"/property/buildings/{b1.id}/changes?v={before}&t={t}", headers=HX)
    body = text(resp)
    assert resp.status_code == 200
    assert f'id="unit-{unit.id}" class="sc-cell sc-held"' in body and 'hx-swap-oob="true"' in body
    assert f"v={before + 1}" in body  # the new poller carries the new version
    assert body.count('class="sc-cell ') == 1  # only what changed
    assert f'id="tally-b{b1.id}"' in body


def test_poll_with_bad_arguments_is_a_400(as_clerk, b1):
    assert as_clerk.get(f"/property/buildings/{b1.id}/changes?v=x&t=1").status_code == 400
    assert as_clerk.get(f"/property/buildings/{b1.id}/changes").status_code == 400
    assert as_clerk.get("/property/buildings/999999/changes?v=1&t=1").status_code == 404


def test_unit_panel_shows_details_price_and_history(as_clerk, b1, unit_no):
    unit = unit_no(b1, "1801")
    page = text(as_clerk.get(f"/property/units/{unit.id}", headers=HX))
    assert "1801" in page and "128.56" in page and "￥3,694,450.00" not in page
    assert 'data-testid="held-by"' in page and "李晓梅" in page
    assert 'data-testid="unit-history"' in page and 'data-testid="filed-total"' in page


def test_hold_through_the_web_and_the_second_agent_is_refused_with_409(client, session, b1, unit_no):
    unit = unit_no(b1, "1703")
    login_as(client, "C001")
    resp = client.post(f"/property/units/{unit.id}/hold", data={"customer_name": "周先生"}, headers=HX)
    assert resp.status_code == 200 and "sc-held" in text(resp)  # the panel and the cell (oob)
    login_as(client, "C002")
    before = row_counts(session)
    resp = client.post(f"/property/units/{unit.id}/hold", data={"customer_name": "吴先生"}, headers=HX)
    assert resp.status_code == 409
    assert "已被" in text(resp) or "李晓梅" in text(resp)
    session.expire_all()
    assert row_counts(session) == before


def test_hold_without_a_customer_is_422_and_nothing_saved(as_clerk, session, b1, unit_no):
    unit = unit_no(b1, "1703")
    before = count(session, UnitClaim)
    resp = as_clerk.post(f"/property/units/{unit.id}/hold", data={"customer_name": " "}, headers=HX)
    assert resp.status_code == 422
    assert count(session, UnitClaim) == before
    session.expire_all()
    assert session.get(Unit, unit.id).status == "available"


def test_an_agent_may_not_lock_or_release(as_clerk, b1, b2, unit_no):
    assert as_clerk.post(f"/property/units/{unit_no(b1, '1703').id}/lock",
                         data={"reason": "x", "until": "2099-01-01"}).status_code == 403
    assert as_clerk.post(f"/property/units/{unit_no(b2, '3001').id}/release").status_code == 403


def test_manager_locks_with_reason_and_date_and_bad_dates_are_refused(as_manager, session, b1, unit_no):
    unit = unit_no(b1, "1703")
    resp = as_manager.post(f"/property/units/{unit.id}/lock", data={"reason": "退房", "until": "yesterday"},
                           headers=HX)
    assert resp.status_code == 422 and "退房" in text(resp)  # the typed reason is kept
    until = (local_today() + timedelta(days=30)).isoformat()
    resp = as_manager.post(f"/property/units/{unit.id}/lock", data={"reason": "退房", "until": until}, headers=HX)
    assert resp.status_code == 200
    session.expire_all()
    assert session.get(Unit, unit.id).status == "locked"


def test_manager_releases_a_unit_for_sale(as_manager, session, b2, unit_no):
    unit = unit_no(b2, "3001")
    assert as_manager.post(f"/property/units/{unit.id}/release", headers=HX).status_code == 200
    session.expire_all()
    assert session.get(Unit, unit.id).status == "available"


def test_price_check_needs_the_managers_pin_below_the_agents_limit(as_clerk, session, b1, unit_no):
    from tests.conftest import staff_by_no

    unit = unit_no(b1, "201")  # filed ￥3,696,100.00, floor 5 % below
    resp = as_clerk.post(f"/property/units/{unit.id}/price-check", data={"price": "3600000"}, headers=HX)
    assert resp.status_code == 403
    manager = staff_by_no("M001")
    resp = as_clerk.post(f"/property/units/{unit.id}/price-check",
                         data={"price": "3600000", "manager_id": manager.id, "manager_pin": "9001"}, headers=HX)
    assert resp.status_code == 200 and 'data-testid="price-ok"' in text(resp)
    resp = as_clerk.post(f"/property/units/{unit.id}/price-check", data={"price": "3700000"}, headers=HX)
    assert resp.status_code == 422


def test_the_board_poll_does_not_keep_an_idle_tablet_logged_in(client, session, b1):
    import time

    login_as(client, "C001")
    assert client.get(f"/property/buildings/{b1.id}").status_code == 200  # opening the board: activity
    nine_minutes_ago = time.time() - 9 * 60
    with client.session_transaction() as sess:
        sess["last_seen"] = nine_minutes_ago
    poll = f"/property/buildings/{b1.id}/changes?v={_version(session, b1)}&t={int(time.time())}"
    for _ in range(3):  # the board asks every 1.5 s by itself
        assert client.get(poll, headers=HX).status_code == 204
    with client.session_transaction() as sess:
        assert sess["last_seen"] == nine_minutes_ago  # the poll is not activity
        sess["last_seen"] = time.time() - 11 * 60  # past the 10-minute limit
    assert client.get(poll, headers=HX).status_code != 204
    with client.session_transaction() as sess:
        assert "_user_id" not in sess  # logged out for idleness
    # a real request by the person still counts
    login_as(client, "C001")
    with client.session_transaction() as sess:
        sess["last_seen"] = nine_minutes_ago
    assert client.get(f"/property/buildings/{b1.id}").status_code == 200
    with client.session_transaction() as sess:
        assert sess["last_seen"] > nine_minutes_ago
