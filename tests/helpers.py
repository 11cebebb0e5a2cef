"""Small helpers the test modules share (fixtures are in tests/conftest.py)."""

from __future__ import annotations

from sqlalchemy import func, select

from pos.extensions import db


def text(resp) -> str:
    """A test client's response body as text."""
    return resp.get_data(as_text=True)


def count(session, model) -> int:
    """How many rows of ``model`` there are (for "nothing was saved")."""
    return session.scalar(select(func.count()).select_from(model))


def row_counts(session) -> dict[str, int]:
    """The number of rows of every table the app knows (db.metadata), by table name."""
    return {name: session.scalar(select(func.count()).select_from(table))
            for name, table in sorted(db.metadata.tables.items())}
