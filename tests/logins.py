"""Logging in from tests: pages only run for a logged-in user (row-level security).

with login(db_url, role="leader") as actor:
    at = AppTest.from_file(...)
    as_actor(at, actor)
    at.run()
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.e2e.logins import temporary_account


@contextmanager
def login(db_url: str, *, role: str, staff_no: str | None = None) -> Iterator[Any]:
    """A committed temporary account, logged in: yields its services.auth.Actor."""
    from db.engine import session_scope
    from services import auth

    with temporary_account(db_url, role=role, staff_no=staff_no) as (username, password):
        with session_scope(db_url) as s:
            result = auth.authenticate(username, password, session=s, client="pytest")
        assert result.ok, result.message
        actor = auth.current_actor(result.actor.token)
        yield actor


def as_actor(at: Any, actor: Any) -> Any:
    """Put the login into an AppTest's session state, as app_pages/auth_state.sign_in does."""
    at.session_state["auth_token"] = actor.token
    at.session_state["role"] = actor.role
    at.session_state["actor"] = actor
    return at
