"""Queue numbers and the selection desk through the web."""

from sqlalchemy import select

from pos.property.models import QueueTicket, SelectionSession, Unit
from tests.conftest import login_as
from tests.helpers import count, text

HX = {"HX-Request": "true"}


def test_queue_desk_and_screen(client, session, project, b1):
    login_as(client, "C001")
    for i in range(3):
        resp = client.post(f"/property/projects/{project.id}/queue",
                           data={"phone": f"1350000000{i}", "name": f"买家{i}", "fee": "20000"}, headers=HX)
        assert resp.status_code == 200 and 'data-testid="queue-message"' in text(resp)
    assert count(session, QueueTicket) == 3
    # a number twice for the same customer: 409, nothing saved
    resp = client.post(f"/property/projects/{project.id}/queue", data={"phone": "13500000000", "name": "买家0"},
                       headers=HX)
    assert resp.status_code == 409 and count(session, QueueTicket) == 3
    assert client.post(f"/property/projects/{project.id}/opening", data={"call_window": "2"}).status_code == 403
    login_as(client, "M001")
    resp = client.post(f"/property/projects/{project.id}/opening", data={"call_window": "2"})
    assert resp.status_code == 303
    sel = session.scalar(select(SelectionSession))
    page = text(client.get(f"/property/opening/{sel.id}"))
    assert 'data-testid="called-1"' in page and 'data-testid="called-2"' in page
    ticket = session.scalar(select(QueueTicket).where(QueueTicket.number == 1))
    resp = client.post(f"/property/opening/{sel.id}/choose",
                       data={"ticket_id": ticket.id, "building_id": b1.id, "number": "1701"}, headers=HX)
    assert resp.status_code == 200 and 'data-testid="called-3"' in text(resp)
    session.expire_all()
    assert session.scalar(select(Unit.status).where(Unit.building_id == b1.id, Unit.number == "1701")) == "held"
    # the same unit for number 2: refused, number 2 still called
    ticket2 = session.scalar(select(QueueTicket).where(QueueTicket.number == 2))
    resp = client.post(f"/property/opening/{sel.id}/choose",
                       data={"ticket_id": ticket2.id, "building_id": b1.id, "number": "1701"}, headers=HX)
    assert resp.status_code == 409
    resp = client.post(f"/property/opening/{sel.id}/choose",
                       data={"ticket_id": ticket2.id, "building_id": b1.id, "number": "9999"}, headers=HX)
    assert resp.status_code == 404
    screen = text(client.get(f"/property/opening/{sel.id}/screen"))
    assert 'data-testid="now-calling"' in screen and "1701" in screen
    assert f'hx-get="/property/opening/{sel.id}/screen/poll"' in screen  # its refresh is marked background
    with client.session_transaction() as sess:
        sess["last_seen"] = seen = sess["last_seen"] - 60
    polled = text(client.get(f"/property/opening/{sel.id}/screen/poll", headers=HX))
    assert 'data-testid="now-calling"' in polled and "1701" in polled
    with client.session_transaction() as sess:
        assert sess["last_seen"] == seen  # the screen's own refresh is not activity


def test_fee_before_permit_through_the_web(client, session, manager):
    from pos.property import services

    bare = services.create_project(session, actor=manager, name="未取证")
    session.commit()
    login_as(client, "C001")
    resp = client.post(f"/property/projects/{bare.id}/queue", data={"phone": "13500000009", "name": "甲", "fee": "1"},
                       headers=HX)
    assert resp.status_code == 422 and count(session, QueueTicket) == 0
