"""The manager's review of shifts and the Z reports of signed-off days."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..cashier.models import Shift
from ..dbtypes import UTCDateTime, utcnow
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
