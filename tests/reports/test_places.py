"""Showrooms and cash stations: the manager adds a showroom and a station in it; its takings
then count for that showroom on the dashboard; bad codes and names are refused, nothing saved."""

from datetime import timedelta

from sqlalchemy import func, select

from pos.cashier import services as cashier
from pos.reports import dashboard as boards
from pos.shop.models import Showroom, Station
from pos.shop.services import business_today
from tests.conftest import CASHIER, CLERK, MANAGER, login_as, staff_by_no
from tests.helpers import row_counts


def test_a_second_showroom_and_its_station(client, session, write_up):
    login_as(client, MANAGER)
    assert "展厅与收银台" in client.get("/manage/places").get_data(as_text=True)
    assert client.post("/manage/places/showrooms", data={"code": "sh02", "name": "城东展厅"}).status_code == 303
    east = session.scalar(select(Showroom).where(Showroom.code == "SH02"))
    resp = client.post("/manage/places/stations", data={"code": "T3", "name": "城东收银台", "showroom": east.id})
    assert resp.status_code == 303
    t3 = session.scalar(select(Station).where(Station.code == "T3"))
    assert t3.showroom_id == east.id
    shift = cashier.open_shift(session, cashier=staff_by_no(CASHIER), station_id=t3.id, counts={10000: 1})
    v = write_up("500.00")
    cashier.take_payment(session, v.no, cashier=staff_by_no(CASHIER), once_key="east", counts={10000: 5})
    session.commit()
    day = business_today(session)
    assert boards.build(session, day, day, east).total == v.total
    main = session.scalar(select(Showroom).where(Showroom.code != "SH02").order_by(Showroom.id))
    assert boards.build(session, day - timedelta(days=1), day, main).total == 0
    assert f'value="{east.id}"' in client.get("/reports/dashboard").get_data(as_text=True)
    # the station moves to the main showroom: from now on it counts there
    assert client.post(f"/manage/places/stations/{t3.id}", data={"showroom": main.id}).status_code == 303
    assert boards.build(session, day, day, main).total == v.total
    assert shift.station_id == t3.id


def test_bad_places_are_refused(client, session):
    login_as(client, MANAGER)
    rooms = session.scalar(select(func.count(Showroom.id)))
    for data in ({"code": "", "name": "x"}, {"code": "A B", "name": "x"}, {"code": "SH01", "name": "重复"},
                 {"code": "SH09", "name": ""}):
        resp = client.post("/manage/places/showrooms", data=data)
        assert resp.status_code == 422 and 'data-testid="errors"' in resp.get_data(as_text=True)
    assert session.scalar(select(func.count(Showroom.id))) == rooms
    stations = session.scalar(select(func.count(Station.id)))
    for data in ({"code": "T1", "name": "重复"}, {"code": "T8", "name": "x", "showroom": "999"}):
        assert client.post("/manage/places/stations", data=data).status_code == 422
    assert session.scalar(select(func.count(Station.id))) == stations
    t1 = session.scalar(select(Station).where(Station.code == "T1"))
    where, before = t1.showroom_id, row_counts(session)
    assert client.post(f"/manage/places/stations/{t1.id}", data={"showroom": "abc"}).status_code == 422
    assert client.post(f"/manage/places/stations/{t1.id}", data={"showroom": "999"}).status_code == 422
    assert client.post("/manage/places/stations/9999", data={"showroom": ""}).status_code == 404
    session.expire_all()
    assert t1.showroom_id == where and row_counts(session) == before  # not moved, nothing audited


def test_a_clerk_cannot_change_places(client):
    login_as(client, CLERK)
    assert client.get("/manage/places").status_code == 403
    assert client.post("/manage/places/showrooms", data={"code": "X", "name": "x"}).status_code == 403
