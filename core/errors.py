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
