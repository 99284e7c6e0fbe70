"""Errors that services raise, each with a stable machine-readable code."""

from __future__ import annotations


class EventnetError(Exception):
    """A use case refused: ``code`` is stable, ``message`` is for people, ``field`` optional."""

    status = 400
    default_code = "bad_request"

    def __init__(self, message: str, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field


class NotFound(EventnetError):
    """The object does not exist, or the caller may not know it exists."""

    status = 404
    default_code = "not_found"


class Invalid(EventnetError):
    """The input is well-formed but breaks a rule."""

    status = 422
    default_code = "invalid"


class Conflict(EventnetError):
    """The request conflicts with the current state (closed, full, revoked...)."""

    status = 409
    default_code = "conflict"


class Forbidden(EventnetError):
    """The caller is known but may not do this."""

    status = 403
    default_code = "forbidden"


class Unavailable(EventnetError):
    """A service eventnet depends on (the mail broker) cannot be reached; try again later."""

    status = 503
    default_code = "unavailable"


class Unauthorized(EventnetError):
    """No valid credentials were given."""

    status = 401
    default_code = "unauthorized"
