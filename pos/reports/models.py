"""The manager's review of shifts and the Z reports of signed-off days."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..cashier.models import Shift
from ..dbtypes import Money, Quantity, UTCDateTime, utcnow
from ..extensions import db
from ..staff.models import Staff


class ShiftReview(db.Model):
    """The manager looked at a closed shift (and explained any over/short)."""

    __tablename__ = "shift_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id"), unique=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    shift: Mapped[Shift] = relationship()
    reviewer: Mapped[Staff] = relationship(lazy="joined")


class ZReport(db.Model):
    """The Z report of a signed-off business day, with its sequential Z number."""

    __tablename__ = "z_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[int] = mapped_column(unique=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    signed_by: Mapped[Staff] = relationship(lazy="joined")


class TakingsFact(db.Model):
    """One signed-off business day's takings summed along one dimension (the dashboards read these).

    Written once, when the day is signed off (a signed-off day is frozen, so its sums never change);
    days not yet signed off are summed live from the payments. ``dimension`` is one of
    ``tender`` (key: cash, card, … and the corrections ``refund`` and ``bounced``), ``clerk`` (key: staff id),
    ``product`` (key: product id), ``category`` (key: category id), ``hour`` (key: 00–23, shop time),
    and ``day`` (a marker row: this day's facts are stored)."""

    __tablename__ = "takings_fact"
    __table_args__ = (Index("ix_takings_fact_day_dimension", "day", "dimension"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    showroom_id: Mapped[int | None] = mapped_column(ForeignKey("showroom.id"))
    dimension: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200), default="")
    amount: Mapped[Decimal] = mapped_column(Money)  # net: payments less refunds and bounced cheques
    quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))  # pieces (product, clerk)
    count: Mapped[int] = mapped_column(default=0)  # payments (tender, clerk, hour)


class Quota(db.Model):
    """A clerk's or property agent's monthly sales target (销售定额), set by the manager.

    ``amount`` is the takings target; ``units`` (optional) the number of pieces — for property
    agents, of units (套) — to sell. Changing a target rewrites it; the audit log keeps the old one."""

    __tablename__ = "quota"
    __table_args__ = (UniqueConstraint("staff_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    amount: Mapped[Decimal] = mapped_column(Money)
    units: Mapped[int | None] = mapped_column()
    set_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    staff: Mapped[Staff] = relationship(foreign_keys=[staff_id], lazy="joined")
