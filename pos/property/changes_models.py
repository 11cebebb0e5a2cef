"""Tables of the sales office's changes: price approvals asked of the manager's tablet (a request,
its one answer, its one use) and changes to subscription agreements (换房, a new price) — each a
new record, never an edit. Imported with :mod:`pos.property.sale_models`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import Money, UTCDateTime, utcnow
from ..extensions import db

#: an agreement replaced by a new one (换房 or a new price): its deposit went over to the new one
CHANGED = "changed"
#: agreement change kinds
UNIT_CHANGE = "unit"
PRICE_CHANGE = "price"


class PriceRequest(db.Model):
    """An agent asks the manager (on the manager's own tablet) to approve a price below the agent's
    discount limit for one unit. Never edited: the answer is a row of its own."""

    __tablename__ = "property_price_request"
    __table_args__ = (CheckConstraint("asked_total > 0", name="asked"),
                      Index("ix_property_price_request_agent", "agent_id", "created_at"),
                      Index("ix_property_price_request_unit", "unit_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("property_unit.id"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    asked_total: Mapped[Decimal] = mapped_column(Money)
    filed_total: Mapped[Decimal] = mapped_column(Money)  # as at the request
    floor_total: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit = relationship("Unit", lazy="joined")
    agent = relationship("Staff", foreign_keys=[agent_id], lazy="joined")
    answer: Mapped[PriceAnswer | None] = relationship(back_populates="request", uselist=False, lazy="selectin")
    use: Mapped[PriceUse | None] = relationship(uselist=False, lazy="selectin")


class PriceAnswer(db.Model):
    """The manager's one answer to a price request (a unique key: a second answer is refused)."""

    __tablename__ = "property_price_answer"
    __table_args__ = (UniqueConstraint("request_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("property_price_request.id"))
    approved: Mapped[bool]
    note: Mapped[str] = mapped_column(String(200), default="")
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[PriceRequest] = relationship(back_populates="answer")
    answered_by = relationship("Staff", lazy="joined")


class PriceUse(db.Model):
    """An approved price used once, by one agreement (a unique key: never twice)."""

    __tablename__ = "property_price_use"
    __table_args__ = (UniqueConstraint("request_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("property_price_request.id"))
    agreement_id: Mapped[int] = mapped_column(ForeignKey("property_agreement.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AgreementChange(db.Model):
    """A subscription agreement replaced, with the manager's approval, by a new one: for another
    unit (换房) or at a new price. The old agreement is kept (state ``changed``); the deposit paid
    goes over by a pair of escrow records; this row says what changed and who approved it."""

    __tablename__ = "property_agreement_change"
    __table_args__ = (UniqueConstraint("old_agreement_id"), UniqueConstraint("new_agreement_id"),
                      CheckConstraint("carried >= 0", name="carried"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # unit | price
    old_agreement_id: Mapped[int] = mapped_column(ForeignKey("property_agreement.id"))
    new_agreement_id: Mapped[int] = mapped_column(ForeignKey("property_agreement.id"))
    old_unit_id: Mapped[int] = mapped_column(ForeignKey("property_unit.id"))
    new_unit_id: Mapped[int] = mapped_column(ForeignKey("property_unit.id"))
    old_total: Mapped[Decimal] = mapped_column(Money)
    new_total: Mapped[Decimal] = mapped_column(Money)
    carried: Mapped[Decimal] = mapped_column(Money)  # deposit carried over
    reason: Mapped[str] = mapped_column(String(200))
    unit_locked_until: Mapped[date | None] = mapped_column(Date)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    old_agreement = relationship("Agreement", foreign_keys=[old_agreement_id])
    new_agreement = relationship("Agreement", foreign_keys=[new_agreement_id])
    approved_by = relationship("Staff", foreign_keys=[approved_by_id])
    requested_by = relationship("Staff", foreign_keys=[requested_by_id])
