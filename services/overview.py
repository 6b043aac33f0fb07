"""What the 总览 page shows: the published plan's cells with counts, the base layers, totals."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
from sqlalchemy.orm import Session

from core.errors import NotFoundError
from db import repositories


@dataclass
class Overview:
    plan_name: str
    plan_version: int
    cells: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    totals: dict[str, int]


def load_overview(*, session: Session) -> Overview:
    plan = repositories.published_plan(session)
    if plan is None:
        raise NotFoundError(
            "还没有已发布的网格方案：请规划员发布一个方案，或载入示例数据（make run）"
        )
    cells = repositories.cells_with_counts(session, plan_id=plan["id"])
    communities = repositories.communities(session)
    streets = repositories.streets(session)
    totals = {
        "communities": len(communities),
        "cells": len(cells),
        "households": int(cells["households"].sum()),
        "open_cases": int(cells["open_cases"].sum()),
        "overdue_cases": int(cells["overdue_cases"].sum()),
    }
    return Overview(
        plan_name=plan["name"],
        plan_version=plan["version_no"],
        cells=cells,
        communities=communities,
        streets=streets,
        totals=totals,
    )
