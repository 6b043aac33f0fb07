"""连心网 — Streamlit router only: page config, sidebar, navigation by role."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages import labels
from app_pages.auth_state import cookie_scripts, current_actor, sidebar_identity
from app_pages.common import close_sidebar_after_navigation, demo_badge
from app_pages.labels import access as access_labels
from app_pages.registry import PAGES, pages_for
from app_pages.shim import install_zh_shim, run_page

st.set_page_config(page_title=labels.APP_TITLE, page_icon="🧭", layout="wide")
st.sidebar.markdown(f"### {labels.APP_SHORT}")
demo_badge()
install_zh_shim()  # Streamlit's own English in Chinese (area: Chinese everywhere)


def url_path(spec_path: str) -> str:
    """A page's address (``/my_cell``): its file name, the same before and after login."""
    return Path(spec_path).stem


def _not_for_role() -> None:
    st.warning(access_labels.PAGE_NOT_FOR_ROLE)
    default = next(s for s in PAGES if s.default)
    st.page_link(default.path, label=default.title, icon=default.icon)


# Login gate: until the database confirms a login, the only page is 登录 — also at the
# address of every other page (hidden), so a bookmark or a reload keeps its URL while the
# visitor logs in and lands on that page afterwards, without Streamlit's "Page not found".
actor = current_actor()
cookie_scripts()
if actor is None:
    login = [
        st.Page(
            "app_pages/login.py",
            title=access_labels.PAGE_LOGIN,
            icon=":material/login:",
            default=True,
        )
    ] + [
        st.Page(
            "app_pages/login.py",
            title=access_labels.PAGE_LOGIN,
            icon=":material/login:",
            url_path=url_path(spec.path),
            visibility="hidden",
        )
        for spec in PAGES
        if not spec.default
    ]
    run_page(st.navigation(login, position="hidden"))
    st.stop()
sidebar_identity(actor)
close_sidebar_after_navigation()

role = actor.role  # RLS in PostgreSQL enforces the same scope whatever a page does
sections: dict[str, list] = {}
mine = pages_for(role)
for spec in mine:
    sections.setdefault(spec.section, []).append(
        st.Page(
            spec.path,
            title=spec.title,
            icon=spec.icon,
            default=spec.default,
            url_path=None if spec.default else url_path(spec.path),
        )
    )
# A bookmark of a page this role does not have says so in Chinese (hidden from the menu).
others = [
    st.Page(
        _not_for_role,
        title=spec.title,
        url_path=url_path(spec.path),
        visibility="hidden",
    )
    for spec in PAGES
    if spec not in mine
]
if others:
    sections.setdefault(mine[0].section, []).extend(others)
run_page(st.navigation(sections, expanded=True))  # error boundary: a Chinese message
