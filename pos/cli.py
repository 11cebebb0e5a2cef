"""The ``pos`` command: init, demo, serve, backup, users (and Flask-Migrate's ``db``)."""

from __future__ import annotations

import gc
import itertools
import os
import shutil
import socket
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from .config import serve_threads, serve_workers
from .errors import DomainError
from .extensions import db
from .files import ServerRunning, alone, private_dir, private_file, running


def _create_app(*args, **kwargs):
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True, add_version_option=False)
def main():
    """Showroom counter (门市销售) — run `pos init`, `pos demo`, then `pos serve`."""


def upgrade_database() -> None:
    from flask_migrate import upgrade

    upgrade(directory=current_app.extensions["migrate"].directory)
    from .extensions import db, refresh_statistics

    refresh_statistics(db.session)
    db.session.commit()


@main.command("init")
@with_appcontext
def init_command():
    """Create or upgrade the database to the latest migration."""
    upgrade_database()
    click.echo(f"Database ready: {_safe_db_url()}")


@main.command("demo")
@click.option("--if-empty", is_flag=True, help="Only load when the database has no staff yet.")
@with_appcontext
def demo_command(if_empty: bool):
    """Load the demo showroom (idempotent) and print the demo logins."""
    from .demo import demo_logins, load_demo
    from .staff.models import Staff

    if if_empty and db.session.scalar(select(func.count(Staff.id))):
        click.echo("Staff exist already: demo data not loaded (drop --if-empty to top it up).")
    else:
        added = load_demo(db.session, serials=True)
        db.session.commit()
        click.echo("Demo data: " + ", ".join(f"{k} +{v}" for k, v in added.items()))
    _demo_survey_address()
    rows = demo_logins(db.session)
    if rows:
        click.echo("Demo logins (tap the name, type the PIN):")
        for staff, person in rows:
            extra = f"  password: {person.password}" if person.password else ""
            click.echo(f"  {staff.staff_no}  {staff.full_name:<6} {','.join(person.roles):<16} PIN {person.pin}{extra}")


def _demo_survey_address() -> None:
    """The receipt's satisfaction-survey QR needs the address customers' phones reach the shop at: the
    demo sets this machine's LAN address (with POS_PORT) when none is set; the manager changes it on
    the satisfaction screen."""
    from .aftersales import survey

    addresses = lan_addresses()
    if survey.base_url(db.session) or not addresses:
        return
    url = survey.set_base_url(db.session, f"http://{addresses[0]}:{os.environ.get('POS_PORT', '8000')}")
    db.session.commit()
    click.echo(f"Receipts' survey QR points at {url} (change it under 满意度).")


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback (to open on a tablet)."""
    found: list[str] = []
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=3).stdout
        found = [a for a in out.split() if "." in a and not a.startswith("127.")]
    except (OSError, subprocess.SubprocessError):
        pass
    if not found:
        try:
            for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
                addr = info[4][0]
                if not addr.startswith("127.") and addr not in found:
                    found.append(addr)
        except OSError:
            pass
    return found


def server_settings(host: str, port: int, workers: int, threads: int) -> dict:
    """gunicorn's settings for ``pos serve``."""
    settings = {
        "bind": f"{host}:{port}", "workers": workers, "threads": threads, "worker_class": "gthread", "timeout": 60,
        # a worker is replaced (gracefully, after its requests finish) every ~20,000 requests, a
        # guard only: since PDFs keep one font configuration per thread a worker's memory stays
        # flat (1,000 A5 invoices: 68 MB in one process); at 1,000 the replacements cost ≈ 15 ms a sale
        "max_requests": int(os.environ.get("POS_MAX_REQUESTS", "20000")), "max_requests_jitter": 1000,
        "post_request": _freeze_when_warm,
    }
    # a line a request only when asked (POS_ACCESS_LOG=1): writing it cost ≈ 0.2 ms of a worker's CPU a
    # request (≈ 3.5 ms a sale; every 10 s poll is logged too); errors are logged either way, and who
    # did what is in the audit log
    if os.environ.get("POS_ACCESS_LOG") == "1":
        settings["accesslog"] = "-"
    return settings


@main.command("serve")
@click.option("--host", default=lambda: os.environ.get("POS_HOST", "0.0.0.0"), show_default="0.0.0.0")
@click.option("--port", type=int, default=lambda: int(os.environ.get("POS_PORT", "8000")), show_default="8000")
@click.option("--workers", type=int, default=serve_workers, show_default="POS_WORKERS, else 2 a core, at most 4")
@click.option("--threads", type=int, default=serve_threads, show_default="POS_THREADS, else 2")
def serve_command(host: str, port: int, workers: int, threads: int):
    """Serve the app on the shop's LAN with gunicorn (never the Flask dev server)."""
    from gunicorn.app.base import BaseApplication

    from . import create_app

    app = create_app()
    warm_before_fork(app)

    class Server(BaseApplication):
        def load_config(self):
            for name, value in server_settings(host, port, workers, threads).items():
                self.cfg.set(name, value)

        def load(self):
            return app

    click.echo(f"Serving on {host}:{port}")
    addresses = lan_addresses() if host in ("0.0.0.0", "::") else [host]
    for addr in addresses:
        click.echo(f"  open on a tablet: http://{addr}:{port}/")
    click.echo(f"  on this machine:  http://127.0.0.1:{port}/")
    with running(app.instance_path):  # `pos restore` refuses while this is held
        renderer = _start_pdf_renderer(app)
        try:
            Server().run()
        finally:
            if renderer is not None:
                renderer.stop()


def _start_pdf_renderer(app):
    """PDFs are made by a process of their own (printing/pdf_service.py), which the workers find through
    ``POS_PDF_SOCKET`` (inherited when gunicorn forks them): WeasyPrint and the fonts (≈ 45 MB) are loaded
    there once instead of in every worker. ``POS_PDF_RENDERER=0`` keeps PDFs in the workers."""
    if os.environ.get("POS_PDF_RENDERER", "1") == "0":
        return None
    from printing.pdf_service import SOCKET_ENV, Supervisor

    path = str(Path(app.instance_path) / "pdf.sock")
    if len(path.encode()) > 100:  # a UNIX socket's path has a length limit: render in the workers
        return None
    renderer = Supervisor(path)
    renderer.start()
    os.environ[SOCKET_ENV] = path
    return renderer


def warm_before_fork(app) -> None:
    """Work every worker would otherwise repeat, done once in gunicorn's master before it forks the
    workers (they share it, copy-on-write): compiling the templates (≈ 1.7 s of CPU for all of them,
    ≈ 5 MB) and configuring the ORM's mappers. Without it each new worker — gunicorn replaces one
    every ~20,000 requests — compiled the templates again while serving its first pages. Opens no
    database connection (a connection must not cross a fork)."""
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    env = app.jinja_env
    for name in env.list_templates(filter_func=lambda n: n.endswith((".html", ".txt", ".xml", ".svg", ".css"))):
        env.get_template(name)
    freeze_heap()
    gc.set_threshold(*GC_THRESHOLDS)


#: the collector's thresholds in the server's processes: a collection of the youngest generation after
#: 20,000 new container objects (CPython's default: 700). A request makes thousands (ORM states, rows,
#: template contexts) and most go by reference counting; at 700 the collector ran ≈ 8 times a sale and
#: walked the request's live objects each time, and their survivors again in the middle generation:
#: 3.4 ms of CPU a sale, against 1.4 at 20,000 (one collection every ≈ 7 sales, ≈ 11 ms once, not in
#: the way of a tap). What waits longer for a collection is only garbage in cycles: a few MB at most.
GC_THRESHOLDS = (20_000, 10, 10)


def freeze_heap() -> None:
    """What the process made so far lives as long as it does (modules, templates, mappers, compiled
    statements): out of the garbage collector's reach (``gc.freeze``). Every collection of the oldest
    generation walked ≈ 290,000 such objects — ≈ 8 ms of CPU a sale (bench/README.md) — and wrote
    into the pages the workers share with the master. Done before the fork and once more in each
    worker after its first requests (``_freeze_when_warm``)."""
    gc.collect()
    gc.freeze()


#: requests a worker serves before what they made (compiled statements, translations) is frozen
WARM_REQUESTS = 300
_served = itertools.count(1)


def _freeze_when_warm(_worker, _req, _environ, _resp) -> None:
    """gunicorn's ``post_request`` hook, in the worker."""
    if next(_served) == WARM_REQUESTS:
        freeze_heap()


def _safe_db_url() -> str:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)


def backup_database(target_dir: Path | None = None) -> Path:
    """SQLite: online backup API; PostgreSQL: pg_dump. Returns the file written."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    target_dir = private_dir(target_dir or current_app.config["POS_BACKUP_DIR"])  # 0700: customers' data
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    if url.get_backend_name() == "sqlite":
        target = target_dir / f"pos-{stamp}.sqlite3"
        n = 1
        while target.exists():
            target = target_dir / f"pos-{stamp}-{n}.sqlite3"
            n += 1
        private_file(target)  # 0600 before SQLite writes it
        source = sqlite3.connect(url.database)
        try:
            dest = sqlite3.connect(target)
            with dest:
                source.backup(dest)
            dest.close()
        finally:
            source.close()
        return target
    if url.get_backend_name() == "postgresql":
        pg_dump = shutil.which("pg_dump")
        if not pg_dump:
            raise click.ClickException("pg_dump not found: apt-get install postgresql-client")
        target = private_file(target_dir / f"pos-{stamp}.sql")  # pg_dump writes into it, keeping 0600
        env = dict(os.environ)
        if url.password:
            env["PGPASSWORD"] = url.password
        cmd = [pg_dump, "--no-owner", "--format=plain", "--file", str(target),
               "--host", url.host or "localhost", "--port", str(url.port or 5432),
               "--username", url.username or "postgres", url.database or "postgres"]
        subprocess.run(cmd, check=True, env=env, timeout=600)
        return target
    raise click.ClickException(f"backup does not support {url.get_backend_name()}")


@main.command("backup")
@click.option("--dir", "target_dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@with_appcontext
def backup_command(target_dir: Path | None):
    """Write a timestamped copy of the database (safe while the app runs)."""
    path = backup_database(target_dir)
    click.echo(f"Backup written: {path}")


def _sqlite_check(path: Path) -> str:
    """PRAGMA integrity_check of a SQLite file, read only ('ok' when sound)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchall()
            if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone():
                return "not a database of this app (no alembic_version table)"
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        return str(e)
    return "; ".join(str(r[0]) for r in result[:5])


def restore_sqlite(backup: Path, database: Path) -> Path | None:
    """Put a backup in place of the database. The backup is checked first (integrity_check);
    the current database and its -wal/-shm are moved aside (a -wal left by a crash would be
    replayed into the restored file and corrupt it); the copy is written beside the database and
    renamed into place, then checked again. Returns where the old database was kept."""
    verdict = _sqlite_check(backup)
    if verdict != "ok":
        raise click.ClickException(f"{backup} is not a sound backup ({verdict}); nothing was changed.")
    database.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    kept = None
    if database.exists():
        kept = database.with_name(f"{database.name}.before-restore-{stamp}")
    moved: list[tuple[Path, Path]] = []
    for suffix in ("", "-wal", "-shm", "-journal"):
        current = Path(f"{database}{suffix}")
        if current.exists() and kept is not None:
            aside = Path(f"{kept}{suffix}")
            os.replace(current, aside)
            moved.append((aside, current))
        elif current.exists():
            current.unlink()
    partial = private_file(database.with_name(f".{database.name}.restoring"))
    try:
        with open(backup, "rb") as src, open(partial, "wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(partial, database)
        verdict = _sqlite_check(database)
        if verdict != "ok":
            raise click.ClickException(f"the restored database fails its check ({verdict})")
    except BaseException:
        partial.unlink(missing_ok=True)
        database.unlink(missing_ok=True)
        for aside, current in moved:  # put the old database back as it was
            os.replace(aside, current)
        raise
    return kept


def restore_postgresql(backup: Path, url) -> None:
    """Replace the database's contents with a ``pos backup`` (pg_dump plain SQL, run by psql) or
    a custom-format dump (pg_restore), in one transaction: on any error nothing changes."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    conn_args = ["--host", url.host or "localhost", "--port", str(url.port or 5432),
                 "--username", url.username or "postgres", "--dbname", url.database or "postgres"]
    with open(backup, "rb") as f:
        custom = f.read(5) == b"PGDMP"
    tool = shutil.which("pg_restore" if custom else "psql")
    if not tool:
        raise click.ClickException("psql / pg_restore not found: apt-get install postgresql-client")
    if custom:
        cmd = [tool, "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
               *conn_args, str(backup)]
    else:
        cmd = [tool, "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", "--single-transaction", *conn_args,
               "-c", "DROP SCHEMA IF EXISTS public CASCADE", "-c", "CREATE SCHEMA public", "-f", str(backup)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        why = (done.stderr or done.stdout).strip()[-800:]
        raise click.ClickException(f"restore failed, nothing was changed: {why}")


def _other_pg_sessions(url) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                    "AND pid <> pg_backend_pid()")) or 0
    finally:
        engine.dispose()


@main.command("restore")
@click.argument("backup", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
@with_appcontext
def restore_command(backup: Path, yes: bool):
    """Replace the database with a backup made by `pos backup`. Stop the server and the print
    spooler first: this refuses while they run (it stops nothing itself)."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    db.session.remove()
    db.engine.dispose()  # this process lets go of the database too
    try:
        with alone(current_app.instance_path):
            if url.get_backend_name() == "postgresql" and _other_pg_sessions(url):
                raise click.ClickException("Other connections to the database are open (the server or the print "
                                           "spooler runs somewhere): stop them first. Nothing was changed.")
            if not yes:
                click.confirm(f"Replace the database {_safe_db_url()} with {backup}?", abort=True)
            if url.get_backend_name() == "sqlite":
                kept = restore_sqlite(backup, Path(url.database))
                click.echo(f"Restored {url.database} from {backup} (integrity_check: ok).")
                if kept:
                    click.echo(f"The database before the restore is kept as {kept}.")
            elif url.get_backend_name() == "postgresql":
                restore_postgresql(backup, url)
                click.echo(f"Restored {_safe_db_url()} from {backup}.")
            else:
                raise click.ClickException(f"restore does not support {url.get_backend_name()}")
            from . import stamps

            stamps.forget_all()  # people and settings are the backup's now: nothing kept is kept
    except ServerRunning:
        raise click.ClickException("The server or the print spooler is running: stop them first "
                                   "(pos restore stops nothing itself). Nothing was changed.") from None
    click.echo("Run `pos init` (it applies any newer migrations), then start the server again.")


@main.command("check")
@with_appcontext
def check_command():
    """Report the database settings that matter (WAL and synchronous on SQLite; autovacuum,
    statistics and connections on PostgreSQL; pool size against threads). Changes nothing."""
    from .dbcheck import check

    findings = check(db.engine)
    for f in findings:
        click.echo(f"{'ok ' if f.ok else 'FIX'}  {f.what}: {f.value}" + ("" if f.ok else f"  — {f.advice}"))
    if not all(f.ok for f in findings):
        raise SystemExit(1)


@main.command("print-worker")
@click.option("--once", is_flag=True, help="Print what is due, then stop.")
@click.option("--poll", type=float, default=2.0, show_default=True,
              help="Seconds between looks at the queue (a queued job wakes the spooler at once).")
@with_appcontext
def print_worker_command(once: bool, poll: float):
    """The print spooler: sends queued jobs to the printers, retries, never prints twice."""
    import logging
    import signal
    import threading

    from .printers.services import run_worker
    from .printers.wakeup import Wakeup

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    click.echo("Print spooler running (Ctrl+C to stop)")
    with running(current_app.instance_path):
        wake = Wakeup(database_url=current_app.config["SQLALCHEMY_DATABASE_URI"],
                      instance_path=current_app.instance_path)
        try:
            handled = run_worker(lambda: db.session, stop=stop, poll=poll, once=once, wake=wake)
        finally:
            wake.close()
    click.echo(f"Print spooler stopped after {handled} job(s)")


@main.group("users")
def users_group():
    """Staff accounts from the command line (the first manager, a forgotten PIN)."""


@users_group.command("list")
@with_appcontext
def users_list():
    from .staff import services

    for s in services.all_staff(db.session):
        state = "active" if s.active else "deactivated"
        click.echo(f"{s.staff_no:<8} {s.full_name:<10} {','.join(sorted(s.roles)):<24} {state}")


@users_group.command("add")
@click.option("--staff-no", required=True)
@click.option("--name", "full_name", required=True, help="Full name (goes on stamps and invoices).")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(["clerk", "cashier", "manager", "delivery"]))
@click.option("--pin", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--password", default=None, help="Required for managers (at least 8 characters).")
@with_appcontext
def users_add(staff_no, full_name, roles, pin, password):
    from .staff import services

    if "manager" in roles and not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        staff = services.create_staff(db.session, staff_no=staff_no, full_name=full_name, roles=roles,
                                      pin=pin, password=password, actor=None)
    except DomainError as e:
        db.session.rollback()
        raise click.ClickException(e.message) from None
    db.session.commit()
    click.echo(f"Added {staff.staff_no} {staff.full_name} ({', '.join(sorted(staff.roles))})")


@users_group.command("reset-pin")
@click.option("--staff-no", required=True)
@click.option("--pin", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def users_reset_pin(staff_no, pin):
    from .staff import services

    staff = services.by_number(db.session, staff_no)
    if staff is None:
        raise click.ClickException(f"No staff member {staff_no}")
    try:
        services.reset_pin(db.session, staff, pin, actor=None)
    except DomainError as e:
        db.session.rollback()
        raise click.ClickException(e.message) from None
    db.session.commit()
    click.echo(f"New PIN set for {staff.staff_no} {staff.full_name} (lock lifted)")


if __name__ == "__main__":
    main()
