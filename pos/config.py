"""Settings from the environment and the instance folder, with defaults that work.

With no settings at all the app runs on SQLite in the instance folder, in
Chinese, on Shanghai time, with a secret key generated on first run.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

DEFAULT_LOCALE = "zh_CN"
LOCALES = ("zh_CN", "en")


def _secret_key(instance_path: Path) -> str:
    """The key signing sessions: ``SECRET_KEY`` from the environment, else one made on
    first run and kept in ``instance/secret_key`` (never a fixed default)."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = instance_path / "secret_key"
    if key_file.exists():
        from .files import private_file

        private_file(key_file)  # a key left readable by others is tightened to 0600
        key = key_file.read_text().strip()
        if key:
            return key
        key_file.unlink()
    key = secrets.token_hex(32)
    instance_path.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key.encode())
    finally:
        os.close(fd)
    return key


def _normalise_db_url(url: str) -> str:
    # Plain postgres URLs use psycopg 3 (the only PostgreSQL driver we install).
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_settings(instance_path: Path, overrides: dict | None = None) -> dict:
    """All settings as a dict for ``app.config``; ``overrides`` (tests) win."""
    overrides = dict(overrides or {})
    env = os.environ
    db_url = overrides.pop("DATABASE_URL", None) or env.get("DATABASE_URL")
    if not db_url:
        db_url = f"sqlite:///{instance_path / 'pos.sqlite3'}"
    settings = {
        "SQLALCHEMY_DATABASE_URI": _normalise_db_url(db_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "POS_LOCALE": env.get("POS_LOCALE", DEFAULT_LOCALE),
        "POS_TIMEZONE": env.get("POS_TIMEZONE", "Asia/Shanghai"),
        "POS_IDLE_LOGOUT_MINUTES": int(env.get("POS_IDLE_LOGOUT_MINUTES", "10")),
        "POS_SHOP_NAME": env.get("POS_SHOP_NAME", ""),
        "POS_PIN_MAX_FAILURES": 5,
        "POS_PIN_LOCK_MINUTES": 5,
        # a manager is not locked out (anyone could keep them out): each wrong try past the limit
        # waits longer on that tablet, 15 s doubling up to 5 minutes
        "POS_PIN_DELAY_SECONDS": 15,
        "POS_PIN_DELAY_MAX_SECONDS": 300,
        "POS_BACKUP_DIR": env.get("POS_BACKUP_DIR", str(instance_path / "backups")),
        "POS_MEDIA_DIR": env.get("POS_MEDIA_DIR", str(instance_path / "media")),
        "WTF_CSRF_TIME_LIMIT": None,  # a tablet's session may stay open all day
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "BABEL_DEFAULT_LOCALE": env.get("POS_LOCALE", DEFAULT_LOCALE),
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    }
    if settings["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        from .pgcursor import LazyDescriptionCursor  # psycopg: only where PostgreSQL is used

        # cursor.description made only when read (pos/pgcursor.py: 5–8 % of the app's CPU)
        settings["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] = {
            "cursor_factory": LazyDescriptionCursor,
            # No parallel workers for the app's queries: a counter's statements read a page of rows,
            # and starting two workers cost more than it saved. A search whose words are common
            # (id-order scan, "tv-7" on 50,000 products) took 8 ms with two workers, 1.4 ms without.
            "options": "-c max_parallel_workers_per_gather=0",
        }
        # a connection the server cut is found without a round trip at every checkout (pgcursor.ping_when_cut)
        settings["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] = False
    settings.update(overrides)
    if "SECRET_KEY" not in settings:
        settings["SECRET_KEY"] = _secret_key(instance_path)
    if settings["POS_LOCALE"] not in LOCALES:
        raise ValueError(f"POS_LOCALE must be one of {', '.join(LOCALES)}, not {settings['POS_LOCALE']!r}")
    if settings["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # One writer at a time; wait for it rather than failing at once.
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    return settings


def serve_workers() -> int:
    """``pos serve``'s gunicorn workers: ``POS_WORKERS``, else two a core, at most four. Measured
    (bench/README.md): on 2 cores, 20 tablets, 4 workers × 2 threads did 5.9 sales/s at 194 ms of
    CPU a sale where 2 × 4 did 3.1 at 291 ms — threads of one process wait for each other's
    Python (the GIL), processes do not."""
    return int(os.environ.get("POS_WORKERS") or min(4, 2 * (os.cpu_count() or 1)))


def serve_threads() -> int:
    """Threads per worker: ``POS_THREADS``, else 2 (a slow PDF does not hold a whole worker)."""
    return int(os.environ.get("POS_THREADS") or 2)
