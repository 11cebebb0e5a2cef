"""Waking the print spooler the moment a job is queued, instead of at its next poll.

PostgreSQL: the enqueueing transaction runs ``NOTIFY pos_print_jobs`` (delivered when it
commits); the spooler ``LISTEN``s on a connection of its own. SQLite: after the transaction
that queued a job commits, a one-byte datagram goes to a UNIX socket in the instance folder
(``spooler.sock``) that the spooler waits on. Either way the poll stays as the fallback: a lost
wake-up costs at most one poll interval, never a job.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

log = logging.getLogger("pos.print")
CHANNEL = "pos_print_jobs"
SOCKET_NAME = "spooler.sock"
_PENDING = "pos_wake_spooler"


def socket_path(instance_path: str | Path) -> Path:
    return Path(instance_path) / SOCKET_NAME


def job_queued(session: Session) -> None:
    """Called by ``enqueue``: wake the spooler once this transaction commits."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {CHANNEL}"))  # PostgreSQL delivers it at commit
        return
    try:
        from flask import current_app

        session.info[_PENDING] = str(socket_path(current_app.instance_path))
    except RuntimeError:  # no app (a script): the spooler's poll finds the job
        pass


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    path = session.info.pop(_PENDING, None)
    if path:
        poke(path)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction: nothing was queued
        session.info.pop(_PENDING, None)


def poke(path: str | Path) -> bool:
    """Send the wake-up datagram; False when no spooler listens (it will poll)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        sock.sendto(b"!", str(path))
        return True
    except OSError:  # no spooler (ENOENT, ECONNREFUSED) or its queue is full (it is awake anyway)
        return False
    finally:
        sock.close()


class Wakeup:
    """What the spooler waits on between polls: ``wait(timeout)`` returns early when woken."""

    def __init__(self, *, database_url: str, instance_path: str | Path):
        self.url = make_url(database_url)
        self.sock: socket.socket | None = None
        self.conn = None
        self.path = socket_path(instance_path)
        if self.url.get_backend_name() == "postgresql":
            self._listen()
        else:
            self._bind()

    def _bind(self) -> None:
        if self.path.exists() and poke(self.path):
            return  # another spooler of this instance listens there: this one polls
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # left by a spooler that died
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(self.path))
        os.chmod(self.path, 0o600)
        sock.setblocking(False)
        self.sock = sock

    def _listen(self) -> None:
        import psycopg

        try:
            dsn = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.conn = psycopg.connect(dsn, autocommit=True)
            self.conn.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error as e:  # the poll still works; try again at the next wait
            log.warning("cannot LISTEN for print jobs (polling instead): %s", e)
            self.conn = None

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds; True if woken by a queued job."""
        if self.sock is not None:
            ready, _, _ = select.select([self.sock], [], [], timeout)
            woken = False
            while ready:
                try:
                    self.sock.recv(64)
                    woken = True
                except BlockingIOError:
                    break
            return woken
        if self.conn is None and self.url.get_backend_name() == "postgresql":
            self._listen()
        if self.conn is None:
            import time

            time.sleep(timeout)
            return False
        try:
            for _ in self.conn.notifies(timeout=timeout, stop_after=1):
                return True
        except Exception as e:  # the connection dropped: listen again next time
            log.warning("LISTEN connection lost (polling meanwhile): %s", e)
            with contextlib.suppress(Exception):
                self.conn.close()
            self.conn = None
        return False

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            self.sock = None
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()
            self.conn = None
