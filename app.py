"""连心网 — Streamlit router only: page config, sidebar, navigation by role."""

from __future__ import annotations

import streamlit as st

from app_pages.auth_state import current_actor, sidebar_identity
from app_pages.common import demo_badge
from app_pages.registry import pages_for
from app_pages.shim import install_zh_shim, run_page
from lianxin import labels

st.set_page_config(page_title=labels.APP_TITLE, page_icon="🧭", layout="wide")
st.sidebar.markdown(f"### {labels.APP_SHORT}")
demo_badge()
install_zh_shim()  # Streamlit's own English in Chinese (area: Chinese everywhere)

# Login gate: until the database confirms a login, the only page is 登录.
actor = current_actor()
if actor is None:
    st.navigation(
        [
            st.Page(
                "app_pages/login.py", title=labels.PAGE_LOGIN, icon=":material/login:", default=True
            )
        ]
    ).run()
    st.stop()
sidebar_identity(actor)

role = actor.role  # RLS in PostgreSQL enforces the same scope whatever a page does
sections: dict[str, list] = {}
for spec in pages_for(role):
    sections.setdefault(spec.section, []).append(
        st.Page(spec.path, title=spec.title, icon=spec.icon, default=spec.default)
    )
run_page(st.navigation(sections, expanded=True))  # error boundary: a Chinese message
