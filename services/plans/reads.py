"""Reading plans: one plan, the list, a plan's cells and blocks on a map."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from sqlalchemy.orm import Session

from core.errors import NotFoundError
from db import plans as queries
from db import repositories
from services.plans.records import STATE_LABELS, PlanGeodata, PlanInfo, plan_from


def get_plan(plan_id: int, *, session: Session) -> PlanInfo:
    """The plan ``plan_id``; :class:`NotFoundError` when there is none."""
    row = queries.plan_row(session, plan_id=plan_id)
    if row is None:
        raise NotFoundError(f"找不到网格方案 {plan_id}：它可能已被删除，请刷新页面")
    return plan_from(row)


def list_plans(*, session: Session) -> pd.DataFrame:
    """Every plan, newest version first, with its number of cells and blocks."""
    df = queries.plan_rows(session)
    df["state_label"] = df["state"].map(STATE_LABELS)
    return df


def plan_geodata(plan_id: int, *, session: Session) -> PlanGeodata:
    """Cells (with leader and households counted by location) and blocks of a plan.

    Households are counted by point in polygon against *this* plan's cells (a draft's cells
    are not yet anybody's ``cell_code``); a point on a shared edge counts once, for the lowest
    code, as when publishing.
    """
    get_plan(plan_id, session=session)
    source = queries.household_source(session)
    cells = queries.cells_with_counts(session, plan_id=plan_id, source=source)
    cells["leader_staff_id"] = cells["leader_staff_id"].astype("Int64")
    blocks = queries.plan_blocks(session, plan_id=plan_id)
    return PlanGeodata(cells=cells, blocks=blocks)


def communities_and_streets(*, session: Session) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The base of the planner's map: every community outline and street, EPSG:4490."""
    return repositories.communities(session), repositories.streets(session)


def household_points(*, session: Session) -> gpd.GeoDataFrame:
    """Active households with a location (ids and points only)."""
    return queries.active_household_points(session, source=queries.household_source(session))


def subdistrict_outline(code: str, *, session: Session) -> gpd.GeoDataFrame:
    sd = repositories.subdistricts(session)
    return sd[sd["code"] == code]


def community_outlines(subdistrict_code: str, *, session: Session) -> gpd.GeoDataFrame:
    comm = repositories.communities(session)
    comm = comm[comm["subdistrict_code"] == subdistrict_code]
    return comm.rename(columns={"code": "community_code"}).reset_index(drop=True)
