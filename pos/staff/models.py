"""Staff members, their roles and their PINs (员工、角色、PIN)."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import stamps
from ..dbtypes import UTCDateTime, utcnow
from ..extensions import db

ROLES = ("clerk", "cashier", "manager", "delivery")


class Staff(UserMixin, db.Model):
    """A member of staff (员工). Never deleted: deactivated instead."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_no: Mapped[str] = mapped_column(String(20), unique=True)
    full_name: Mapped[str] = mapped_column(String(40))  # goes on stamps and invoices
    pin_hash: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # superseded by PinThrottle (a lock per person *and* tablet); kept so existing databases need no rebuild
    failed_pins: Mapped[int] = mapped_column(default=0)
    legacy_locked_until: Mapped[datetime | None] = mapped_column("locked_until", UTCDateTime)
    #: bumped when the person logs out or the tablet switches to someone else: every session
    #: cookie made before (it carries the generation, see ``get_id``) stops working
    session_gen: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    role_rows: Mapped[list[StaffRole]] = relationship(
        back_populates="staff", cascade="all, delete-orphan", order_by="StaffRole.role", lazy="select"
    )  # loaded when asked: a voucher's clerk or a shift's cashier shown on a page needs no roles; the
    # logged-in person's come with them (load_staff) and the lists that show roles load them in one go
    pin_throttles: Mapped[list[PinThrottle]] = relationship(viewonly=True, lazy="select")

    def get_id(self) -> str:
        """Flask-Login keeps this in the session: the person and their session generation."""
        return f"{self.id}:{self.session_gen or 0}"

    @property
    def locked_until(self) -> datetime | None:
        """The latest PIN or password lock still running on some tablet (the staff screens show it)."""
        now = utcnow()
        ends = [t.locked_until for t in self.pin_throttles if t.locked_until is not None and t.locked_until > now]
        return max(ends) if ends else None

    @property
    def roles(self) -> frozenset[str]:
        known = self.__dict__.get("_roles_known")
        return known if known is not None else frozenset(r.role for r in self.role_rows)

    def know_roles(self) -> None:
        """The logged-in person's roles, kept for the rest of the request (pos.staff.services.logged_in).
        A row read again under a lock (``populate_existing``) — a voucher's clerk who is this person — is
        read without its roles, which the page drawn after the commit would then read again: a statement
        and a transaction of their own. Not a mapped attribute: the ORM neither saves nor resets it."""
        self.__dict__["_roles_known"] = frozenset(r.role for r in self.role_rows)

    def set_roles(self, roles) -> None:
        self.__dict__.pop("_roles_known", None)
        wanted = set(roles)
        for row in list(self.role_rows):
            if row.role not in wanted:
                self.role_rows.remove(row)
        have = self.roles
        for role in sorted(wanted - have):
            self.role_rows.append(StaffRole(role=role))

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated person's session ends
        return bool(self.active)

    def __repr__(self) -> str:
        return f"<Staff {self.staff_no} {self.full_name}>"


class PinThrottle(db.Model):
    """Wrong PINs (or passwords) typed for one person on one tablet (client): counted *before* the
    PIN is checked, under this row's lock, so that concurrent tries cannot all slip through; a lock
    on one tablet leaves the others alone. ``kind`` keeps PIN and password failures apart (a
    manager's password login is not locked by wrong PINs)."""

    __tablename__ = "pin_throttle"
    __table_args__ = (UniqueConstraint("staff_id", "kind", "client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # pin | password
    client: Mapped[str] = mapped_column(String(64))  # the tablet's address ('' when unknown)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StaffRole(db.Model):
    """One role held by a staff member; a person may hold several."""

    __tablename__ = "staff_role"
    __table_args__ = (UniqueConstraint("staff_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))

    staff: Mapped[Staff] = relationship(back_populates="role_rows")


# a worker keeps the logged-in person between requests (pos.staff.services.logged_in): a change to a
# person or their roles, committed by any worker, makes every worker read them again
stamps.watch(Staff, "staff")
stamps.watch(StaffRole, "staff")


@event.listens_for(Staff, "expire")
def _forget_known_roles(staff: Staff, attrs) -> None:
    """Expired (``session.expire``, a rollback): the roles are read again when asked, not the kept ones."""
    if staff is not None and (attrs is None or "role_rows" in attrs):  # None: an object already let go
        staff.__dict__.pop("_roles_known", None)
