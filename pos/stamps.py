"""What a worker keeps between requests, and how every worker learns that it changed.

Every request used to read the logged-in person (and their roles) and the shop's settings again: a
statement each, ≈ 28 of a sale's ≈ 150, for rows that change a few times a month. A worker now
keeps them (:func:`kept` / :func:`keep`) under a **stamp**: a small file in the instance folder
(``<name>.stamp``) holding a random token. A commit that changed what is kept writes a new token
(:func:`bump`, after the commit), and every worker of the server — they share the instance folder —
sees at its next request that the token it kept the value under is no longer the file's, and reads
the database again. What changes a kept kind is found by the session itself (:func:`watch`: a flush
of such a row, or an ORM UPDATE/DELETE of its table), so no service has to remember to say so.

Order makes it safe: a worker reads the stamp *before* the rows, and a writer writes the stamp
*after* its commit; a value read before a commit is therefore always kept under a token that the
commit replaces. "Before the rows" means before the transaction's view of the database: on SQLite a
transaction sees the database as it was at its first read, so the tokens a transaction uses are read
when it begins (:func:`token`), not when a value is looked up halfway through it.

A kept value is also dropped after :data:`TTL` seconds, so a change made behind the
app's back (SQL typed by hand) or a writer that died between its commit and its stamp is seen within
half a minute.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

#: seconds a worker keeps a value at most, stamp or not
TTL = 30.0

_CHANGED = "pos_stamps_changed"
_BEGUN = "pos_stamps_begun"
_WATCHED: dict[type, list[tuple[str, Callable[[object], bool] | None]]] = {}
_lock = threading.Lock()


def watch(cls: type, name: str, which: Callable[[object], bool] | None = None) -> None:
    """A flush that adds, changes or deletes a ``cls`` row (one ``which`` accepts, if given), and an
    ORM UPDATE or DELETE of ``cls``'s table, changes the kept kind ``name``."""
    _WATCHED.setdefault(cls, []).append((name, which))
    _install()


def _kinds() -> set[str]:
    return {name for watched in _WATCHED.values() for name, _which in watched}


def changed(session: Session, name: str) -> None:
    """This transaction changes ``name``: its commit writes a new stamp, and until then this session
    does not use what the worker keeps (it would not see its own change)."""
    session.info.setdefault(_CHANGED, set()).add(name)


def changed_here(session: Session, name: str) -> bool:
    return name in session.info.get(_CHANGED, ())


def _file(name: str) -> str:
    return os.path.join(current_app.instance_path, name + ".stamp")


def _path(name: str) -> Path:
    return Path(_file(name))


def read(name: str) -> str | None:
    """The stamp's token now ('' before the first change; None when it cannot be read: then nothing is
    kept, every request reads the database as before). Read with plain system calls: every transaction
    reads every kind (≈ 6 µs a file where pathlib's read_text took ≈ 45)."""
    try:
        fd = os.open(_file(name), os.O_RDONLY)
    except FileNotFoundError:
        return ""
    except OSError:
        return None
    try:
        return os.read(fd, 256).decode("ascii", "replace")
    except OSError:
        return None
    finally:
        os.close(fd)


def bump(name: str) -> None:
    """A new token: every value kept under the old one is read again (written whole, then renamed). When
    the file cannot be written (a full disk, a command run as another user) the change is committed
    all the same and the stamp is removed if it can be: kept values then go within :data:`TTL`."""
    path = _path(name)
    fresh = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        fresh.write_text(secrets.token_hex(8))
        os.replace(fresh, path)
    except OSError:
        logging.getLogger(__name__).warning("cannot write %s: workers keep what they read for up to %d s",
                                            path, TTL)
        for leftover in (fresh, path):
            try:
                leftover.unlink(missing_ok=True)
            except OSError:
                pass


def token(session: Session, name: str) -> str | None:
    """The token this transaction reads ``name`` under: read when the transaction began (before it saw
    any row), or now if it has not begun (it will see rows newer than now)."""
    real = session() if isinstance(session, scoped_session) else session
    begun = real.info.get(_BEGUN)
    if begun is not None and begun[0] is real.get_transaction() and name in begun[1]:
        return begun[1][name]
    return read(name)


def _store() -> dict:
    return current_app.extensions.setdefault("pos_kept", {})


def kept(session: Session, name: str, key):
    """The value this worker keeps for (``name``, ``key``) if this transaction may use it: None when
    the worker has none, the transaction changed ``name`` itself, or the value was kept under another
    token than this transaction's or more than :data:`TTL` seconds ago."""
    found = _store().get((name, key))
    if found is None or changed_here(session, name):
        return None
    kept_under, at, value = found
    now = token(session, name)
    if time.monotonic() - at > TTL or now is None or kept_under != now:
        return None
    return value


def keep(session: Session, name: str, key, value, under: str | None) -> None:
    """Keep ``value``, read by this transaction, under ``under`` — :func:`token` asked *before* the read
    (the read may begin the transaction). Nothing is kept from a transaction that changed ``name``."""
    if under is not None and not changed_here(session, name):
        _store()[(name, key)] = (under, time.monotonic(), value)


def remembered(session: Session, name: str, key, read_rows: Callable[[], object]):
    """What this worker keeps for (``name``, ``key``), else ``read_rows()`` — kept from now on under
    the token asked before the read. ``read_rows`` never returns None."""
    value = kept(session, name, key)
    if value is None:
        under = token(session, name)
        value = read_rows()
        keep(session, name, key, value, under)
    return value


def forget_all() -> None:
    """Every kind changed at once (a database restored under the app)."""
    for name in _kinds() | {n for n, _k in _store()}:
        bump(name)
    _store().clear()


def _begun(session: Session, transaction, _connection) -> None:
    if transaction.nested or not has_app_context():
        return
    session.info[_BEGUN] = (session.get_transaction(), {name: read(name) for name in _kinds()})


def _flushing(session: Session, _context, _instances) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        watched = _WATCHED.get(type(obj))
        if not watched or (obj in session.dirty and not session.is_modified(obj)):
            continue  # not watched, or an attribute set to the value it had
        for name, which in watched:
            if which is None or which(obj):
                changed(session, name)


def _executing(state) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        mapper = state.bind_mapper
        for name, _which in _WATCHED.get(mapper.class_, ()) if mapper is not None else ():
            changed(state.session, name)


def _committed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the stamp is written after the transaction's own commit
    names = session.info.pop(_CHANGED, None)
    if names and has_app_context():
        for name in names:
            bump(name)


def _rolled_back(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint undone: what the rest of the transaction changed may still be committed
    session.info.pop(_CHANGED, None)


def _install() -> None:
    with _lock:
        if not event.contains(Session, "before_flush", _flushing):
            event.listen(Session, "before_flush", _flushing)
            event.listen(Session, "after_begin", _begun)
            event.listen(Session, "do_orm_execute", _executing)
            event.listen(Session, "after_commit", _committed)
            event.listen(Session, "after_rollback", _rolled_back)
