"""Counting SQL statements per request, for the load benchmark (bench/load.py).

Off unless the server is started with ``POS_COUNT_SQL=1``: then every response carries
``X-SQL-Count`` (the statements its request sent to the database) and the process keeps
a running total. Nothing else changes.
"""

from __future__ import annotations

import os

from flask import Flask, g, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

TOTAL = {"statements": 0}


def enabled() -> bool:
    return os.environ.get("POS_COUNT_SQL") == "1"


def _count(conn, cursor, statement, parameters, context, executemany):
    TOTAL["statements"] += 1
    if has_request_context():
        g.pos_sql_count = g.get("pos_sql_count", 0) + 1


def install(app: Flask) -> None:
    # once per process: ``pos serve`` (and the command group around it) may make more than one app
    if not event.contains(Engine, "before_cursor_execute", _count):
        event.listen(Engine, "before_cursor_execute", _count)

    @app.after_request
    def _header(response):
        response.headers["X-SQL-Count"] = str(g.get("pos_sql_count", 0))
        return response
