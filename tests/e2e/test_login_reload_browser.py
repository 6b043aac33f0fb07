"""In headless Chromium: a login survives a reload and a bookmark (issue 11), in an HttpOnly,
SameSite=Strict cookie; 退出 ends it in the database and clears the cookie.

Every step waits for the settled state: the app's script has finished (``stApp`` reports
``notRunning``) and the element is in its final container.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from app_pages.session_cookie import COOKIE
from tests.e2e.conftest import offline_page
from tests.e2e.logins import temporary_account

pytestmark = pytest.mark.e2e

SETTLED = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def settle(page) -> None:  # noqa: ANN001
    page.locator(SETTLED).wait_for(timeout=60_000)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=60_000)


def fill_login(page, username: str, password: str) -> None:  # noqa: ANN001
    page.get_by_label("用户名").wait_for(timeout=60_000)
    settle(page)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def logged_in(page) -> None:  # noqa: ANN001
    page.get_by_role("button", name="退出").wait_for(timeout=60_000)
    settle(page)


def heading(page, title: str) -> None:  # noqa: ANN001
    page.locator("h1", has_text=title).first.wait_for(timeout=60_000)
    settle(page)


def login_cookie(context) -> dict | None:  # noqa: ANN001
    """The login cookie once the browser holds it (the script that fetches it runs after the
    page has settled); None after 10 s."""
    for _ in range(100):
        found = [c for c in context.cookies() if c["name"] == COOKIE]
        if found:
            return found[0]
        context.pages[0].wait_for_timeout(100)
    return None


def open_session(db_url: str, token: str) -> bool:
    from db.engine import session_scope

    with session_scope(db_url) as s:
        return bool(
            s.execute(
                text(
                    "SELECT ended_at IS NULL AND expires_at > now() FROM user_sessions "
                    "WHERE token_hash = :h"
                ),
                {"h": hashlib.sha256(token.encode()).hexdigest()},
            ).scalar()
        )


@pytest.fixture
def grid_leader(demo_db) -> Iterator[tuple[str, str]]:
    from db.engine import session_scope

    with session_scope(demo_db) as s:
        staff_no = s.execute(
            text(
                "SELECT staff_no FROM staff WHERE role = 'grid_leader' AND cell_code IS NOT NULL "
                "AND active ORDER BY staff_no LIMIT 1"
            )
        ).scalar_one()
    with temporary_account(demo_db, role="grid_leader", staff_no=staff_no) as account:
        yield account


def test_a_login_survives_a_reload_on_the_same_page_and_logout_ends_it(
    app_url, browser, demo_db, grid_leader
):
    context, page, outside = offline_page(browser, app_url)
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        fill_login(page, *grid_leader)
        logged_in(page)
        cookie = login_cookie(context)
        assert cookie is not None, "no login cookie after login"
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Strict"
        assert cookie["path"] == "/"
        assert open_session(demo_db, cookie["value"])
        assert cookie["value"] not in page.url
        assert page.evaluate("document.cookie").find(COOKIE) == -1  # scripts cannot read it

        page.locator('[data-testid="stSidebarNav"] a', has_text="回访日").click()
        heading(page, "回访日")
        assert page.url.rstrip("/").endswith("/callback_day")

        page.reload(wait_until="domcontentloaded")
        logged_in(page)
        heading(page, "回访日")
        assert page.url.rstrip("/").endswith("/callback_day")
        assert page.get_by_text("Page not found").count() == 0
        assert page.get_by_label("密码").count() == 0

        page.get_by_role("button", name="退出").click()
        page.get_by_role("button", name="登录").wait_for(timeout=60_000)
        settle(page)
        assert not open_session(demo_db, cookie["value"])
        for _ in range(100):  # the clearing request runs after the page settled
            if not any(c["name"] == COOKIE for c in context.cookies()):
                break
            page.wait_for_timeout(100)
        assert not any(c["name"] == COOKIE for c in context.cookies())

        page.reload(wait_until="domcontentloaded")
        page.get_by_label("密码").wait_for(timeout=60_000)
        settle(page)
        assert page.get_by_role("button", name="退出").count() == 0
        assert outside == []
    finally:
        context.close()


def test_a_bookmarked_page_opens_after_login(app_url, browser, demo_db, grid_leader):
    context, page, _outside = offline_page(browser, app_url)
    try:
        page.goto(app_url + "/visit_day", wait_until="domcontentloaded")
        page.get_by_label("用户名").wait_for(timeout=60_000)
        settle(page)
        assert page.url.rstrip("/").endswith("/visit_day")  # the address is kept while logging in
        assert page.get_by_text("Page not found").count() == 0
        shot = os.environ.get("LIANXIN_SCREENSHOT_DIR")
        if shot:
            page.screenshot(path=str(Path(shot) / "login_bookmark_visit_day.png"))
        fill_login(page, *grid_leader)
        logged_in(page)
        heading(page, "下访日")
        if shot:
            page.screenshot(path=str(Path(shot) / "login_bookmark_landed.png"))
        assert page.url.rstrip("/").endswith("/visit_day")
        assert page.get_by_text("Page not found").count() == 0
        assert page.get_by_text("Running the app's main page").count() == 0
        # a bookmark of another role's page: logged in (the cookie), told so in Chinese
        assert login_cookie(context) is not None
        page.goto(app_url + "/audit_log", wait_until="domcontentloaded")
        logged_in(page)
        page.get_by_text("您的角色没有这个页面").wait_for(timeout=60_000)
        assert page.get_by_text("Page not found").count() == 0
    finally:
        context.close()


def test_a_stale_or_forged_cookie_gets_the_login_page(app_url, browser, demo_db):
    host = app_url.split("://", 1)[1].split(":")[0]
    context, page, _outside = offline_page(browser, app_url)
    try:
        context.add_cookies(
            [{"name": COOKIE, "value": "forged-" + "x" * 36, "domain": host, "path": "/"}]
        )
        page.goto(app_url + "/my_cell", wait_until="domcontentloaded")
        page.get_by_label("密码").wait_for(timeout=60_000)
        settle(page)
        assert page.get_by_role("button", name="退出").count() == 0
    finally:
        context.close()


SIDEBAR_OPEN = (
    "() => { const r = document.querySelector('[data-testid=\"stSidebar\"]')"
    ".getBoundingClientRect(); return r.width > 0 && r.x > -1; }"
)


def test_at_phone_width_the_sidebar_closes_after_navigating(app_url, browser, grid_leader):
    """下访日 and 回访日 at 390 px: a tap on a page link opens the page with the sidebar
    closed (a desktop user agent, as on a phone in desktop mode or a narrow window)."""
    context, page, _outside = offline_page(browser, app_url, viewport={"width": 390, "height": 844})
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        fill_login(page, *grid_leader)
        page.get_by_role("button", name="退出").wait_for(state="attached", timeout=60_000)
        settle(page)
        for title in ("下访日", "回访日"):
            page.locator('[data-testid="stExpandSidebarButton"]').click()
            page.wait_for_function(SIDEBAR_OPEN, timeout=10_000)
            page.locator('[data-testid="stSidebarNav"] a', has_text=title).click()
            heading(page, title)
            page.wait_for_function(f"() => !({SIDEBAR_OPEN})()", timeout=10_000)
            assert page.locator("h1", has_text=title).first.is_visible()
        shot = os.environ.get("LIANXIN_SCREENSHOT_DIR")
        if shot:
            page.screenshot(path=str(Path(shot) / "login_phone_callback_day.png"))
    finally:
        context.close()


def _post(url: str, body: bytes, headers: dict[str, str], method: str = "POST"):  # noqa: ANN202
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.headers.get_all("set-cookie") or []
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get_all("set-cookie") or []


def test_the_cookie_route_refuses_other_sites_and_used_codes(app_url, demo_db, grid_leader):
    import json

    from db.engine import session_scope
    from services import auth

    with session_scope(demo_db) as s:
        result = auth.authenticate(*grid_leader, session=s, client="127.0.0.1 · pytest")
    assert result.ok and result.handoff
    url = app_url + "/_lianxin/session"
    body = json.dumps({"code": result.handoff}).encode()
    json_type = {"Content-Type": "application/json"}
    for hostile in (
        {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://evil.example"},
        {"Sec-Fetch-Site": "same-site"},
        {},  # neither header: not a browser's same-origin fetch
    ):
        status, cookies = _post(url, body, {**json_type, **hostile})
        assert status == 403 and cookies == [], hostile
    same = {**json_type, "Origin": app_url, "Sec-Fetch-Site": "same-origin"}
    status, cookies = _post(url, body, same)
    assert status == 204 and len(cookies) == 1
    assert cookies[0].startswith(f"{COOKIE}=")
    flags = {f.strip().lower() for f in cookies[0].split(";")}
    assert {"httponly", "samesite=strict", "path=/"} <= flags
    status, cookies = _post(url, body, same)  # the code is used up
    assert status == 403 and cookies == []
