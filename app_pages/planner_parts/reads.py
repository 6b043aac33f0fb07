"""方案编辑's session-state keys, its reads (cached per plan version), who is acting."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from app_pages import display
from app_pages.common import acting_person, run_service, with_session
from services import plans

SEEN = "planner_seen"  # plan id → the lock_version this browser last saw
FOCUS = "planner_focus"
CONFIRM = "planner_confirm"
RESULT = "planner_result"
FLASH = "planner_flash"


# --- reads (cached per plan version: every edit bumps lock_version, so edits invalidate) ----
@st.cache_data(ttl=600, show_spinner=False)
def base():
    return with_session(lambda *, session: plans.communities_and_streets(session=session))()


@st.cache_data(ttl=600, show_spinner="正在读取方案…")
def geodata(plan_id: int, lock_version: int) -> plans.PlanGeodata:
    return with_session(lambda *, session: plans.plan_geodata(plan_id, session=session))()


@st.cache_data(ttl=600, show_spinner="正在检查方案…")
def problems(plan_id: int, lock_version: int) -> gpd.GeoDataFrame:
    data = geodata(plan_id, lock_version)  # outside the session: sessions never nest
    return with_session(
        lambda *, session: plans.check_plan(plan_id, session=session, geodata=data)
    )()


@st.cache_data(ttl=600, show_spinner=False)
def leaders() -> pd.DataFrame:
    return with_session(lambda *, session: plans.leader_options(session=session))()


def plan_list() -> pd.DataFrame | None:
    return run_service(with_session(lambda *, session: plans.list_plans(session=session)))


def actor() -> str:
    return str(acting_person().get("name") or "规划员")


def date(value: Any) -> str:
    return display.date(value)  # Beijing's day; missing → —
