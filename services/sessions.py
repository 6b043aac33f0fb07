"""Units of work: the one way pages and the command line open a database session.

- :func:`acting` — a transaction on the app's restricted role (``lianxin_app``) acting as the
  holder of a login token, so PostgreSQL's row-level security limits whatever runs in it
  (:func:`db.access.acting_session`). Every page's read and write goes through it.
- :func:`owner` — a transaction on the owner's connection (:func:`db.engine.session_scope`):
  checking a password, the command line's administration and imports.
- :func:`check_database` — raise :class:`~core.errors.DatabaseUnavailableError` (one line, with
  the fix) unless the database is reachable, has PostGIS and has its tables.

Both context managers commit on success and roll back on any error. A statement the database
refuses comes out as :class:`core.errors.DatabaseError`, naming only the driver error's kind:
the driver's own message, which can carry the statement's parameters (names, ID numbers), stays
in ``__cause__`` for the server log. So callers above services never import SQLAlchemy.

Examples
--------
>>> with sessions.acting(actor.token) as session:  # doctest: +SKIP
...     households = files.load_cell(cell_code, session=session, role=actor.role)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core.errors import DatabaseError
from db import access, engine

__all__ = ["acting", "check_database", "owner"]


@contextmanager
def _refusals_translated() -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as exc:
        raise DatabaseError(type(getattr(exc, "orig", exc)).__name__) from exc


@contextmanager
def acting(token: str | None, *, url: str | None = None, touch: bool = True) -> Iterator[Session]:
    """A transaction on the app's role acting as the holder of ``token``.

    Parameters
    ----------
    token
        The login token (``Actor.token``); ``None`` sees no row at all.
    url
        The owner's URL of the database (tests pass the test database); the app role's URL is
        derived from it, or taken from ``APP_DATABASE_URL`` when none is given.
    touch
        Restart the login's idle timer first; a token that is no longer valid raises
        :class:`db.access.SessionExpiredError` (a ``PermissionDeniedError``) before any query.
    """
    with _refusals_translated(), access.acting_session(token, url=url, touch=touch) as session:
        yield session


@contextmanager
def owner(url: str | None = None) -> Iterator[Session]:
    """A transaction on the owner's connection (the command line; the password check)."""
    with _refusals_translated(), engine.session_scope(url) as session:
        yield session


def check_database(url: str | None = None) -> None:
    """Raise DatabaseUnavailableError, saying how to fix it, unless the database is usable."""
    engine.check_database(url)
