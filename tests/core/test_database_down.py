"""The database unreachable for a moment: a clear page saying nothing was saved, and the app carries on
by itself once the database is back (no restart)."""

import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pos import create_app
from pos.extensions import db
from tests.conftest import BASE_CONFIG, login_as


def test_an_unreachable_database_answers_a_page_that_says_nothing_was_saved(tmp_path, media_dir):
    app = create_app({**BASE_CONFIG, "TESTING": False, "INSTANCE_PATH": str(tmp_path), "POS_MEDIA_DIR": str(media_dir),
                      "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/unreachable"})
    with app.app_context():
        resp = app.test_client().get("/login")
        assert resp.status_code == 500
        assert "未保存任何内容" in resp.get_data(as_text=True)  # nothing was saved: try again


@pytest.mark.pg
def test_connections_cut_by_the_database_are_replaced_without_a_restart(pg_app):
    client = pg_app.test_client()
    login_as(client, "C001")
    db.session.remove()
    assert client.get("/counter").status_code == 200
    db.session.remove()  # the request is over (on the server, its app context ends): the pool holds the connection
    url = make_url(pg_app.config["SQLALCHEMY_DATABASE_URI"])
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # the database server restarts: every connection of the app is cut
        cut = conn.execute(text("SELECT array_agg(pid) FROM pg_stat_activity WHERE datname = :d "
                                "AND pid <> pg_backend_pid()"), {"d": url.database}).scalar()
        assert cut and all(conn.execute(text("SELECT pg_terminate_backend(p) FROM unnest(:p) AS p"),
                                        {"p": cut}).scalars())
        # pg_terminate_backend only signals: wait until those server processes have said goodbye and
        # exited (as after a restart), else the socket may not yet show it and the pool rightly hands
        # the connection out unpinged — one "nothing was saved" page in the same milliseconds
        deadline = time.monotonic() + 10
        while conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:p)"), {"p": cut}).scalar():
            assert time.monotonic() < deadline, "the cut server processes did not exit"
            time.sleep(0.02)
    admin.dispose()
    assert client.get("/counter").status_code == 200  # pool_pre_ping: a fresh connection, no error page


@pytest.mark.pg
def test_a_live_connection_is_handed_out_without_a_round_trip_and_a_cut_one_is_replaced(pg_app):
    """The pool's check (pos.pgcursor.ping_when_cut): a live connection back in the pool a moment ago is
    not pinged; one that rested longer than PING_AFTER_IDLE (a database host may have gone away without
    a word) or was never handed out is; one the server cut is pinged, found cut and refused, so the pool
    makes a new one."""
    from types import SimpleNamespace

    from sqlalchemy import exc

    from pos.pgcursor import PING_AFTER_IDLE, note_checkin, ping_when_cut

    raw = db.engine.raw_connection()
    try:
        conn = raw.driver_connection
        pid = conn.info.backend_pid
        opened = []
        real_cursor = conn.cursor
        conn.cursor = lambda *a, **k: opened.append(1) or real_cursor(*a, **k)
        record = SimpleNamespace(info={})
        ping_when_cut(conn, record, None)  # never handed out before: pinged
        assert opened == [1] and not conn.autocommit
        note_checkin(conn, record)
        ping_when_cut(conn, record, None)  # back a moment ago, nothing to read: no round trip
        assert opened == [1]
        record.info["pos_checked_in"] = time.monotonic() - PING_AFTER_IDLE - 1
        ping_when_cut(conn, record, None)  # rested: pinged, and alive
        assert opened == [1, 1] and not conn.autocommit
        note_checkin(conn, record)
        url = make_url(pg_app.config["SQLALCHEMY_DATABASE_URI"])
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            assert c.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
        admin.dispose()
        time.sleep(0.2)  # the server's goodbye reaches the socket
        with pytest.raises(exc.DisconnectionError):
            ping_when_cut(conn, record, None)
        assert opened == [1, 1, 1]  # pinged, because something was there to read
    finally:
        raw.invalidate()
    assert db.session.scalar(text("SELECT 1")) == 1
