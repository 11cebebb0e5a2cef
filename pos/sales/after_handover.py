"""What happens after goods reach the customer (交付之后): a registry the higher domains fill.

Pickup (this domain) and delivery (above it) hand the goods over; after-sales (above both) schedules a
return visit when they have. Sales may not import after-sales, so after-sales registers a listener
here at import (``register(fn)``) and the handover points call :func:`notify` in their own
transaction: ``fn(session, voucher, how=…, actor=…)`` with ``how`` one of ``"pickup"`` (a counter
pickup), ``"dispatch"`` (the goods left for delivery: not with the customer yet) or ``"delivered"``
(a dispatch slip was delivered). A listener decides for itself whether that completes anything.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

Listener = Callable[..., None]

_listeners: dict[str, Listener] = {}


def register(fn: Listener) -> Listener:
    """Register a listener (once per function, by its qualified name)."""
    _listeners[f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


def notify(session: Session, voucher, *, how: str, actor) -> None:
    """Tell every listener that (some of) ``voucher``'s goods were handed over ``how``."""
    for fn in list(_listeners.values()):
        fn(session, voucher, how=how, actor=actor)
