"""Test fixtures: a fresh database per test (copied from one migrated template with
the demo data), a Flask test client, logins, and PostgreSQL databases made and
dropped by the tests themselves."""

from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from pos import create_app
from pos.catalog.models import Product
from pos.extensions import db
from pos.sales import services as sales
from pos.shop.models import Station

FAST_HASH = "pbkdf2:sha256:1000"  # tests only: the app's default is scrypt
PG_URL = os.environ.get("POS_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "POS_HASH_METHOD": FAST_HASH,
    "WTF_CSRF_ENABLED": False,
}


def _upgrade(app) -> None:
    from pos.cli import upgrade_database

    with app.app_context():
        upgrade_database()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory, media_dir) -> Path:
    """One SQLite database migrated with Alembic and filled with the demo data."""
    from pos.demo import load_demo

    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.sqlite3"
    app = create_app({**BASE_CONFIG, "INSTANCE_PATH": str(folder), "DATABASE_URL": f"sqlite:///{path}",
                      "POS_MEDIA_DIR": str(media_dir)})
    _upgrade(app)
    with app.app_context():
        load_demo(db.session)
        db.session.commit()
        db.engine.dispose()
    return path


def make_app(tmp_path: Path, template_db: Path, media_dir: Path, **config):
    path = tmp_path / "pos.sqlite3"
    shutil.copyfile(template_db, path)
    return create_app({**BASE_CONFIG, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{path}",
                       "POS_MEDIA_DIR": str(media_dir), **config})


@pytest.fixture
def app(tmp_path, template_db, media_dir):
    app = make_app(tmp_path, template_db, media_dir)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


def staff_by_no(staff_no: str):
    from pos.staff import services

    staff = services.by_number(db.session, staff_no)
    assert staff is not None, staff_no
    return staff


def login_as(client, staff_no: str) -> None:
    """Log a test client in as a member of staff (skipping the keypad)."""
    staff = staff_by_no(staff_no)
    with client.session_transaction() as sess:
        sess["_user_id"] = staff.get_id()
        sess["_fresh"] = True


# ------------------------------------------------------------------ the demo staff (see pos/demo.py)
CLERK, CASHIER, MANAGER, DRIVER = "C001", "S001", "M001", "D001"


def _demo_staff(name: str, staff_no: str):
    """A fixture giving one of the demo staff as a Staff row."""

    @pytest.fixture(name=name)
    def fixture(app):
        return staff_by_no(staff_no)

    fixture.__doc__ = f"The demo {name} ({staff_no}), a Staff row."
    return fixture


# ``cashier`` is the logged-in cash desk in some test modules: the person is ``cashier_staff``
clerk, cashier_staff, manager, driver = (_demo_staff("clerk", CLERK), _demo_staff("cashier_staff", CASHIER),
                                         _demo_staff("manager", MANAGER), _demo_staff("driver", DRIVER))


@pytest.fixture
def as_manager(client):
    login_as(client, MANAGER)
    return client


@pytest.fixture
def as_clerk(client):
    login_as(client, CLERK)
    return client


@pytest.fixture
def as_cashier(client):
    login_as(client, CASHIER)
    return client


# ------------------------------------------------------------------ PostgreSQL
def _pg_admin_engine():
    return create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT", pool_pre_ping=True)


@contextmanager
def _pg_database(template: str | None = None):
    """A PostgreSQL database of its own (a copy of ``template`` if given), dropped afterwards."""
    name = f"pos_test_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    url = make_url(PG_URL).set(database=name)
    try:
        yield name, url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def pg_database_url():
    """A PostgreSQL database of its own, created for the test and dropped after it."""
    with _pg_database() as (_name, url):
        yield url


@pytest.fixture(scope="session")
def pg_template(tmp_path_factory, media_dir):
    """One PostgreSQL database migrated and filled with the demo data, made once per run; each
    test's database is a copy of it (CREATE DATABASE … TEMPLATE: a fraction of a second, where
    migrating and loading took seconds)."""
    from pos.demo import load_demo

    with _pg_database() as (name, url):
        app = create_app({**BASE_CONFIG, "INSTANCE_PATH": str(tmp_path_factory.mktemp("pg-template")),
                          "DATABASE_URL": url, "POS_MEDIA_DIR": str(media_dir)})
        _upgrade(app)
        with app.app_context():
            load_demo(db.session)
            db.session.commit()
            db.session.remove()
            db.engine.dispose()  # a template must have no connections when it is copied
        yield name


@pytest.fixture
def pg_app(tmp_path, pg_database_url, pg_template, media_dir):
    """The app on a fresh PostgreSQL database, migrated, with the demo data: the test's own database
    (``pg_database_url``) made again as a copy of the template."""
    name = make_url(pg_database_url).database
    admin = _pg_admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    admin.dispose()
    app = create_app({**BASE_CONFIG, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": pg_database_url,
                      "POS_MEDIA_DIR": str(media_dir)})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def english(app):
    """Service-level tests read the rule messages in English (web tests check the Chinese)."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield


# ------------------------------------------------------------------ the cash desk (shared by cashier, printers,
# invoicing tests)


@pytest.fixture
def station(session):
    return session.scalar(select(Station).where(Station.code == "T1"))


@pytest.fixture
def write_up(session):
    """Write up a voucher for a given total-ish: one product at a chosen unit price (through the
    sales rules: draft, line, customer when a phone is given, write-up)."""

    def make(price="168.00", qty="1", clerk_no=MANAGER, customer_phone=None):
        clerk = staff_by_no(clerk_no)
        product = session.scalar(select(Product).where(Product.list_price > 1000).order_by(Product.id).limit(1))
        v = sales.open_draft(session, clerk)
        sales.add_line(session, v, product.id, qty, price, actor=clerk)  # the manager may price freely
        if customer_phone:
            sales.set_customer(session, v, phone=customer_phone, actor=clerk)
        sales.write_up(session, v, actor=clerk)
        session.commit()
        return v

    return make


@pytest.fixture
def paid(session, write_up, open_shift):
    """A paid voucher (cash at the demo cashier's open shift), by default for the demo customer
    with phone 13800138001 (周先生); made through the rules, as the shop would make it."""
    from pos.cashier import services as cashier

    open_shift()

    def make(price="1130.00", qty="1", customer_phone="13800138001", once=None):
        v = write_up(price, qty, customer_phone=customer_phone)
        cashier.take_payment(session, v.no, cashier=staff_by_no(CASHIER), once_key=once or f"k-{v.no}",
                             plain_cash=str(v.total))
        session.commit()
        return v

    return make


@pytest.fixture
def open_shift(session, station):
    from pos.cashier import services

    def make(cashier_no=CASHIER, counts=None, station_obj=None):
        shift = services.open_shift(session, cashier=staff_by_no(cashier_no),
                                    station_id=(station_obj or station).id, counts=counts or {10000: 2, 1000: 5})
        session.commit()
        return shift

    return make


@pytest.fixture(autouse=True)
def _fresh_pin_memory():
    """Each test starts with no PIN remembered as checked (pos.staff.services._VERIFIED is per
    process; the tests' staff share their PIN hashes, so one test's login would spare the next its
    hash — and the tests that watch the hash being computed would not see it)."""
    from pos.staff import services as staff_services

    staff_services._VERIFIED.clear()
    yield
