"""What every page shares: cached engine, the error translation, the demo badge."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

import pandas as pd
import streamlit as st

from app_pages import labels
from app_pages.labels import access as access_labels
from core.errors import DatabaseError, DatabaseUnavailableError, LianxinError, PermissionDeniedError
from core.plaintext import plain
from core.settings import settings
from services import sessions

if TYPE_CHECKING:
    from services.auth import Actor

T = TypeVar("T")


def run_service(fn: Callable[[], T]) -> T | None:
    """Call a service; turn project errors into st.error (never a traceback)."""
    try:
        return fn()
    except DatabaseUnavailableError as exc:
        st.error(f"**{labels.DB_DOWN_TITLE}**：{exc}")  # the system's own words, no typed text
    except DatabaseError as exc:
        # Never show the driver's message: it can carry the statement's parameters (names,
        # ID numbers). The detail (exc.__cause__) goes to the server log for the administrator.
        logging.getLogger("lianxin").exception("database error in a page")
        st.error(labels.DB_ERROR.format(kind=exc.kind))
    except LianxinError as exc:  # messages quote the bad value: a name, a cell, a file name
        st.error(plain(exc))
    return None


# --- the acting user's session: the pages' one way to the database ----------------------------
def _as(
    actor: Actor | None, fn: Callable[..., T], *, give_actor: bool, missing: str, check: bool
) -> T:
    """``fn(session=…[, actor=…])`` in one transaction on the app role, as ``actor``.

    The session (services.sessions.acting) carries the user's login token, so PostgreSQL's
    row-level security limits what any page can read or write, whatever the page does. Without
    a login there is no session at all.
    """
    if actor is None:
        raise PermissionDeniedError(missing)
    if check:
        sessions.check_database()
    with sessions.acting(actor.token) as session:
        return fn(session=session, actor=actor) if give_actor else fn(session=session)


def with_session(fn: Callable[..., T]) -> Callable[[], T]:
    """``fn(session=…)`` as the logged-in user, after checking that the database is usable."""
    return lambda: _as(
        st.session_state.get("actor"),
        fn,
        give_actor=False,
        missing=labels.LOGIN_REQUIRED,
        check=True,
    )


def acting(fn: Callable[..., T]) -> Callable[[], T]:
    """``fn(session=…, actor=…)`` as the logged-in user (looked up when it runs)."""
    return lambda: _as(
        st.session_state.get("actor"),
        fn,
        give_actor=True,
        missing=access_labels.LOGIN_EXPIRED,
        check=False,
    )


def deferred(fn: Callable[..., T]) -> Callable[[], T]:
    """Like :func:`acting` for a download button's deferred data: Streamlit runs that callable
    on another thread with no session state, so the actor is captured now, at render time."""
    who = st.session_state.get("actor")
    return lambda: _as(who, fn, give_actor=True, missing=access_labels.LOGIN_EXPIRED, check=False)


def logged_in_actor() -> Actor:
    """The logged-in user; without one the page says 登录已超时 and stops here."""
    actor = st.session_state.get("actor")
    if actor is None:
        st.error(access_labels.LOGIN_EXPIRED)
        st.stop()
    return actor


def or_stop(value: T | None) -> T:
    """``value``, or end this run of the page when it is None (nothing uploaded, a service
    whose error run_service has already shown). The result is typed without None, so the
    callbacks a page hands to services keep that type."""
    if value is None:
        st.stop()
    return value


def rows(frame: pd.DataFrame) -> Iterator[Any]:
    """``frame.itertuples()`` for a page: each row's fields by column name.

    Typed ``Any`` on purpose: a service's frame has known columns, but pandas-stubs types every
    field as the union of all scalars, which no page can use without a cast per field.
    """
    return frame.itertuples()


def demo_badge() -> None:
    if settings.demo:
        st.sidebar.markdown(
            f'<span style="background:#b22222;color:#fff;padding:2px 8px;border-radius:4px">'
            f"{labels.DEMO_BADGE}</span>",
            unsafe_allow_html=True,
        )
        st.sidebar.caption(labels.DEMO_NOTE)


# --- cases pages (window, queue, visit day, callback day): who is acting -----------------------
class ActingPerson(TypedDict):
    name: str | None
    role: str | None
    staff_id: int | None
    community_code: str | None
    token: str | None


def acting_person() -> ActingPerson:
    """The logged-in user as the case pages need it: name, role, staff_id, community_code.

    Read from the login's ``st.session_state["actor"]`` (app_pages/auth_state.py). Without a
    login (a page run on its own, e.g. under AppTest) every value is None.
    """
    actor = st.session_state.get("actor")
    return {
        "name": getattr(actor, "display_name", None),
        "role": getattr(actor, "role", None),
        "staff_id": getattr(actor, "staff_id", None),
        "community_code": getattr(actor, "community_code", None),
        "token": getattr(actor, "token", None),  # part of per-user cache keys
    }


# --- phone-sized pages (visit day, callback day) ---------------------------------------------
PHONE_CSS = """
<style>
.block-container {max-width: 430px; padding-left: .75rem; padding-right: .75rem}
.stApp, .stMarkdown p, label, input, textarea {font-size: 17px !important}
.stButton button, .stFormSubmitButton button {min-height: 52px; font-size: 18px; width: 100%}
div[role="radiogroup"] label {min-height: 44px; align-items: center}
.lx-name {font-size: 20px; font-weight: 700; margin: 0}
.lx-addr {font-size: 17px; margin: 0 0 .25rem 0}
.lx-tel a {display: inline-block; min-height: 44px; line-height: 44px; font-size: 18px}
</style>
"""


# Streamlit closes the sidebar after a page link is tapped only when the browser's user agent
# says "mobile" (frontend: deviceType === "mobile"); a phone in desktop mode, or a narrow
# window, keeps it open over the page just opened (下访日, 回访日 at 390 px). This closes it
# by the width instead: after a tap on a page link, if the window is phone-sized and the
# sidebar is still open, press its own collapse button. One listener per browser tab.
PHONE_NAV_JS = """
<script>
if (!window.__lianxinPhoneNav) {
  window.__lianxinPhoneNav = true;
  document.addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest('[data-testid="stSidebarNav"] a');
    if (!link || !window.matchMedia('(max-width: 767.98px)').matches) return;
    setTimeout(function () {
      var close = document.querySelector(
        '[data-testid="stSidebarCollapseButton"] button[aria-expanded="true"]');
      if (close) close.click();
    }, 60);
  }, true);
}
</script>
"""


def close_sidebar_after_navigation() -> None:
    """Install :data:`PHONE_NAV_JS` (a zero-height element in the sidebar)."""
    st.sidebar.html(PHONE_NAV_JS, unsafe_allow_javascript=True)


@st.cache_data(ttl=300, show_spinner=False)
def visiting_staff(token: str):
    """Grid leaders, workers and cadres who visit (token: the cache is per login)."""
    from services.households import visits

    return with_session(lambda *, session: visits.visiting_staff(session=session))()
