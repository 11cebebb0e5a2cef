"""`pos restore FILE` (SQLite): refuses while the server or the spooler runs, checks the backup
first, moves the database and its -wal/-shm aside (a -wal left by a crash would otherwise be
replayed into the restored file), and checks integrity after."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pos.cli import main
from pos.files import running


@pytest.fixture
def instance(tmp_path, monkeypatch):
    env = {"POS_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "POS_MEDIA_DIR": str(tmp_path / "media")}
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert run(["init"]).exit_code == 0
    return tmp_path


def run(args, input=None):
    return CliRunner().invoke(main, args, input=input)


def marks(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute("SELECT value FROM setting WHERE key LIKE 'test.%' ORDER BY key")]
    finally:
        conn.close()


def mark(db: Path, key: str) -> None:
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("INSERT INTO setting (key, value) VALUES (?, ?)", (f"test.{key}", key))
    conn.close()


def crash_leaving_wal(db: Path, key: str) -> None:
    """Another process commits in WAL mode and dies before any checkpoint: the -wal file stays,
    holding a committed write the main file does not have."""
    code = f"""
import os, sqlite3
c = sqlite3.connect({str(db)!r}, isolation_level=None)
c.execute("PRAGMA journal_mode=WAL"); c.execute("PRAGMA wal_autocheckpoint=0")
for i in range(50):
    c.execute("INSERT INTO setting (key, value) VALUES (?, ?)", ("test.{key}" + str(i).zfill(3), "x" * 300))
os._exit(0)
"""
    subprocess.run([sys.executable, "-c", code], check=True)
    assert Path(f"{db}-wal").stat().st_size > 0


def test_restore_after_a_crash_left_a_wal_behind(instance):
    db = instance / "pos.sqlite3"
    mark(db, "a-before-backup")
    result = run(["backup", "--dir", str(instance / "bk")])
    assert result.exit_code == 0, result.output
    backup = next((instance / "bk").glob("pos-*.sqlite3"))
    mark(db, "b-after-backup")
    crash_leaving_wal(db, "c-in-the-wal")
    result = run(["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    assert "integrity_check: ok" in result.output
    assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0
    assert marks(db) == ["a-before-backup"]  # exactly the backup: nothing replayed from the old -wal
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    kept = sorted(p.name for p in instance.glob("pos.sqlite3.before-restore-*"))  # the old database, kept aside
    assert len(kept) == 3 and kept[1].endswith("-shm") and kept[2].endswith("-wal") and kept[2] == kept[0] + "-wal"
    assert (db.stat().st_mode & 0o077) == 0  # still the server's user's only


def test_restore_refuses_while_the_server_runs(instance):
    db = instance / "pos.sqlite3"
    assert run(["backup", "--dir", str(instance / "bk")]).exit_code == 0
    backup = next((instance / "bk").glob("pos-*.sqlite3"))
    mark(db, "live")
    with running(instance):  # what `pos serve` and `pos print-worker` hold while they run
        result = run(["restore", str(backup), "--yes"])
    assert result.exit_code != 0 and "running" in result.output and "Nothing was changed" in result.output
    assert marks(db) == ["live"]
    assert run(["restore", str(backup), "--yes"]).exit_code == 0  # once it stopped
    assert marks(db) == []


def test_restore_refuses_a_damaged_or_foreign_file_and_changes_nothing(instance):
    db = instance / "pos.sqlite3"
    mark(db, "live")
    broken = instance / "broken.sqlite3"
    good = instance / "bk"
    assert run(["backup", "--dir", str(good)]).exit_code == 0
    data = bytearray(next(good.glob("pos-*.sqlite3")).read_bytes())
    data[len(data) // 2:len(data) // 2 + 4096] = b"\xff" * 4096  # a damaged page
    broken.write_bytes(bytes(data))
    other = instance / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    for bad in (broken, other, Path(__file__)):
        result = run(["restore", str(bad), "--yes"])
        assert result.exit_code != 0 and "nothing was changed" in result.output, (bad, result.output)
        assert marks(db) == ["live"]
    assert not list(instance.glob("pos.sqlite3.before-restore-*"))


def test_restore_asks_before_replacing(instance):
    assert run(["backup", "--dir", str(instance / "bk")]).exit_code == 0
    backup = next((instance / "bk").glob("pos-*.sqlite3"))
    mark(instance / "pos.sqlite3", "live")
    result = run(["restore", str(backup)], input="n\n")
    assert result.exit_code != 0 and marks(instance / "pos.sqlite3") == ["live"]


def test_a_running_print_spooler_blocks_the_restore(instance):
    """The real command holds the lock while it runs, and lets go when it stops."""
    import os
    import time

    from pos.files import ServerRunning, alone

    assert run(["backup", "--dir", str(instance / "bk")]).exit_code == 0
    backup = next((instance / "bk").glob("pos-*.sqlite3"))
    pos = Path(sys.executable).with_name("pos")
    worker = subprocess.Popen([str(pos), "print-worker", "--poll", "0.2"], env=dict(os.environ),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with alone(instance):
                    pass
            except ServerRunning:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the print spooler never took the running lock")
        result = run(["restore", str(backup), "--yes"])
        assert result.exit_code != 0 and "running" in result.output
    finally:
        worker.terminate()
        worker.wait(20)
    assert run(["restore", str(backup), "--yes"]).exit_code == 0
