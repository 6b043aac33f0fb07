"""连心网 — Streamlit router only: page config, sidebar, navigation by role."""

from __future__ import annotations

import streamlit as st

from app_pages.common import demo_badge
from app_pages.registry import pages_for
from lianxin import labels

st.set_page_config(page_title=labels.APP_TITLE, page_icon="🧭", layout="wide")
st.sidebar.markdown(f"### {labels.APP_SHORT}")
demo_badge()

role = st.session_state.get("role", "admin")  # the login page (access issue) sets this
sections: dict[str, list] = {}
for spec in pages_for(role):
    sections.setdefault(spec.section, []).append(
        st.Page(spec.path, title=spec.title, icon=spec.icon, default=spec.default)
    )
st.navigation(sections).run()
