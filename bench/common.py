"""Timing helpers: run a callable many times, report p50/p95 beside the target."""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable


def measure(fn: Callable[[], object], *, runs: int = 200, warmup: int = 10) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[18] if len(times) >= 20 else max(times)


def report(name: str, times: list[float], target_ms: float) -> bool:
    ok = p95(times) <= target_ms
    print(f"{name:<55} p50 {statistics.median(times):8.3f} ms   p95 {p95(times):8.3f} ms   "
          f"target p95 < {target_ms} ms   {'OK' if ok else 'MISSED'}")
    return ok


def on_both_databases(run_on) -> bool:
    """Call ``run_on(label, database_url_or_None, folder)`` on SQLite, then on a PostgreSQL
    database of its own (:func:`pg_database`), dropped afterwards."""
    import tempfile
    from pathlib import Path

    ok = run_on("SQLite", None, Path(tempfile.mkdtemp()))
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(pg_database("pos_bench"))
        except Exception as e:  # no server: say so, measure SQLite only
            print(f"-- PostgreSQL not measured: {e.__class__.__name__}")
            return ok
        ok &= run_on("PostgreSQL", url, Path(tempfile.mkdtemp()))
    return ok


def pg_admin():
    """An engine on the PostgreSQL server the benchmarks use (POS_BENCH_PG_URL, default the local
    server), in autocommit: for creating and dropping databases. Dispose of it after use."""
    import os

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url = make_url(os.environ.get("POS_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    return create_engine(url, isolation_level="AUTOCOMMIT")


@contextlib.contextmanager
def pg_database(prefix: str):
    """A PostgreSQL database of its own (on :func:`pg_admin`'s server) for the ``with`` block: its
    URL, created before and dropped after (its connections cut first)."""
    import uuid

    from sqlalchemy import text

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                         {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def bench_app(url: str | None, folder):
    """The app on a fresh database (SQLite in ``folder``, or ``url``), migrated, with the demo data."""
    from pos import create_app
    from pos.cli import upgrade_database
    from pos.demo import load_demo
    from pos.extensions import db

    config = {"INSTANCE_PATH": str(folder), "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
              "POS_MEDIA_DIR": str(folder / "media"), "POS_HASH_METHOD": "pbkdf2:sha256:1000"}
    if url:
        config["DATABASE_URL"] = url
    app = create_app(config)
    with app.app_context():
        upgrade_database()
        load_demo(db.session)
        db.session.commit()
    return app
