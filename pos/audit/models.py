"""The audit log (操作日志): who did what, to which record, when and why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db
from ..staff.models import Staff


class AuditEntry(db.Model):
    """One recorded action. Append-only: nothing updates or deletes these rows."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_at_kind", "at", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)  # e.g. "staff.pin_reset"
    record_type: Mapped[str | None] = mapped_column(String(40))
    record_id: Mapped[str | None] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text, default="")
    #: the event's facts (amounts as strings of yuan, numbers, codes), rendered in the reader's
    #: language by pos.audit.details; rows from before it have only ``summary``
    data: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    remote_addr: Mapped[str | None] = mapped_column(String(64))

    staff: Mapped[Staff | None] = relationship(lazy="joined")
