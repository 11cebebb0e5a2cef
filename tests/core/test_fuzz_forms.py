"""Fuzz every form (SQLite): each POST route in the url_map is posted, as a member of staff who
holds its role, values of the wrong type, size and script — NUL and control bytes, full-width,
Arabic-Indic and Devanagari digits, superscripts, huge and negative numbers, NaN, 10,000
characters, emoji — in its fields and its URL. No answer is a 5xx; a 4xx saves no row.
The examples are bounded (derandomized, so a run is repeatable) to keep the run well under two
minutes; tests/pg/test_pg_fuzz.py runs the same on PostgreSQL."""

from __future__ import annotations

import pytest

from pos import create_app
from tests.conftest import BASE_CONFIG, login_as, make_app
from tests.core.fuzz_forms import fuzz_get, fuzz_route, get_routes, history, known_rows, post_routes

EXAMPLES = 6


def _routes():
    app = create_app({**BASE_CONFIG, "DATABASE_URL": "sqlite://", "INSTANCE_PATH": "/tmp/pos-fuzz-routes"})
    return [(r.rule, r.endpoint) for r in post_routes(app)], [(r.rule, r.endpoint) for r in get_routes(app)]


ROUTES, GET_ROUTES = _routes()
GET_EXAMPLES = 3


@pytest.fixture(scope="module")
def fuzzed_shop(tmp_path_factory, template_db, media_dir):
    """One shop for every route (set up once: the run stays well under two minutes): an open shift,
    a paid voucher for a known customer and a written-up one; the fuzzing then adds what it adds."""
    from pos.extensions import db

    app = make_app(tmp_path_factory.mktemp("fuzz"), template_db, media_dir)
    with app.app_context():
        history(db.session)
        known = known_rows(db.session)
        yield app, app.test_client(), known
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize(("rule", "endpoint"), ROUTES, ids=[r for r, _e in ROUTES])
def test_no_form_answers_5xx_or_saves_on_refusal(fuzzed_shop, rule, endpoint):
    app, client, (ids_by_arg, text_by_arg) = fuzzed_shop
    rule_obj = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and r.rule == rule)
    fuzz_route(app, client, rule_obj, examples=EXAMPLES, known_ids=ids_by_arg, known_text=text_by_arg,
               login=lambda c, staff_no: login_as(c, staff_no) if staff_no else None)


@pytest.mark.parametrize(("rule", "endpoint"), GET_ROUTES, ids=[r for r, _e in GET_ROUTES])
def test_no_page_answers_5xx_or_writes(fuzzed_shop, rule, endpoint):
    """The query arguments too (page=10^20, day=9999-12-31, showroom=², a NUL in a search), and a GET
    never writes."""
    app, client, (ids_by_arg, text_by_arg) = fuzzed_shop
    rule_obj = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and r.rule == rule)
    fuzz_get(app, client, rule_obj, examples=GET_EXAMPLES, known_ids=ids_by_arg, known_text=text_by_arg,
             login=lambda c, staff_no: login_as(c, staff_no) if staff_no else None)


def test_every_post_route_is_fuzzed():
    assert len(ROUTES) >= 60
