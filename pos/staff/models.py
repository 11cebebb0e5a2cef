"""Staff members, their roles and their PINs (员工、角色、PIN)."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
    failed_pins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    role_rows: Mapped[list[StaffRole]] = relationship(
        back_populates="staff", cascade="all, delete-orphan", order_by="StaffRole.role", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.role_rows)

    def set_roles(self, roles) -> None:
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


class StaffRole(db.Model):
    """One role held by a staff member; a person may hold several."""

    __tablename__ = "staff_role"
    __table_args__ = (UniqueConstraint("staff_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))

    staff: Mapped[Staff] = relationship(back_populates="role_rows")
