"""Upgrading an empty database gives exactly the models (autogenerate finds nothing)."""

from sqlalchemy import inspect

from pos import create_app
from pos.cli import upgrade_database
from pos.extensions import db
from pos.testing.schema import schema_differences
from tests.conftest import BASE_CONFIG


def check_upgrade_matches_models(tmp_path, url):
    app = create_app({**BASE_CONFIG, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": url})
    with app.app_context():
        upgrade_database()
        tables = set(inspect(db.engine).get_table_names())
        assert {"staff", "staff_role", "audit_entry", "product", "customer", "alembic_version"} <= tables
        assert schema_differences(db.engine) == []
        db.engine.dispose()


def test_upgrade_on_empty_sqlite_gives_the_models(tmp_path):
    check_upgrade_matches_models(tmp_path, f"sqlite:///{tmp_path / 'empty.sqlite3'}")


def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
