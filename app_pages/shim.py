"""What the router adds around every page: Streamlit's own English in Chinese, and an error
boundary that shows a Chinese message instead of Streamlit's exception box.

Streamlit has no setting for the texts of its own widgets (the file uploader's "Drag and drop
file here", the multiselect's "Select all", the "Page not found" dialog); a small script,
``assets/zh_shim.js``, rewrites them in the browser. It is read from this package and sent
inline with the page, so nothing is fetched from outside the app (ARCHITECTURE.md, Offline).
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any

import streamlit as st

from app_pages import labels

_JS = (Path(__file__).parent / "assets" / "zh_shim.js").read_text(encoding="utf-8")
_KEY = "lx_zh_shim"
_log = logging.getLogger("lianxin.pages")


def install_zh_shim() -> None:
    """Add the translating script to the sidebar, in a container the CSS hides."""
    st.html(f"<style>.st-key-{_KEY} {{display: none}}</style>")
    with st.sidebar.container(key=_KEY):
        st.html(f"<script>{_JS}</script>", unsafe_allow_javascript=True)


def run_page(page: Any) -> None:
    """Run ``page`` (a ``st.navigation`` result); an exception becomes a Chinese message.

    The details go to the server log with an incident number the user can quote; the browser
    never sees a traceback, an exception type or Streamlit's "Ask Google" links. Streamlit's
    own control flow (``st.rerun``, ``st.stop``, a page switch) derives from BaseException and
    passes through untouched.
    """
    try:
        page.run()
    except Exception:  # noqa: BLE001 - the boundary: everything a page did not handle
        incident = secrets.token_hex(4)
        _log.exception("page %s failed (incident %s)", getattr(page, "title", "?"), incident)
        st.error(labels.PAGE_FAILED.format(incident=incident), icon="⚠️")
