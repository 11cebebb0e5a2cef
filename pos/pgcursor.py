"""A psycopg cursor whose ``description`` is built only when something reads it.

psycopg builds ``cursor.description`` afresh at every access: one ``Column`` object per column
(its name decoded, its type looked up). SQLAlchemy asks for it after every statement but, for a
statement it has compiled before, only to see that there *is* a result — the columns it already
knows. On the counter's sale that was ≈ 3,000 ``Column`` objects a sale, 5–8 % of the app's CPU
on PostgreSQL (bench/README.md). This cursor answers with a sequence of the right length that
makes psycopg's own ``Column`` objects the first time an item is read, from the result as it was
when the statement ran (a later statement on the same cursor does not change it).

Used through ``connect_args={"cursor_factory": LazyDescriptionCursor}`` (pos/config.py). The same
cursor keeps a statement marked ``PLAN_EACH_TIME`` from being prepared.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import psycopg
from psycopg import pq

from .sqlhints import PLAN_EACH_TIME

_WITH_ROWS = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.SINGLE_TUPLE, pq.ExecStatus.TUPLES_CHUNK)


class _Ran:
    """What psycopg's ``Column`` reads of a cursor, kept as it was when the statement ran."""

    __slots__ = ("pgresult", "_encoding", "adapters")

    def __init__(self, pgresult, encoding: str, adapters) -> None:
        self.pgresult, self._encoding, self.adapters = pgresult, encoding, adapters


class LazyDescription(Sequence):
    """``cursor.description``: its length at once, its ``psycopg.Column`` items when first read."""

    __slots__ = ("_ran", "_n", "_columns")

    def __init__(self, ran: _Ran, n: int) -> None:
        self._ran, self._n, self._columns = ran, n, None

    def _made(self) -> list:
        if self._columns is None:
            self._columns = [psycopg.Column(self._ran, i) for i in range(self._n)]
        return self._columns

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, index):
        return self._made()[index]

    def __iter__(self):
        return iter(self._made())

    def __repr__(self) -> str:
        return repr(self._made())


#: statements kept prepared on a connection (psycopg's default 100; a sale alone runs ≈ 90 kinds)
PREPARED_MAX = 200


def tune_connection(dbapi_connection, _record) -> None:
    """A new connection to PostgreSQL (the engine's ``connect`` event)."""
    dbapi_connection.prepared_max = PREPARED_MAX


class LazyDescriptionCursor(psycopg.Cursor):
    def execute(self, query, params=None, *, prepare=None, binary=None):
        if prepare is None and isinstance(query, str) and PLAN_EACH_TIME in query:
            prepare = False
        return super().execute(query, params, prepare=prepare, binary=binary)

    @property
    def description(self):
        res = self.pgresult
        if res and (res.nfields or res.status in _WITH_ROWS):
            return LazyDescription(_Ran(res, self._encoding, self.adapters), res.nfields)
        return None


#: seconds a pooled connection may rest before it is pinged whatever its socket says: a database host
#: that went away without closing its connections (a power cut, a failover, a router that forgot an
#: idle connection) leaves nothing to read; a busy shop's connections rest milliseconds
PING_AFTER_IDLE = 5.0
_CHECKED_IN = "pos_checked_in"


def note_checkin(_dbapi_connection, record) -> None:
    """When the pool took a connection back (the engine's ``checkin`` event), for :func:`ping_when_cut`."""
    record.info[_CHECKED_IN] = time.monotonic()


def ping_when_cut(dbapi_connection, record, _proxy) -> None:
    """The pool's check of a connection it hands out (the engine's ``checkout`` event), in place of
    ``pool_pre_ping``'s round trip at every checkout (≈ 18 a sale): a connection the server has cut
    (a restart, ``pg_terminate_backend``) has its socket readable — the server's last message, then
    the end of the stream — while a live, idle one has nothing to read (this app's connections do not
    LISTEN). Only then, or after the connection rested :data:`PING_AFTER_IDLE` seconds (or was never
    handed out), is it pinged; a failed ping makes the pool replace it, as pre-ping did (SQLAlchemy's
    documented pessimistic disconnect handling, with a ``DisconnectionError``)."""
    import select

    from sqlalchemy import exc

    try:
        poller = select.poll()  # not select.select: no limit on the descriptor's number
        poller.register(dbapi_connection.fileno(), select.POLLIN)
        readable = poller.poll(0)
    except (OSError, ValueError, psycopg.Error):  # closed already: no descriptor to look at
        raise exc.DisconnectionError("the connection is closed") from None
    idle = time.monotonic() - record.info.get(_CHECKED_IN, 0.0)
    if not readable and idle < PING_AFTER_IDLE:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            dbapi_connection.autocommit = True  # the ping must not open a transaction
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
            dbapi_connection.autocommit = False
    except psycopg.Error as e:
        raise exc.DisconnectionError(f"the database cut the connection: {e}") from e
