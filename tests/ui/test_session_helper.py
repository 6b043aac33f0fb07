"""app_pages.common's session helper, as a page uses it: as the logged-in user, on the app role,
with the database's refusals in Chinese and without the values the statement carried."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.ui


def _page() -> None:  # an AppTest script: imports inside
    import streamlit as st
    from sqlalchemy import text

    from app_pages.common import acting, deferred, run_service, with_session

    def role(*, session):  # noqa: ANN001, ANN202
        return session.execute(text("SELECT current_user")).scalar()

    def refused(*, session):  # noqa: ANN001, ANN202
        return session.execute(text("SELECT CAST(:v AS integer)"), {"v": "张三丰"}).scalar()

    st.write(f"role={run_service(with_session(role))}")
    run_service(with_session(refused))
    # a download button's data runs later, without session state: deferred keeps the actor
    later = deferred(lambda *, session, actor: actor.username)
    now = acting(lambda *, session, actor: actor.username)
    st.session_state.pop("actor", None)
    st.write(f"deferred={run_service(later)}")
    run_service(now)


def test_without_a_login_a_page_gets_no_session(db_url):
    at = AppTest.from_function(_page, default_timeout=60).run()
    assert not at.exception, at.exception
    assert "role=None" in [m.value for m in at.markdown]
    assert at.error and "登录" in at.error[0].value


def test_a_page_runs_as_the_user_and_a_refusal_is_shown_without_its_values(db_url):
    from tests.logins import as_actor, login

    with login(db_url, role="leader") as actor:
        at = AppTest.from_function(_page, default_timeout=60)
        as_actor(at, actor).run()
    assert not at.exception, at.exception
    shown = [m.value for m in at.markdown]
    assert "role=lianxin_app" in shown
    assert f"deferred={actor.username}" in shown
    errors = [e.value for e in at.error]
    assert errors[0].startswith("数据库拒绝了这次操作（InvalidTextRepresentation）")
    assert not any("张三丰" in e for e in errors)
    assert "登录" in errors[1]  # acting looks the user up when it runs: gone by then
