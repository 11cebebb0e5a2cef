"""The `pos` command: init, demo (idempotent), users, backup (and restoring one)."""

import sqlite3

from click.testing import CliRunner
from sqlalchemy import func, select

from pos import create_app
from pos.catalog.models import Product
from pos.cli import main
from pos.extensions import db
from pos.staff.models import Staff
from tests.conftest import BASE_CONFIG


def run(args, env, input=None):
    result = CliRunner().invoke(main, args, env=env, input=input, catch_exceptions=False)
    return result


def test_init_demo_users_backup_restore(tmp_path, monkeypatch):
    env = {"POS_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "POS_MEDIA_DIR": str(tmp_path / "media")}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert run(["init"], env).exit_code == 0
    result = run(["demo"], env)
    assert result.exit_code == 0, result.output
    assert "PIN 9001" in result.output and "王建国" in result.output
    again = run(["demo"], env)  # idempotent: nothing added twice
    assert "products +0" in again.output and "staff +0" in again.output
    assert "not loaded" in run(["demo", "--if-empty"], env).output

    result = run(["users", "add", "--staff-no", "C050", "--name", "新来的", "--role", "clerk", "--pin", "4444"], env)
    assert result.exit_code == 0 and "C050" in result.output
    result = run(["users", "add", "--staff-no", "C051", "--name", "坏PIN", "--role", "clerk", "--pin", "12"], env)
    assert result.exit_code != 0 and "4 to 6" in result.output or "4 到 6" in result.output
    assert "C050" in run(["users", "list"], env).output
    assert run(["users", "reset-pin", "--staff-no", "C050", "--pin", "5555"], env).exit_code == 0

    result = run(["backup", "--dir", str(tmp_path / "bk")], env)
    assert result.exit_code == 0, result.output
    backup = next((tmp_path / "bk").glob("pos-*.sqlite3"))
    # restore: the backup is a complete database the app can run on
    with sqlite3.connect(backup) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    app = create_app({**BASE_CONFIG, "INSTANCE_PATH": str(tmp_path / "restored"), "DATABASE_URL": f"sqlite:///{backup}"})
    with app.app_context():
        assert db.session.scalar(select(func.count(Product.id))) >= 200
        assert db.session.scalar(select(Staff.full_name).where(Staff.staff_no == "C050")) == "新来的"
        db.engine.dispose()


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    a = create_app({"INSTANCE_PATH": str(tmp_path)})
    b = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert a.config["SECRET_KEY"] == b.config["SECRET_KEY"]
    assert len(a.config["SECRET_KEY"]) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    other = create_app({"INSTANCE_PATH": str(tmp_path / "other")})
    assert other.config["SECRET_KEY"] != a.config["SECRET_KEY"]


def test_defaults_work_with_no_settings(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "POS_LOCALE", "POS_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'pos.sqlite3'}"
    assert app.config["POS_LOCALE"] == "zh_CN" and app.config["POS_TIMEZONE"] == "Asia/Shanghai"


def test_postgres_urls_use_psycopg3(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "postgresql://u@h/d", "SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_lan_addresses_are_not_loopback():
    from pos.cli import lan_addresses

    assert all(not a.startswith("127.") for a in lan_addresses())


def test_demo_points_the_receipt_survey_at_this_machine(tmp_path, monkeypatch):
    """`make run` prints receipts with the satisfaction-survey QR: the demo sets the LAN address (and
    the port) when none is set, and leaves an address the manager set alone."""
    import pos.cli

    env = {"POS_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "POS_MEDIA_DIR": str(tmp_path / "media"),
           "POS_PORT": "8123"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(pos.cli, "lan_addresses", lambda: ["192.168.1.10"])
    assert run(["init"], env).exit_code == 0
    result = run(["demo"], env)
    assert "http://192.168.1.10:8123" in result.output, result.output
    monkeypatch.setattr(pos.cli, "lan_addresses", lambda: ["10.0.0.9"])
    again = run(["demo"], env)
    assert "10.0.0.9" not in again.output
    with sqlite3.connect(tmp_path / "pos.sqlite3") as conn:
        value = conn.execute("SELECT value FROM setting WHERE key = 'aftersales.survey_base_url'").fetchone()[0]
    assert value == "http://192.168.1.10:8123"


def test_the_server_compiles_every_template_before_forking_its_workers(tmp_path):
    """`pos serve` warms gunicorn's master: every template compiled once there (the workers share
    them), and no database connection opened (it would cross the fork)."""
    import gc

    from pos.cli import warm_before_fork

    app = create_app({**BASE_CONFIG, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"})
    with app.app_context():
        engine = db.engine
    names = [n for n in app.jinja_env.list_templates() if n.endswith(".html")]
    assert len(names) > 100
    thresholds = gc.get_threshold()
    try:
        warm_before_fork(app)
    finally:  # the rest of the suite runs with the interpreter's own collector settings
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    cached = {key[1] for key in app.jinja_env.cache.keys()}
    assert set(names) <= cached
    assert engine.pool.checkedout() == 0 and engine.pool.checkedin() == 0


def test_what_lives_as_long_as_the_process_is_kept_from_the_garbage_collector(tmp_path, monkeypatch):
    """Before the fork and after a worker's first requests, the heap is frozen (``gc.freeze``): the
    collector no longer walks the modules, templates and compiled statements at every full collection."""
    import gc
    import itertools

    from pos import cli

    app = create_app({**BASE_CONFIG, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"})
    thresholds = gc.get_threshold()
    try:
        gc.unfreeze()
        cli.warm_before_fork(app)
        assert gc.get_freeze_count() > 50_000
        assert gc.get_threshold() == cli.GC_THRESHOLDS and cli.GC_THRESHOLDS[0] > 700  # CPython's default
        gc.unfreeze()
        monkeypatch.setattr(cli, "_served", itertools.count(1))
        for _ in range(cli.WARM_REQUESTS - 1):
            cli._freeze_when_warm(None, None, {}, None)
        assert gc.get_freeze_count() == 0
        cli._freeze_when_warm(None, None, {}, None)  # the worker's 300th request
        assert gc.get_freeze_count() > 50_000
        cli._freeze_when_warm(None, None, {}, None)
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_the_access_log_is_written_only_when_asked(monkeypatch):
    """A line a request cost ≈ 0.2 ms of CPU (≈ 3.5 ms a sale): off unless POS_ACCESS_LOG=1; every
    setting is one gunicorn knows."""
    from gunicorn.config import Config

    from pos.cli import server_settings

    monkeypatch.delenv("POS_ACCESS_LOG", raising=False)
    quiet = server_settings("127.0.0.1", 8000, 2, 2)
    assert "accesslog" not in quiet and quiet["worker_class"] == "gthread"
    monkeypatch.setenv("POS_ACCESS_LOG", "1")
    logged = server_settings("127.0.0.1", 8000, 2, 2)
    assert logged["accesslog"] == "-"
    cfg = Config()
    for name, value in logged.items():
        cfg.set(name, value)  # an unknown name raises
    assert cfg.accesslog == "-" and cfg.workers == 2
