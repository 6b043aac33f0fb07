"""Who is logged in, for app.py and the pages (Streamlit side of services.auth).

The browser session keeps only the login *token*; every rerun asks the database who it
belongs to (which also restarts the idle timer). Pages read and write through
app_pages.common's ``with_session`` / ``acting`` / ``deferred`` so row-level security applies to
whatever they run.

A reload or a bookmark opens a new Streamlit session: then the token comes from the HttpOnly
login cookie (app_pages/session_cookie.py), checked by the database like any other.
"""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from app_pages import session_cookie
from app_pages.labels import access as access_labels
from core.errors import LianxinError
from core.plaintext import plain

TOKEN_KEY = "auth_token"
NOTICE_KEY = "login_notice"
HANDOFF_KEY = "login_cookie_handoff"  # (one-time code, when made): set the cookie after login
CLEAR_COOKIE_KEY = "login_cookie_clear"  # the cookie is to be cleared (退出, or a dead cookie)
DEAD_COOKIE_KEY = "login_cookie_dead"  # a cookie token the database refused (ask once)


def client_info() -> str:
    """'ip · browser' for the audit log's "from where" (100 characters at most)."""
    try:
        ip = st.context.ip_address or "127.0.0.1"
        agent = st.context.headers.get("User-Agent", "") or ""
    except Exception:  # noqa: BLE001 - no request context (AppTest, bare mode)
        ip, agent = "local", ""
    return f"{ip} · {agent}"[:100].rstrip(" ·")


def current_actor() -> Any:
    """The logged-in :class:`services.auth.Actor`, or None (logged out, expired, disabled)."""
    from services import auth

    token = st.session_state.get(TOKEN_KEY)
    from_cookie = False
    if not token:
        cookie = session_cookie.cookie_token()
        if not cookie or cookie == st.session_state.get(DEAD_COOKIE_KEY):
            return None
        token, from_cookie = cookie, True
    try:
        actor = auth.current_actor(token, client=client_info())
    except LianxinError as exc:
        st.session_state[NOTICE_KEY] = str(exc)
        actor = None
    if actor is None and from_cookie:
        st.session_state[DEAD_COOKIE_KEY] = token
        st.session_state[CLEAR_COOKIE_KEY] = True
        return None
    if actor is None:
        st.session_state.pop(TOKEN_KEY, None)
        st.session_state.pop("role", None)
        st.session_state.pop("actor", None)
        st.session_state.setdefault(NOTICE_KEY, access_labels.LOGIN_EXPIRED)
        return None
    st.session_state[TOKEN_KEY] = token
    st.session_state["role"] = actor.role
    st.session_state["actor"] = actor
    return actor


def _forget_everything() -> None:
    """Drop every per-user value (open household files, receipts, picks): an office PC is
    shared, and the next person must not inherit what the last one had on screen."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def sign_in(actor: Any, handoff: str | None = None) -> None:
    dead = st.session_state.get(DEAD_COOKIE_KEY)
    _forget_everything()
    if dead:
        st.session_state[DEAD_COOKIE_KEY] = dead
    st.session_state[TOKEN_KEY] = actor.token
    st.session_state["role"] = actor.role
    st.session_state["actor"] = actor
    st.session_state.pop(NOTICE_KEY, None)
    if handoff:
        st.session_state[HANDOFF_KEY] = (handoff, time.monotonic())


def sign_out() -> None:
    from services import auth

    actor = st.session_state.get("actor")
    if actor is not None:
        try:
            auth.logout(actor)
        except LianxinError:
            pass  # the login ends on its own when it expires
    cookie = session_cookie.cookie_token()
    _forget_everything()
    st.session_state[NOTICE_KEY] = access_labels.LOGGED_OUT
    st.session_state[CLEAR_COOKIE_KEY] = True
    if cookie:  # this connection's copy of the cookie is dead now: never ask for it again
        st.session_state[DEAD_COOKIE_KEY] = cookie


def cookie_scripts() -> None:
    """Set the login cookie after a login, clear it after 退出 (scripts of zero height).

    The set script stays on the page while its code can still be redeemed, so a rerun that
    comes before the browser ran it does not lose the cookie; running it twice is harmless
    (a used code is refused)."""
    pending = st.session_state.get(HANDOFF_KEY)
    if pending:
        code, made = pending
        if time.monotonic() - made < 55:
            st.html(session_cookie.set_cookie_script(code), unsafe_allow_javascript=True)
        else:
            st.session_state.pop(HANDOFF_KEY, None)
    elif st.session_state.get(CLEAR_COOKIE_KEY) and st.session_state.get("actor") is None:
        st.html(session_cookie.CLEAR_COOKIE_SCRIPT, unsafe_allow_javascript=True)


def sidebar_identity(actor: Any) -> None:
    """Who, role and scope (大北街社区 · 第003网格), and the 退出 button."""
    st.sidebar.markdown(f"**{plain(actor.display_name)}** · {actor.role_name}")
    st.sidebar.caption(plain(actor.scope))
    if st.sidebar.button(access_labels.LOGOUT_BUTTON, key="logout", icon=":material/logout:"):
        sign_out()
        st.rerun()
