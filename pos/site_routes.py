"""Routes that belong to no shop domain: the health check and media files."""

from __future__ import annotations

from flask import Blueprint, current_app, send_from_directory
from sqlalchemy import text

from .extensions import db
from .staff.permissions import any_staff, public

bp = Blueprint("site", __name__)


@bp.get("/healthz")
@public
def healthz():
    """For `make run` and monitoring: answers 200 when the database answers."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.get("/media/<path:filename>")
@any_staff
def media(filename: str):
    """Product pictures and other uploaded files (below ``POS_MEDIA_DIR``)."""
    return send_from_directory(current_app.config["POS_MEDIA_DIR"], filename, max_age=3600)
