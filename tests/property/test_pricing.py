"""Price lists (一房一价): versions with effective dates, never rewritten; the filed price is the
ceiling, the floor price the bottom; below the agent's limit only with a manager's approval."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from pos.audit.models import AuditEntry
from pos.clock import local_today
from pos.errors import DomainError, Forbidden, NotFound
from pos.property import pricing
from pos.property.models import PriceList, PriceListLine

pytestmark = pytest.mark.usefixtures("english")


def _lists(session, building):
    return session.scalar(select(func.count(PriceList.id)).where(PriceList.building_id == building.id))


def test_demo_price_list_is_in_force(session, b1, unit_no):
    unit = unit_no(b1, "201")
    line = pricing.current_line(session, unit)
    assert line.filed_total == unit.list_total == Decimal("3696100.00")
    assert line.floor_total == Decimal("3511295.00")  # 5 % below


def test_a_new_version_takes_over_from_its_date_and_the_old_one_is_kept(session, b1, unit_no, manager):
    unit = unit_no(b1, "201")
    today = local_today()
    old = pricing.current_line(session, unit)
    new = pricing.publish(session, b1, effective_on=today + timedelta(days=7), actor=manager,
                          lines=[pricing.LinePrice(unit.id, "29000", "3600000")])
    assert new.version_no == 2
    assert pricing.current_line(session, unit).id == old.id  # not yet
    ahead = pricing.current_line(session, unit, today + timedelta(days=7))
    assert ahead.filed_total == Decimal("3728240.00")  # 128.56 × 29,000
    assert [line.price_list.version_no for line in pricing.price_history(session, unit)] == [2, 1]


@pytest.mark.parametrize("lines, effective, message", [
    ([("201", "29000", "3800000")], 0, "floor price .* is above the filed price"),
    ([("201", "29000", "0")], 0, "more than 0"),
    ([("201", "-1", "10")], 0, "negative"),
    ([("201", "29000", "3600000"), ("201", "29000", "3600000")], 0, "appears twice"),
    ([("201", "29000", "3600000")], -1, "in the past"),
    ([], 0, "at least one unit"),
])
def test_bad_price_lists_are_refused_whole(session, b1, unit_no, manager, lines, effective, message):
    before = _lists(session, b1)
    typed = [pricing.LinePrice(unit_no(b1, n).id, f, fl) for n, f, fl in lines]
    with pytest.raises(DomainError, match=message):
        pricing.publish(session, b1, effective_on=local_today() + timedelta(days=effective), lines=typed,
                        actor=manager)
    assert _lists(session, b1) == before


def test_a_unit_of_another_building_is_refused(session, b1, b2, unit_no, manager):
    with pytest.raises(NotFound):
        pricing.publish(session, b1, effective_on=local_today(), actor=manager,
                        lines=[pricing.LinePrice(unit_no(b2, "101").id, "1", "1")])


def test_only_the_manager_publishes(session, b1, agent):
    with pytest.raises(Forbidden):
        pricing.publish_from_list(session, b1, effective_on=local_today(), floor_pct=5, actor=agent)


def test_price_checks(session, b1, unit_no, agent, manager):
    unit = unit_no(b1, "201")
    filed = Decimal("3696100.00")
    # at the filed price, and 2 % below (the agent's limit): fine
    assert pricing.check_price(session, unit, filed, actor=agent).discount_pct == 0
    assert pricing.check_price(session, unit, "3622178.00", actor=agent).approved_by is None
    with pytest.raises(DomainError, match="above the filed price"):
        pricing.check_price(session, unit, filed + Decimal("0.01"), actor=agent)
    with pytest.raises(DomainError, match="below the floor price"):
        pricing.check_price(session, unit, "3511294.99", actor=manager)
    with pytest.raises(Forbidden, match="a manager must approve"):
        pricing.check_price(session, unit, "3600000", actor=agent)
    with pytest.raises(Forbidden, match="not a sales manager"):
        pricing.check_price(session, unit, "3600000", actor=agent, approver=agent)
    check = pricing.check_price(session, unit, "3600000", actor=agent, approver=manager)
    assert check.approved_by == manager and check.discount_pct == Decimal("2.60")
    assert session.scalar(select(AuditEntry).where(AuditEntry.kind == "property.price_approved"))


def test_lines_are_kept_exact(session, b1):
    lines = session.scalars(select(PriceListLine).join(PriceList).where(PriceList.building_id == b1.id)).all()
    assert len(lines) == 72 and all(line.floor_total <= line.filed_total for line in lines)
