"""The rules for staff: adding people, PINs and passwords, lockout, deactivation.

Plain functions over a session; they raise :class:`DomainError` with a message
a shop manager understands and never commit (the caller does).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from .. import stamps, tx
from ..audit.services import record
from ..dbtypes import utcnow
from ..errors import DomainError, Forbidden, get_or_404
from .models import ROLES, PinThrottle, Staff, StaffRole

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


def _setting(name: str, default: int) -> int:
    return current_app.config.get(name, default) if has_app_context() else default


def _max_failures() -> int:
    return _setting("POS_PIN_MAX_FAILURES", 5)


def _lock_minutes() -> int:
    return _setting("POS_PIN_LOCK_MINUTES", 5)


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
    return get_or_404(session, Staff, staff_id, _("No such member of staff."))


def logged_in(session: Session, staff_id: int) -> Staff | None:
    """The person a session cookie names, with their roles, for every request they make. This worker
    keeps a detached copy read from the database (pos.stamps, kind "staff") and puts it into the
    request's session without a statement; a change to any person or role, committed by any worker,
    makes the next request read them again (deactivated, logged out everywhere, roles changed)."""
    from sqlalchemy.orm import joinedload, make_transient_to_detached
    from sqlalchemy.orm.util import identity_key

    present = session.identity_map.get(identity_key(Staff, staff_id))
    if present is not None:
        return present
    copy = stamps.kept(session, "staff", staff_id)
    if copy is not None:
        staff = session.merge(copy, load=False)
        staff.know_roles()
        return staff
    under = stamps.token(session, "staff")
    staff = session.get(Staff, staff_id, options=[joinedload(Staff.role_rows)])  # one statement
    if staff is not None:
        staff.know_roles()
    if staff is not None and not stamps.changed_here(session, "staff"):
        copy = Staff(**{a.key: getattr(staff, a.key) for a in Staff.__mapper__.column_attrs})
        copy.role_rows = [StaffRole(**{a.key: getattr(r, a.key) for a in StaffRole.__mapper__.column_attrs})
                          for r in staff.role_rows]
        for row in copy.role_rows:
            make_transient_to_detached(row)
        make_transient_to_detached(copy)
        stamps.keep(session, "staff", staff_id, copy, under)
    return staff


def by_number(session: Session, staff_no: str) -> Staff | None:
    return session.scalar(select(Staff).where(func.upper(Staff.staff_no) == (staff_no or "").strip().upper()))


def login_tiles(session: Session) -> list[Staff]:
    """The name tiles on the shared tablet: active staff, by staff number."""
    return list(session.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.staff_no)
                                .options(selectinload(Staff.role_rows))))


def with_role(session: Session, role: str) -> list[Staff]:
    """The active staff holding ``role``, by staff number."""
    return list(session.scalars(select(Staff).join(StaffRole).where(StaffRole.role == role, Staff.active.is_(True))
                                .order_by(Staff.staff_no).options(selectinload(Staff.role_rows))))


def managers(session: Session) -> list[Staff]:
    """Who may approve on the spot (a discount, a refund) with their PIN."""
    return with_role(session, "manager")


def drivers(session: Session) -> list[Staff]:
    """The delivery staff a slip can be assigned to."""
    return with_role(session, "delivery")


def all_staff(session: Session) -> list[Staff]:
    return list(session.scalars(select(Staff).order_by(Staff.active.desc(), Staff.staff_no)
                                .options(selectinload(Staff.role_rows))))


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
    try:
        with session.begin_nested():  # the same number added on two screens at once: the unique index decides
            session.add(staff)
            session.flush()
    except IntegrityError:
        raise DomainError(_("Staff number %(no)s is already taken.", no=staff_no), field="staff_no") from None
    record(
        session, "staff.created", actor=actor, record=staff,
        summary=f"{staff.staff_no} {staff.full_name} ({', '.join(roles)})",
    )
    return staff


def _check_can_log_in(staff: Staff) -> None:
    if not staff.active:
        raise Deactivated(_("%(name)s has been deactivated. Ask the manager.", name=staff.full_name))


# ------------------------------------------------------------------ wrong PINs: counted before the check
@dataclass(frozen=True)
class _Try:
    """One try at a PIN (or password), as counted under its row's lock before the check."""

    allowed: bool  # False: a lock (or a manager's delay) was already running; nothing was checked
    failures: int  # failures on this tablet counting this try, should it fail
    locked_until: datetime | None  # the lock running, or the one this try sets should it fail


def _delay_seconds(failures: int) -> int:
    """A manager's wait after ``failures`` wrong tries on one tablet: 0 below the limit, then
    ``POS_PIN_DELAY_SECONDS`` doubling with each further failure, up to ``POS_PIN_DELAY_MAX_SECONDS``."""
    over = failures - _max_failures()
    if over < 0:
        return 0
    base, cap = _setting("POS_PIN_DELAY_SECONDS", 15), _setting("POS_PIN_DELAY_MAX_SECONDS", 300)
    return int(min(cap, base * 2 ** min(over, 20)))


def _throttle_row(session: Session, staff_id: int, kind: str, client: str) -> PinThrottle | None:
    """This person's row for this tablet, locked and read as it is under the lock (None: none yet)."""
    return session.scalar(select(PinThrottle).where(PinThrottle.staff_id == staff_id, PinThrottle.kind == kind,
                                                    PinThrottle.client == client)
                          .with_for_update().execution_options(populate_existing=True))


def _throttle(session: Session, staff_id: int, kind: str, client: str) -> PinThrottle:
    """This person's row for this tablet, locked (made on the first failure)."""
    row = _throttle_row(session, staff_id, kind, client)
    if row is None:
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        session.execute(insert(PinThrottle).values(staff_id=staff_id, kind=kind, client=client, failures=0)
                        .on_conflict_do_nothing())
        row = _throttle_row(session, staff_id, kind, client)
    return row


def _take_try(session: Session, staff: Staff, kind: str, client: str) -> _Try:
    """Count this try *before* the PIN is checked, one try at a time per person and tablet (the row
    lock), and durably (``tx.now``): of 40 tries sent at once the first five are counted 1 … 5, the
    fifth sets the lock, and the 35 after it find the lock and are refused without being checked."""
    staff_id, manager = staff.id, "manager" in staff.roles
    client = (client or "")[:64]

    def count(s: Session) -> _Try:
        now = utcnow()
        row = _throttle(s, staff_id, kind, client)
        if row.locked_until is not None and row.locked_until > now:
            return _Try(False, row.failures, row.locked_until)
        if not manager and row.locked_until is not None and row.failures >= _max_failures():
            row.failures = 0  # a clerk's lock has run out: five fresh tries
        row.failures += 1
        row.last_failed_at = now
        row.locked_until = None
        if row.failures >= _max_failures():
            # set now, before the check: the tries racing this one find it; a right PIN lifts it
            seconds = _delay_seconds(row.failures) if manager else _lock_minutes() * 60
            row.locked_until = now + timedelta(seconds=seconds)
        s.flush()
        return _Try(True, row.failures, row.locked_until)

    return tx.now(session, count)


def _refused(session: Session, staff: Staff, kind: str, client: str, attempt: _Try) -> DomainError:
    """The answer to a wrong PIN (already counted), audited in a way that survives the rollback."""
    staff_id, label = staff.id, f"{kind} {client}".strip()
    locks = attempt.locked_until is not None

    def audit(s: Session) -> None:
        actor = s.get(Staff, staff_id)
        record(s, "staff.login_failed", actor=actor, record=actor, summary=label)
        if locks:
            record(s, "staff.locked", actor=actor, record=actor,
                   summary=f"{label} until {attempt.locked_until:%H:%M:%S} UTC ({attempt.failures} failures)",
                   data={"with": kind, "client": client, "until": attempt.locked_until.isoformat(),
                         "failures": attempt.failures})

    tx.now(session, audit)
    if locks:
        return _locked(staff, attempt.locked_until, fresh=True)
    left = _max_failures() - attempt.failures
    return WrongPin(_("Wrong PIN. %(n)d tries left before the lock.", n=left), field="pin")


def _locked(staff: Staff, until: datetime, *, fresh: bool = False) -> Locked:
    seconds = max(1, int((until - utcnow()).total_seconds() + 0.999))
    if "manager" in staff.roles:
        return Locked(_("Too many wrong tries: wait %(s)d seconds before %(name)s's next try on this tablet.",
                        s=seconds, name=staff.full_name), field="pin")
    if fresh:
        return Locked(_("Too many wrong PINs: %(name)s is locked for %(m)d minutes.", name=staff.full_name,
                        m=_lock_minutes()), field="pin")
    return Locked(_("Too many wrong PINs: %(name)s is locked for %(m)d more minute(s).", name=staff.full_name,
                    m=max(1, (seconds + 59) // 60)), field="pin")


def _passed(session: Session, staff: Staff, kind: str, client: str) -> None:
    """The right PIN: this tablet's count for this person starts again."""
    staff_id, client = staff.id, (client or "")[:64]

    def clear(s: Session) -> None:
        s.execute(update(PinThrottle).where(PinThrottle.staff_id == staff_id, PinThrottle.kind == kind,
                                            PinThrottle.client == client)
                  .values(failures=0, locked_until=None))

    tx.now(session, clear)


def _passed_known(session: Session, staff: Staff, kind: str, client: str) -> None:
    """A secret this process has already found right (:func:`_known_right`): there is nothing to
    guess and no slow check to count ahead of, so one short transaction does what counting the try
    and then clearing it would leave behind — refused while this tablet's lock lasts, else the count
    starts again (written only when it is not already clear)."""
    staff_id, client = staff.id, (client or "")[:64]

    def check(s: Session) -> datetime | None:
        row = _throttle_row(s, staff_id, kind, client)
        if row is None:
            return None
        if row.locked_until is not None and row.locked_until > utcnow():
            return row.locked_until
        if row.failures or row.locked_until is not None:
            row.failures, row.locked_until = 0, None
            s.flush()
        return None

    until = tx.now(session, check)
    if until is not None:
        raise _locked(staff, until)


def _check_secret(session: Session, staff: Staff, secret_hash: str | None, secret: str | None, *, kind: str,
                  client: str) -> None:
    if secret_hash and _known_right(secret_hash, secret or ""):
        _passed_known(session, staff, kind, client)
        return
    attempt = _take_try(session, staff, kind, client)
    if not attempt.allowed:
        raise _locked(staff, attempt.locked_until)
    if not secret_hash or not _secret_matches(secret_hash, secret or ""):
        raise _refused(session, staff, kind, client, attempt)
    _passed(session, staff, kind, client)


_CHECKED = "pos_checked_secrets"


def precheck_secrets(request) -> None:
    """Hash the PINs and the password a request carries *before* it takes SQLite's write lock
    (scrypt takes tens of milliseconds of CPU; under the lock every other tablet's write waits for
    it). Only the answer is kept, for this request, keyed by the stored hash: the try is still
    counted under the lock first (:func:`_take_try`), and a hash changed in between is checked again."""
    from ..extensions import db

    form, wanted = request.form, []
    if request.endpoint == "staff.pin_login" and form.get("pin"):
        wanted.append((Staff.pin_hash, Staff.id == (request.view_args or {}).get("staff_id"), form["pin"]))
    if request.endpoint == "staff.password_login_check" and form.get("password"):
        wanted.append((Staff.password_hash, Staff.staff_no == (form.get("staff_no") or "").strip(), form["password"]))
    manager_id = (form.get("manager_id") or "").strip()
    if manager_id.isdecimal() and len(manager_id) < 10 and form.get("manager_pin"):
        wanted.append((Staff.pin_hash, Staff.id == int(manager_id), form["manager_pin"]))
    checked = db.session.info[_CHECKED] = {}  # this request's (an app context may outlive one in tests)
    if not wanted:
        return
    with db.engine.connect() as conn:  # a read of its own, over before the lock is taken
        stored = [(conn.scalar(select(column).where(where)), secret) for column, where, secret in wanted]
    for secret_hash, secret in stored:
        if secret_hash and len(secret) <= 200:
            for typed in {secret, secret.strip()}:
                checked[(secret_hash, typed)] = _check_hash(secret_hash, typed)


def _secret_matches(secret_hash: str, secret: str) -> bool:
    from flask import has_request_context

    from ..extensions import db

    checked = db.session.info.get(_CHECKED) if has_request_context() else None
    if checked and (secret_hash, secret) in checked:
        return checked[(secret_hash, secret)]
    return _check_hash(secret_hash, secret)


#: PINs this process has already found right: a keyed digest of (stored hash, PIN), never the PIN.
#: A clerk types the same PIN dozens of times a day; scrypt (≈ 60–100 ms of CPU, on purpose) is then
#: paid once per process and PIN rather than at every login. Only a *right* PIN is remembered: a
#: wrong one always costs the full scrypt (guessing stays slow, and the tries are counted under the
#: row lock as before). A new PIN or password has a new hash (a new salt), so what was remembered
#: for the old one no longer matches anything. The key is random per process and lives only in
#: memory, like the remembered digests.
_VERIFIED: OrderedDict[bytes, None] = OrderedDict()
_VERIFIED_KEY = os.urandom(32)
_VERIFIED_MAX = 1024
_VERIFIED_LOCK = threading.Lock()


def _digest(secret_hash: str, secret: str) -> bytes:
    return hashlib.blake2b(f"{secret_hash}\0{secret}".encode(), key=_VERIFIED_KEY, digest_size=32).digest()


def _known_right(secret_hash: str, secret: str) -> bool:
    """This process has already found ``secret`` right for ``secret_hash`` (no scrypt needed)."""
    digest = _digest(secret_hash, secret)
    with _VERIFIED_LOCK:
        return digest in _VERIFIED


def _check_hash(secret_hash: str, secret: str) -> bool:
    digest = _digest(secret_hash, secret)
    with _VERIFIED_LOCK:
        if digest in _VERIFIED:
            _VERIFIED.move_to_end(digest)
            return True
    if not check_password_hash(secret_hash, secret):
        return False
    with _VERIFIED_LOCK:
        _VERIFIED[digest] = None
        while len(_VERIFIED) > _VERIFIED_MAX:
            _VERIFIED.popitem(last=False)
    return True


def verify_pin(session: Session, staff: Staff, pin: str | None, *, client: str = "") -> Staff:
    """Check a PIN typed on the keypad of one tablet (``client``). Five wrong PINs lock a person on
    that tablet for five minutes; a manager instead waits longer after each further wrong PIN.

    The try is counted before the PIN is checked and is kept whatever becomes of the request (see
    :func:`_take_try`): this never commits the caller's work."""
    _check_can_log_in(staff)
    _check_secret(session, staff, staff.pin_hash, (pin or "").strip(), kind="pin", client=client)
    return staff


def attempt_pin_login(session: Session, staff_id: int, pin: str | None, *, client: str = "") -> Staff:
    """PIN login on a tablet; records the outcome (a failure is kept even though the request is refused)."""
    staff = get(session, staff_id)
    verify_pin(session, staff, pin, client=client)
    record(session, "staff.login", actor=staff, record=staff, summary="PIN", data={"with": "pin"})
    return staff


def attempt_password_login(session: Session, staff_no: str, password: str | None, *, client: str = "") -> Staff:
    """Password login for managers at a PC (staff number + password). Counted apart from PINs:
    wrong PINs typed anywhere do not lock the manager out of the PC."""
    staff = by_number(session, staff_no or "")
    if staff is None or staff.password_hash is None or not staff.has_role("manager"):
        raise WrongPin(_("Wrong staff number or password."), field="password")
    _check_can_log_in(staff)
    try:
        _check_secret(session, staff, staff.password_hash, password or "", kind="password", client=client)
    except WrongPin:
        raise WrongPin(_("Wrong staff number or password."), field="password") from None
    record(session, "staff.login", actor=staff, record=staff, summary="password", data={"with": "password"})
    return staff


def verify_manager_pin(session: Session, manager_id: int, pin: str | None, *, client: str = "") -> Staff:
    """A manager approves something on the spot (a discount, a refund) with their PIN, typed on the
    clerk's or cashier's tablet (``client``). A wrong PIN refuses the request; the try is kept."""
    manager = get(session, manager_id)
    if not manager.has_role("manager"):
        raise Forbidden(_("%(name)s is not a manager.", name=manager.full_name))
    return verify_pin(session, manager, pin, client=client)


def end_sessions(session: Session, staff: Staff) -> None:
    """Log this person out everywhere: every session cookie made so far stops working (logout,
    and the tablet switching to someone else)."""
    session.execute(update(Staff).where(Staff.id == staff.id).values(session_gen=Staff.session_gen + 1))


def session_valid(staff: Staff, generation: int) -> bool:
    return (staff.session_gen or 0) == generation


def _lift_locks(session: Session, staff: Staff) -> None:
    session.execute(update(PinThrottle).where(PinThrottle.staff_id == staff.id).values(failures=0, locked_until=None))
    session.expire(staff, ["pin_throttles"])


def reset_pin(session: Session, staff: Staff, new_pin: str, *, actor: Staff | None) -> None:
    """The manager sets a new PIN; it also lifts a lock."""
    staff.pin_hash = _hash(check_pin_format(new_pin))
    _lift_locks(session, staff)
    record(session, "staff.pin_reset", actor=actor, record=staff, summary=staff.full_name)


def set_password(session: Session, staff: Staff, password: str, *, actor: Staff) -> None:
    staff.password_hash = _hash(check_password_format(password))
    record(session, "staff.password_set", actor=actor, record=staff, summary=staff.full_name)


def _lock_managers(session: Session) -> None:
    """Lock the active managers' rows (FOR NO KEY UPDATE) before counting them: two managers taking
    the role from each other (or deactivating each other) at once cannot leave the shop without one."""
    session.execute(select(Staff.id).where(Staff.active.is_(True), Staff.role_rows.any(role="manager"))
                    .order_by(Staff.id).with_for_update(key_share=True))


def _still_manager(session: Session, actor: Staff) -> None:
    """Under the managers' lock: the person acting is still an active manager (another manager may
    have just taken the role from them)."""
    session.refresh(actor)
    if not actor.active or not actor.has_role("manager"):
        raise Forbidden(_("You are no longer a manager: ask another manager."))


def _check_not_last_manager(session: Session, staff: Staff) -> None:
    """Under the managers' lock: someone else stays an active manager."""
    others = session.scalar(
        select(func.count(Staff.id)).where(Staff.active.is_(True), Staff.id != staff.id)
        .where(Staff.role_rows.any(role="manager"))
    )
    if not others:
        raise DomainError(_("This is the last active manager; add another manager first."))


def change_roles(session: Session, staff: Staff, roles, *, actor: Staff) -> None:
    roles = check_roles(roles)
    if staff.id == actor.id and "manager" not in roles:
        raise DomainError(_("You cannot take the manager role from yourself."), field="roles")
    _lock_managers(session)
    session.refresh(staff)
    if "manager" in roles and staff.password_hash is None:
        raise DomainError(_("Set a password before making someone a manager."), field="roles")
    if staff.active and staff.has_role("manager") and "manager" not in roles:
        _check_not_last_manager(session, staff)
    _still_manager(session, actor)
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
    _lock_managers(session)
    session.refresh(staff)
    if not staff.active:
        raise DomainError(_("%(name)s is already deactivated.", name=staff.full_name))
    if staff.has_role("manager"):
        _check_not_last_manager(session, staff)
    _still_manager(session, actor)
    staff.active = False
    record(session, "staff.deactivated", actor=actor, record=staff, summary=staff.full_name, reason=reason)


def reactivate(session: Session, staff: Staff, *, actor: Staff) -> None:
    if staff.active:
        raise DomainError(_("%(name)s is already active.", name=staff.full_name))
    staff.active = True
    _lift_locks(session, staff)
    record(session, "staff.reactivated", actor=actor, record=staff, summary=staff.full_name)
