"""Payments into the project's escrow account (预售资金监管账户) at the finance desk."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .sale_models import Agreement, EscrowPayment

ZERO = Decimal("0.00")


def payments_of(session: Session, agreement: Agreement) -> list[EscrowPayment]:
    return list(session.scalars(select(EscrowPayment).where(EscrowPayment.agreement_id == agreement.id)
                                .order_by(EscrowPayment.id)))


def paid_on(session: Session, agreement: Agreement, kind: str, schedule_item_id: int | None = None) -> Decimal:
    """What has been paid (net of reversals) on the agreement for ``kind``."""
    query = select(func.sum(EscrowPayment.amount)).where(EscrowPayment.agreement_id == agreement.id,
                                                          EscrowPayment.kind == kind)
    if schedule_item_id is not None:
        query = query.where(EscrowPayment.schedule_item_id == schedule_item_id)
    return session.scalar(query) or ZERO
