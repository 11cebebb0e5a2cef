"""``pos check``: the database settings that decide whether the shop stays fast and safe.

Each finding is (what, value, ok, advice). Read only: it changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from .config import serve_threads, serve_workers

#: the tables that grow every day: their statistics must follow them
BUSY_TABLES = ("product", "voucher", "voucher_line", "payment", "tender", "print_job", "audit_entry", "invoice")


@dataclass
class Finding:
    what: str
    value: str
    ok: bool
    advice: str = ""


def check(engine, *, workers: int | None = None, threads: int | None = None) -> list[Finding]:
    workers = workers or serve_workers()
    threads = threads or serve_threads()  # pos serve's defaults
    found = _pool(engine, workers, threads)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            found += _sqlite(conn)
        elif engine.dialect.name == "postgresql":
            found += _postgresql(conn, engine, workers)
        conn.rollback()
    return found


def _pool(engine, workers: int, threads: int) -> list[Finding]:
    pool = engine.pool
    size = getattr(pool, "size", lambda: None)()
    overflow = getattr(pool, "_max_overflow", 0)
    if size is None:
        return [Finding("connection pool", type(pool).__name__, True)]
    per_worker = size + max(overflow, 0)
    return [Finding("connections per worker (pool size + overflow) vs threads per worker",
                    f"{size} + {overflow} for {threads} threads × {workers} workers", per_worker >= threads,
                    "" if per_worker >= threads else "raise the pool size: a thread would wait for a connection")]


def _sqlite(conn) -> list[Finding]:
    def pragma(name):
        return conn.exec_driver_sql(f"PRAGMA {name}").scalar()

    journal, sync = pragma("journal_mode"), pragma("synchronous")
    busy, fks = pragma("busy_timeout"), pragma("foreign_keys")
    analysed = conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").scalar()
    return [
        Finding("SQLite journal mode", str(journal), str(journal).lower() == "wal",
                "WAL lets the tablets read while one request writes"),
        Finding("SQLite synchronous", {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(sync, str(sync)),
                sync in (1, 2, 3), "OFF can lose committed sales at a power cut"),
        Finding("SQLite busy timeout", f"{busy} ms", (busy or 0) >= 5000,
                "a short timeout answers 'database is locked' under load"),
        Finding("SQLite foreign keys", "on" if fks else "off", bool(fks), "off lets broken references in"),
        Finding("SQLite planner statistics (ANALYZE)", "present" if analysed else "missing", bool(analysed),
                "run `pos init` (it runs ANALYZE); sign-off runs it daily"),
    ]


def _postgresql(conn, engine, workers: int) -> list[Finding]:
    def show(name):
        return conn.exec_driver_sql(f"SHOW {name}").scalar()

    autovacuum, track = show("autovacuum"), show("track_counts")
    max_conn = int(show("max_connections"))
    pool = engine.pool
    per_worker = getattr(pool, "size", lambda: 5)() + max(getattr(pool, "_max_overflow", 10), 0)
    wanted = workers * per_worker + 2 * 10  # the workers, the spooler and pos.tx's own small pools
    found = [
        Finding("PostgreSQL autovacuum", autovacuum, autovacuum == "on" and track == "on",
                "turn autovacuum (and track_counts) on: without it dead rows and stale statistics slow every "
                "query after a day of sales; the app runs ANALYZE at sign-off and after imports"),
        Finding("PostgreSQL max_connections vs the app's pools", f"{max_conn} for up to {wanted}",
                max_conn >= wanted, "raise max_connections or lower POS_WORKERS"),
        Finding("PostgreSQL synchronous_commit", show("synchronous_commit"), show("synchronous_commit") != "off",
                "off can lose the last committed sales at a crash"),
    ]
    rows = conn.execute(text(
        "SELECT relname, n_live_tup, n_dead_tup, greatest(last_analyze, last_autoanalyze) FROM pg_stat_user_tables "
        "WHERE relname = ANY(:t) ORDER BY relname"), {"t": list(BUSY_TABLES)}).all()
    for name, live, dead, analysed in rows:
        stale = live > 1000 and analysed is None
        bloated = dead > max(1000, live // 5)
        found.append(Finding(f"table {name}", f"{live} rows, {dead} dead, analysed {analysed or 'never'}",
                             not stale and not bloated,
                             "VACUUM ANALYZE it (autovacuum would)" if stale or bloated else ""))
    return found
