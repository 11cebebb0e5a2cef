"""The app's psycopg cursor makes ``description`` only when it is read (pos/pgcursor.py)."""

import psycopg
import pytest
from sqlalchemy import select, text

from pos.extensions import db
from pos.pgcursor import LazyDescription, LazyDescriptionCursor
from pos.staff.models import Staff
from tests.conftest import PG_URL

pytestmark = pytest.mark.pg

DSN = PG_URL.replace("postgresql+psycopg://", "postgresql://")


def test_description_is_psycopgs_own_when_read():
    with psycopg.connect(DSN) as plain, psycopg.connect(DSN, cursor_factory=LazyDescriptionCursor) as lazy:
        sql = "SELECT 1::int AS n, 'x'::varchar(5) AS s, now() AS t, 2.5::numeric(6, 2) AS m"
        want = plain.cursor().execute(sql).description
        cur = lazy.cursor()
        got = cur.execute(sql).description
        assert isinstance(got, LazyDescription) and len(got) == 4 and got._columns is None  # nothing made yet
        assert [tuple(c) for c in got] == [tuple(c) for c in want]
        assert [c.name for c in got] == ["n", "s", "t", "m"] and got[1].type_code == want[1].type_code
        assert [c.name for c in got[-2:]] == ["t", "m"]  # slices, as SQLAlchemy takes the sentinel columns
        # the description of a statement stays its own after the cursor runs another
        first = cur.execute("SELECT 1 AS a, 2 AS b").description
        cur.execute("SELECT 'z' AS only_one")
        assert [c.name for c in first] == ["a", "b"]
        # no result: None, as psycopg says; a result of no columns: an empty description
        assert cur.execute("SET LOCAL work_mem = '4MB'").description is None
        empty = cur.execute("SELECT").description
        assert empty is not None and len(empty) == 0 and list(empty) == []


def test_the_app_reads_through_it(pg_app):
    conn = db.session.connection().connection.dbapi_connection
    assert conn.cursor_factory is LazyDescriptionCursor
    # ORM rows (cached statements, the description unread) and a textual statement (read by name)
    assert db.session.scalar(select(Staff).where(Staff.staff_no == "M001")).staff_no == "M001"
    row = db.session.execute(text("SELECT staff_no AS no, full_name FROM staff WHERE staff_no = 'M001'")).one()
    assert row.no == "M001" and row._mapping["full_name"]
