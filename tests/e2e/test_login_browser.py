"""In headless Chromium: the login gate, and each role's sidebar lists only its pages."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from app_pages.registry import pages_for
from tests.e2e.logins import browser_login

pytestmark = pytest.mark.e2e

D = "999996"
CELL = "999996001001001"


@pytest.fixture(scope="module")
def accounts(db_url: str) -> Iterator[dict[str, tuple[str, str]]]:
    from db.engine import session_scope
    from services import accounts

    suffix = secrets.token_hex(3)
    made: dict[str, tuple[str, str]] = {}
    with session_scope(db_url) as s:
        s.execute(
            text(
                "INSERT INTO staff (district_code, staff_no, name, role, community_code, "
                "cell_code, streets, active) VALUES (:d, :no, '浏览器网格长', 'grid_leader', "
                ":c, :cell, '{}', true)"
            ),
            {"d": D, "no": f"E2E-{suffix}", "c": CELL[:12], "cell": CELL},
        )
        for role in ("grid_leader", "clerk", "admin"):
            name = f"t_e2e_{role}_{suffix}"
            password = accounts.create_user(
                name,
                session=s,
                role=role,
                staff_no=f"E2E-{suffix}" if role == "grid_leader" else None,
                by="pytest",
            )
            made[role] = (name, password)
    yield made
    with session_scope(db_url) as s:
        s.execute(text("DELETE FROM users WHERE username LIKE :p"), {"p": f"t\\_e2e\\_%{suffix}"})
        s.execute(text("DELETE FROM staff WHERE staff_no = :n"), {"n": f"E2E-{suffix}"})


def _nav_titles(page) -> list[str]:  # noqa: ANN001
    nav = page.locator('[data-testid="stSidebarNav"] a')
    return [t.strip().splitlines()[-1] for t in nav.all_inner_texts()]


def test_the_login_page_refuses_a_wrong_password(app_url, browser, accounts):
    page = browser.new_page(viewport={"width": 1300, "height": 850}, locale="zh-CN")
    try:
        browser_login(page, app_url, accounts["grid_leader"][0], "not-the-password")
        alert = page.get_by_text("用户名或密码不正确")
        alert.wait_for(timeout=30_000)
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    finally:
        page.close()


@pytest.mark.parametrize("role", ["grid_leader", "clerk", "admin"])
def test_each_role_sees_only_its_pages(app_url, browser, accounts, role):
    username, password = accounts[role]
    page = browser.new_page(viewport={"width": 1300, "height": 850}, locale="zh-CN")
    try:
        browser_login(page, app_url, username, password)
        page.get_by_role("button", name="退出").wait_for(timeout=60_000)
        expected = [p.title for p in pages_for(role)]
        if len(expected) > 1:  # Streamlit hides the list when there is a single page
            page.locator('[data-testid="stSidebarNav"]').wait_for(timeout=30_000)
            assert sorted(_nav_titles(page)) == sorted(expected)
        assert ("审计日志" in _nav_titles(page)) == (role == "admin")
        sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
        if role == "grid_leader":
            assert "浏览器网格长" in sidebar and "网格长" in sidebar
        shot = os.environ.get("LIANXIN_SCREENSHOT_DIR")
        if shot:
            page.screenshot(path=str(Path(shot) / f"login_{role}.png"))
        page.get_by_role("button", name="退出").click()
        page.get_by_role("button", name="登录").wait_for(timeout=30_000)
    finally:
        page.close()
