"""The request's transaction and what must outlive it.

The transaction has one owner: ``pos.web.transaction`` (views) or the command
that opened it (``pos`` CLI, the spooler, tests). Services work inside the
caller's transaction and never commit or roll it back. Where a service needs
"try this, undo only this" it uses ``session.begin_nested()``.

Some facts must be kept even when the request that learned them is refused:
a wrong manager PIN typed into a discount approval refuses the request (its
work is rolled back) but the failed attempt must still count towards the lock.
A service records such a fact in the transaction as usual *and* hands a
function to :func:`keep_after_rollback`; if the owner rolls back, it calls
:func:`replay_after_rollback`, which runs those functions in a new transaction
and commits it. If the owner commits, the functions are dropped (what they
would write was committed with the rest).

The owner opens the request with :func:`begin`: on SQLite a savepoint under which the view works. A
refusal rolls back to it and writes the kept facts in the same transaction before committing,
so on SQLite (where a request that writes holds the database's write lock from its first
statement) no other request can run between the rollback and the facts — it would see a count
without this failure.

A fact that decides whether the work may go on at all — a PIN try counted *before* the PIN is
checked — is written with :func:`now`: on PostgreSQL in a short transaction of its own on
another connection (committed at once, under its row's lock, so concurrent tries are counted
one after another); on SQLite in the request's transaction (the write lock already orders every
request) and kept for after a rollback.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

T = TypeVar("T")

_KEY = "pos_after_rollback"
_SAVEPOINT = "pos_request_savepoint"


_engines: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_engines_lock = threading.Lock()


def _own_engine(engine: Engine) -> Engine:
    """A small pool of its own for :func:`now`: a request already holds a connection of the app's
    pool, so taking a second one there could wait forever when every request does the same."""
    with _engines_lock:
        own = _engines.get(engine)
        if own is None:
            own = create_engine(engine.url, pool_size=2, max_overflow=8, pool_pre_ping=True)
            _engines[engine] = own
        return own


#: how long a batched writer (the catalogue import) holds SQLite's write lock at most per batch
BATCH_SECONDS = 0.25


def batched_writes(view):
    """Mark a view whose work owns its transactions and writes in short batches (the catalogue
    import: every row is checked first, reading only, then written a batch at a time). The
    request does not take SQLite's write lock at its start, so a payment is never queued behind
    the whole import; each batch takes the lock for at most :data:`BATCH_SECONDS`."""
    view.pos_batched_writes = True
    return view


def begin(session: Session) -> None:
    """The owner starts the request's work. SQLite: under a savepoint, so a refusal can undo the work
    and still write what must be kept without letting go of the transaction and its write lock (see
    :func:`rollback`). PostgreSQL keeps nothing for after a rollback (:func:`now` commits such facts
    on a connection of its own): no savepoint — it was two statements of every request that writes."""
    if session.get_bind().dialect.name == "sqlite":
        session.info[_SAVEPOINT] = session.begin_nested()
    else:
        session.info.pop(_SAVEPOINT, None)


def now(session: Session, fn: Callable[[Session], T]) -> T:
    """Write ``fn(session)`` so that it holds whatever becomes of the request, and return its result.

    PostgreSQL: in a transaction of its own (another connection), committed before this returns;
    ``fn`` must not need a row this request has locked. SQLite: in the request's transaction,
    which holds the write lock, and kept with :func:`keep_after_rollback` for a rollback."""
    if session.get_bind().dialect.name == "sqlite":
        result = fn(session)
        keep_after_rollback(session, fn)
        return result
    own = Session(bind=_own_engine(session.get_bind()), expire_on_commit=False)
    try:
        with own.begin():
            return fn(own)
    finally:
        own.close()


def memo(session: Session, name: str) -> dict:
    """A dict kept for the session's current transaction only (gone with its commit or rollback):
    what a request looks up several times and cannot change under it while its transaction lasts."""
    from sqlalchemy.orm import scoped_session

    real = session() if isinstance(session, scoped_session) else session
    transaction = real.get_transaction()
    if transaction is None:  # nothing asked of the database yet (what it asks may be kept: pos.stamps)
        real.connection()  # the transaction begins here, not at the next statement: the memo is its own
        transaction = real.get_transaction()
    known = real.info.get(name)
    if known is None or known[0] is not transaction:
        known = real.info[name] = (transaction, {})
    return known[1]


def keep_after_rollback(session: Session, fn: Callable[[Session], None]) -> None:
    """Run ``fn(session)`` in a fresh transaction if the current one is rolled back."""
    session.info.setdefault(_KEY, []).append(fn)


def forget_after_rollback(session: Session) -> None:
    """The transaction was committed: what was kept is in it."""
    session.info.pop(_KEY, None)


def replay_after_rollback(session: Session) -> None:
    """After a rollback: write what must survive it, and commit that alone."""
    pending = session.info.pop(_KEY, None)
    if not pending:
        return
    try:
        for fn in pending:
            fn(session)
        session.commit()
    except Exception:
        session.rollback()
        raise


def commit(session: Session) -> None:
    """Commit as the transaction's owner."""
    session.info.pop(_SAVEPOINT, None)
    session.commit()
    forget_after_rollback(session)


def rollback(session: Session) -> None:
    """Roll back as the transaction's owner, then keep what must survive.

    Under the request's savepoint (:func:`begin`) with facts to keep: roll back to the savepoint
    and write the facts in the same transaction, then commit — the transaction (and SQLite's
    write lock) is never let go in between. Otherwise: roll back, then write them in a new one."""
    savepoint = session.info.pop(_SAVEPOINT, None)
    if session.info.get(_KEY) and savepoint is not None and savepoint.is_active:
        try:
            savepoint.rollback()
            for fn in session.info.pop(_KEY):
                fn(session)
            session.commit()
            return
        except Exception:
            session.rollback()
            raise
    session.rollback()
    replay_after_rollback(session)


_CLIENT = "pos_client_addr"


def note_client(session: Session, address: str | None) -> None:
    """The owner notes where the request came from (its IP address), for the audit log."""
    if address:
        session.info[_CLIENT] = address
    else:
        session.info.pop(_CLIENT, None)


def client_of(session: Session) -> str | None:
    """Where the transaction's request came from, if it came from a request (rules never read the request)."""
    return session.info.get(_CLIENT)
