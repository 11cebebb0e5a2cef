"""The invoices of a cash shift, for its report (交班报表): those the cashier issued and voided
while the shift was open."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..dbtypes import utcnow
from .models import Invoice, InvoiceVoid


@dataclass
class ShiftInvoices:
    issued: list[Invoice] = field(default_factory=list)
    voided: list[InvoiceVoid] = field(default_factory=list)


def invoices_of_shift(session: Session, shift) -> ShiftInvoices:
    start, end = shift.opened_at, shift.closed_at or utcnow()
    issued = session.scalars(select(Invoice).where(Invoice.preparer_id == shift.cashier_id,
                                                   Invoice.issued_at >= start, Invoice.issued_at <= end)
                             .order_by(Invoice.issued_at))
    voided = session.scalars(select(InvoiceVoid).where(InvoiceVoid.by_id == shift.cashier_id,
                                                       InvoiceVoid.at >= start, InvoiceVoid.at <= end)
                             .order_by(InvoiceVoid.at))
    return ShiftInvoices(list(issued), list(voided))
