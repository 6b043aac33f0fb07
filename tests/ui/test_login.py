"""The login gate under AppTest: wrong passwords, navigation by role, the audit page, logout."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from app_pages.registry import pages_for
from tests.conftest import ROOT

pytestmark = pytest.mark.ui

D = "999997"
CELL = "999997001001001"


@pytest.fixture(scope="module")
def accounts(db_url: str) -> Iterator[dict[str, tuple[str, str]]]:
    """role → (username, password), committed (the app runs its own connections)."""
    from db.engine import session_scope
    from services import accounts

    suffix = secrets.token_hex(3)
    made: dict[str, tuple[str, str]] = {}
    with session_scope(db_url) as s:
        s.execute(
            text(
                "INSERT INTO staff (district_code, staff_no, name, role, community_code, "
                "cell_code, streets, active) VALUES (:d, :no, '测试网格长', 'grid_leader', "
                ":c, :cell, '{}', true)"
            ),
            {"d": D, "no": f"UI-{suffix}", "c": CELL[:12], "cell": CELL},
        )
        staff_no = f"UI-{suffix}"
        for role in ("grid_leader", "admin"):
            name = f"t_ui_{role}_{suffix}"
            password = accounts.create_user(
                name,
                session=s,
                role=role,
                staff_no=staff_no if role == "grid_leader" else None,
                by="pytest",
            )
            made[role] = (name, password)
    yield made
    with session_scope(db_url) as s:
        s.execute(text("DELETE FROM users WHERE username LIKE :p"), {"p": f"t\\_ui\\_%{suffix}"})
        s.execute(text("DELETE FROM staff WHERE staff_no = :n"), {"n": f"UI-{suffix}"})


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


def _titles(at: AppTest) -> list[str]:
    # The pages st.navigation registered on the last run (what the sidebar lists). Logged out,
    # 登录 is also registered (hidden) at every page's address, so a bookmark keeps its URL;
    # logged in, another role's page is a hidden callable that only says "not for your role"
    # (no script_path). Both are left out here, once each.
    return list(
        dict.fromkeys(p["page_name"] for p in at._registered_pages.values() if p.get("script_path"))
    )


def _scripts(at: AppTest) -> set[str]:
    """The files the registered pages would run."""
    return {
        str(p["script_path"]).rsplit("/", 1)[-1]
        for p in at._registered_pages.values()
        if p.get("script_path")
    }


def _login(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    return at.button[0].click().run()


def test_a_visitor_sees_only_the_login_page(db_url):
    at = _app().run()
    assert not at.exception, at.exception
    assert _titles(at) == ["登录"]
    assert _scripts(at) == {"login.py"}  # whatever the address, only 登录 runs
    assert [t.value for t in at.title] == ["登录"]


def test_a_wrong_password_shows_an_error_and_does_not_log_in(accounts):
    username, _ = accounts["grid_leader"]
    at = _login(_app().run(), username, "not-the-password")
    assert not at.exception, at.exception
    assert at.error and "用户名或密码不正确" in at.error[0].value
    assert _titles(at) == ["登录"]
    assert "auth_token" not in at.session_state


def test_an_unknown_user_gets_the_same_message(db_url):
    from db.engine import session_scope

    with session_scope(db_url) as s:  # this name's tries in earlier runs would count: a back-off
        s.execute(text("DELETE FROM login_backoff WHERE username = 'nobody_like_this'"))
    at = _login(_app().run(), "nobody_like_this", "whatever-password")
    assert at.error and at.error[0].value == "用户名或密码不正确"


def test_a_grid_leader_sees_only_their_pages_and_scope(accounts):
    username, password = accounts["grid_leader"]
    at = _login(_app().run(), username, password)
    titles = _titles(at)
    assert titles == [p.title for p in pages_for("grid_leader")]
    assert "审计日志" not in titles and "登录" not in titles
    sidebar = [m.value for m in at.sidebar.markdown]
    assert any("网格长" in m and "测试网格长" in m for m in sidebar)
    assert at.session_state["role"] == "grid_leader"
    assert at.sidebar.button(key="logout").label == "退出"


def test_the_admin_searches_the_audit_log_and_logs_out(accounts):
    username, password = accounts["admin"]
    at = _login(_app().run(), username, password)
    assert "审计日志" in _titles(at)
    at.switch_page("app_pages/audit_log.py").run()
    assert not at.exception, at.exception
    at.text_input[0].input(username).run()
    table = at.dataframe[0].value
    assert "登录成功" in set(table["action_name"])
    at.text_input[0].input("x' OR 1=1 --").run()
    assert at.error and "不允许" in at.error[0].value
    at.sidebar.button(key="logout").click().run()
    assert _titles(at) == ["登录"]
    assert at.warning and "已退出" in at.warning[0].value
