"""Time: stored in UTC, shown in the shop's zone (``POS_TIMEZONE``, default Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from .dbtypes import utcnow

__all__ = ["utcnow", "shop_zone", "to_local", "local_today", "local_day_bounds", "format_local"]


def shop_zone() -> ZoneInfo:
    name = current_app.config["POS_TIMEZONE"] if has_app_context() else "Asia/Shanghai"
    return ZoneInfo(name)


def to_local(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(shop_zone())


def local_today() -> date:
    return datetime.now(shop_zone()).date()


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants at which a local calendar day starts and the next one starts."""
    zone = shop_zone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    from datetime import timedelta

    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def format_local(dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    local = to_local(dt)
    return "" if local is None else local.strftime(fmt)
