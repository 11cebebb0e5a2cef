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


def primary_role(roles) -> str | None:
    for role in ROLE_PRIORITY:
        if role in roles:
            return role
    return None
