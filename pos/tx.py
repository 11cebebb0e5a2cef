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
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

_KEY = "pos_after_rollback"


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
    session.commit()
    forget_after_rollback(session)


def rollback(session: Session) -> None:
    """Roll back as the transaction's owner, then keep what must survive."""
    session.rollback()
    replay_after_rollback(session)
