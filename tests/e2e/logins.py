"""Helpers for browser tests: every page sits behind 登录 now.

from tests.e2e.logins import browser_login, temporary_account

with temporary_account(db_url, role="admin") as (username, password):
    browser_login(page, app_url, username, password)
    page.get_by_role("button", name="退出").wait_for(timeout=60_000)
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text


def browser_login(page, app_url: str, username: str, password: str) -> None:  # noqa: ANN001
    """Open the app, fill the 登录 form and submit it."""
    page.goto(app_url, wait_until="domcontentloaded")
    page.get_by_label("用户名").wait_for(timeout=60_000)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


@contextmanager
def temporary_account(
    db_url: str, *, role: str, staff_no: str | None = None
) -> Iterator[tuple[str, str]]:
    """A committed account (username, password) for the duration of the block."""
    from db.engine import session_scope
    from services import accounts

    username = f"t_tmp_{role}_{secrets.token_hex(3)}"
    with session_scope(db_url) as s:
        password = accounts.create_user(
            username, session=s, role=role, staff_no=staff_no, by="pytest"
        )
    try:
        yield username, password
    finally:
        with session_scope(db_url) as s:
            s.execute(text("DELETE FROM users WHERE username = :u"), {"u": username})
