"""The customer file's own records (客户档案): tags and merges. The customer's columns for the
file (channel, needs, key customer, grade) are on :class:`~pos.customers.models.Customer`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import Money, UTCDateTime, utcnow
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


# ------------------------------------------------------------------ leads and follow-up (销售线索, 跟进)
LEAD_OPEN, LEAD_CONVERTED, LEAD_CLOSED = "open", "converted", "closed"


class Lead(db.Model):
    """A sales lead (销售线索): who, what they want, where they came from (channel, campaign or
    event), whom it is assigned to, when to contact them next; converted (linked to the voucher
    or the agreement it became) or closed with a reason. The voucher and agreement are linked by
    table name only: customers never imports sales or property."""

    __tablename__ = "customer_lead"
    __table_args__ = (Index("ix_customer_lead_assignee", "assigned_to_id", "status", "next_contact_on"),
                      Index("ix_customer_lead_created", "created_at"),
                      Index("ix_customer_lead_customer", "customer_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    want: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(20))
    campaign: Mapped[str] = mapped_column(String(60), default="")
    showroom_id: Mapped[int | None] = mapped_column(ForeignKey("showroom.id"))
    assigned_to_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))  # none: by the round-robin rule
    status: Mapped[str] = mapped_column(String(10), default=LEAD_OPEN)
    next_contact_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    close_reason: Mapped[str] = mapped_column(Text, default="")
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id"))
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("property_agreement.id"))

    customer = relationship("Customer")
    assigned_to = relationship("Staff", foreign_keys=[assigned_to_id])
    activities = relationship("LeadActivity", order_by="LeadActivity.at.desc()", lazy="selectin")


class LeadActivity(db.Model):
    """One entry of a lead's follow-up log: a call, a visit, a message, a note or a result."""

    __tablename__ = "customer_lead_activity"
    __table_args__ = (Index("ix_customer_lead_activity_lead", "lead_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("customer_lead.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    kind: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")
    next_contact_on: Mapped[date | None] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    staff = relationship("Staff")


# ------------------------------------------------------------------ credit (信用评估)
class CreditLimit(db.Model):
    """A credit grade and limit set by the manager with the reason. Never edited: the latest row is
    the customer's limit, the earlier ones are its history."""

    __tablename__ = "customer_credit_limit"
    __table_args__ = (Index("ix_customer_credit_limit_customer", "customer_id", "id"),
                      CheckConstraint("credit_limit >= 0", name="non_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    grade: Mapped[str] = mapped_column(String(1))  # A–D
    credit_limit: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(Text)
    set_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    set_by = relationship("Staff")


class CreditReview(db.Model):
    """The customer is flagged for a credit review (e.g. their cheque bounced); no more credit until
    the manager clears the flag with a note."""

    __tablename__ = "customer_credit_review"
    __table_args__ = (Index("ix_customer_credit_review_open", "customer_id", "cleared_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    cleared_note: Mapped[str] = mapped_column(Text, default="")
