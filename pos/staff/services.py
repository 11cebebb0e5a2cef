"""The rules for staff: adding people, PINs and passwords, lockout, deactivation.

Plain functions over a session; they raise :class:`DomainError` with a message
a shop manager understands and never commit (the caller does).
"""

from __future__ import annotations

import re
from datetime import timedelta

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..audit.services import record
from ..dbtypes import utcnow
from ..errors import DomainError, Forbidden, NotFound
from .models import ROLES, Staff

PIN_RE = re.compile(r"^[0-9]{4,6}$")
STAFF_NO_RE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
PASSWORD_MIN = 8
NAME_MAX = 40


class WrongPin(DomainError):
    status = 401


class Locked(DomainError):
    status = 423


class Deactivated(DomainError):
    status = 403


def _hash(secret: str) -> str:
    method = current_app.config.get("POS_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
    return generate_password_hash(secret, method=method)


def _max_failures() -> int:
    return current_app.config.get("POS_PIN_MAX_FAILURES", 5) if has_app_context() else 5


def _lock_minutes() -> int:
    return current_app.config.get("POS_PIN_LOCK_MINUTES", 5) if has_app_context() else 5


def check_pin_format(pin: str | None) -> str:
    pin = (pin or "").strip()
    if not PIN_RE.match(pin):
        raise DomainError(_("A PIN is 4 to 6 digits."), field="pin")
    return pin


def check_password_format(password: str | None) -> str:
    password = password or ""
    if len(password) < PASSWORD_MIN:
        raise DomainError(
            _("A manager's password needs at least %(n)d characters.", n=PASSWORD_MIN), field="password"
        )
    if len(password) > 128:
        raise DomainError(_("That password is too long (at most 128 characters)."), field="password")
    return password


def check_roles(roles) -> list[str]:
    roles = [r for r in roles if r]
    if not roles:
        raise DomainError(_("Choose at least one role."), field="roles")
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise DomainError(_("Unknown role: %(role)s", role=", ".join(sorted(unknown))), field="roles")
    return sorted(set(roles))


def get(session: Session, staff_id: int) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise NotFound(_("No such member of staff."))
    return staff


def by_number(session: Session, staff_no: str) -> Staff | None:
    return session.scalar(select(Staff).where(func.upper(Staff.staff_no) == (staff_no or "").strip().upper()))


def login_tiles(session: Session) -> list[Staff]:
    """The name tiles on the shared tablet: active staff, by staff number."""
    return list(session.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.staff_no)))


def all_staff(session: Session) -> list[Staff]:
    return list(session.scalars(select(Staff).order_by(Staff.active.desc(), Staff.staff_no)))


def create_staff(
    session: Session,
    *,
    staff_no: str,
    full_name: str,
    roles,
    pin: str,
    password: str | None = None,
    actor: Staff | None,
) -> Staff:
    """Add a member of staff. Managers must also have a password (for the PC)."""
    staff_no = (staff_no or "").strip()
    full_name = (full_name or "").strip()
    if not STAFF_NO_RE.match(staff_no):
        raise DomainError(
            _("A staff number is 1 to 20 letters, digits, '-' or '_'."), field="staff_no"
        )
    if not full_name:
        raise DomainError(_("Enter the full name (it goes on stamps and invoices)."), field="full_name")
    if len(full_name) > NAME_MAX:
        raise DomainError(_("A name has at most %(n)d characters.", n=NAME_MAX), field="full_name")
    roles = check_roles(roles)
    pin = check_pin_format(pin)
    if "manager" in roles:
        password = check_password_format(password)
    elif password:
        password = check_password_format(password)
    if by_number(session, staff_no) is not None:
        raise DomainError(_("Staff number %(no)s is already taken.", no=staff_no), field="staff_no")
    staff = Staff(
        staff_no=staff_no,
        full_name=full_name,
        pin_hash=_hash(pin),
        password_hash=_hash(password) if password else None,
        active=True,
    )
    staff.set_roles(roles)
    session.add(staff)
    session.flush()
    record(
        session, "staff.created", actor=actor, record=staff,
        summary=f"{staff.staff_no} {staff.full_name} ({', '.join(roles)})",
    )
    return staff


def _check_can_log_in(staff: Staff) -> None:
    if not staff.active:
        raise Deactivated(_("%(name)s has been deactivated. Ask the manager.", name=staff.full_name))
    now = utcnow()
    if staff.locked_until is not None and staff.locked_until > now:
        minutes = max(1, int((staff.locked_until - now).total_seconds() + 59) // 60)
        raise Locked(
            _(
                "Too many wrong PINs: %(name)s is locked for %(m)d more minute(s).",
                name=staff.full_name,
                m=minutes,
            )
        )


def _failed(session: Session, staff: Staff, kind_label: str) -> DomainError:
    staff.failed_pins = (staff.failed_pins or 0) + 1
    limit = _max_failures()
    record(session, "staff.login_failed", actor=staff, record=staff, summary=kind_label)
    if staff.failed_pins >= limit:
        staff.locked_until = utcnow() + timedelta(minutes=_lock_minutes())
        staff.failed_pins = 0
        record(session, "staff.locked", actor=staff, record=staff, summary=f"{_lock_minutes()} min")
        return Locked(
            _(
                "Too many wrong PINs: %(name)s is locked for %(m)d minutes.",
                name=staff.full_name,
                m=_lock_minutes(),
            )
        )
    left = limit - staff.failed_pins
    return WrongPin(_("Wrong PIN. %(n)d tries left before the lock.", n=left), field="pin")


def verify_pin(session: Session, staff: Staff, pin: str | None) -> Staff:
    """Check a PIN typed on the keypad. Five wrong PINs lock the person for five minutes.

    On a wrong PIN the failure is recorded *and the caller must commit* before
    answering, or the count would be lost; hence this returns the error instead
    of raising it from inside the transaction — see :func:`attempt_pin_login`.
    """
    _check_can_log_in(staff)
    if not check_password_hash(staff.pin_hash, (pin or "").strip()):
        raise _failed(session, staff, "PIN")
    staff.failed_pins = 0
    staff.locked_until = None
    return staff


def attempt_pin_login(session: Session, staff_id: int, pin: str | None) -> Staff:
    """PIN login; records the outcome. Commits a failure itself so it is never lost."""
    staff = get(session, staff_id)
    try:
        verify_pin(session, staff, pin)
    except (WrongPin, Locked):
        session.commit()
        raise
    record(session, "staff.login", actor=staff, record=staff, summary="PIN")
    return staff


def attempt_password_login(session: Session, staff_no: str, password: str | None) -> Staff:
    """Password login for managers at a PC (staff number + password)."""
    staff = by_number(session, staff_no or "")
    if staff is None or staff.password_hash is None or not staff.has_role("manager"):
        raise WrongPin(_("Wrong staff number or password."), field="password")
    _check_can_log_in(staff)
    if not check_password_hash(staff.password_hash, password or ""):
        error = _failed(session, staff, "password")
        session.commit()
        if isinstance(error, Locked):
            raise error
        raise WrongPin(_("Wrong staff number or password."), field="password")
    staff.failed_pins = 0
    staff.locked_until = None
    record(session, "staff.login", actor=staff, record=staff, summary="password")
    return staff


def verify_manager_pin(session: Session, manager_id: int, pin: str | None) -> Staff:
    """A manager approves something on the spot (a discount, a refund) with their PIN."""
    manager = get(session, manager_id)
    if not manager.has_role("manager"):
        raise Forbidden(_("%(name)s is not a manager.", name=manager.full_name))
    try:
        verify_pin(session, manager, pin)
    except (WrongPin, Locked):
        session.commit()
        raise
    return manager


def reset_pin(session: Session, staff: Staff, new_pin: str, *, actor: Staff | None) -> None:
    """The manager sets a new PIN; it also lifts a lock."""
    staff.pin_hash = _hash(check_pin_format(new_pin))
    staff.failed_pins = 0
    staff.locked_until = None
    record(session, "staff.pin_reset", actor=actor, record=staff, summary=staff.full_name)


def set_password(session: Session, staff: Staff, password: str, *, actor: Staff) -> None:
    staff.password_hash = _hash(check_password_format(password))
    record(session, "staff.password_set", actor=actor, record=staff, summary=staff.full_name)


def change_roles(session: Session, staff: Staff, roles, *, actor: Staff) -> None:
    roles = check_roles(roles)
    if "manager" in roles and staff.password_hash is None:
        raise DomainError(_("Set a password before making someone a manager."), field="roles")
    if staff.id == actor.id and "manager" not in roles:
        raise DomainError(_("You cannot take the manager role from yourself."), field="roles")
    before = sorted(staff.roles)
    staff.set_roles(roles)
    record(
        session, "staff.roles_changed", actor=actor, record=staff,
        summary=f"{staff.full_name}: {', '.join(before)} → {', '.join(roles)}",
    )


def deactivate(session: Session, staff: Staff, *, actor: Staff, reason: str = "") -> None:
    """Staff are never deleted — their name stays on every voucher they wrote."""
    if staff.id == actor.id:
        raise DomainError(_("You cannot deactivate yourself."))
    if not staff.active:
        raise DomainError(_("%(name)s is already deactivated.", name=staff.full_name))
    if staff.has_role("manager"):
        others = session.scalar(
            select(func.count(Staff.id)).where(Staff.active.is_(True), Staff.id != staff.id)
            .where(Staff.role_rows.any(role="manager"))
        )
        if not others:
            raise DomainError(_("This is the last active manager; add another manager first."))
    staff.active = False
    record(session, "staff.deactivated", actor=actor, record=staff, summary=staff.full_name, reason=reason)


def reactivate(session: Session, staff: Staff, *, actor: Staff) -> None:
    if staff.active:
        raise DomainError(_("%(name)s is already active.", name=staff.full_name))
    staff.active = True
    staff.failed_pins = 0
    staff.locked_until = None
    record(session, "staff.reactivated", actor=actor, record=staff, summary=staff.full_name)
