"""Counting SQL statements per request, for the load benchmark (bench/load.py).

Off unless the server is started with ``POS_COUNT_SQL=1``: then every response carries
``X-SQL-Count`` (the statements its request sent to the database) and ``X-CPU-Us`` (the CPU
time of the thread that served it, in microseconds: on SQLite the database's work is in it),
and the process keeps a running total. Nothing else changes.
"""

from __future__ import annotations

import os
import time

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

    def _cpu_start():
        g.pos_cpu_start = time.thread_time_ns()

    def _header(response):
        response.headers["X-SQL-Count"] = str(g.get("pos_sql_count", 0))
        if "pos_cpu_start" in g:
            response.headers["X-CPU-Us"] = str((time.thread_time_ns() - g.pos_cpu_start) // 1000)
        return response

    # the first before_request and the last after_request (Flask runs those in reverse order): the
    # CPU figure takes in the other hooks (login, CSRF, SQLite's BEGIN) — not the teardown
    app.before_request_funcs.setdefault(None, []).insert(0, _cpu_start)
    app.after_request_funcs.setdefault(None, []).insert(0, _header)
