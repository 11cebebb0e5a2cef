"""Customers (客户). Visits, ownership claims and collisions (撞单) come with property sales."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db


class Customer(db.Model):
    """A customer, found by phone. Name, phone and address go on invoices and dispatch slips."""

    __tablename__ = "customer"
    __table_args__ = (Index("ix_customer_name", "name"), Index("ix_customer_phone_last4", "phone_last4"),
                      Index("ix_customer_grade", "grade", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # the customer file (客户档案, pos/customers/file.py)
    #: the phone's last four digits, kept with the phone (search by 尾号 through an index)
    phone_last4: Mapped[str] = mapped_column(String(4), default="", server_default="")
    channel: Mapped[str] = mapped_column(String(20), default="", server_default="")  # source channel (来源)
    needs: Mapped[str] = mapped_column(Text, default="", server_default="")  # needs and interests (需求)
    key_customer: Mapped[bool] = mapped_column(default=False, server_default=text("false"))  # 重点客户
    #: A/B/C by the manager's rule (stored for search; recomputed by the manager's "regrade")
    grade: Mapped[str] = mapped_column(String(1), default="C", server_default="C")
    score: Mapped[int] = mapped_column(default=0, server_default="0")
    #: merged into another record of the same person (the history moved there); never deleted
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    former_phone: Mapped[str] = mapped_column(String(20), default="", server_default="")

    @validates("phone")
    def _keep_last4(self, _key, value):
        value = value or ""
        self.phone_last4 = value[-4:] if value[-4:].isascii() and value[-4:].isdigit() else ""
        return value


class CustomerInterest(db.Model):
    """A product a known customer looked at with a clerk (for 'asked about before')."""

    __tablename__ = "customer_interest"
    __table_args__ = (Index("ix_customer_interest_customer_at", "customer_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ------------------------------------------------------------------ property sales: visits, ownership, collisions
#: where a visitor or caller came from (来源渠道)
CHANNELS = ("walk_in", "phone", "referral", "online", "event", "agency")


class Visit(db.Model):
    """A registration of a visitor or caller (来访/来电登记) by the agent who received them. Its time is
    the server's (never typed, so never back-dated)."""

    __tablename__ = "customer_visit"
    __table_args__ = (Index("ix_customer_visit_customer_at", "customer_id", "at"),
                      Index("ix_customer_visit_staff_at", "staff_id", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    channel: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    needs_area: Mapped[str] = mapped_column(String(40), default="")  # e.g. 90–120㎡
    needs_budget: Mapped[str] = mapped_column(String(40), default="")  # e.g. 300万以内
    needs_layout: Mapped[str] = mapped_column(String(40), default="")  # e.g. 三室
    referrer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    #: the agent who owned the customer when this was registered (a collision if not this agent)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class FollowUp(db.Model):
    """A follow-up (跟进): a call, a visit or a note, with the next follow-up date. An effective one
    (a call or visit by the owner) renews the protection period."""

    __tablename__ = "customer_follow_up"
    __table_args__ = (Index("ix_customer_follow_up_customer_at", "customer_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    kind: Mapped[str] = mapped_column(String(10))  # call / visit / note
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    next_on: Mapped[date | None] = mapped_column(Date)
    effective: Mapped[bool] = mapped_column(default=False)


class Ownership(db.Model):
    """Who owns a customer (客户归属) and until when they are protected. One live ownership per
    customer (partial unique index); past the protection period the customer is back in the pool."""

    __tablename__ = "customer_ownership"
    __table_args__ = (
        Index("uq_customer_ownership_live", "customer_id", unique=True,
              sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),
        Index("ix_customer_ownership_staff", "staff_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    channel: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    protected_until: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str] = mapped_column(String(20), default="")  # lapsed / reassigned

    staff = relationship("Staff", foreign_keys=[staff_id])


class Collision(db.Model):
    """A collision (撞单): a second agent registered a customer someone owns. The manager rules;
    a ruling is never changed, and its deduction feeds the commission report."""

    __tablename__ = "customer_collision"
    __table_args__ = (Index("ix_customer_collision_status", "status", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    other_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("customer_visit.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending / ruled
    ruling: Mapped[str] = mapped_column(String(20), default="")  # settled / manager / leadership / malicious
    deduction_pct: Mapped[int] = mapped_column(default=0)  # of each agent's base pay
    malicious_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))  # who grabbed (恶意抢单)
    ruled_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    ruled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")

    customer = relationship("Customer")
    owner = relationship("Staff", foreign_keys=[owner_id])
    other = relationship("Staff", foreign_keys=[other_id])
    ruled_by = relationship("Staff", foreign_keys=[ruled_by_id])


class HouseholdMember(db.Model):
    """Close family (直系亲属) counted as one household with a head customer: the head's owner owns
    them all. A customer belongs to at most one household."""

    __tablename__ = "customer_household_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), unique=True)
    head_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    relation: Mapped[str] = mapped_column(String(20), default="")  # 配偶, 父母, 子女 …
    linked_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
