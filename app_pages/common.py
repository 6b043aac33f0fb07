"""What every page shares: cached engine, the error translation, the demo badge."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from lianxin import labels
from lianxin.errors import DatabaseUnavailableError, LianxinError
from lianxin.settings import settings

T = TypeVar("T")


def run_service(fn: Callable[[], T]) -> T | None:
    """Call a service; turn project errors into st.error (never a traceback)."""
    try:
        return fn()
    except DatabaseUnavailableError as exc:
        st.error(f"**{labels.DB_DOWN_TITLE}**：{exc}")
    except LianxinError as exc:
        st.error(str(exc))
    return None


def with_session(fn: Callable[..., T]) -> Callable[[], T]:
    def call() -> T:
        from db.engine import check_database, session_scope

        check_database()
        with session_scope() as session:
            return fn(session=session)

    return call


def demo_badge() -> None:
    if settings.demo:
        st.sidebar.markdown(
            f'<span style="background:#b22222;color:#fff;padding:2px 8px;border-radius:4px">'
            f"{labels.DEMO_BADGE}</span>",
            unsafe_allow_html=True,
        )
        st.sidebar.caption(labels.DEMO_NOTE)
