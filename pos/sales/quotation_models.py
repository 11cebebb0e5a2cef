"""Quotations (报价单): lines from the catalogue at actual prices, a validity date and terms,
reviewed by the manager before they are given, answered by the customer, and — accepted and
still valid — turned into a sales voucher at the quoted prices. A change after submission is a
new version (same ``family_id``, ``version`` + 1); the old one is kept, superseded."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import Money, Quantity, UTCDateTime, utcnow
from ..extensions import db


class QuotationStatus:
    DRAFT = "draft"  # being built by the clerk
    SUBMITTED = "submitted"  # waiting for the manager's review
    SENT_BACK = "sent_back"  # the manager asked for changes (a note); a change is a new version
    APPROVED = "approved"  # may be given to the customer (printed, PDF)
    ACCEPTED = "accepted"  # the customer said yes
    DECLINED = "declined"  # the customer said no (with the reason)
    CONVERTED = "converted"  # became a sales voucher
    SUPERSEDED = "superseded"  # a newer version replaced it

    ALL = (DRAFT, SUBMITTED, SENT_BACK, APPROVED, ACCEPTED, DECLINED, CONVERTED, SUPERSEDED)


class Quotation(db.Model):
    __tablename__ = "quotation"
    __table_args__ = (UniqueConstraint("family_id", "version"), Index("ix_quotation_status", "status", "created_at"),
                      Index("ix_quotation_customer", "customer_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[str] = mapped_column(String(30), unique=True)  # BJ20261126-0001-v2
    family_id: Mapped[int | None] = mapped_column(ForeignKey("quotation.id"))  # the first version's id
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(12), default=QuotationStatus.DRAFT)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    clerk_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    valid_until: Mapped[date] = mapped_column(Date)
    terms: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id"), unique=True)

    customer = relationship("Customer")
    clerk = relationship("Staff", foreign_keys=[clerk_id])
    reviewed_by = relationship("Staff", foreign_keys=[reviewed_by_id])
    voucher = relationship("Voucher")
    lines: Mapped[list[QuotationLine]] = relationship(back_populates="quotation", order_by="QuotationLine.position",
                                                      cascade="all, delete-orphan", lazy="selectin")

    @property
    def needs_approval(self) -> bool:
        return any(line.over_limit for line in self.lines)


class QuotationLine(db.Model):
    __tablename__ = "quotation_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    quotation_id: Mapped[int] = mapped_column(ForeignKey("quotation.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    product_name: Mapped[str] = mapped_column(String(100))
    brand_name: Mapped[str] = mapped_column(String(60))
    model: Mapped[str] = mapped_column(String(60), default="")
    spec: Mapped[str] = mapped_column(String(100), default="")
    unit: Mapped[str] = mapped_column(String(10), default="件")
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    list_price: Mapped[Decimal] = mapped_column(Money)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)
    #: over the clerk's discount limit (or above the list price): the manager's review approves it
    over_limit: Mapped[bool] = mapped_column(default=False)

    quotation: Mapped[Quotation] = relationship(back_populates="lines")
    product = relationship("Product")
