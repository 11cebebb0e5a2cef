"""PostgreSQL: `pos restore FILE` puts a `pos backup` (pg_dump) back in one transaction, and
refuses while other connections (the server, the spooler) use the database."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select, text

from pos.cli import backup_database, main
from pos.extensions import db
from pos.shop.models import Setting
from pos.staff.models import Staff

pytestmark = pytest.mark.pg


def test_restore_a_pg_backup(pg_app, pg_database_url, tmp_path, monkeypatch):
    staff = db.session.scalar(select(func.count(Staff.id)))
    backup = backup_database(tmp_path / "bk")
    db.session.add(Setting(key="test.after-backup", value="x"))
    db.session.commit()
    db.session.remove()
    db.engine.dispose()
    for k, v in {"POS_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "DATABASE_URL": pg_database_url}.items():
        monkeypatch.setenv(k, v)
    other = create_engine(pg_database_url)
    try:
        with other.connect():  # the server still connected somewhere
            result = CliRunner().invoke(main, ["restore", str(backup), "--yes"])
            assert result.exit_code != 0 and "Other connections" in result.output
    finally:
        other.dispose()
    result = CliRunner().invoke(main, ["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    check = create_engine(pg_database_url)
    try:
        with check.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM setting WHERE key = 'test.after-backup'")) == 0
            assert conn.scalar(text("SELECT count(*) FROM staff")) == staff
            assert conn.scalar(text("SELECT count(*) FROM alembic_version")) == 1
        # a broken file changes nothing (one transaction)
        bad = tmp_path / "bad.sql"
        bad.write_text(backup.read_text()[: len(backup.read_text()) // 2] + "\nTHIS IS NOT SQL;\n")
        check.dispose()
        result = CliRunner().invoke(main, ["restore", str(bad), "--yes"])
        assert result.exit_code != 0 and "nothing was changed" in result.output, result.output
        with check.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM staff")) == staff
    finally:
        check.dispose()
