"""The monthly appraisal (绩效考核): a month's row (locked when it is adjusted or approved), the
manager's bonus adjustments (new rows, never edited) and, once approved, the frozen sheet of each
person (snapshot rows written once)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import Money, UTCDateTime, utcnow
from ..extensions import db
from ..staff.models import Staff


class AppraisalMonth(db.Model):
    """A month under appraisal. Made the first time it is adjusted or approved (one per month: a
    unique key); approving sets ``approved_at`` and writes the snapshot, after which nothing changes.
    ``rules`` keeps the thresholds and bonus rates in force at approval (JSON)."""

    __tablename__ = "appraisal_month"
    __table_args__ = (UniqueConstraint("month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rules: Mapped[str] = mapped_column(Text, default="")

    approved_by: Mapped[Staff | None] = relationship(lazy="joined")


class AppraisalAdjustment(db.Model):
    """The manager changes a person's bonus for the month by ``amount`` (plus or minus) with a reason.
    A correction is another row; the history is every row."""

    __tablename__ = "appraisal_adjustment"
    __table_args__ = (Index("ix_appraisal_adjustment_month_staff", "month_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month_id: Mapped[int] = mapped_column(ForeignKey("appraisal_month.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    by: Mapped[Staff] = relationship(foreign_keys=[by_id], lazy="joined")


class AppraisalLine(db.Model):
    """One person's appraisal as approved: every measure and the bonus, frozen."""

    __tablename__ = "appraisal_line"
    __table_args__ = (UniqueConstraint("month_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month_id: Mapped[int] = mapped_column(ForeignKey("appraisal_month.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    target: Mapped[Decimal | None] = mapped_column(Money)
    net_sales: Mapped[Decimal] = mapped_column(Money)
    new_customers: Mapped[int] = mapped_column(default=0)  # this quarter to the month's end
    retained: Mapped[int] = mapped_column(default=0)
    retention_base: Mapped[int] = mapped_column(default=0)  # bought in the previous month
    due: Mapped[Decimal] = mapped_column(Money)  # collection: written up / schedule due
    collected: Mapped[Decimal] = mapped_column(Money)
    survey_answers: Mapped[int | None] = mapped_column()  # None: no data
    survey_satisfied: Mapped[int | None] = mapped_column()
    tickets_resolved: Mapped[int | None] = mapped_column()
    tickets_on_time: Mapped[int | None] = mapped_column()
    sales_bonus: Mapped[Decimal] = mapped_column(Money)
    excess_bonus: Mapped[Decimal] = mapped_column(Money)
    deduction_pct: Mapped[int] = mapped_column(default=0)
    deduction: Mapped[Decimal] = mapped_column(Money)
    adjustment: Mapped[Decimal] = mapped_column(Money)
    bonus: Mapped[Decimal] = mapped_column(Money)

    staff: Mapped[Staff] = relationship(lazy="joined")
