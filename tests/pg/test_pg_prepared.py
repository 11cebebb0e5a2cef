"""PostgreSQL keeps the app's statements prepared (parsed and planned once a connection), except those
whose plan depends on their values; a GET's transaction is read-only and ends with COMMIT, because
psycopg forgets every prepared statement at a ROLLBACK (pos/__init__.py ``_start_request``,
pos/pgcursor.py, pos/sqlhints.py)."""

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from pos import _end_read, _start_request
from pos.catalog import services as catalog
from pos.extensions import db
from pos.pgcursor import PREPARED_MAX
from pos.staff.models import Staff
from tests.conftest import login_as

pytestmark = pytest.mark.pg


def _prepared(like: str) -> int:
    return db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE :s"),
                             {"s": like})


def test_gets_keep_the_statements_prepared_and_writes_go_on(pg_app):
    client = pg_app.test_client()
    login_as(client, "C001")
    db.session.commit()
    for _ in range(7):  # prepared after its fifth run on the connection
        assert client.get("/counter").status_code == 200
        assert not db.session().in_transaction()  # the GET's transaction was ended (by COMMIT)
    assert _prepared("SELECT voucher.id%") >= 1  # the clerk's open voucher, read by every counter page
    conn = db.session.connection().connection.dbapi_connection
    assert conn.prepared_max == PREPARED_MAX
    assert conn.read_only is False  # the read-only GETs left the connection as it was: it writes
    db.session.execute(text("UPDATE staff SET full_name = full_name || '' WHERE staff_no = 'C001'"))
    db.session.commit()


def test_a_get_may_not_write(pg_app):
    db.session.commit()
    with pg_app.test_request_context("/counter", method="GET"):
        _start_request()
        with pytest.raises(DBAPIError, match="read-only transaction"):
            db.session.execute(text("UPDATE staff SET full_name = full_name || '' WHERE staff_no = 'C001'"))
        db.session.rollback()


@pytest.mark.parametrize("failure", ["SELECT 1 / 0", "SELECT pg_terminate_backend(pg_backend_pid())"])
def test_a_get_whose_read_failed_ends_without_an_error_of_its_own(pg_app, failure):
    """A statement of a GET failed (a wrong read; the connection cut by a database restart) and the page
    said so: the end of the request raises nothing of its own, and the next request starts clean."""
    db.session.commit()
    with pg_app.test_request_context("/counter", method="GET"):
        _start_request()
        with pytest.raises(DBAPIError):
            db.session.execute(text(failure))
        _end_read(None)
        assert not db.session().in_transaction()
    assert db.session.scalar(text("SELECT 1")) == 1


def test_the_catalog_search_is_planned_for_its_words_each_time(pg_app):
    session = db.session
    for _ in range(8):
        found = catalog.search_products(session, "海尔 冰箱").products
        assert found and all("海尔" in p.name and "冰箱" in p.name for p in found)
        session.scalars(select(Staff).where(Staff.staff_no == "C001")).one()
    assert _prepared("%plainto_tsquery%") == 0  # the search, never prepared
    assert _prepared("SELECT staff.id%staff.staff_no = $1%") == 1
