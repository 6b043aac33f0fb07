"""The project's error hierarchy.

Every error a user can cause is one of these, with a message that names the bad value, where it
was (file, row, column, cell id) and what is allowed. Pages and the CLI turn them into one clear
line; nothing else should reach a user as a traceback.
"""

from __future__ import annotations


class LianxinError(Exception):
    """Base of every error the project raises on purpose."""


class InvalidInputError(LianxinError, ValueError):
    """Input that cannot be used: a bad file, row, column, value or option."""


class NotFoundError(LianxinError, LookupError):
    """A named thing (cell, household, case, file) does not exist."""


class ConflictError(LianxinError):
    """Someone else changed the record first, or the action contradicts its state."""


class GeometryError(InvalidInputError):
    """Geometry that cannot be used (wrong type, invalid, outside the expected area)."""


class GeocodingError(LianxinError):
    """An address could not be turned into a point."""


class PermissionDeniedError(LianxinError, PermissionError):
    """The acting user's role does not allow this."""


class DatabaseUnavailableError(LianxinError):
    """The database cannot be reached or is not set up; the message says how to fix it."""


class DatabaseError(LianxinError):
    """The database refused a statement (a constraint, a row-security policy, a lost connection).

    Raised by :mod:`services.sessions` in place of the driver's error, which stays in
    ``__cause__`` for the server log: its message can carry the statement's parameters (names,
    ID numbers), so ``str()`` of this error is only the driver error's ``kind``.
    """

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind
