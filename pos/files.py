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
