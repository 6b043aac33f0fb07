"""Checking a plan: coverage, communities, household counts, leaders."""

from __future__ import annotations

import geopandas as gpd
from sqlalchemy.orm import Session

from gis.coverage.check import check_coverage
from gis.coverage.problems import BLOCKING_KINDS, KIND_LABELS, WARNING_KINDS
from services.plans.reads import (
    community_outlines,
    get_plan,
    household_points,
    plan_geodata,
    subdistrict_outline,
)
from services.plans.records import PlanGeodata


def check_plan(
    plan_id: int,
    *,
    session: Session,
    min_households: int = 300,
    max_households: int = 500,
    geodata: PlanGeodata | None = None,
) -> gpd.GeoDataFrame:
    """Check a plan's cells with :func:`gis.coverage.check.check_coverage`.

    The boundary is the plan's sub-district; each cell must lie in its own community, contain
    ``min_households``–``max_households`` active households, have a unique code and a grid
    leader, and every active household with a location must fall in a cell.

    Returns
    -------
    GeoDataFrame
        One row per problem (``kind``, ``kind_label``, ``cell_ids``, ``area_m2``,
        ``width_m``, ``message``, ``severity``, geometry in EPSG:4490); empty when clean.
    """
    plan = get_plan(plan_id, session=session)
    data = geodata or plan_geodata(plan_id, session=session)
    cells = data.cells.copy()
    cells["leader"] = cells["leader_name"].astype("string")
    boundary = subdistrict_outline(plan.subdistrict_code, session=session)
    problems = check_coverage(
        cells[["cell_code", "community_code", "leader", "geometry"]],
        boundary=boundary if len(boundary) else None,
        households=household_points(session=session),
        id_field="cell_code",
        community_field="community_code",
        communities=community_outlines(plan.subdistrict_code, session=session),
        code_field="cell_code",
        leader_field="leader",
        min_households=min_households,
        max_households=max_households,
    )
    problems.insert(1, "kind_label", problems["kind"].map(KIND_LABELS).astype(object))
    return problems


def blocking(problems: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The problems that stop publishing."""
    return problems[problems["kind"].isin(BLOCKING_KINDS)]


def warnings_of(problems: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The problems publishing accepts with a written note."""
    return problems[problems["kind"].isin(WARNING_KINDS)]
