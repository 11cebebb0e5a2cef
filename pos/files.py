"""Files only the server's user may read: the instance folder (database, secret key, backups)
is 0700 and what the app creates in it 0600 — a shop PC is often shared, and the database holds
customers' names and phones, the secret key signs every session."""

from __future__ import annotations

import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path | str) -> Path:
    """Make the folder (and missing parents) and keep it 0700 when it is ours."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    _tighten(path, DIR_MODE)
    return path


def private_file(path: Path | str) -> Path:
    """Create the file empty with 0600 if missing (an empty file is an empty SQLite database;
    pg_dump writes into it keeping the mode); an existing one of ours is tightened to 0600."""
    path = Path(path)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        _tighten(path, FILE_MODE)
    return path


def _tighten(path: Path, mode: int) -> None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & ~mode:
        os.chmod(path, mode)


def private_sqlite(database: str | None) -> None:
    """The SQLite database and its -wal/-shm (SQLite gives those the database's own mode)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        _tighten(Path(f"{path}{suffix}"), FILE_MODE)


# ------------------------------------------------------------------ "the server is running"
RUNNING_FILE = "pos.running"


class running:
    """Held by ``pos serve`` and ``pos print-worker`` while they run: a shared lock on
    ``instance/pos.running`` (the kernel drops it when the process dies, even by SIGKILL), so
    ``pos restore`` can tell that something still uses the database."""

    def __init__(self, instance_path: Path | str):
        self.path = Path(instance_path) / RUNNING_FILE
        self.fd: int | None = None

    def __enter__(self):
        import fcntl

        private_dir(self.path.parent)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        fcntl.flock(self.fd, fcntl.LOCK_SH)
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)  # releases the lock
            self.fd = None


class ServerRunning(Exception):
    """Something still uses this instance's database."""


class alone:
    """The exclusive side of :class:`running`, for ``pos restore``: refuses (``ServerRunning``)
    while a server or spooler of this instance runs, and keeps them from starting until done."""

    def __init__(self, instance_path: Path | str):
        self.path = Path(instance_path) / RUNNING_FILE
        self.fd: int | None = None

    def __enter__(self):
        import fcntl

        private_dir(self.path.parent)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            self.fd = None
            raise ServerRunning(str(self.path)) from None
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
