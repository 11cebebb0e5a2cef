"""Small helpers the test modules share (fixtures are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, func, select

from pos.extensions import db


def text(resp) -> str:
    """A test client's response body as text."""
    return resp.get_data(as_text=True)


def shown_at(resp) -> str:
    """A form answered with the page of what it made (pos.web.show: a payment's announcement, an
    issued invoice) instead of a redirect: that page's own address, which the answer names."""
    assert resp.status_code == 200, (resp.status_code, text(resp)[:300])
    assert resp.headers.get("Content-Location"), "no Content-Location: not answered with a page of its own"
    assert f'data-url="{resp.headers["Content-Location"]}"' in resp.get_data(as_text=True)
    return resp.headers["Content-Location"]


def count(session, model) -> int:
    """How many rows of ``model`` there are (for "nothing was saved")."""
    return session.scalar(select(func.count()).select_from(model))


@contextmanager
def statements(engine=None) -> Iterator[list[tuple[str, object]]]:
    """The SQL sent to ``engine`` (the app's by default) while the block runs: (statement, parameters)
    in order, as the database driver got them."""
    sent: list[tuple[str, object]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    engine = engine if engine is not None else db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


def row_counts(session) -> dict[str, int]:
    """The number of rows of every table the app knows (db.metadata), by table name."""
    return {name: session.scalar(select(func.count()).select_from(table))
            for name, table in sorted(db.metadata.tables.items())}
