"""Small helpers every blueprint uses: htmx-aware redirects and error answers."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import Blueprint, g, redirect, render_template
from flask_babel import gettext as _
from flask_htmx import make_response as htmx_response

from .errors import DomainError
from .extensions import htmx


def go(url: str, *, status: int = 303):
    """Send the browser to ``url``: an ``HX-Redirect`` for htmx, else a 303."""
    if htmx:
        return htmx_response("", redirect=url)
    return redirect(url, code=status)


class ShowAfterCommit:
    """A form's answer that is the page of what it made (see :func:`show`)."""

    def __init__(self, url: str, render: Callable) -> None:
        self.url, self.render = url, render


def show(url: str, render: Callable):
    """Answer a form (a plain POST, not htmx) with the page at ``url`` — made by ``render()`` once the
    request's transaction has committed (:func:`transaction`) — instead of a 303 that sends the browser
    to fetch it: one round trip where there were two, and the page drawn from the objects the view has
    just written instead of reading them again. The answer carries ``Content-Location: url``, and the
    page puts ``url`` into the address bar (static/js/app.js, ``data-url``), so that reloading it asks
    for the page (a GET), not the form again; the back button leads where it led after a redirect.
    An htmx request is sent there as :func:`go` does."""
    return go(url) if htmx else ShowAfterCommit(url, render)


def address_bar(url: str) -> None:
    """The page answered to this POST puts ``url`` into the address bar (base.html's ``data-url``, app.js),
    so that a reload asks for that page (a GET), not the form again: the page of what a form made
    (:func:`show`), or the page a refused plain form answers with."""
    g.pos_shown_url = url


def template_globals(bp: Blueprint, **values) -> None:
    """Names every template may use (a module's labels and helpers), put into the app's Jinja globals
    once, when the blueprint is registered. A context processor would make its dictionary again for
    every page rendered and merge it into the page's context (≈ 14 of them, ≈ 13 renders a sale).
    What changes with the request (the reader's language, the user) stays in a context processor."""
    bp.record_once(lambda state: state.app.jinja_env.globals.update(values))


class ReadWhenShown(Sequence):
    """A list a template may show: read (``load()``) the first time the template looks at it, so an
    answer that does not show it sends no statement for it (the managers of the on-the-spot approval:
    every counter answer could show the box, few do)."""

    def __init__(self, load: Callable[[], list]) -> None:
        self._load, self._items = load, None

    def _read(self) -> list:
        if self._items is None:
            self._items = list(self._load())
        return self._items

    def __len__(self) -> int:
        return len(self._read())

    def __getitem__(self, index):
        return self._read()[index]

    def __iter__(self):
        return iter(self._read())


def form_errors(form) -> list[str]:
    """WTForms errors as a flat list of messages (already translated)."""
    out: list[str] = []
    for field_errors in form.errors.values():
        for message in field_errors:
            out.append(str(message))
    return out


def pdf_response(template: str, filename: str, **context):
    """Render a print template (templates/print/) to PDF with WeasyPrint, shown inline."""
    from flask import make_response, request

    from printing.pdf import html_to_pdf, release_memory

    html = render_template(template, **context)
    response = make_response(html_to_pdf(html, base_url=request.url_root))
    response.call_on_close(release_memory)  # after the PDF has gone: the person does not wait for it
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def day_arg(name: str, errors: list[str]):
    """A YYYY-MM-DD query argument as a date (None when absent); a bad one adds a message to ``errors``."""
    from datetime import date

    from flask import request
    from flask_babel import gettext as _

    from .text import EARLIEST_DAY, LATEST_DAY, plain

    raw = plain(request.args.get(name))
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        day = None
    if day is None:
        errors.append(_("Not a date: %(value)s (use YYYY-MM-DD).", value=raw[:20]))
        return None
    if not EARLIEST_DAY <= day <= LATEST_DAY:  # 0001-01-01 and 9999-12-31 overflow the arithmetic around them
        errors.append(_("%(day)s is out of range (%(a)s to %(b)s).", day=raw, a=EARLIEST_DAY.isoformat(),
                        b=LATEST_DAY.isoformat()))
        return None
    return day


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(stream, filename: str):
    """An Excel workbook (a stream) as a download."""
    from flask import send_file

    return send_file(stream, as_attachment=True, download_name=filename, mimetype=XLSX)


class InvalidForm(DomainError):
    """A form did not validate (a count that is not a number, a missing field): refused like a rule
    that said no — at 422, nothing saved — with every message of the form in ``messages``."""

    def __init__(self, form):
        self.messages = form_errors(form)
        self.form = form
        super().__init__(self.messages[0] if self.messages else _("Check what was typed."),
                         field=next(iter(form.errors), None))


def valid(form):
    """The form, validated (parsed, types checked); else :class:`InvalidForm` refuses the request."""
    if not form.validate():
        raise InvalidForm(form)
    return form


def form_again(error: DomainError, form_class):
    """The form to show with a refusal: the one that did not validate (its fields carry their
    errors), else the form as typed."""
    return error.form if isinstance(error, InvalidForm) else form_class()


def messages(error: DomainError) -> list[str]:
    """All the messages of a refusal (a form may have several)."""
    return getattr(error, "messages", None) or [error.message]


def refuse_with(template: str, context=None):
    """The usual ``refused=`` of :func:`transaction`: ``template`` again with the message (``error``)
    and the field it is about (``field``), plus ``context()`` — called after the rollback, so the rows
    it reads are fresh — which carries what the person typed back into the form."""

    def refused(error):
        return render_template(template, error=error.message, errors=messages(error), field=error.field,
                               **(context() if context else {}))

    return refused


def refuse_to_page(page, id_arg: str, *, keep_field: bool = True):
    """The usual ``refused=`` of a record's page: ``page(id, status, error=…, field=…, typed=form)`` —
    the record's page again with the message and what was typed, the id taken from the address
    (``id_arg``, e.g. ``"lead_id"``)."""
    from flask import request

    def refused(error):
        extra = {"field": error.field} if keep_field else {}
        return page(request.view_args[id_arg], error.status, error=error.message, typed=request.form, **extra)

    return refused


def transaction(refused=None):
    """The request's transaction has one owner: this decorator (as Indico's request handler).

    It runs the view; when the view returns a response below 400 it commits, otherwise (a 4xx
    the view chose, e.g. a form that did not validate) it rolls back. On a ``DomainError`` it
    rolls back and answers ``refused(error)`` — the same panel with the input kept and the
    message, at the error's status unless ``refused`` returns ``(body, status)`` itself; without
    ``refused`` the app's error page answers. Any other exception rolls back and propagates. A view
    that answers with :func:`show` has its page drawn after the commit.
    After a rollback, facts a service kept with ``pos.tx.keep_after_rollback`` (a failed PIN
    attempt) are written in a transaction of their own. Views never commit or roll back.
    """
    import functools

    from flask import current_app, request

    from . import tx
    from .errors import DomainError
    from .extensions import db

    def decorate(view):
        @functools.wraps(view)
        def run(*args, **kwargs):
            tx.note_client(db.session, request.remote_addr)  # the audit log's "from where"
            tx.begin(db.session)
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
            if isinstance(rv, ShowAfterCommit):  # the page of what was made, drawn once it is committed
                tx.commit(db.session)
                address_bar(rv.url)
                response = current_app.make_response(rv.render())
                response.headers["Content-Location"] = rv.url
                if db.session().in_transaction():  # what the page read after the commit, as a GET ends
                    tx.commit(db.session)
                return response
            response = current_app.make_response(rv)
            if response.status_code < 400:
                tx.commit(db.session)
            else:
                tx.rollback(db.session)
            return response

        run.pos_writes = True  # SQLite: the request takes the write lock at its start (pos._start_request)
        return run

    return decorate

