"""Dispatch slips (送货单) for the delivery staff, their history, and cash collected on delivery."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import Money, Quantity, UTCDateTime, utcnow
from ..extensions import db
from ..sales.models import Voucher, VoucherLine
from ..staff.models import Staff


class SlipStatus:
    OPEN = "open"  # waiting for a driver (new, or back after a failed attempt)
    ASSIGNED = "assigned"
    OUT = "out"  # out for delivery
    DELIVERED = "delivered"


class DispatchSlip(db.Model):
    """A dispatch slip (送货单): number and QR, customer, phone, full address, items, notes,
    the voucher, and the amount to collect on delivery, if any."""

    __tablename__ = "dispatch_slip"
    __table_args__ = (Index("ix_dispatch_slip_status_day", "status", "window_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[str] = mapped_column(String(20), unique=True)  # D20261122-0001
    voucher_id: Mapped[int] = mapped_column(ForeignKey("voucher.id"), index=True)
    pickup_id: Mapped[int | None] = mapped_column(ForeignKey("pickup.id"), unique=True)  # the goods it carries
    #: delivery (goods from a pickup); repair / installation (a visit for an after-sales ticket, no pickup)
    kind: Mapped[str] = mapped_column(String(12), default="delivery", server_default="delivery")
    customer_name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(200))
    window_day: Mapped[date] = mapped_column(Date)
    window: Mapped[str] = mapped_column(String(30), default="")  # e.g. 14:00–18:00
    notes: Mapped[str] = mapped_column(Text, default="")
    collect: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))  # cash to collect on delivery
    status: Mapped[str] = mapped_column(String(10), default=SlipStatus.OPEN)
    driver_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    received_by: Mapped[str] = mapped_column(String(60), default="")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    voucher: Mapped[Voucher] = relationship(lazy="joined")
    driver: Mapped[Staff | None] = relationship(foreign_keys=[driver_id], lazy="joined")
    lines: Mapped[list[DispatchLine]] = relationship(back_populates="slip", lazy="selectin")
    events: Mapped[list[DeliveryEvent]] = relationship(back_populates="slip", order_by="DeliveryEvent.id",
                                                       lazy="selectin")


class DispatchLine(db.Model):
    __tablename__ = "dispatch_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    slip_id: Mapped[int] = mapped_column(ForeignKey("dispatch_slip.id"), index=True)
    voucher_line_id: Mapped[int] = mapped_column(ForeignKey("voucher_line.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity)

    slip: Mapped[DispatchSlip] = relationship(back_populates="lines")
    voucher_line: Mapped[VoucherLine] = relationship(lazy="joined")


class DeliveryEvent(db.Model):
    """What happened to a slip: created, pulled, assigned, out, delivered, failed (with why)."""

    __tablename__ = "delivery_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    slip_id: Mapped[int] = mapped_column(ForeignKey("dispatch_slip.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(String(200), default="")

    slip: Mapped[DispatchSlip] = relationship(back_populates="events")
    by: Mapped[Staff] = relationship(lazy="joined")


class DeliveryCash(db.Model):
    """Cash a driver collected on delivery; a cashier receives it back (then the voucher is paid)."""

    __tablename__ = "delivery_cash"

    id: Mapped[int] = mapped_column(primary_key=True)
    slip_id: Mapped[int] = mapped_column(ForeignKey("dispatch_slip.id"), unique=True)
    driver_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))  # set when a cashier receives it

    slip: Mapped[DispatchSlip] = relationship(lazy="joined")
    driver: Mapped[Staff] = relationship(lazy="joined")
