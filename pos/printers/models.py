"""Configured printers and the durable print queue (打印队列).

Every print is a job row. The spooler (``pos print-worker``) marks a job
``printing`` before it sends and ``done`` after; a job found ``printing`` when the
spooler starts was interrupted, and is set ``failed`` for a person to look at the
printer — it is never sent twice by itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db
from ..shop.models import Station
from ..staff.models import Staff


class Printer(db.Model):
    """A receipt printer: how to reach it, its paper and what it can do."""

    __tablename__ = "printer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    connector: Mapped[str] = mapped_column(String(10))  # network | usb | serial | file | preview
    address: Mapped[str] = mapped_column(String(200), default="")
    paper_mm: Mapped[int] = mapped_column(default=80)  # 58 | 80
    native_qr: Mapped[bool] = mapped_column(default=True)  # else the QR is sent as an image
    encoding: Mapped[str] = mapped_column(String(10), default="gb18030")  # gb18030 | gbk
    station_id: Mapped[int | None] = mapped_column(ForeignKey("station.id"), unique=True)
    is_default: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    station: Mapped[Station | None] = relationship(lazy="joined")


class PrintJob(db.Model):
    """One document to print on one printer. Never deleted; a reprint is a new job."""

    __tablename__ = "print_job"
    __table_args__ = (Index("ix_print_job_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    printer_id: Mapped[int] = mapped_column(ForeignKey("printer.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # voucher | receipt | shift | test | …
    ref: Mapped[str] = mapped_column(String(40), default="")  # voucher no., payment id …
    title: Mapped[str] = mapped_column(String(120), default="")
    document: Mapped[str] = mapped_column(Text)  # JSON of printing.documents.Document
    copies: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued | printing | done | failed
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reprint_of_id: Mapped[int | None] = mapped_column(ForeignKey("print_job.id"))
    reprint_no: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    printer: Mapped[Printer] = relationship(lazy="joined")
    requested_by: Mapped[Staff | None] = relationship(lazy="joined")
