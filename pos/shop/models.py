"""The showroom itself (展厅 / 售楼处), its settings, and the numbering counters
that several domains share (vouchers, invoices, dispatch slips, Z reports)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db


class Showroom(db.Model):
    """A showroom or sales office. Most shops have one; a PostgreSQL install may have several."""

    __tablename__ = "showroom"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    tax_no: Mapped[str] = mapped_column(String(40), default="")  # 纳税人识别号


class Setting(db.Model):
    """A shop setting the manager can change (e.g. a role's discount limit)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(400))


class Counter(db.Model):
    """A numbering series: the last number handed out in ``series`` on ``day``
    (``day`` is 2000-01-01 for series that never restart). Incremented under the
    row's write lock in the caller's transaction, so numbers have no gaps."""

    __tablename__ = "counter"
    __table_args__ = (UniqueConstraint("series", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series: Mapped[str] = mapped_column(String(40))
    day: Mapped[date] = mapped_column(Date)
    last: Mapped[int] = mapped_column(default=0)


class Station(db.Model):
    """A cashier station / terminal (收银台): where a shift is open and where its printer is."""

    __tablename__ = "station"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(default=True)
    #: the showroom the station stands in; none: the shop's first (main) showroom
    showroom_id: Mapped[int | None] = mapped_column(ForeignKey("showroom.id"))


class DaySignOff(db.Model):
    """A business day the manager signed off (日结): frozen — nothing more is dated into it.
    Written by the manager's desk; every money-moving service checks it."""

    __tablename__ = "day_sign_off"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(String(400), default="")
