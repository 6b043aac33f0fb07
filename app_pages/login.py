"""登录: the only page a visitor who is not logged in can open."""

from __future__ import annotations

import streamlit as st

from app_pages.auth_state import NOTICE_KEY, client_info, sign_in
from app_pages.common import run_service
from app_pages.labels import access as access_labels
from core.settings import settings


def _authenticate(username: str, password: str):
    from services import auth, sessions

    sessions.check_database()
    # Checking a password needs the hash, which the app role cannot read: this one step runs
    # as the owner, and touches only users, user_sessions and audit_log.
    with sessions.owner() as session:
        return auth.authenticate(username, password, session=session, client=client_info())


st.title(access_labels.PAGE_LOGIN)
notice = st.session_state.pop(NOTICE_KEY, None)
if notice:
    st.warning(notice)
with st.form("login", clear_on_submit=False):
    username = st.text_input(access_labels.LOGIN_USERNAME, max_chars=50, autocomplete="username")
    password = st.text_input(
        access_labels.LOGIN_PASSWORD,
        type="password",
        max_chars=128,
        autocomplete="current-password",
    )
    submitted = st.form_submit_button(access_labels.LOGIN_BUTTON, type="primary")
st.caption(access_labels.LOGIN_HINT)
if settings.demo:
    st.info(access_labels.LOGIN_DEMO_HINT)

if submitted:
    if not username.strip() or not password:
        st.error(access_labels.LOGIN_MISSING)
    else:
        result = run_service(lambda: _authenticate(username, password))
        if result is not None:
            if result.ok and result.actor is not None:
                sign_in(result.actor, result.handoff)
                st.rerun()
            else:
                st.error(result.message)
