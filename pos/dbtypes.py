"""Column types shared by every domain.

* :class:`Money` — ``Decimal`` yuan in Python, integer fen in the database.
* :class:`Quantity` — ``Decimal`` with three places in Python, integer thousandths
  in the database (pieces are whole numbers; metres and kilograms may not be).
* :class:`UTCDateTime` — aware UTC datetimes in Python, naive UTC in the database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.types import TypeDecorator

from .money import from_fen, to_fen

QTY_STEP = Decimal("0.001")


def to_quantity(value) -> Decimal:
    if isinstance(value, float):
        raise TypeError("a quantity must not be a float")
    return Decimal(value).quantize(QTY_STEP, rounding=ROUND_HALF_UP)


class Money(TypeDecorator):
    """Exact money column: stores integer fen, gives ``Decimal`` yuan."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else to_fen(value)

    def process_result_value(self, value, dialect):
        return None if value is None else from_fen(int(value))


class Quantity(TypeDecorator):
    """Exact quantity column: stores integer thousandths, gives ``Decimal`` with 3 places."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else int(to_quantity(value) * 1000)

    def process_result_value(self, value, dialect):
        return None if value is None else (Decimal(int(value)) / 1000).quantize(QTY_STEP)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC; refuses naive datetimes on the way in (their zone is unknown)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give it a zone (use pos.clock.utcnow())")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
