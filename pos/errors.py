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
