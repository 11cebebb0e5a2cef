"""The manager's evening: review shifts (a difference needs a note), the day's takings,
sign-off (refused with an open or unreviewed shift; twice), the frozen day, Z numbers."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from pos.cashier import services as cashier
from pos.cashier.models import Shift
from pos.errors import Conflict, DomainError
from pos.reports import signoff as services
from pos.shop.models import Station
from pos.shop.services import business_today
from tests.conftest import login_as, staff_by_no


@pytest.fixture
def two_shifts(session, station, write_up):
    """Two closed shifts today: S001 balanced, S002 short by ￥10."""
    t2 = session.scalar(select(Station).where(Station.code == "T2"))
    for no, st in (("S001", station), ("S002", t2)):
        shift = cashier.open_shift(session, cashier=staff_by_no(no), station_id=st.id, counts={10000: 2})
        v = write_up("100.00")
        cashier.take_payment(session, v.no, cashier=staff_by_no(no), once_key=f"k-{no}", counts={10000: 1},
                             others=[])
        session.commit()
        # ￥300 expected in each drawer (float 200 + cash 100): S001 counts 300, S002 counts 290
        counts = {10000: 3} if no == "S001" else {10000: 2, 1000: 9}
        cashier.close_shift(session, shift, counts, actor=staff_by_no(no))
        session.commit()
    return list(session.scalars(select(Shift).order_by(Shift.id)))


def test_review_needs_a_note_when_short(session, two_shifts):
    balanced, short = two_shifts
    assert balanced.over_short == 0 and short.over_short == Decimal("-10.00")
    manager = staff_by_no("M001")
    services.review_shift(session, balanced, "", manager=manager)
    with pytest.raises(DomainError):
        services.review_shift(session, short, "  ", manager=manager)
    services.review_shift(session, short, "找错零钱", manager=manager)
    with pytest.raises(Conflict):
        services.review_shift(session, short, "again", manager=manager)


def test_sign_off_freezes_the_day(session, two_shifts, station):
    manager = staff_by_no("M001")
    day = business_today(session)
    with pytest.raises(DomainError):  # not reviewed yet
        services.sign_off(session, day, manager=manager)
    for shift in two_shifts:
        services.review_shift(session, shift, "ok", manager=manager)
    summary = services.day_summary(session, day)
    assert summary.takings == Decimal("200.00") and summary.over_short == Decimal("-10.00")
    assert summary.paid == 2 and summary.by_tender["cash"] == Decimal("200.00")
    z = services.sign_off(session, day, manager=manager)
    session.commit()
    assert z.no == 1
    with pytest.raises(Conflict):
        services.sign_off(session, day, manager=manager)
    # frozen: no shift, payment or refund can be dated into it
    with pytest.raises(DomainError):
        cashier.open_shift(session, cashier=staff_by_no("S001"), station_id=station.id, counts={})


def test_open_shift_blocks_sign_off(session, open_shift):
    open_shift()
    with pytest.raises(DomainError):
        services.sign_off(session, business_today(session), manager=staff_by_no("M001"))


def test_day_screen_review_sign_off_and_z(client, session, two_shifts, tmp_path):
    login_as(client, "M001")
    body = client.get("/reports/day").get_data(as_text=True)
    assert "-￥10.00" in body and "日结本营业日" in body
    short = two_shifts[1]
    resp = client.post(f"/reports/shifts/{short.id}/review", data={"note": ""})
    assert resp.status_code == 422 and "长短款说明" in resp.get_data(as_text=True)
    for shift in two_shifts:
        assert client.post(f"/reports/shifts/{shift.id}/review", data={"note": "已核对"}).status_code == 303
    day = business_today(session).isoformat()
    resp = client.post(f"/reports/day/{day}/sign-off", data={})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/reports/z/1")
    assert client.post(f"/reports/day/{day}/sign-off", data={}).status_code == 409
    assert "Z0001" in client.get("/reports/z/1").get_data(as_text=True)
    pdf = client.get("/reports/z/1.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.post("/reports/z/1/print").status_code == 303
    assert client.get("/reports/day?day=not-a-date").status_code == 422
    assert client.post("/reports/day/2999-01-01/sign-off").status_code == 422


def test_clerk_cannot_open_the_managers_desk(client):
    login_as(client, "C001")
    assert client.get("/reports/day").status_code == 403
