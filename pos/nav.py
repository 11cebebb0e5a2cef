"""Navigation by role: each domain registers the screens it offers on a role's home.

The header and the role home show only the items the current person may open
(checked through the same permissions as the routes themselves).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # lazy translated string
    role: str  # whose home shows it as a tile
    icon: str = ""
    order: int = 100
    in_header: bool = True


_ITEMS: list[NavItem] = []

ROLE_LABELS = {
    "clerk": _l("Clerk"),
    "cashier": _l("Cashier"),
    "manager": _l("Manager"),
    "delivery": _l("Delivery"),
}
ROLE_HOME_TITLES = {
    "clerk": _l("Clerk's counter"),
    "cashier": _l("Cashier's station"),
    "manager": _l("Manager's desk"),
    "delivery": _l("Deliveries"),
}
#: which role's home a person lands on when they hold several
ROLE_PRIORITY = ("manager", "cashier", "clerk", "delivery")


def register(item: NavItem) -> None:
    if item not in _ITEMS:
        _ITEMS.append(item)


def items_for_role(role: str) -> list[NavItem]:
    return sorted((i for i in _ITEMS if i.role == role), key=lambda i: (i.order, i.endpoint))


def all_items() -> list[NavItem]:
    return sorted(_ITEMS, key=lambda i: (i.order, i.endpoint))


def header_items(roles, may) -> tuple[NavItem, ...]:
    """The header's screens for a person holding ``roles``: each endpoint once, those ``may`` allows,
    in order. The header shows the first :data:`HEADER_SLOTS`; the rest are tiles on their home.
    ``may`` answers from the roles alone (the endpoints' declared roles are fixed once the app is
    made): worked out once per set of roles, not at every page (every item, every request)."""
    key = (frozenset(roles), may, len(_ITEMS))
    found = _HEADERS.get(key)
    if found is None:
        seen: set[str] = set()
        out: list[NavItem] = []
        for item in all_items():
            if item.in_header and item.role in roles and item.endpoint not in seen and may(item.endpoint):
                seen.add(item.endpoint)
                out.append(item)
        found = _HEADERS[key] = tuple(out)
    return found


_HEADERS: dict = {}


#: how many screens the header holds and still keeps one row on a 1024×768 tablet
HEADER_SLOTS = 6


def primary_role(roles) -> str | None:
    for role in ROLE_PRIORITY:
        if role in roles:
            return role
    return None


#: what waits for someone behind a home tile (phone orders to review, cheques, shifts to review):
#: endpoint → a function counting it (registered by the domain that knows; read on the home page)
_WAITING: dict[str, object] = {}
WAITING_LABELS: dict[str, object] = {}


def register_waiting(endpoint: str, count, label) -> None:
    """``count()`` says how many things wait behind ``endpoint``; ``label`` (lazy) says what they are."""
    _WAITING[endpoint] = count
    WAITING_LABELS[endpoint] = label


def waiting(endpoint: str) -> int:
    """How many things wait behind ``endpoint`` (0 when nobody counts them)."""
    count = _WAITING.get(endpoint)
    return int(count()) if count is not None else 0  # type: ignore[operator]


#: a header item's live count (price requests waiting for the manager): endpoint → the endpoint of a
#: small polled answer (marked ``@background``) that the header loads and refreshes by itself
_BADGES: dict[str, str] = {}


def register_badge(endpoint: str, poll_endpoint: str) -> None:
    _BADGES[endpoint] = poll_endpoint


def badge_for(endpoint: str) -> str | None:
    return _BADGES.get(endpoint)


#: short lists on a role's home (the clerk's follow-ups due today and overdue): role → functions,
#: each returning [(key, label, rows)], registered by the domain that knows; read on the home page
_HOME_LISTS: dict[str, list] = {}


def register_home_lists(role: str, lists) -> None:
    _HOME_LISTS.setdefault(role, []).append(lists)


def home_lists(role: str) -> list:
    return [one for lists in _HOME_LISTS.get(role, []) for one in lists()]


#: where each role lands after logging in: their working screen, not a page of tiles
ROLE_LANDING = {"cashier": "cashier.station", "delivery": "delivery.queue", "clerk": "sales.counter"}
