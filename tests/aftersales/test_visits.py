"""Return visits (回访): scheduled N days after the goods reached the customer (counter pickup, the last
dispatch slip delivered) or a ticket was resolved, for the customer's owner; the due lists with the
clock moved; the call's result — an unsatisfied answer opens a complaint ticket, not reached comes
back on the chosen day; the satisfaction rates; the screens and their bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from pos import clock
from pos.aftersales import visits
from pos.aftersales.models import Ticket
from pos.aftersales.visit_models import ReturnVisit, SatisfactionAnswer, VisitCall
from pos.customers.models import Customer
from pos.errors import Conflict, DomainError, Forbidden
from pos.sales import pickup
from pos.shop import services as shop
from tests.conftest import CLERK, MANAGER, login_as, staff_by_no
from tests.helpers import row_counts, text


@pytest.fixture
def later(monkeypatch):
    """Move the shop's calendar ``days`` ahead (pos.clock.local_today, read by the visits at call time)."""
    today = clock.local_today()

    def move(days: int):
        monkeypatch.setattr(clock, "local_today", lambda: today + timedelta(days=days))
        return today + timedelta(days=days)

    return move


def serials_for(v, once: str, qty=None) -> dict:
    """The serial box of each line whose product needs serials (a serial per piece handed over)."""
    out = {}
    for line in v.lines:
        if getattr(line.product, "requires_serial", False):
            n = int(qty or line.quantity)
            out[line.id] = "\n".join(f"SN-{once}-{line.id}-{i}" for i in range(n))
    return {"serials": out} if out else {}


def _hand_over(session, v, who, once="p-1", qty=None):
    p = pickup.hand_over(session, v.no, {line.id: qty or str(line.quantity) for line in v.lines}, clerk=who,
                         once_key=once, shop_copy=True, **serials_for(v, once, qty))
    session.commit()
    return p


@pytest.fixture
def handed(session, paid, manager):
    """A voucher of 周先生 paid and picked up at the counter: (voucher, its return visit)."""
    v = paid()
    _hand_over(session, v, manager)
    visit = session.scalar(select(ReturnVisit).where(ReturnVisit.voucher_id == v.id))
    return v, visit


# ------------------------------------------------------------------ scheduling
def test_pickup_schedules_the_visit_three_days_later_for_the_owner(session, handed, manager, later):
    v, visit = handed
    assert visit is not None and visit.reason == "pickup" and visit.subject == f"voucher:{v.id}"
    assert visit.due_on == clock.local_today() + timedelta(days=3)
    assert visit.staff_id == manager.id  # nobody owns 周先生: the voucher's clerk calls
    assert visits.due_lists(session, manager) == ([], [])
    later(2)
    assert visits.due_lists(session, manager) == ([], [])
    later(3)
    assert visits.due_lists(session, manager) == ([visit], [])
    assert visits.due_count(session, manager) == 1
    later(5)
    assert visits.due_lists(session, manager) == ([], [visit])


def test_days_come_from_the_setting_and_the_owner_calls(session, paid, manager, clerk):
    from pos.customers import ownership

    shop.set_setting(session, "aftersales.return_visit_days", "7")
    customer = session.scalar(select(Customer).where(Customer.phone == "13800138001"))
    ownership._take_ownership(session, customer, clerk.id, "walk_in", clock.utcnow())
    session.commit()
    v = paid()
    _hand_over(session, v, manager)
    visit = session.scalar(select(ReturnVisit).where(ReturnVisit.voucher_id == v.id))
    assert visit.due_on == clock.local_today() + timedelta(days=7) and visit.staff_id == clerk.id


def test_a_partial_pickup_waits_for_the_rest(session, paid, manager):
    v = paid(qty="2", price="600.00")
    _hand_over(session, v, manager, once="p-a", qty="1")
    assert session.scalar(select(ReturnVisit).where(ReturnVisit.voucher_id == v.id)) is None
    _hand_over(session, v, manager, once="p-b", qty="1")
    visits_of = session.scalars(select(ReturnVisit).where(ReturnVisit.voucher_id == v.id)).all()
    assert len(visits_of) == 1


def test_a_sale_without_a_customer_has_no_visit(session, paid, manager):
    v = paid(customer_phone=None)
    _hand_over(session, v, manager)
    assert session.scalar(select(ReturnVisit).where(ReturnVisit.voucher_id == v.id)) is None


def test_delivery_schedules_when_the_slip_is_delivered(session, paid, clerk, driver):
    from pos.delivery import services as delivery

    v = paid()
    slip = delivery.request_delivery(session, v.no, {line.id: str(line.quantity) for line in v.lines}, clerk=clerk,
                                     once_key="d-1", name="周先生", phone="13800138001",
                                     address="上海市浦东新区张杨路500号3号楼1201室", window_day=None,
                                     **serials_for(v, "d-1"))
    session.commit()
    assert session.scalar(select(ReturnVisit).where(ReturnVisit.voucher_id == v.id)) is None  # on the van
    delivery.pull(session, slip.id, driver=driver)
    delivery.mark_out(session, slip, driver=driver)
    delivery.mark_delivered(session, slip, "周先生", driver=driver)
    session.commit()
    visit = session.scalar(select(ReturnVisit).where(ReturnVisit.voucher_id == v.id))
    assert visit is not None and visit.reason == "delivery"


def test_a_resolved_ticket_gets_its_own_visit_once(session, handed, manager):
    from pos.aftersales import tickets

    v, _visit = handed
    t = tickets.open_ticket(session, customer=v.customer_id, kind="repair", description="不制冷", actor=manager,
                            voucher_line=v.lines[0].id)
    first = visits.schedule_after_ticket(session, t, actor=manager)
    again = visits.schedule_after_ticket(session, t, actor=manager)
    session.commit()
    assert first is again and first.reason == "ticket" and first.ticket_id == t.id and first.subject == f"ticket:{t.id}"


# ------------------------------------------------------------------ the result of the call
def test_unsatisfied_opens_a_complaint_ticket(session, handed, manager, later):
    v, visit = handed
    later(3)
    visits.record_result(session, visit.id, actor=manager, outcome="unsatisfied", comment="送货太慢，冰箱有划痕")
    session.commit()
    answer = session.scalar(select(SatisfactionAnswer).where(SatisfactionAnswer.visit_id == visit.id))
    assert answer.rating == "unsatisfied" and answer.channel == "visit" and answer.staff_id == manager.id
    ticket = session.get(Ticket, answer.complaint_id)
    assert ticket.kind == "complaint" and ticket.source == "visit" and ticket.source_id == visit.id
    assert "冰箱有划痕" in ticket.description and ticket.customer_id == v.customer_id
    assert ticket.voucher_id == v.id  # about that sale: it can send a repair visit to look at it
    assert visit.state == "done" and visit.calls[-1].reached
    assert visits.due_lists(session, manager) == ([], [])
    with pytest.raises(Conflict):  # recorded once
        visits.record_result(session, visit.id, actor=manager, outcome="satisfied")


def test_unsatisfied_needs_what_they_said(session, handed, manager):
    _v, visit = handed
    before = row_counts(session)
    with pytest.raises(DomainError) as e:
        visits.record_result(session, visit.id, actor=manager, outcome="unsatisfied", comment=" ")
    assert e.value.field == "comment"
    session.rollback()
    assert row_counts(session) == before


@pytest.mark.parametrize("outcome", ["", "great", "SATISFIED"])
def test_an_answer_from_the_list_only(session, handed, manager, outcome):
    _v, visit = handed
    with pytest.raises(DomainError):
        visits.record_result(session, visit.id, actor=manager, outcome=outcome)


def test_not_reached_comes_back_on_the_chosen_day(session, handed, manager, later):
    _v, visit = handed
    day = later(3)
    visits.record_result(session, visit.id, actor=manager, outcome="not_reached", comment="无人接听")
    session.commit()
    assert visit.state == "open" and visit.attempts == 1 and visit.due_on == day + timedelta(days=1)
    visits.record_result(session, visit.id, actor=manager, outcome="not_reached",
                         retry_on=(day + timedelta(days=2)).isoformat())
    session.commit()
    assert visit.attempts == 2 and visit.due_on == day + timedelta(days=2)
    assert [c.reached for c in visit.calls] == [False, False]
    for bad in [(day - timedelta(days=1)).isoformat(), (day + timedelta(days=31)).isoformat(), "明天", "2026-02-30"]:
        with pytest.raises(DomainError):
            visits.record_result(session, visit.id, actor=manager, outcome="not_reached", retry_on=bad)
        session.rollback()
    assert session.scalar(select(ReturnVisit).where(ReturnVisit.id == visit.id)).attempts == 2


def test_someone_elses_visit_is_refused(session, handed, clerk):
    _v, visit = handed  # the manager's
    with pytest.raises(Forbidden):
        visits.record_result(session, visit.id, actor=clerk, outcome="satisfied")
    with pytest.raises(Forbidden):
        visits.get_visit(session, visit.id, clerk)


def test_a_long_comment_is_refused(session, handed, manager):
    _v, visit = handed
    with pytest.raises(DomainError):
        visits.record_result(session, visit.id, actor=manager, outcome="satisfied", comment="好" * 501)


# ------------------------------------------------------------------ satisfaction rates
def test_satisfaction_by_person_product_and_showroom(session, paid, manager):
    for n, rating in enumerate(["satisfied", "satisfied", "neutral"]):
        v = paid(once=f"k-{n}")
        _hand_over(session, v, manager, once=f"p-{n}")
        visit = session.scalar(select(ReturnVisit).where(ReturnVisit.voucher_id == v.id))
        visits.record_result(session, visit.id, actor=manager, outcome=rating)
        session.commit()
    start, end = clock.utcnow() - timedelta(days=1), clock.utcnow() + timedelta(days=1)
    assert visits.satisfaction_by_person(session, start, end) == {manager.id: (3, 2)}
    assert visits.satisfaction_by_person(session, end, end + timedelta(days=1)) == {}
    report = visits.satisfaction_report(session, start, end)
    assert (report.total.answers, report.total.satisfied, str(report.total.rate)) == (3, 2, "66.7")
    assert [(r.key, r.answers) for r in report.by_person] == [(manager.id, 3)]
    assert report.by_product[0].answers == 3 and report.by_showroom[0].answers == 3
    assert report.by_showroom[0].key == shop.showroom(session).id


# ------------------------------------------------------------------ screens
def test_home_lists_the_visit_due_and_the_page_records_it(app, client, session, handed, later, english):
    v, visit = handed
    login_as(client, MANAGER)
    home = client.get("/home/manager")
    assert home.status_code == 200 and f"/aftersales/visits/{visit.id}" not in text(home)
    later(3)
    home = client.get("/home/manager")
    assert f"/aftersales/visits/{visit.id}" in text(home) and "Return visits due today" in text(home)
    page = client.get(f"/aftersales/visits/{visit.id}")
    assert page.status_code == 200 and v.lines[0].product_name in text(page) and "13800138001" in text(page)
    listing = client.get("/aftersales/visits")
    assert listing.status_code == 200 and "周先生" in text(listing)
    before = row_counts(session)
    bad = client.post(f"/aftersales/visits/{visit.id}/result", data={"outcome": "unsatisfied", "comment": ""})
    assert bad.status_code == 422 and "unhappy about" in text(bad)
    assert row_counts(session) == before
    ok = client.post(f"/aftersales/visits/{visit.id}/result", data={"outcome": "unsatisfied", "comment": "有异响"})
    assert ok.status_code == 303
    session.expire_all()
    answer = session.scalar(select(SatisfactionAnswer).where(SatisfactionAnswer.visit_id == visit.id))
    assert answer.complaint_id is not None
    done = text(client.get(f"/aftersales/visits/{visit.id}"))
    assert f'href="/aftersales/tickets/{answer.complaint_id}"' in done and "有异响" in done
    from pos.customers.timeline import timeline

    assert [e for e in timeline(session, v.customer_id) if e.kind == "satisfaction"]
    assert 'data-kind="satisfaction"' in text(client.get(f"/customers/{v.customer_id}"))
    again = client.post(f"/aftersales/visits/{visit.id}/result", data={"outcome": "satisfied"})
    assert again.status_code == 409
    assert session.scalar(select(VisitCall.id).where(VisitCall.visit_id == visit.id).offset(1)) is None


def test_a_clerk_cannot_open_anothers_visit(client, handed):
    _v, visit = handed
    login_as(client, CLERK)
    assert client.get(f"/aftersales/visits/{visit.id}").status_code == 403
    assert client.post(f"/aftersales/visits/{visit.id}/result", data={"outcome": "satisfied"}).status_code == 403


def test_the_report_and_its_settings(client, session, english):
    login_as(client, CLERK)
    assert client.get("/aftersales/satisfaction").status_code == 403
    login_as(client, MANAGER)
    page = client.get("/aftersales/satisfaction?start=2026-01-01&end=2026-12-31")
    assert page.status_code == 200 and "Satisfaction rate" in text(page)
    assert client.get("/aftersales/satisfaction?start=2026-13-01").status_code == 422
    for days, url in [("-1", ""), ("91", ""), ("三", ""), ("3", "ftp://shop"), ("3", "http://"),
                      ("3", "http://a/?x=1"), ("3", "http://" + "a" * 100)]:
        before = row_counts(session)
        resp = client.post("/aftersales/satisfaction/settings",
                           data={"return_visit_days": days, "survey_base_url": url})
        assert resp.status_code == 422, (days, url)
        assert row_counts(session) == before
    ok = client.post("/aftersales/satisfaction/settings",
                     data={"return_visit_days": "5", "survey_base_url": "http://192.168.1.10:8000/"})
    assert ok.status_code == 303
    session.expire_all()
    assert visits.return_visit_days(session) == 5
    assert shop.get_setting(session, "aftersales.survey_base_url") == "http://192.168.1.10:8000"
    assert staff_by_no(MANAGER).has_role("manager")


def test_resolving_a_ticket_schedules_its_visit(session, handed, manager, later):
    from pos.aftersales import tickets

    v, _visit = handed
    t = tickets.open_ticket(session, customer=v.customer_id, kind="repair", description="不制冷", actor=manager,
                            voucher_line=v.lines[0].id)
    tickets.change_state(session, t.id, "in_progress", actor=manager, note="已联系")
    assert session.scalar(select(ReturnVisit).where(ReturnVisit.ticket_id == t.id)) is None
    tickets.change_state(session, t.id, "resolved", actor=manager, note="已修好")
    session.commit()
    visit = session.scalar(select(ReturnVisit).where(ReturnVisit.ticket_id == t.id))
    assert visit.reason == "ticket" and visit.due_on == clock.local_today() + timedelta(days=3)
    later(3)
    assert visit in visits.due_lists(session, manager)[0]
