"""The customer file's own records (客户档案): tags and merges. The customer's columns for the
file (channel, needs, key customer, grade) are on :class:`~pos.customers.models.Customer`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db


class CustomerTag(db.Model):
    """A tag on a customer (标签: 装修中, 老客户 …), for search and the file."""

    __tablename__ = "customer_tag"
    __table_args__ = (UniqueConstraint("customer_id", "tag"), Index("ix_customer_tag_tag", "tag", "customer_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    tag: Mapped[str] = mapped_column(String(20))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerMerge(db.Model):
    """Two records of one person joined by the manager (合并客户): everything of ``merged`` now
    points at ``kept``; the merged record stays (with ``merged_into_id``) and this row says what moved."""

    __tablename__ = "customer_merge"
    __table_args__ = (Index("ix_customer_merge_kept", "kept_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kept_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    merged_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), unique=True)
    merged_name: Mapped[str] = mapped_column(String(60))
    merged_phone: Mapped[str] = mapped_column(String(20))
    by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    moved: Mapped[str] = mapped_column(Text, default="")  # "voucher: 3, customer_visit: 1 …"
