"""连心网 — Streamlit router only: page config, sidebar, navigation."""

from __future__ import annotations

import streamlit as st

from app_pages.common import demo_badge
from lianxin import labels

st.set_page_config(page_title=labels.APP_TITLE, page_icon="🧭", layout="wide")
st.sidebar.markdown(f"### {labels.APP_SHORT}")
demo_badge()

pages = [st.Page("app_pages/overview.py", title=labels.PAGE_OVERVIEW, icon="🗺️", default=True)]
st.navigation(pages).run()
