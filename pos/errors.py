"""Errors that carry a message a clerk understands.

Services raise these; the web layer turns them into a 4xx partial that keeps
the person's input. The message is already translated (services call
``gettext``/``lazy_gettext``), so it is shown as it is.
"""


class DomainError(Exception):
    """A business rule said no. ``status`` is the HTTP status the web layer answers with."""

    status = 422

    def __init__(self, message, *, field: str | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    """The record asked for does not exist (or is not this person's to see)."""

    status = 404


class Forbidden(DomainError):
    """This person may not do this."""

    status = 403


class Conflict(DomainError):
    """Somebody else got there first (a double tap, two tablets at once)."""

    status = 409


def get_or_404(session, model, ident, missing, *, check=None, for_update: bool = False, options=None):
    """Load one row by its id, or refuse with ``NotFound(missing)``; then ``check(row)`` (which may
    raise ``Forbidden``) — loading and authorising in one place, like the Flask tutorial's
    ``get_post(id, check_author=True)``. An id that is not a number is not found either. ``options``:
    loader options (what to read with the row, what only when asked)."""
    try:
        ident = int(ident)
    except (TypeError, ValueError):
        raise NotFound(missing) from None
    # under the lock the row is read again (populate_existing), so what is checked is what is locked;
    # FOR UPDATE OF its own table, so eager joins of the model do not widen the lock
    lock = {"of": model} if for_update else None
    row = session.get(model, ident, with_for_update=lock, populate_existing=for_update, options=options) \
        if 0 < ident < 2**63 else None
    if row is None:
        raise NotFound(missing)
    if check is not None:
        check(row)
    return row
