"""Compare the migrated database with the models (used by the migration tests)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ..extensions import db


def schema_differences(engine) -> list:
    """What Alembic's autogenerate would add or change: empty when migrations == models."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(context, db.metadata)
