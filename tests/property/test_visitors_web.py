"""Visitor registration, the agent's customers, follow-ups and the collision queue through the web."""

from sqlalchemy import select

from pos.customers.models import Collision, Customer
from tests.conftest import login_as
from tests.helpers import row_counts, text

HX = {"HX-Request": "true"}


def _register(client, phone, name="钱女士", channel="walk_in", **extra):
    return client.post("/visitors/register", data={"phone": phone, "name": name, "channel": channel, **extra},
                       headers=HX)


def test_agent_registers_a_visitor(client, session):
    login_as(client, "C001")
    resp = _register(client, "＋86 139-2222-3333", needs_area="100")
    assert resp.status_code == 200 and 'data-testid="registered"' in text(resp)
    assert session.scalar(select(Customer).where(Customer.phone == "13922223333")).name == "钱女士"
    page = text(client.get("/visitors/"))
    assert "钱女士" in page and "13922223333" in page


def test_bad_phone_is_422_with_the_input_kept_and_nothing_saved(client, session):
    login_as(client, "C001")
    before = row_counts(session)
    resp = _register(client, "12345", name="坏号码")
    assert resp.status_code == 422 and "坏号码" in text(resp) and 'aria-invalid="true"' in text(resp)
    assert row_counts(session) == before


def test_second_agent_sees_the_owner_and_the_manager_rules(client, session):
    login_as(client, "C001")
    _register(client, "13933334444")
    login_as(client, "C002")
    resp = _register(client, "139 3333 4444", name="钱女士")
    body = text(resp)
    assert resp.status_code == 200 and 'data-testid="collision"' in body and "李晓梅" in body
    assert "13933334444" not in body  # nothing of the owner's file
    collision = session.scalar(select(Collision).order_by(Collision.id.desc()))
    # the agent sees the customer masked and cannot open the queue
    customer = session.scalar(select(Customer).where(Customer.phone == "13933334444"))
    assert "139****4444" in text(client.get(f"/visitors/customers/{customer.id}"))
    assert client.get("/visitors/collisions").status_code == 403
    login_as(client, "M001")
    assert "钱女士" in text(client.get("/visitors/collisions"))
    resp = client.post(f"/visitors/collisions/{collision.id}/rule", data={"ruling": "leadership"}, headers=HX)
    assert resp.status_code == 200
    session.expire_all()
    assert (session.get(Collision, collision.id).ruling, session.get(Collision, collision.id).deduction_pct) == (
        "leadership", 50)
    resp = client.post(f"/visitors/collisions/{collision.id}/rule", data={"ruling": "settled"}, headers=HX)
    assert resp.status_code == 409


def test_demo_has_a_pending_collision_and_a_follow_up_due_today(client, session):
    login_as(client, "M001")
    page = text(client.get("/visitors/collisions"))
    assert "郑先生" in page and "张伟" in page
    login_as(client, "C001")
    assert 'data-testid="due"' in text(client.get("/visitors/"))


def test_follow_up_through_the_web_and_a_bad_date(client, session):
    login_as(client, "C001")
    customer = session.scalar(select(Customer).where(Customer.phone == "13916880002"))
    resp = client.post(f"/visitors/customers/{customer.id}/follow-ups",
                       data={"kind": "call", "note": "再约", "next_on": "2001-01-01"})
    assert resp.status_code == 422 and "再约" in text(resp)
    resp = client.post(f"/visitors/customers/{customer.id}/follow-ups", data={"kind": "call", "note": "再约"})
    assert resp.status_code == 303


def test_export_is_a_managers_post(client, session):
    login_as(client, "C001")
    assert client.post("/visitors/export.xlsx").status_code == 403
    login_as(client, "M001")
    resp = client.post("/visitors/export.xlsx")
    assert resp.status_code == 200 and resp.data[:2] == b"PK"


def test_link_a_family_member_through_the_web(client, session):
    from pos.customers.models import HouseholdMember

    login_as(client, "C001")
    member = session.scalar(select(Customer).where(Customer.phone == "13916880002"))
    resp = client.post(f"/visitors/customers/{member.id}/household", data={"head_phone": "13999999999"})
    assert resp.status_code == 422 and session.scalar(select(HouseholdMember.id)) is None
    resp = client.post(f"/visitors/customers/{member.id}/household",
                       data={"head_phone": "139 1688 0001", "relation": "配偶"})
    assert resp.status_code == 303
    assert session.scalar(select(HouseholdMember.head_id).where(HouseholdMember.customer_id == member.id))


def test_visitor_search_keeps_the_phone_out_of_the_address(client, session, app, caplog):
    import logging

    login_as(client, "C001")
    assert _register(client, "13922224444", name="蒋女士").status_code == 200
    page = text(client.get("/visitors/"))
    assert 'data-testid="visitor-search"' in page and 'method="post" action="/visitors/search"' in page
    before = row_counts(session)
    caplog.set_level(logging.DEBUG)
    resp = client.post("/visitors/search", data={"q": "4444"})  # the phone's last digits, in the body
    body = text(resp)
    assert resp.status_code == 200 and 'data-testid="search-results"' in body and "蒋女士" in body
    assert "4444" not in resp.request.url and resp.request.query_string == b""
    assert "13922224444" not in caplog.text and "q=4444" not in caplog.text
    assert row_counts(session) == before  # a search writes nothing
    # the old address with the phone in the query string no longer searches
    old = text(client.get("/visitors/?q=13922224444"))
    assert 'data-testid="search-results"' not in old
    # a name not on file: nothing found, still nothing written
    resp = client.post("/visitors/search", data={"q": "无此人"})
    assert resp.status_code == 200 and 'data-testid="search-results"' in text(resp)
    assert row_counts(session) == before
