"""PostgreSQL: the spooler LISTENs; a queued job's transaction NOTIFYs at commit."""

import pytest

from tests.printers.test_wakeup import _time_to_print

pytestmark = pytest.mark.pg


def test_a_queued_job_wakes_the_spooler_on_postgresql(pg_app):
    from pos.extensions import db

    took = _time_to_print(pg_app, db.session)
    assert took < 0.5, took
