"""`pos check`: the database settings that matter, read from the running database."""

import pytest
from click.testing import CliRunner

from pos.dbcheck import check
from pos.extensions import db


def test_sqlite_settings_are_reported_and_right(app):
    found = {f.what: f for f in check(db.engine)}
    assert found["SQLite journal mode"].value == "wal" and found["SQLite journal mode"].ok
    assert found["SQLite synchronous"].value == "NORMAL" and found["SQLite synchronous"].ok
    assert found["SQLite planner statistics (ANALYZE)"].ok  # pos init ran ANALYZE
    assert all(f.ok for f in found.values()), [f for f in found.values() if not f.ok]


def test_a_pool_smaller_than_the_threads_is_reported(app):
    pool = [f for f in check(db.engine, threads=64) if f.what.startswith("connections per worker")][0]
    assert not pool.ok and "pool" in pool.advice


def test_the_command_says_ok_or_fix(app, monkeypatch):
    from pos import cli

    monkeypatch.setattr(cli, "_create_app", lambda *a, **k: app)
    result = CliRunner().invoke(cli.main, ["check"])
    assert result.exit_code == 0, result.output
    assert "ok   SQLite journal mode: wal" in result.output


@pytest.mark.pg
def test_postgresql_autovacuum_and_statistics_are_reported(pg_app):
    from sqlalchemy import text

    with pg_app.app_context():
        found = {f.what: f for f in check(db.engine)}
        autovacuum = db.session.execute(text("SHOW autovacuum")).scalar()
        assert found["PostgreSQL autovacuum"].value == autovacuum
        assert found["PostgreSQL autovacuum"].ok == (autovacuum == "on")
        assert any(w.startswith("table product") for w in found)
