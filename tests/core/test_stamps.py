"""A worker keeps the logged-in person and the shop's settings between requests (pos.stamps), and
sees at once what another worker changed.

Two apps on one database file and one instance folder stand for two workers of ``pos serve``: the
first serves a tablet, the second is where the manager changes something. Each keeps its own."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from pos import create_app, stamps
from pos.extensions import db
from pos.shop import services as shop
from pos.staff import services as staff_services
from tests.conftest import BASE_CONFIG, CLERK, MANAGER, login_as, make_app, staff_by_no
from tests.helpers import statements


@pytest.fixture
def workers(tmp_path, template_db, media_dir):
    first = make_app(tmp_path, template_db, media_dir)
    second = create_app({**BASE_CONFIG, "INSTANCE_PATH": str(tmp_path), "POS_MEDIA_DIR": str(media_dir),
                         "DATABASE_URL": f"sqlite:///{tmp_path / 'pos.sqlite3'}"})
    yield first, second
    for app in (first, second):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _tablet(app, staff_no: str):
    client = app.test_client()
    with app.app_context():
        login_as(client, staff_no)
        db.session.remove()
    return client


def _staff_reads(app, client, path: str = "/counter"):
    """(status, statements that read the staff table) of one request."""
    with app.app_context():
        with statements() as sent:
            status = client.get(path).status_code
    return status, [s for s, _ in sent if "FROM staff" in s]


def _as_manager(app, change) -> None:
    with app.app_context():
        change(db.session, staff_by_no(MANAGER))
        db.session.commit()
        db.session.remove()


def test_the_person_is_read_once_then_kept(workers):
    first, _ = workers
    client = _tablet(first, CLERK)
    status, reads = _staff_reads(first, client)
    assert status == 200 and len(reads) == 1
    for _ in range(3):
        status, reads = _staff_reads(first, client)
        assert status == 200 and reads == []


def test_a_person_deactivated_by_another_worker_is_logged_out_at_the_next_tap(workers):
    first, second = workers
    client = _tablet(first, CLERK)
    assert _staff_reads(first, client)[0] == 200
    assert _staff_reads(first, client) == (200, [])  # kept
    _as_manager(second, lambda s, m: staff_services.deactivate(s, staff_by_no(CLERK), actor=m, reason="left"))
    status, reads = _staff_reads(first, client)
    assert status == 302 and len(reads) == 1  # read again, and no longer let in


def test_roles_changed_by_another_worker_count_at_the_next_tap(workers):
    first, second = workers
    client = _tablet(first, CLERK)
    assert _staff_reads(first, client, "/cashier")[0] == 403  # a clerk does not take payments
    assert _staff_reads(first, client, "/cashier")[1] == []
    _as_manager(second, lambda s, m: staff_services.change_roles(s, staff_by_no(CLERK), ["clerk", "cashier"],
                                                                 actor=m))
    assert _staff_reads(first, client, "/cashier")[0] == 200


def test_logging_out_everywhere_ends_a_kept_session(workers):
    first, second = workers
    client = _tablet(first, CLERK)
    assert _staff_reads(first, client)[0] == 200
    assert _staff_reads(first, client) == (200, [])
    # the tablet switched to someone else on another worker: a Core UPDATE of the generation
    _as_manager(second, lambda s, m: staff_services.end_sessions(s, staff_by_no(CLERK)))
    assert _staff_reads(first, client)[0] == 302


def test_a_setting_changed_by_another_worker_is_read_at_the_next_transaction(workers):
    first, second = workers
    with first.app_context():
        assert shop.get_setting(db.session, "discount_limit.clerk") == "10"
        db.session.commit()
        with statements() as sent:
            assert shop.get_setting(db.session, "discount_limit.clerk") == "10"  # kept: no statement
        assert not [s for s, _ in sent if "setting" in s]
        db.session.commit()
    with second.app_context():
        shop.set_setting(db.session, "discount_limit.clerk", "15")
        db.session.commit()
    with first.app_context():
        assert shop.get_setting(db.session, "discount_limit.clerk") == "15"


def test_the_spoolers_heartbeat_does_not_drop_the_kept_settings(workers, monkeypatch):
    first, _ = workers
    from pos.printers import services as printers

    with first.app_context():
        shop.get_setting(db.session, "invoice.vat")
        db.session.commit()
        before = stamps.read("settings")
        printers.heartbeat(db.session)
        db.session.commit()
        assert stamps.read("settings") == before


def test_the_stamp_is_written_after_the_commit_not_at_a_savepoint(app):
    session = db.session
    clerk = staff_by_no(CLERK)
    before = stamps.read("staff")
    nested = session.begin_nested()
    clerk.full_name = "改名"
    session.flush()
    nested.commit()  # the savepoint released: nothing committed yet
    assert stamps.read("staff") == before
    session.commit()
    after = stamps.read("staff")
    assert after != before
    clerk.full_name = "又改名"
    session.flush()
    session.rollback()  # undone: nobody needs to read again
    assert stamps.read("staff") == after


def test_a_change_behind_the_apps_back_is_seen_after_the_ttl(workers, monkeypatch):
    first, _ = workers
    client = _tablet(first, CLERK)
    assert _staff_reads(first, client)[0] == 200
    with first.app_context():
        db.session.execute(text("UPDATE staff SET active = 0 WHERE staff_no = :n"), {"n": CLERK})  # no stamp
        db.session.commit()
    assert _staff_reads(first, client)[0] == 200  # kept: the change is not seen yet
    monkeypatch.setattr(stamps, "TTL", 0.0)
    assert _staff_reads(first, client)[0] == 302


def test_a_day_signed_off_by_another_worker_shows_at_the_next_page(workers):
    """The banner's "is today signed off" is kept (only to show it: work into the day asks the database
    under the day's lock, tests/pg/test_pg_races.py); a sign-off made elsewhere shows at once."""
    from pos.shop.models import DaySignOff

    first, second = workers
    with first.app_context():
        assert shop.frozen_today(db.session, hold=False) is None
        db.session.commit()
        with statements() as sent:
            assert shop.frozen_today(db.session, hold=False) is None  # kept: no statement
        assert not [s for s, _ in sent if "day_sign_off" in s]
        db.session.commit()
    with second.app_context():
        db.session.add(DaySignOff(day=shop.business_today(db.session), signed_by_id=staff_by_no(MANAGER).id))
        db.session.commit()
    with first.app_context():
        frozen = shop.frozen_today(db.session, hold=False)
        assert frozen is not None and frozen.signed_by == staff_by_no(MANAGER).full_name


def test_the_shop_name_on_receipts_and_pages_follows_a_renamed_showroom(workers):
    from pos.shop.models import Showroom

    first, second = workers
    client = _tablet(first, CLERK)
    with first.app_context():
        before = shop.shop_name(db.session)
        assert before and before in client.get("/counter").get_data(as_text=True)  # the page's header
        db.session.commit()
    with second.app_context():
        db.session.scalar(db.select(Showroom).order_by(Showroom.id)).name = "新名字展厅"
        db.session.commit()
    with first.app_context():
        assert shop.shop_name(db.session) == "新名字展厅"
        assert "新名字展厅" in client.get("/counter").get_data(as_text=True)  # receipts and header alike


def test_a_stamp_that_cannot_be_read_or_written_keeps_nothing_and_refuses_nothing(workers, caplog):
    """A stamp the server cannot read or write (here a folder in its place): every request reads the
    person again, as before stamps, and a change is committed all the same."""
    from pathlib import Path

    first, second = workers
    (Path(first.instance_path) / "staff.stamp").mkdir()
    client = _tablet(first, CLERK)
    for _ in range(2):
        status, reads = _staff_reads(first, client)
        assert status == 200 and len(reads) == 1  # nothing kept
    _as_manager(second, lambda s, m: staff_services.deactivate(s, staff_by_no(CLERK), actor=m, reason="left"))
    assert "cannot write" in caplog.text
    assert _staff_reads(first, client)[0] == 302


def test_a_value_read_from_an_older_snapshot_is_not_kept_under_a_newer_token(workers):
    """SQLite: a transaction sees the database as it was at its first read. A setting changed by another
    worker after that read, but before this transaction asks for the settings, is read old — and must
    be kept under the token this transaction began with, so the next transaction reads it again."""
    from pos.sales.models import Voucher

    first, second = workers
    with first.app_context():
        db.session.execute(db.select(Voucher.id).limit(1)).all()  # the snapshot is taken here
        with second.app_context():
            shop.set_setting(db.session, "discount_limit.clerk", "15")
            db.session.commit()
        assert shop.get_setting(db.session, "discount_limit.clerk") == "10"  # this snapshot's value
        db.session.commit()
        assert shop.get_setting(db.session, "discount_limit.clerk") == "15"  # not kept as "10"


def test_the_signed_off_banner_is_read_again_when_the_day_boundary_changes(workers):
    from pos.shop.models import DaySignOff

    first, second = workers
    with second.app_context():
        db.session.add(DaySignOff(day=shop.business_today(db.session), signed_by_id=staff_by_no(MANAGER).id))
        db.session.commit()
    with first.app_context():
        before = shop.frozen_today(db.session, hold=False).next_starts
        db.session.commit()
    with second.app_context():
        shop.set_setting(db.session, "day.boundary", "06:00")
        db.session.commit()
    with first.app_context():
        after = shop.frozen_today(db.session, hold=False).next_starts
        assert (after - before).total_seconds() == 2 * 3600
