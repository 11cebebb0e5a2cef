"""The request's transaction has one owner, ``web.transaction``: it commits what a view did when
the answer is below 400, rolls it back on a refusal (a rule's DomainError, a form that did not
validate, a 4xx the view chose) or any error, answers the refusal with the view's ``refused``,
and keeps what a service asked to outlive the rollback."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import DataRequired

from pos import tx
from pos.errors import DomainError, NotFound
from pos.extensions import db
from pos.forms import CountField, Form
from pos.shop.models import Setting
from pos.staff.permissions import public
from pos.web import refuse_with, transaction, valid
from tests.helpers import count


class NoteForm(Form):
    note = StringField(validators=[DataRequired(message="Type a note.")])
    notes = CountField()


def _setting(key: str):
    return db.session.scalar(select(Setting).where(Setting.key == key))


@pytest.fixture
def views(app):
    """Routes that write a setting and then end in each way a view can end."""

    def write(key):
        db.session.add(Setting(key=key, value="x"))
        db.session.flush()

    @app.post("/t/ok/<key>")
    @public
    @transaction()
    def ok(key):
        write(key)
        return "done", 303

    @app.post("/t/refused/<key>")
    @public
    @transaction(refused=lambda e: (f"refused: {e.message}", e.status))
    def refused(key):
        write(key)
        raise NotFound("no such thing")

    @app.post("/t/form/<key>")
    @public
    @transaction(refused=refuse_with("errors/_error.html", lambda: {"title": "t", "status": 422, "message": ""}))
    def form(key):
        write(key)
        valid(NoteForm())
        return "saved"

    @app.post("/t/chosen/<key>")
    @public
    @transaction()
    def chosen(key):
        write(key)
        return "not like that", 409

    @app.post("/t/kept/<key>")
    @public
    @transaction(refused=lambda e: "refused")
    def kept(key):
        write(key)
        tx.keep_after_rollback(db.session, lambda s: write(key + ".kept"))
        raise DomainError("no")

    @app.post("/t/crash/<key>")
    @public
    @transaction()
    def crash(key):
        write(key)
        raise RuntimeError("boom")

    return app.test_client()


def test_commits_below_400(views, session):
    assert views.post("/t/ok/a").status_code == 303
    session.rollback()
    assert _setting("a") is not None


def test_a_refusal_rolls_back_and_answers_with_the_views_refusal(views, session):
    resp = views.post("/t/refused/b")
    assert resp.status_code == 404 and resp.get_data(as_text=True) == "refused: no such thing"
    session.rollback()
    assert _setting("b") is None


def test_a_form_that_does_not_validate_is_refused_at_422_nothing_saved(views, session):
    before = count(session, Setting)
    for data in ({}, {"note": "x", "notes": "²"}, {"note": "x", "notes": "-1"}, {"note": "x", "notes": "10001"}):
        resp = views.post("/t/form/c", data=data)
        assert resp.status_code == 422, data
    session.rollback()
    assert count(session, Setting) == before
    assert views.post("/t/form/c", data={"note": "x", "notes": "５"}).status_code == 200  # full-width digits count
    session.rollback()
    assert _setting("c") is not None


def test_a_4xx_the_view_chose_rolls_back(views, session):
    assert views.post("/t/chosen/d").status_code == 409
    session.rollback()
    assert _setting("d") is None


def test_what_must_outlive_the_rollback_is_kept_alone(views, session):
    assert views.post("/t/kept/e").status_code == 422
    session.rollback()
    assert _setting("e") is None and _setting("e.kept") is not None


def test_an_error_rolls_back_and_propagates(views, session, app):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert views.post("/t/crash/f").status_code == 500
    session.rollback()
    assert _setting("f") is None
