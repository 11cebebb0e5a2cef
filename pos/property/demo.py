"""Demo data for the sales office: one project, two buildings (18 × 4 and 33 × 8), a price list,
units in every status — so the board shows a living sales office on first run."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import local_today
from ..customers.models import Customer
from ..staff import services as staff_services
from . import pricing, services
from .models import CONTRACTED, FILED, SOLD, SUBSCRIBED, Project, Unit

PROJECT = "翠湖湾花园"

STACKS_18 = [
    services.StackRule("三室两厅两卫", "南北", "128.56", "101.23", "28600"),
    services.StackRule("两室两厅一卫", "南", "89.40", "70.52", "29200"),
    services.StackRule("两室两厅一卫", "南", "89.40", "70.52", "29200"),
    services.StackRule("三室两厅两卫", "南北", "128.56", "101.23", "28600"),
]
STACKS_33 = [
    services.StackRule("四室两厅两卫", "南北", "143.88", "115.10", "26800"),
    services.StackRule("三室两厅两卫", "南", "118.20", "94.56", "27300"),
    services.StackRule("三室两厅一卫", "南", "105.66", "84.53", "27500"),
    services.StackRule("两室两厅一卫", "东南", "88.35", "70.68", "27100"),
    services.StackRule("两室两厅一卫", "西南", "88.35", "70.68", "26900"),
    services.StackRule("三室两厅一卫", "南", "105.66", "84.53", "27500"),
    services.StackRule("三室两厅两卫", "南", "118.20", "94.56", "27300"),
    services.StackRule("四室两厅两卫", "南北", "143.88", "115.10", "26800"),
]


def load_property_demo(session: Session) -> int:
    """Add the demo project once; returns the number of units added."""
    if session.scalar(select(Project.id).where(Project.name == PROJECT)):
        return 0
    manager = staff_services.by_number(session, "M001")
    agents = [staff_services.by_number(session, no) for no in ("C001", "C002")]
    project = services.create_project(
        session, actor=manager, name=PROJECT, address="上海市浦东新区锦绣路888弄", developer="上海锦华置业有限公司",
        developer_licence_no="沪房管开第2019-0123号", presale_permit_no="浦东新区房管(2026)预字0000456号",
        presale_permit_date=date(2026, 9, 1), escrow_bank="中国建设银行上海浦东分行",
        escrow_account_name="上海锦华置业有限公司预售资金监管专户", escrow_account_no="31050161373600001234",
        hold_hours=24, agent_discount_pct=2)
    one = services.generate_building(session, project, "1号楼", 18, STACKS_18, floor_premium="150", actor=manager)
    two = services.generate_building(session, project, "2号楼", 33, STACKS_33, floor_premium="120",
                                     premium_from_floor=3, actor=manager)
    session.flush()
    today = local_today()
    for building in (one, two):
        pricing.publish_from_list(session, building, effective_on=today, floor_pct="5", actor=manager,
                                  note="首次开盘一房一价")
    units = {(u.building_id, u.number): u for u in session.scalars(select(Unit))}

    def unit(building, number):
        return units[(building.id, number)]

    # building 1: everything on sale; building 2: floors 1–25 on sale, the top kept back
    services.release_units(session, [u.id for u in units.values()
                                     if u.building_id == one.id or u.floor <= 25], actor=manager)
    for i, number in enumerate(("1801", "1702", "1603", "1504", "1401", "1202")):
        services.hold_unit(session, unit(one, number).id, actor=agents[i % 2], customer_name=f"{'张李王刘陈杨'[i]}先生")
    for number, status in (("1201", SUBSCRIBED), ("1102", SUBSCRIBED), ("1003", CONTRACTED), ("904", CONTRACTED),
                           ("801", FILED), ("702", FILED), ("601", SOLD), ("502", SOLD), ("403", SOLD),
                           ("1101", CONTRACTED), ("1001", FILED)):
        _demo_sale(session, unit(one, number), status, manager)
    for number, status in (("2501", SUBSCRIBED), ("2408", CONTRACTED), ("2203", FILED), ("1805", SOLD),
                           ("1004", SOLD), ("905", CONTRACTED), ("601", SUBSCRIBED)):
        _demo_sale(session, unit(two, number), status, manager)
    services.hold_unit(session, unit(two, "2006").id, actor=agents[0], customer_name="周女士")
    services.hold_unit(session, unit(two, "1502").id, actor=agents[1], customer_name="吴先生")
    services.lock_unit(session, unit(one, "301").id, actor=manager, reason="退房后锁定30天",
                       until=today + timedelta(days=30))
    services.lock_unit(session, unit(two, "1207").id, actor=manager, reason="工程返修",
                       until=today + timedelta(days=10))
    _demo_visitors(session, agents)
    return len(units)


def _demo_visitors(session: Session, agents) -> None:
    """Visitors and callers registered by the two agents, follow-ups due today, and one pending
    collision (张伟 registered a customer 李晓梅 owns)."""
    from ..customers import ownership

    li, zhang = agents
    for agent, phone, name, channel, needs in (
        (li, "13916880001", "郑先生", "walk_in", ("120-140", "400万", "三室")),
        (li, "13916880002", "冯女士", "phone", ("90", "280万", "两室")),
        (li, "13916880003", "陈先生", "event", ("140+", "500万", "四室")),
        (zhang, "13816880004", "褚女士", "online", ("100", "320万", "三室")),
        (zhang, "021-58886688", "卫先生", "phone", ("89", "260万", "两室")),
    ):
        ownership.register_visit(session, actor=agent, phone=phone, name=name, channel=channel,
                                 needs_area=needs[0], needs_budget=needs[1], needs_layout=needs[2])
    ownership.register_visit(session, actor=zhang, phone="13816880005", name="蒋先生", channel="referral",
                             referrer_phone="13816880004")
    first = session.scalar(select(Customer).where(Customer.phone == "13916880001"))
    ownership.add_follow_up(session, first.id, actor=li, kind="call", note="约周六看1号楼样板间",
                            next_on=local_today().isoformat())
    ownership.register_visit(session, actor=zhang, phone="139 1688 0001", name="郑先生", channel="walk_in",
                             note="客户自称第一次来")


def _demo_sale(session: Session, unit: Unit, status: str, manager) -> None:
    """Demo only: a unit at a later stage of a sale (part 2 gets there through agreements and
    contracts); the price it was sold at is the list price less 1 %."""
    services._change(session, unit, status, actor=manager, kind="property.demo_status", note="demo")
    unit.sold_total = (unit.list_total * 99 / 100).quantize(unit.list_total)
