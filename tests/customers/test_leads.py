"""Leads and follow-up (销售线索, 跟进): registration, round robin, follow-up log and dates, the
agent's worklist, conversion to a voucher, closing, the manager's conversion report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from pos.clock import local_today
from pos.customers import leads
from pos.customers.file_models import Lead, LeadActivity
from pos.customers.models import Customer
from pos.dbtypes import utcnow
from pos.errors import Conflict, DomainError, Forbidden
from tests.conftest import CLERK, login_as, staff_by_no
from tests.helpers import count, row_counts, text


def _lead(session, actor, phone="13611112222", **kw):
    args = dict(actor=actor, phone=phone, name="冯女士", want="冰箱，对开门", channel="event", campaign="国庆展")
    args.update(kw)
    lead = leads.create_lead(session, **args)
    session.commit()
    return lead


def test_clerk_registers_and_keeps_a_lead(session, english, clerk):
    lead = _lead(session, clerk, phone="+86 136-1111-2222", next_contact_on=local_today().isoformat())
    assert lead.assigned_to_id == clerk.id and lead.status == "open"
    assert session.get(Customer, lead.customer_id).phone == "13611112222"
    assert lead in leads.worklist(session, clerk).due_today
    assert leads.due_count(session, clerk) == 1


def test_round_robin_gives_turns(session, english, manager):
    agents = leads._agents(session)
    assert len(agents) >= 2
    got = [_lead(session, manager, phone=f"1361111000{i}").assigned_to_id for i in range(len(agents) + 1)]
    assert got[:len(agents)] == [a.id for a in agents] and got[-1] == agents[0].id


def test_manager_assigns_to_a_chosen_agent(session, english, manager):
    other = staff_by_no("C002")
    assert _lead(session, manager, assigned_to_id=str(other.id)).assigned_to_id == other.id


@pytest.mark.parametrize("kw,field", [
    ({"phone": "12345"}, "phone"), ({"name": ""}, "name"), ({"want": ""}, "want"), ({"channel": "x"}, "channel"),
    ({"next_contact_on": "2000-01-01"}, "next_contact_on"), ({"next_contact_on": "not a day"}, "next_contact_on"),
])
def test_bad_lead_refused_nothing_saved(session, english, clerk, kw, field):
    before = row_counts(session)
    with pytest.raises(DomainError) as e:
        leads.create_lead(session, **{**dict(actor=clerk, phone="13611112222", name="冯", want="x",
                                            channel="event"), **kw})
    assert e.value.field == field
    session.rollback()
    assert row_counts(session) == before


def test_clerk_cannot_give_a_lead_to_someone_else(session, english, clerk):
    with pytest.raises(Forbidden):
        leads.create_lead(session, actor=clerk, phone="13611112222", name="冯", want="x", channel="event",
                          assigned_to_id=str(staff_by_no("C002").id))


def test_follow_up_log_moves_the_next_date(session, english, clerk):
    lead = _lead(session, clerk)
    tomorrow = local_today() + timedelta(days=1)
    leads.log_follow_up(session, lead.id, actor=clerk, kind="call", note="约周六到店",
                        next_contact_on=tomorrow.isoformat())
    session.commit()
    assert lead.next_contact_on == tomorrow and len(lead.activities) == 1
    with pytest.raises(DomainError, match="past"):
        leads.log_follow_up(session, lead.id, actor=clerk, kind="call", note="x",
                            next_contact_on=(local_today() - timedelta(days=1)).isoformat())
    with pytest.raises(DomainError):
        leads.log_follow_up(session, lead.id, actor=clerk, kind="fax", note="x")
    with pytest.raises(Forbidden):
        leads.log_follow_up(session, lead.id, actor=staff_by_no("C002"), kind="call", note="x")


def test_overdue_list(session, english, clerk):
    lead = _lead(session, clerk)
    lead.next_contact_on = local_today() - timedelta(days=2)  # set earlier, now past
    session.commit()
    assert leads.worklist(session, clerk).overdue == [lead]


def test_convert_to_the_customers_voucher_and_not_anothers(session, english, clerk, write_up):
    lead = _lead(session, clerk)
    mine = write_up(customer_phone="13611112222")
    theirs = write_up(customer_phone="13800138001")
    with pytest.raises(DomainError, match="another customer"):
        leads.convert(session, lead.id, actor=clerk, voucher_no=theirs.no)
    session.rollback()
    with pytest.raises(DomainError):
        leads.convert(session, lead.id, actor=clerk, voucher_no="V-NOPE")
    session.rollback()
    leads.convert(session, lead.id, actor=clerk, voucher_no=mine.no.lower())
    session.commit()
    assert lead.status == "converted" and lead.voucher_id == mine.id
    with pytest.raises(Conflict):
        leads.close(session, lead.id, actor=clerk, reason="x")


def test_close_needs_a_reason(session, english, clerk):
    lead = _lead(session, clerk)
    with pytest.raises(DomainError):
        leads.close(session, lead.id, actor=clerk, reason=" ")
    leads.close(session, lead.id, actor=clerk, reason="已在别家买了")
    session.commit()
    assert lead.status == "closed" and lead.close_reason == "已在别家买了"


def test_conversion_by_channel_and_person(session, english, clerk, manager, write_up):
    a = _lead(session, clerk, phone="13611110001")
    _lead(session, clerk, phone="13611110002", channel="online")
    leads.close(session, _lead(session, clerk, phone="13611110003").id, actor=clerk, reason="r")
    v = write_up(customer_phone="13611110001")
    leads.convert(session, a.id, actor=clerk, voucher_no=v.no)
    session.commit()
    by_channel, by_person = leads.conversion(session, utcnow() - timedelta(days=1), utcnow() + timedelta(days=1))
    event = next(r for r in by_channel if r.key == "event")
    assert (event.leads, event.converted, event.closed, str(event.rate)) == (2, 1, 1, "50.0")
    assert [(r.label, r.leads) for r in by_person] == [(clerk.full_name, 3)]


def test_lead_on_the_customer_timeline(session, english, clerk):
    from pos.customers import file as files

    lead = _lead(session, clerk)
    leads.log_follow_up(session, lead.id, actor=clerk, kind="message", note="发了图片")
    session.commit()
    kinds = [e.kind for e in files.customer_file(session, lead.customer_id, clerk).timeline]
    assert "lead" in kinds and "follow_up" in kinds


# ------------------------------------------------------------------ screens
def test_lead_screens(client, session):
    login_as(client, CLERK)
    r = client.post("/leads/new", data={"phone": "13611112222", "name": "冯女士", "want": "洗衣机", "channel": "event",
                                        "next_contact_on": local_today().isoformat()})
    assert r.status_code == 303
    lead = session.scalar(select(Lead))
    r = client.get("/leads/")
    assert r.status_code == 200 and 'data-testid="due-today"' in text(r) and "冯女士" in text(r)
    r = client.post(f"/leads/{lead.id}/follow-up", data={"kind": "call", "note": "x", "next_contact_on": "2001-01-01"})
    assert r.status_code == 422 and 'data-testid="errors"' in text(r)
    assert count(session, LeadActivity) == 0
    login_as(client, "C002")
    assert client.get(f"/leads/{lead.id}").status_code == 403
    login_as(client, "M001")
    r = client.get("/reports/leads/")
    assert r.status_code == 200 and "<svg" in text(r)
    r = client.get("/reports/leads/export.xlsx")
    assert r.status_code == 200 and r.data[:2] == b"PK"
    assert client.get("/reports/leads/?from=2026-13-01").status_code == 422


def test_bad_new_lead_screen_keeps_input(client, session):
    login_as(client, CLERK)
    before = count(session, Lead)
    r = client.post("/leads/new", data={"phone": "12", "name": "冯女士", "want": "洗衣机", "channel": "event"})
    assert r.status_code == 422 and "洗衣机" in text(r)
    assert count(session, Lead) == before


def test_clerks_home_counts_leads_due_today_or_overdue(client, session, clerk):
    _lead(session, clerk, next_contact_on=local_today().isoformat())
    _lead(session, clerk, phone="13611113333").next_contact_on = local_today() - timedelta(days=3)  # overdue
    _lead(session, clerk, phone="13611114444")  # no date: not counted
    session.commit()
    login_as(client, CLERK)
    r = client.get("/home/clerk")
    assert r.status_code == 200 and 'data-testid="waiting-leads.index">2<' in text(r)


def test_clerks_home_lists_their_own_leads_and_follow_ups_due_today_and_overdue(client, session, clerk, manager):
    from pos.customers import ownership as own
    from pos.customers.models import FollowUp

    today = local_today()
    _lead(session, clerk, name="今天甲", next_contact_on=today.isoformat())
    late = _lead(session, clerk, phone="13611113333", name="逾期乙")
    late.next_contact_on = today - timedelta(days=3)
    older = _lead(session, clerk, phone="13611115555", name="更早丙")
    older.next_contact_on = today - timedelta(days=9)
    _lead(session, clerk, phone="13611114444", name="无日期丁")  # no date: on neither list
    _lead(session, staff_by_no("C002"), phone="13611116666", name="别人戊", next_contact_on=today.isoformat())
    # a lead for a customer someone else owns: listed for the clerk, the phone masked
    other = _lead(session, staff_by_no("C002"), phone="13611117777", name="他人客户己")
    theirs = _lead(session, manager, phone="13611117777", name="他人客户己", assigned_to_id=clerk.id,
                   next_contact_on=today.isoformat())
    assert theirs.customer_id == other.customer_id
    # the clerk's own customer whose latest follow-up is overdue
    customer_id = late.customer_id
    follow = own.add_follow_up(session, customer_id, actor=clerk, kind="call", note="再联系",
                               next_on=today.isoformat())
    follow.next_on = today - timedelta(days=5)
    session.commit()
    assert session.get(FollowUp, follow.id).next_on < today
    for n in range(11):  # more than ten due today: only ten shown
        _lead(session, clerk, phone=f"1371111{n:04d}", name=f"批量{n}", next_contact_on=today.isoformat())

    login_as(client, CLERK)
    page = text(client.get("/home/clerk"))
    due = page.split('data-testid="home-list-due-today"')[1].split("</section>")[0]
    overdue = page.split('data-testid="home-list-overdue"')[1].split("</section>")[0]
    assert "今天甲" in due and "136****7777" in due and "13611117777" not in due
    assert "别人戊" not in page and "无日期丁" not in page
    assert due.count("<li") == 10 and "批量10" not in due  # oldest first (by id on one day), ten at most
    assert f'href="/leads/{theirs.id}"' in due
    # overdue, oldest first: the 9-day lead, the 5-day follow-up (the clerk's own customer: full phone), the 3-day lead
    assert overdue.index("更早丙") < overdue.index(f'href="/customers/{customer_id}"') < overdue.index(
        f'href="/leads/{late.id}"')
    assert "13611113333" in overdue
    assert (today - timedelta(days=9)).isoformat() in overdue
