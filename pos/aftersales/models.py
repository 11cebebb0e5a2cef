"""After-sales tickets (售后服务单): a customer's problem recorded against what they bought — a
voucher line of their voucher, a sold serial, or a property unit — with its history, photos, the
person in charge and the deadlines by kind; and what came of it (a dispatch slip for a repair or an
installation, a refund for a return)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import Quantity, UTCDateTime, utcnow
from ..extensions import db

# kinds (类别)
REPAIR, INSTALLATION, RETURN, COMPLAINT, QUESTION = "repair", "installation", "return", "complaint", "question"
KINDS = (REPAIR, INSTALLATION, RETURN, COMPLAINT, QUESTION)
# states
OPEN, IN_PROGRESS, WAITING, RESOLVED, REJECTED = "open", "in_progress", "waiting", "resolved", "rejected"
STATES = (OPEN, IN_PROGRESS, WAITING, RESOLVED, REJECTED)
CLOSED = (RESOLVED, REJECTED)


class Ticket(db.Model):
    """An after-sales ticket (售后服务单), ``T20261126-0001``. ``respond_by`` and ``resolve_by`` are set
    from the settings of its kind when it is opened; ``responded_at`` when it first leaves 'open',
    ``closed_at`` when it is resolved or rejected (``resolution`` says how, or why not)."""

    __tablename__ = "aftersales_ticket"
    __table_args__ = (Index("ix_aftersales_ticket_state_resolve_by", "state", "resolve_by"),
                      Index("ix_aftersales_ticket_assignee", "assigned_to_id", "state"),
                      Index("ix_aftersales_ticket_customer", "customer_id"),
                      Index("ix_aftersales_ticket_closed", "closed_at"),
                      Index("ix_aftersales_ticket_voucher_line", "voucher_line_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default=OPEN)
    description: Mapped[str] = mapped_column(Text)
    # what it is about: a line of the customer's voucher, a sold serial, or a property unit
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id"))
    voucher_line_id: Mapped[int | None] = mapped_column(ForeignKey("voucher_line.id"))
    serial_id: Mapped[int | None] = mapped_column(ForeignKey("sold_serial.id"))
    serial_no: Mapped[str] = mapped_column(String(40), default="")  # as sold (the serial's own text)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("property_unit.id"))
    # where it came from: "" (the counter), "visit" (an unsatisfied return visit) …
    source: Mapped[str] = mapped_column(String(20), default="")
    source_id: Mapped[int | None]
    assigned_to_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    respond_by: Mapped[datetime] = mapped_column(UTCDateTime)
    resolve_by: Mapped[datetime] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    resolution: Mapped[str] = mapped_column(Text, default="")
    # what came of it: a dispatch slip for the delivery staff (repair, installation); a refund (return)
    dispatch_slip_id: Mapped[int | None] = mapped_column(ForeignKey("dispatch_slip.id"), unique=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refund.id"), unique=True)
    restocked: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))  # put back into stock

    customer = relationship("Customer", lazy="joined")
    assigned_to = relationship("Staff", foreign_keys=[assigned_to_id], lazy="joined")
    opened_by = relationship("Staff", foreign_keys=[opened_by_id])
    voucher = relationship("Voucher")
    voucher_line = relationship("VoucherLine")
    serial = relationship("SoldSerial")
    unit = relationship("Unit")
    dispatch_slip = relationship("DispatchSlip")
    refund = relationship("Refund")
    events: Mapped[list[TicketEvent]] = relationship(back_populates="ticket", order_by="TicketEvent.id",
                                                     lazy="selectin")
    photos: Mapped[list[TicketPhoto]] = relationship(back_populates="ticket", order_by="TicketPhoto.id",
                                                     lazy="selectin")

    @property
    def closed(self) -> bool:
        return self.state in CLOSED


class TicketEvent(db.Model):
    """One line of a ticket's history: opened, a state change with its note, assigned, a photo,
    a dispatch slip, a refund."""

    __tablename__ = "aftersales_ticket_event"
    __table_args__ = (Index("ix_aftersales_ticket_event_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("aftersales_ticket.id"))
    kind: Mapped[str] = mapped_column(String(20))  # opened | state | assigned | photo | slip | visit | refund
    from_state: Mapped[str] = mapped_column(String(20), default="")
    to_state: Mapped[str] = mapped_column(String(20), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    by = relationship("Staff", lazy="joined")


class TicketPhoto(db.Model):
    """A photo of the problem, checked as an image (Pillow) and kept in the media folder (0600)."""

    __tablename__ = "aftersales_ticket_photo"
    __table_args__ = (Index("ix_aftersales_ticket_photo_ticket", "ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("aftersales_ticket.id"))
    path: Mapped[str] = mapped_column(String(100))  # under POS_MEDIA_DIR: tickets/<hex>.jpg
    size: Mapped[int]
    by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="photos")
