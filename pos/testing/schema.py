"""Compare the migrated database with the models (used by the migration tests)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ..catalog.search_index import include_name, include_object
from ..extensions import db


def schema_differences(engine) -> list:
    """What Alembic's autogenerate would add or change: empty when migrations == models."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True, "render_as_batch": True,
            "include_name": include_name, "include_object": include_object,
        })
        return compare_metadata(context, db.metadata)
