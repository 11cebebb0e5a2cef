"""Small helpers every blueprint uses: htmx-aware redirects and error answers."""

from __future__ import annotations

from flask import redirect, render_template
from flask_htmx import make_response as htmx_response

from .extensions import htmx


def go(url: str, *, status: int = 303):
    """Send the browser to ``url``: an ``HX-Redirect`` for htmx, else a 303."""
    if htmx:
        return htmx_response("", redirect=url)
    return redirect(url, code=status)


def form_errors(form) -> list[str]:
    """WTForms errors as a flat list of messages (already translated)."""
    out: list[str] = []
    for field_errors in form.errors.values():
        for message in field_errors:
            out.append(str(message))
    return out


def panel(template: str, status: int = 200, **context):
    """Render a page, or only its panel when htmx asked (templates check ``partial``)."""
    return render_template(template, partial=bool(htmx), **context), status


def pdf_response(template: str, filename: str, **context):
    """Render a print template (templates/print/) to PDF with WeasyPrint, shown inline."""
    from flask import make_response, request

    from printing.pdf import html_to_pdf

    html = render_template(template, **context)
    response = make_response(html_to_pdf(html, base_url=request.url_root))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def day_arg(name: str, errors: list[str]):
    """A YYYY-MM-DD query argument as a date (None when absent); a bad one adds a message to ``errors``."""
    from datetime import date

    from flask import request
    from flask_babel import gettext as _

    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(_("Not a date: %(value)s (use YYYY-MM-DD).", value=raw[:20]))
        return None


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(stream, filename: str):
    """An Excel workbook (a stream) as a download."""
    from flask import send_file

    return send_file(stream, as_attachment=True, download_name=filename, mimetype=XLSX)


def transaction(refused=None):
    """The request's transaction has one owner: this decorator (as Indico's request handler).

    It runs the view; when the view returns a response below 400 it commits, otherwise (a 4xx
    the view chose, e.g. a form that did not validate) it rolls back. On a ``DomainError`` it
    rolls back and answers ``refused(error)`` — the same panel with the input kept and the
    message, at the error's status unless ``refused`` returns ``(body, status)`` itself; without
    ``refused`` the app's error page answers. Any other exception rolls back and propagates.
    After a rollback, facts a service kept with ``pos.tx.keep_after_rollback`` (a failed PIN
    attempt) are written in a transaction of their own. Views never commit or roll back.
    """
    import functools

    from flask import current_app

    from . import tx
    from .errors import DomainError
    from .extensions import db

    def decorate(view):
        @functools.wraps(view)
        def run(*args, **kwargs):
            try:
                rv = view(*args, **kwargs)
            except DomainError as e:
                tx.rollback(db.session)
                if refused is None:
                    raise
                answer = refused(e)
                if not isinstance(answer, tuple):
                    answer = (answer, e.status)
                return current_app.make_response(answer)
            except BaseException:
                tx.rollback(db.session)
                raise
            response = current_app.make_response(rv)
            if response.status_code < 400:
                tx.commit(db.session)
            else:
                tx.rollback(db.session)
            return response

        return run

    return decorate


def attempt(change, refused):
    """Run a rule that changes data, in the request's transaction, and commit it. If the rule refuses
    (``DomainError``), roll back and answer ``refused(error)`` — the screen again with the message and
    a 4xx. Returns ``(result, None)`` or ``(None, response)``."""
    from .errors import DomainError
    from .extensions import db

    try:
        result = change()
    except DomainError as e:
        db.session.rollback()
        return None, refused(e)
    db.session.commit()
    return result, None
