"""Visitors, follow-ups, ownership and collisions (来访登记, 跟进, 客户归属, 撞单)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from pos.clock import local_today
from pos.customers import ownership as own
from pos.customers.models import Customer, Ownership, Visit
from pos.dbtypes import utcnow
from pos.errors import Conflict, DomainError, Forbidden, NotFound
from tests.helpers import count, row_counts

pytestmark = pytest.mark.usefixtures("english")

PHONE = "13912345678"


def _register(session, who, phone="+86 139-1234-5678", channel="walk_in", **kw):
    return own.register_visit(session, actor=who, phone=phone, name=kw.pop("name", "钱女士"), channel=channel, **kw)


def test_first_agent_owns_for_the_channels_protection_period(session, agent):
    reg = _register(session, agent, needs_area="90-120", needs_budget="300万", needs_layout="三室")
    assert reg.new_owner and reg.owner.id == agent.id and reg.collision is None
    assert reg.customer.phone == PHONE  # +86, spaces and dashes gone
    ownership = own.live_ownership(session, reg.customer.id)
    assert ownership.protected_until - ownership.started_at == timedelta(days=30)
    call = _register(session, agent, phone="１３９ ００００ １１１１", channel="phone", name="孙先生")
    o2 = own.live_ownership(session, call.customer.id)
    assert call.customer.phone == "13900001111" and o2.protected_until - o2.started_at == timedelta(days=15)


@pytest.mark.parametrize("phone", ["12345", "1391234567", "23912345678", "abc", "", "0211234"])
def test_bad_phones_are_refused_and_nothing_saved(session, agent, phone):
    before = row_counts(session)
    with pytest.raises(DomainError, match="Not a phone number"):
        _register(session, agent, phone=phone)
    assert row_counts(session) == before


def test_a_landline_is_accepted(session, agent):
    assert _register(session, agent, phone="021-5888 6677").customer.phone == "02158886677"


def test_a_registration_cannot_be_back_dated(session, agent):
    before = count(session, Visit)
    with pytest.raises(DomainError, match="back-dated"):
        _register(session, agent, at=utcnow() - timedelta(days=1))
    assert count(session, Visit) == before


def test_second_agent_is_told_the_owner_and_a_collision_is_recorded(session, agent, agent2):
    _register(session, agent)
    reg = _register(session, agent2, phone="139 1234 5678", name="钱小姐")
    assert not reg.new_owner and reg.owner.full_name == "李晓梅"
    assert reg.collision is not None and reg.collision.status == "pending"
    assert (reg.collision.owner_id, reg.collision.other_id) == (agent.id, agent2.id)
    assert [c.id for c in own.pending_collisions(session)][-1] == reg.collision.id
    # ownership did not move
    assert own.live_ownership(session, reg.customer.id).staff_id == agent.id


def test_the_owner_registering_again_renews_and_makes_no_collision(session, agent):
    first = _register(session, agent, channel="phone")
    later = utcnow() + timedelta(days=10)
    again = own.register_visit(session, actor=agent, phone=PHONE, name="钱女士", channel="walk_in", now=later)
    assert again.collision is None
    assert own.live_ownership(session, first.customer.id, later).protected_until == later + timedelta(days=15)


def test_after_the_protection_period_the_customer_is_back_in_the_pool(session, agent, agent2):
    reg = _register(session, agent, channel="phone")
    later = utcnow() + timedelta(days=16)
    assert own.live_ownership(session, reg.customer.id, later) is None
    again = own.register_visit(session, actor=agent2, phone=PHONE, name="钱女士", channel="walk_in", now=later)
    assert again.new_owner and again.owner.id == agent2.id and again.collision is None
    old = session.scalar(select(Ownership).where(Ownership.customer_id == reg.customer.id,
                                                 Ownership.staff_id == agent.id))
    assert old.end_reason == "lapsed"


def test_a_referral_belongs_to_the_referring_customers_agent(session, agent, agent2):
    _register(session, agent, phone="13800001234", name="老客户")
    reg = _register(session, agent2, phone="13800005678", channel="referral", referrer_phone="138-0000-1234",
                    name="新客户")
    assert reg.owner.id == agent.id and reg.collision is None
    with pytest.raises(DomainError, match="referrer"):
        _register(session, agent2, phone="13800009999", channel="referral", referrer_phone="13911110000")


def test_follow_ups_by_the_owner_renew_and_set_the_next_date(session, agent, agent2):
    reg = _register(session, agent, channel="phone")
    later = utcnow() + timedelta(days=14)
    own.add_follow_up(session, reg.customer.id, actor=agent, kind="call", note="约周末看房",
                      next_on=local_today().isoformat(), now=later)
    assert own.live_ownership(session, reg.customer.id, later).protected_until == later + timedelta(days=15)
    with pytest.raises(Forbidden):
        own.add_follow_up(session, reg.customer.id, actor=agent2, kind="call", note="x")
    with pytest.raises(DomainError, match="past"):
        own.add_follow_up(session, reg.customer.id, actor=agent, kind="call", note="x",
                          next_on=(local_today() - timedelta(days=1)).isoformat())
    with pytest.raises(DomainError, match="discussed"):
        own.add_follow_up(session, reg.customer.id, actor=agent, kind="call", note=" ")
    mine = own.my_customers(session, agent)
    due = [m for m in mine if m.customer.id == reg.customer.id][0]
    assert due.due and mine[0].due  # due today comes first


def test_phones_are_masked_for_other_agents(session, agent, agent2, manager):
    reg = _register(session, agent)
    ownership = own.live_ownership(session, reg.customer.id)
    assert own.shown_phone(agent, reg.customer, ownership) == PHONE
    assert own.shown_phone(agent2, reg.customer, ownership) == "139****5678"
    assert own.shown_phone(manager, reg.customer, ownership) == PHONE
    _customer, _o, mine, visits, follow_ups = own.customer_file(session, reg.customer.id, agent2)
    assert not mine and visits == [] and follow_ups == []
    assert [p for _c, _o, p in own.search_customers(session, "5678", agent2)] == ["139****5678"]


def test_manager_rules_once_and_never_on_their_own_collision(session, agent, agent2, manager):
    _register(session, agent)
    collision = _register(session, agent2).collision
    with pytest.raises(Forbidden):
        own.rule_collision(session, collision.id, actor=agent, ruling="settled")
    with pytest.raises(DomainError, match="ruling"):
        own.rule_collision(session, collision.id, actor=manager, ruling="whatever")
    ruled = own.rule_collision(session, collision.id, actor=manager, ruling="manager", note="双方未协商")
    assert (ruled.status, ruled.deduction_pct) == ("ruled", 30)
    with pytest.raises(DomainError, match="already ruled"):
        own.rule_collision(session, collision.id, actor=manager, ruling="leadership")
    deductions = own.collision_deductions(session, utcnow() - timedelta(days=1), utcnow() + timedelta(days=1))
    assert deductions[agent.id] >= 30 and deductions[agent2.id] >= 30


def test_a_manager_who_is_a_party_may_not_rule(session, manager, agent):
    _register(session, manager, phone="13700001111")
    collision = _register(session, agent, phone="13700001111").collision
    with pytest.raises(Forbidden, match="part of this collision"):
        own.rule_collision(session, collision.id, actor=manager, ruling="settled")


def test_malicious_grabbing_is_flagged_on_the_agent(session, agent, agent2, manager):
    _register(session, agent)
    collision = _register(session, agent2).collision
    before = own.malicious_flags(session, agent2.id)
    own.rule_collision(session, collision.id, actor=manager, ruling="malicious")
    assert own.malicious_flags(session, agent2.id) == before + 1
    assert collision.deduction_pct == 0 and collision.malicious_id == agent2.id


def test_unknown_customer_and_collision(session, agent, manager):
    with pytest.raises(NotFound):
        own.add_follow_up(session, 999999, actor=agent, kind="call", note="x")
    with pytest.raises(NotFound):
        own.rule_collision(session, 999999, actor=manager, ruling="settled")
    assert session.scalar(select(Customer).where(Customer.phone == PHONE)) is None


def test_the_manager_reassigns_a_customer_from_the_pool(session, agent, agent2, manager):
    reg = _register(session, agent, channel="phone")
    with pytest.raises(Conflict, match="still owns"):
        own.reassign(session, reg.customer.id, agent2.id, actor=manager)
    later = utcnow() + timedelta(days=16)
    with pytest.raises(Forbidden):
        own.reassign(session, reg.customer.id, agent2.id, actor=agent, now=later)
    assert reg.customer in own.pool(session, now=later)
    moved = own.reassign(session, reg.customer.id, agent2.id, actor=manager, now=later)
    assert moved.staff_id == agent2.id and own.live_ownership(session, reg.customer.id, later).staff_id == agent2.id


def test_customer_export_is_for_the_manager_and_audited(session, agent, manager):
    from openpyxl import load_workbook

    from pos.audit.models import AuditEntry

    with pytest.raises(Forbidden):
        own.export_customers(session, actor=agent)
    rows = list(load_workbook(own.export_customers(session, actor=manager)).active.iter_rows(values_only=True))
    assert rows[0][0] == "姓名" and any(r[0] == "郑先生" for r in rows[1:])
    assert session.scalar(select(AuditEntry).where(AuditEntry.kind == "customers.exported"))


def test_a_household_member_belongs_to_the_households_owner(session, agent, agent2, manager):
    head = _register(session, agent, phone="13500001111", name="户主").customer
    spouse = _register(session, agent, phone="13500002222", name="配偶").customer
    with pytest.raises(Forbidden):
        own.link_household(session, spouse.id, "13500001111", actor=agent2)
    with pytest.raises(DomainError, match="own family member"):
        own.link_household(session, head.id, "13500001111", actor=agent)
    own.link_household(session, spouse.id, "135-0000-1111", actor=agent, relation="配偶")
    # a family member registered later by another agent: a collision with the household's owner
    child = _register(session, agent, phone="13500003333", name="子女").customer
    own.link_household(session, child.id, "13500001111", actor=agent, relation="子女")
    reg = _register(session, agent2, phone="13500003333", name="子女")
    assert reg.collision is not None and reg.owner.id == agent.id
    # a member owned by someone else cannot be pulled into a household
    stranger = _register(session, agent2, phone="13500004444", name="外人").customer
    with pytest.raises(Conflict, match="settles it as a collision"):
        own.link_household(session, stranger.id, "13500001111", actor=manager)


def test_the_household_owner_sees_a_members_phone(session, agent, agent2):
    head = _register(session, agent, phone="13500005555", name="户主").customer
    member = own.register_visit(session, actor=agent, phone="13500006666", name="母亲", channel="phone").customer
    own.link_household(session, member.id, "13500005555", actor=agent)
    ownership = own.owner_of(session, member.id)
    assert ownership.customer_id in (head.id, member.id)
    assert own.shown_phone(agent, member, ownership) == "13500006666"
    assert own.shown_phone(agent2, member, ownership) == "135****6666"
