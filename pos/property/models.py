"""Property sales (售楼处): projects, buildings (楼栋), units (房源) and who has a claim on a unit.

Areas are exact: ``Decimal`` square metres with two places in Python, integer hundredths of a
square metre in the database (:class:`Area`). Money is integer fen (:class:`pos.dbtypes.Money`).

A unit is under at most one live claim (:class:`UnitClaim`): a hold (保留) now, an agreement
(认购) in part 2. The database enforces it with a partial unique index on the live claims, and
the services lock the unit row and check again under the lock.

Every change to a unit bumps its building's ``version`` in the same transaction and stamps the
unit with it, so an open sales-control board asks "anything since version N?" with one indexed
query (:func:`pos.property.services.changes_since`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from ..dbtypes import Money, UTCDateTime, utcnow
from ..extensions import db

AREA_STEP = Decimal("0.01")


def to_area(value) -> Decimal:
    """Square metres, exact to 0.01 m² (half-up). Floats are refused like money."""
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError("an area must be a Decimal, an int or a string, never a float")
    return Decimal(value).quantize(AREA_STEP, rounding=ROUND_HALF_UP)


class Area(TypeDecorator):
    """Exact area column: integer hundredths of a m² in the database, ``Decimal`` m² in Python."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else int(to_area(value) * 100)

    def process_result_value(self, value, dialect):
        return None if value is None else (Decimal(int(value)) / 100).quantize(AREA_STEP)


#: unit statuses (房源状态), in the order of a sale
NOT_FOR_SALE = "not_for_sale"  # 未售/未推
AVAILABLE = "available"  # 可售
HELD = "held"  # 保留
SUBSCRIBED = "subscribed"  # 已认购
CONTRACTED = "contracted"  # 已签约
FILED = "filed"  # 已备案
SOLD = "sold"  # 已交房
LOCKED = "locked"  # 锁定
STATUSES = (NOT_FOR_SALE, AVAILABLE, HELD, SUBSCRIBED, CONTRACTED, FILED, SOLD, LOCKED)
#: statuses that count as sold on the board (area and amount)
SOLD_STATUSES = (SUBSCRIBED, CONTRACTED, FILED, SOLD)

#: how a unit is priced (计价方式)
BY_GROSS = "gross"  # 按建筑面积
BY_INNER = "inner"  # 按套内面积
PER_UNIT = "unit"  # 按套
PRICING_BASES = (BY_GROSS, BY_INNER, PER_UNIT)

#: kinds of claim on a unit
HOLD = "hold"
AGREEMENT = "agreement"


class Project(db.Model):
    """A housing project (楼盘/项目) with its developer, pre-sale permit and escrow account."""

    __tablename__ = "property_project"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    developer: Mapped[str] = mapped_column(String(100), default="")  # 开发商
    developer_licence_no: Mapped[str] = mapped_column(String(60), default="")  # 开发资质证书号
    presale_permit_no: Mapped[str | None] = mapped_column(String(60))  # 预售许可证号
    presale_permit_date: Mapped[date | None] = mapped_column(Date)
    escrow_bank: Mapped[str] = mapped_column(String(100), default="")  # 预售资金监管账户: 开户行
    escrow_account_name: Mapped[str] = mapped_column(String(100), default="")  # 户名
    escrow_account_no: Mapped[str] = mapped_column(String(40), default="")  # 账号
    #: settings of the project
    hold_hours: Mapped[int] = mapped_column(default=24)  # a hold lapses after this many hours
    agent_discount_pct: Mapped[int] = mapped_column(default=2)  # an agent may go this far below the filed price
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    buildings: Mapped[list[Building]] = relationship(back_populates="project", order_by="Building.id")

    @property
    def has_permit(self) -> bool:
        return bool(self.presale_permit_no)


class Building(db.Model):
    """A building (楼栋) of a project. ``version`` goes up with every change to one of its units."""

    __tablename__ = "property_building"
    __table_args__ = (UniqueConstraint("project_id", "name"),
                      CheckConstraint("floors > 0 AND units_per_floor > 0", name="size"))

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("property_project.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))  # 1号楼
    floors: Mapped[int]
    units_per_floor: Mapped[int]
    version: Mapped[int] = mapped_column(default=0)

    project: Mapped[Project] = relationship(back_populates="buildings")
    units: Mapped[list[Unit]] = relationship(back_populates="building",
                                             order_by=lambda: (Unit.floor.desc(), Unit.stack))


class Unit(db.Model):
    """A unit (房源) with its areas, pricing and status. Gross = inner + shared, all > 0."""

    __tablename__ = "property_unit"
    __table_args__ = (
        UniqueConstraint("building_id", "number"),
        UniqueConstraint("building_id", "floor", "stack"),
        CheckConstraint("inner_area > 0 AND shared_area >= 0 AND gross_area = inner_area + shared_area",
                        name="areas"),
        CheckConstraint("list_total >= 0 AND list_unit_price >= 0", name="prices"),
        Index("ix_property_unit_building_version", "building_id", "version"),
        Index("ix_property_unit_building_status", "building_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("property_building.id"))
    number: Mapped[str] = mapped_column(String(20))  # 房号, e.g. 1801
    floor: Mapped[int]
    stack: Mapped[int]  # 1 … units per floor (the column on the board)
    layout: Mapped[str] = mapped_column(String(40), default="")  # 户型, e.g. 三室两厅两卫
    orientation: Mapped[str] = mapped_column(String(20), default="")  # 朝向, e.g. 南北
    gross_area: Mapped[Decimal] = mapped_column(Area)  # 建筑面积
    inner_area: Mapped[Decimal] = mapped_column(Area)  # 套内面积
    shared_area: Mapped[Decimal] = mapped_column(Area)  # 分摊面积
    pricing_basis: Mapped[str] = mapped_column(String(10), default=BY_GROSS)
    list_unit_price: Mapped[Decimal] = mapped_column(Money)  # per m² of the basis (the total when per unit)
    list_total: Mapped[Decimal] = mapped_column(Money)
    #: the price it was sold at (set by the agreement in part 2); the board sums it for sold units
    sold_total: Mapped[Decimal | None] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(20), default=NOT_FOR_SALE)
    #: a hold's expiry (the hold lapses when read after it) and a lock's end
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[date | None] = mapped_column(Date)
    lock_reason: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[int] = mapped_column(default=0)  # the building's version at the last change

    building: Mapped[Building] = relationship(back_populates="units")


class UnitClaim(db.Model):
    """A claim on a unit: a hold (保留) for a customer, or (part 2) an agreement. At most one live
    claim per unit — the partial unique index below is the database's guarantee."""

    __tablename__ = "property_unit_claim"
    __table_args__ = (
        Index("uq_property_unit_claim_live", "unit_id", unique=True,
              sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),
        Index("ix_property_unit_claim_staff", "staff_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("property_unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=HOLD)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    customer_name: Mapped[str] = mapped_column(String(60), default="")
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str] = mapped_column(String(20), default="")  # released / expired / converted …
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    unit: Mapped[Unit] = relationship()
    staff = relationship("Staff", foreign_keys=[staff_id])


class UnitEvent(db.Model):
    """One change of a unit's status (the unit's history, shown when it is tapped). Never edited."""

    __tablename__ = "property_unit_event"
    __table_args__ = (Index("ix_property_unit_event_unit_at", "unit_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("property_unit.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("property_unit_claim.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    staff = relationship("Staff")


class PriceList(db.Model):
    """A published price list (一房一价) for a building, effective from a date. Never rewritten:
    a new version replaces it from its own effective date."""

    __tablename__ = "property_price_list"
    __table_args__ = (UniqueConstraint("building_id", "version_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("property_building.id"), index=True)
    version_no: Mapped[int]
    effective_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")
    published_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list[PriceListLine]] = relationship(back_populates="price_list", order_by="PriceListLine.id")
    published_by = relationship("Staff")


class PriceListLine(db.Model):
    """One unit's prices in a price list: the filed price (备案价, the ceiling) and the floor price
    (底价, the lowest anyone may sell at)."""

    __tablename__ = "property_price_list_line"
    __table_args__ = (UniqueConstraint("price_list_id", "unit_id"),
                      CheckConstraint("floor_total > 0 AND floor_total <= filed_total", name="floor_le_filed"))

    id: Mapped[int] = mapped_column(primary_key=True)
    price_list_id: Mapped[int] = mapped_column(ForeignKey("property_price_list.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("property_unit.id"), index=True)
    filed_unit_price: Mapped[Decimal] = mapped_column(Money)
    filed_total: Mapped[Decimal] = mapped_column(Money)
    floor_total: Mapped[Decimal] = mapped_column(Money)

    price_list: Mapped[PriceList] = relationship(back_populates="lines")


class QueueTicket(db.Model):
    """A queue number (认筹/排号) a customer holds for a project's opening day. Numbers are gapless per
    project. A 认筹 fee is only possible once the project has its pre-sale permit; it is recorded here
    (amount and state) and taken by the finance desk into the escrow account (part 2)."""

    __tablename__ = "property_queue_ticket"
    __table_args__ = (UniqueConstraint("project_id", "number"),
                      Index("uq_property_queue_ticket_live_customer", "project_id", "customer_id", unique=True,
                            sqlite_where=text("status != 'cancelled'"), postgresql_where=text("status != 'cancelled'")),
                      Index("ix_property_queue_ticket_status", "project_id", "status", "number"),
                      CheckConstraint("fee >= 0", name="fee"))

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("property_project.id"))
    number: Mapped[int]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    customer_name: Mapped[str] = mapped_column(String(60))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    fee_state: Mapped[str] = mapped_column(String(10), default="none")  # none / due / paid / refunded
    #: waiting → called → chosen; or skipped (recalled later) / cancelled
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("property_unit.id"))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("property_unit_claim.id"))
    chosen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    staff = relationship("Staff")
    unit: Mapped[Unit | None] = relationship()


class SelectionSession(db.Model):
    """An opening day's selection session (开盘选房): numbers are called in queue order, ``call_window`` at a
    time; each called buyer's unit is held for them at once. One open session per project."""

    __tablename__ = "property_selection_session"
    __table_args__ = (Index("uq_property_selection_session_open", "project_id", unique=True,
                            sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
                      CheckConstraint("call_window > 0", name="call_window"))

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("property_project.id"))
    call_window: Mapped[int] = mapped_column(default=1)  # how many numbers are called at once
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
