"""Fuzz every form on PostgreSQL (tests/core/test_fuzz_forms.py runs it on SQLite): PostgreSQL
refuses what SQLite stores (a NUL in text, a string longer than its column, an integer beyond
BIGINT), so each POST route is posted its hostile values again here, as its rightful role, on one
migrated database with the demo data: no 5xx, and a 4xx saves no row. Bounded examples (derandomized)
keep it well under two minutes."""

from __future__ import annotations

import pytest

from pos.extensions import db
from tests.conftest import login_as
from tests.core.fuzz_forms import fuzz_get, fuzz_route, get_routes, history, known_rows, post_routes

pytestmark = pytest.mark.pg

EXAMPLES = 3


def test_no_form_answers_5xx_or_saves_on_refusal_on_postgresql(pg_app):
    history(db.session)
    ids_by_arg, text_by_arg = known_rows(db.session)
    client = pg_app.test_client()
    routes = post_routes(pg_app)
    assert len(routes) >= 60
    failures = []
    for rule in routes:
        try:
            fuzz_route(pg_app, client, rule, examples=EXAMPLES, known_ids=ids_by_arg, known_text=text_by_arg,
                       login=lambda c, staff_no: login_as(c, staff_no) if staff_no else None)
        except AssertionError as e:  # go on with the other routes, then report them all
            failures.append(f"{rule.rule}: {str(e)[:1500]}")
            db.session.rollback()
    for rule in get_routes(pg_app):  # the query arguments too; and a GET never writes
        try:
            fuzz_get(pg_app, client, rule, examples=2, known_ids=ids_by_arg, known_text=text_by_arg,
                     login=lambda c, staff_no: login_as(c, staff_no) if staff_no else None)
        except AssertionError as e:
            failures.append(f"GET {rule.rule}: {str(e)[:1500]}")
            db.session.rollback()
    assert not failures, "\n\n".join(failures)
