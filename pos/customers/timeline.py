"""One timeline per customer (客户档案的时间线), filled by the domains that know the events.

Customers sit low in the import order (below sales, cashier, invoicing, delivery and property),
so this module knows none of them: each higher domain registers a source at import,
``register_timeline_source(fn)``, where ``fn(session, customer_id)`` yields :class:`Entry` rows
for that customer. The customer page asks every source and sorts the entries, latest first.
Purchase totals for the grade come the same way (``register_purchase_source``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session


@dataclass
class Entry:
    at: datetime
    kind: str  # voucher / payment / quotation / visit / follow_up / pickup / delivery / invoice / unit …
    title: str
    detail: str = ""
    endpoint: str | None = None  # the page to open (url_for is called by the template, in a request)
    args: dict = field(default_factory=dict)
    amount: Decimal | None = None


TimelineSource = Callable[[Session, int], Iterable[Entry]]
#: (session, customer_id, since) -> (amount bought since then, latest purchase time or None)
PurchaseSource = Callable[[Session, int, datetime], tuple[Decimal, datetime | None]]

_sources: dict[str, TimelineSource] = {}
_purchases: dict[str, PurchaseSource] = {}


def register_timeline_source(fn: TimelineSource) -> TimelineSource:
    """Register a source of a customer's timeline entries (once per function, by its qualified name)."""
    _sources[f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


def register_purchase_source(fn: PurchaseSource) -> PurchaseSource:
    _purchases[f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


def timeline(session: Session, customer_id: int, limit: int = 300) -> list[Entry]:
    entries: list[Entry] = []
    for source in list(_sources.values()):
        entries.extend(source(session, customer_id))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def purchases(session: Session, customer_id: int, since: datetime) -> tuple[Decimal, datetime | None]:
    total, last = Decimal("0"), None
    for source in list(_purchases.values()):
        amount, at = source(session, customer_id, since)
        total += amount
        if at is not None and (last is None or at > last):
            last = at
    return total, last


def kinds() -> list[str]:
    return sorted(_sources)
