"""The customer's survey page (扫码评价): public, no login, reached from the QR on the receipt."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..extensions import db
from ..staff.permissions import public
from ..web import transaction
from . import survey, visits
from .visit_models import RATINGS

bp = Blueprint("survey", __name__)


def _answer_page(token: str, status: int = 200, **extra):
    """The page for ``token``; a forged token is a 404 page that says nothing of any sale."""
    from ..errors import NotFound

    try:
        page = survey.page(db.session, token)
    except NotFound as e:
        return render_template("aftersales/survey_gone.html", message=e.message), 404
    return render_template("aftersales/survey.html", p=page, token=token, ratings=RATINGS,
                           labels=visits.RATING_LABELS, typed=extra.pop("typed", {}), **extra), status


def _refused(error):
    if error.status in (404, 429):
        return render_template("aftersales/survey_gone.html", message=error.message), error.status
    if error.status == 409:
        return render_template("aftersales/survey_done.html", message=error.message), 409
    return _answer_page(request.view_args["token"], error.status, error=error.message, field=error.field,
                        typed=request.form)


@bp.get("/s/<token>")
@public
def page(token: str):
    if survey.over_limit(db.session, request.remote_addr or ""):
        return render_template("aftersales/survey_gone.html", message=survey.TooManyTries.message_text()), 429
    return _answer_page(token)


@bp.post("/s/<token>")
@public
@transaction(refused=_refused)
def answer(token: str):
    survey.answer(db.session, token, request.form.get("rating", ""), request.form.get("comment", ""),
                  client=request.remote_addr or "")
    return render_template("aftersales/survey_done.html", message=None)
