"""PostgreSQL: migrations give exactly the models; backups restore."""

import subprocess

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from pos.cli import backup_database
from pos.extensions import db
from pos.staff.models import Staff
from tests.core.test_migrations import check_upgrade_matches_models

pytestmark = pytest.mark.pg


def test_upgrade_on_empty_postgresql_gives_the_models(tmp_path, pg_database_url):
    check_upgrade_matches_models(tmp_path, pg_database_url)


def test_pg_dump_backup_restores(pg_app, tmp_path, pg_database_url):
    staff_count = db.session.scalar(select(func.count(Staff.id)))
    assert staff_count >= 5
    path = backup_database(tmp_path / "backups")
    assert path.suffix == ".sql" and path.stat().st_size > 1000
    # restore into a second database and read it back
    url = make_url(pg_database_url)
    restored = url.database + "_restored"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{restored}"'))
    try:
        subprocess.run(["psql", "--quiet", "--set", "ON_ERROR_STOP=1", "--host", url.host,
                        "--port", str(url.port or 5432), "--username", url.username, "--dbname", restored,
                        "--file", str(path)],
                       check=True, capture_output=True, timeout=120)
        engine = create_engine(url.set(database=restored))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM staff")).scalar() == staff_count
            assert conn.execute(text("SELECT full_name FROM staff WHERE staff_no = 'M001'")).scalar() == "王建国"
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{restored}"'))
        admin.dispose()
