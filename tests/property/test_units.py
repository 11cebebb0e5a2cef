"""Projects, buildings and units: areas exact, the generator, and the status rules (hold, release,
lock, release for sale) with what is refused — nothing saved when refused."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from pos.audit.models import AuditEntry
from pos.dbtypes import utcnow
from pos.errors import Conflict, DomainError, Forbidden
from pos.property import services
from pos.property.models import (
    AVAILABLE,
    HELD,
    LOCKED,
    NOT_FOR_SALE,
    Building,
    Unit,
    UnitClaim,
    UnitEvent,
)

pytestmark = pytest.mark.usefixtures("english")


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


# ------------------------------------------------------------------ the demo project
def test_demo_project_has_two_regular_buildings(session, project, b1, b2):
    assert project.has_permit and project.escrow_account_no.isdigit()
    assert (b1.floors, b1.units_per_floor, len(b1.units)) == (18, 4, 72)
    assert (b2.floors, b2.units_per_floor, len(b2.units)) == (33, 8, 264)
    statuses = {u.status for u in b1.units} | {u.status for u in b2.units}
    assert statuses == {"not_for_sale", "available", "held", "subscribed", "contracted", "filed", "sold", "locked"}


def test_generator_numbers_floors_and_stacks_with_floor_premiums(session, b1, unit_no):
    u101, u201, u1801 = unit_no(b1, "101"), unit_no(b1, "201"), unit_no(b1, "1801")
    assert (u1801.floor, u1801.stack, u1801.layout) == (18, 1, "三室两厅两卫")
    assert u101.list_unit_price == Decimal("28600.00")
    assert u201.list_unit_price == Decimal("28750.00")  # +150 per m² from floor 2
    assert u1801.list_unit_price == Decimal("28600.00") + 17 * 150
    # exact: 128.56 m² × 28,750.00 = 3,696,100.00; gross = inner + shared
    assert u201.list_total == Decimal("3696100.00")
    assert u201.gross_area == u201.inner_area + u201.shared_area == Decimal("128.56")


def test_area_rules(session, b1, manager):
    ok = dict(number="X1", floor=1, stack=1, unit_price="10000", actor=manager)
    bad = [
        ({"gross_area": "0", "inner_area": "0"}, "more than 0"),
        ({"gross_area": "-5", "inner_area": "3"}, "more than 0"),
        ({"gross_area": "80", "inner_area": "90"}, "cannot be more than the gross"),
        ({"gross_area": "100.00", "inner_area": "80.00", "shared_area": "19.99"}, "must equal"),
        ({"gross_area": "abc", "inner_area": "80"}, "not a number"),
    ]
    for areas, message in bad:
        with pytest.raises(DomainError, match=message):
            services.add_unit(session, b1, **ok, **areas)
    # full-width digits and ㎡ are understood; areas stay exact
    building = services.create_building(session, b1.project, "9号楼", 2, 2, actor=manager)
    unit = services.add_unit(session, building, number="１０１", floor=1, stack=1, gross_area="１００．０５㎡",
                             inner_area="80.03", unit_price="10000.01", actor=manager)
    assert (unit.number, unit.gross_area, unit.shared_area) == ("101", Decimal("100.05"), Decimal("20.02"))
    assert unit.list_total == Decimal("1000501.00")  # 100.05 × 10,000.01 = 1,000,501.0005 → to the fen


def test_duplicate_unit_number_is_refused(session, b1, manager):
    with pytest.raises(DomainError, match="already has a unit 101"):
        services.add_unit(session, b1, number="101", floor=1, stack=1, gross_area="90", inner_area="70",
                          unit_price="1", actor=manager)


def test_the_database_refuses_gross_not_equal_inner_plus_shared(session, b1):
    session.add(Unit(building_id=b1.id, number="Z1", floor=1, stack=1, gross_area=Decimal("100"),
                     inner_area=Decimal("80"), shared_area=Decimal("10"), list_unit_price=Decimal("1"),
                     list_total=Decimal("1")))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_pricing_bases():
    assert services.total_price("gross", Decimal("20000"), Decimal("100.01"), Decimal("80")) == Decimal("2000200.00")
    assert services.total_price("inner", Decimal("25000"), Decimal("100.01"), Decimal("80.33")) == Decimal("2008250.00")
    assert services.total_price("unit", Decimal("1999999.99"), Decimal("1"), Decimal("1")) == Decimal("1999999.99")


def test_only_the_manager_creates_projects(session, agent):
    with pytest.raises(Forbidden):
        services.create_project(session, actor=agent, name="X")


# ------------------------------------------------------------------ holds
def test_agent_holds_an_available_unit_until_the_projects_hours(session, b1, unit_no, agent):
    unit = unit_no(b1, "1701")
    version = b1.version
    claim = services.hold_unit(session, unit.id, actor=agent, customer_name="  钱  先生 ")
    services.stamp_versions(session)  # what the commit does
    assert unit.status == HELD and claim.customer_name == "钱 先生"
    assert claim.expires_at - claim.created_at == timedelta(hours=b1.project.hold_hours)
    assert unit.held_until == claim.expires_at
    session.refresh(b1)
    assert b1.version == version + 1 == unit.version
    event = session.scalar(select(UnitEvent).where(UnitEvent.unit_id == unit.id).order_by(UnitEvent.id.desc()))
    assert (event.from_status, event.to_status, event.staff_id) == (AVAILABLE, HELD, agent.id)
    assert session.scalar(select(AuditEntry).where(AuditEntry.kind == "property.held",
                                                   AuditEntry.record_id == str(unit.id)))


def test_holding_a_held_unit_names_who_holds_it(session, b1, unit_no, agent, agent2):
    unit = unit_no(b1, "1703")
    services.hold_unit(session, unit.id, actor=agent, customer_name="A")
    with pytest.raises(Conflict, match="already held by 李晓梅"):
        services.hold_unit(session, unit.id, actor=agent2, customer_name="B")


@pytest.mark.parametrize("number, message, error", [
    ("301", "locked until", DomainError),
    ("601", "already taken", Conflict),
    ("1201", "already taken", Conflict),
])
def test_holding_an_unavailable_unit_is_refused(session, b1, unit_no, agent, number, message, error):
    unit = unit_no(b1, number)
    before = _count(session, UnitClaim)
    with pytest.raises(error, match=message):
        services.hold_unit(session, unit.id, actor=agent, customer_name="A")
    assert _count(session, UnitClaim) == before


def test_holding_a_unit_not_for_sale_is_refused(session, b2, unit_no, agent):
    with pytest.raises(DomainError, match="Not for sale"):
        services.hold_unit(session, unit_no(b2, "3001").id, actor=agent, customer_name="A")


def test_the_database_allows_one_live_claim_per_unit(session, b1, unit_no, agent):
    unit = unit_no(b1, "1801")  # held in the demo
    session.add(UnitClaim(unit_id=unit.id, kind="agreement", staff_id=agent.id, customer_name="X"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_an_expired_hold_shows_available_and_can_be_held_again(session, b1, unit_no, agent, agent2):
    unit = unit_no(b1, "1702")  # held by 张伟 (C002) in the demo
    later = utcnow() + timedelta(hours=b1.project.hold_hours, minutes=1)
    assert services.shown_status(unit) == HELD
    assert services.shown_status(unit, later) == AVAILABLE
    assert services.board(session, b1, later).tally.counts[HELD] == 0  # every demo hold has lapsed by then
    old = services.live_claim(session, unit.id)
    claim = services.hold_unit(session, unit.id, actor=agent, customer_name="新客户", now=later)
    session.refresh(old)
    assert old.end_reason == "expired" and old.ended_at == old.expires_at
    assert claim.staff_id == agent.id
    kinds = [e.to_status for e in services.history(session, unit.id)]
    assert kinds[:2] == [HELD, AVAILABLE]  # newest first: expired, then held again


def test_release_hold_by_holder_or_manager_only(session, b1, unit_no, agent, agent2, manager):
    unit = unit_no(b1, "1801")  # held by 李晓梅 (C001)
    with pytest.raises(Forbidden, match="李晓梅 or the manager"):
        services.release_hold(session, unit.id, actor=agent2)
    services.release_hold(session, unit.id, actor=agent)
    assert unit.status == AVAILABLE and services.live_claim(session, unit.id) is None
    services.hold_unit(session, unit.id, actor=agent2, customer_name="C")
    services.release_hold(session, unit.id, actor=manager)
    assert unit.status == AVAILABLE


def test_hold_needs_a_customer(session, b1, unit_no, agent):
    with pytest.raises(DomainError, match="which customer"):
        services.hold_unit(session, unit_no(b1, "1701").id, actor=agent, customer_name="  ")


# ------------------------------------------------------------------ release, withdraw, lock
def test_manager_releases_and_withdraws(session, b2, unit_no, manager, agent):
    unit = unit_no(b2, "3001")
    with pytest.raises(Forbidden):
        services.release_units(session, [unit.id], actor=agent)
    services.release_units(session, [unit.id], actor=manager)
    assert unit.status == AVAILABLE
    services.withdraw_units(session, [unit.id], actor=manager, reason="调整")
    assert unit.status == NOT_FOR_SALE
    with pytest.raises(DomainError, match="not waiting to be released"):
        services.release_units(session, [unit_no(b2, "101").id], actor=manager)


def test_lock_with_reason_and_until(session, b1, unit_no, manager, agent):
    from pos.clock import local_today

    unit = unit_no(b1, "1701")
    today = local_today()
    with pytest.raises(Forbidden):
        services.lock_unit(session, unit.id, actor=agent, reason="x", until=today)
    with pytest.raises(DomainError, match="reason"):
        services.lock_unit(session, unit.id, actor=manager, reason=" ", until=today)
    with pytest.raises(DomainError, match="in the past"):
        services.lock_unit(session, unit.id, actor=manager, reason="退房", until=today - timedelta(days=1))
    with pytest.raises(DomainError, match="not a date"):
        services.lock_unit(session, unit.id, actor=manager, reason="退房", until="soon")
    services.lock_unit(session, unit.id, actor=manager, reason="退房", until=today + timedelta(days=30))
    assert (unit.status, unit.lock_reason) == (LOCKED, "退房")
    with pytest.raises(DomainError, match="locked until"):
        services.hold_unit(session, unit.id, actor=agent, customer_name="A")
    # the lock ends after its last day, when read
    assert services.shown_status(unit, today=today + timedelta(days=31)) == AVAILABLE
    services.unlock_unit(session, unit.id, actor=manager)
    assert unit.status == AVAILABLE


def test_locking_a_held_unit_is_refused(session, b1, unit_no, manager):
    from pos.clock import local_today

    with pytest.raises(Conflict):
        services.lock_unit(session, unit_no(b1, "1801").id, actor=manager, reason="x", until=local_today())


# ------------------------------------------------------------------ the board and its changes
def test_board_rows_top_floor_first_with_counts_and_sold_figures(session, b1):
    board = services.board(session, b1)
    assert [f for f, _ in board.rows][:2] == [18, 17] and board.rows[-1][0] == 1
    assert all(len(cells) == 4 for _, cells in board.rows)
    assert board.tally.total == 72 and sum(board.tally.counts.values()) == 72
    sold = [u for u in b1.units if u.status in ("subscribed", "contracted", "filed", "sold")]
    assert board.tally.sold_units == len(sold) == 11
    assert board.tally.sold_area == sum(u.gross_area for u in sold)
    assert board.tally.sold_amount == sum(u.sold_total for u in sold)


def test_changes_since_answers_nothing_or_the_changed_units(session, b1, unit_no, agent):
    now = utcnow()
    assert services.changes_since(session, b1.id, b1.version, now) is None
    before = b1.version
    unit = unit_no(b1, "1701")
    services.hold_unit(session, unit.id, actor=agent, customer_name="A")
    session.commit()  # the version is stamped at the commit
    version, changed = services.changes_since(session, b1.id, before, now)
    assert version == before + 1 and [(u.number, s) for u, s in changed] == [("1701", HELD)]
    # a hold lapsing needs no write: the board learns it from the expiry time
    later = unit.held_until + timedelta(seconds=1)
    version2, changed2 = services.changes_since(session, b1.id, version, unit.held_until - timedelta(seconds=1),
                                                now=later)
    assert version2 == version and ("1701", AVAILABLE) in [(u.number, s) for u, s in changed2]


def test_building_version_is_per_building(session, b1, b2, unit_no, agent):
    v2 = session.scalar(select(Building.version).where(Building.id == b2.id))
    v1 = session.scalar(select(Building.version).where(Building.id == b1.id))
    services.hold_unit(session, unit_no(b1, "1701").id, actor=agent, customer_name="A")
    session.commit()
    assert session.scalar(select(Building.version).where(Building.id == b1.id)) == v1 + 1
    assert session.scalar(select(Building.version).where(Building.id == b2.id)) == v2


def test_a_refused_change_stamps_nothing(session, b1, unit_no, agent, agent2):
    v1 = session.scalar(select(Building.version).where(Building.id == b1.id))
    services.hold_unit(session, unit_no(b1, "1703").id, actor=agent, customer_name="A")
    session.rollback()
    session.commit()
    assert session.scalar(select(Building.version).where(Building.id == b1.id)) == v1
