"""Return visits (回访) and satisfaction answers (满意度).

A return visit is scheduled for the customer's owner N days after the goods of a voucher reached the
customer (picked up at the counter, or the last dispatch slip delivered) and after a ticket is
resolved; one per voucher and one per ticket (``subject`` is unique). The answer to the satisfaction
question comes from the call (``channel='visit'``) or from the customer's own phone through the QR on
the receipt (``channel='survey'``); one answer per sale and per ticket, held by the database
(``subject`` is unique there too).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db

# the satisfaction question's answers (满意 / 一般 / 不满意)
SATISFIED, NEUTRAL, UNSATISFIED = "satisfied", "neutral", "unsatisfied"
RATINGS = (SATISFIED, NEUTRAL, UNSATISFIED)
# a return visit's state: waiting for the call; answered on the call; answered by the customer on their
# phone before the call (nothing left to ask)
VISIT_OPEN, VISIT_DONE, VISIT_ANSWERED = "open", "done", "answered"


def voucher_subject(voucher_id: int) -> str:
    return f"voucher:{voucher_id}"


def ticket_subject(ticket_id: int) -> str:
    return f"ticket:{ticket_id}"


class ReturnVisit(db.Model):
    """A return visit (回访) to make: whom to call, about what, by when, and how it went."""

    __tablename__ = "aftersales_visit"
    __table_args__ = (Index("ix_aftersales_visit_staff_due", "staff_id", "state", "due_on"),
                      Index("ix_aftersales_visit_customer", "customer_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: what the visit is about, once: ``voucher:<id>`` or ``ticket:<id>``
    subject: Mapped[str] = mapped_column(String(30), unique=True)
    reason: Mapped[str] = mapped_column(String(20))  # pickup | delivery | ticket
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))  # who calls: the customer's owner
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("aftersales_ticket.id"))
    due_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10), default=VISIT_OPEN)
    attempts: Mapped[int] = mapped_column(default=0)  # calls that did not reach the customer
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    customer = relationship("Customer", lazy="joined")
    staff = relationship("Staff", lazy="joined")
    voucher = relationship("Voucher")
    ticket = relationship("Ticket")
    calls: Mapped[list[VisitCall]] = relationship(back_populates="visit", order_by="VisitCall.id",
                                                  lazy="selectin")


class VisitCall(db.Model):
    """One call of a return visit: reached (with the answer) or not reached (with the day to try again)."""

    __tablename__ = "aftersales_visit_call"
    __table_args__ = (Index("ix_aftersales_visit_call_visit", "visit_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("aftersales_visit.id"))
    by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reached: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    retry_on: Mapped[date | None] = mapped_column(Date)

    visit: Mapped[ReturnVisit] = relationship(back_populates="calls")
    by = relationship("Staff", lazy="joined")


class SatisfactionAnswer(db.Model):
    """The answer to the satisfaction question about a sale or a ticket: from the call or from the
    customer's phone. Credited to ``staff_id`` (the visit's person, else the voucher's clerk) and to the
    showroom the sale was paid in; never edited."""

    __tablename__ = "aftersales_satisfaction"
    __table_args__ = (Index("ix_aftersales_satisfaction_at", "at"),
                      Index("ix_aftersales_satisfaction_staff_at", "staff_id", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: one answer per sale and per ticket: ``voucher:<id>`` or ``ticket:<id>``
    subject: Mapped[str] = mapped_column(String(30), unique=True)
    channel: Mapped[str] = mapped_column(String(10))  # visit | survey
    rating: Mapped[str] = mapped_column(String(12))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("aftersales_ticket.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("aftersales_visit.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    showroom_id: Mapped[int | None] = mapped_column(ForeignKey("showroom.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))  # none: the customer's own
    #: the complaint ticket an unsatisfied answer opened
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("aftersales_ticket.id"))

    staff = relationship("Staff", foreign_keys=[staff_id])
    complaint = relationship("Ticket", foreign_keys=[complaint_id])


class SurveyThrottle(db.Model):
    """Answers posted from one address (the public survey page) in the current window: counted before
    the token is checked, so guessing tokens or flooding answers stops at the limit."""

    __tablename__ = "aftersales_survey_throttle"

    id: Mapped[int] = mapped_column(primary_key=True)
    client: Mapped[str] = mapped_column(String(64), unique=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    tries: Mapped[int] = mapped_column(default=0)
