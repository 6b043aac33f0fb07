"""动态调整: rebalance a published plan into a draft, with the fewest households moved.

Reads the published plan's blocks and the current active, placed households (building from the
parsed door plate, weight = number of special groups), runs :func:`gis.rebalance.rebalance`,
and — when the planner accepts — saves the proposal as an ordinary draft (copied from the
published plan by :func:`services.plans.create_draft_from_published`, then re-assigned),
which the planner edits and publishes like any other. No Streamlit, no SQL here (db/).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy.orm import Session

from core.errors import ConflictError
from db import rebalance_queries as queries
from gis.addresses import parse_address
from gis.crs import STORAGE_CRS
from gis.rebalance import rebalance
from gis.rebalance.result import RebalanceResult
from services import audit
from services.plans.cells import insert_blocks, insert_cell, rebuild_cells
from services.plans.drafts import create_draft_from_published
from services.plans.reads import get_plan, plan_geodata
from services.plans.records import PlanInfo

__all__ = [
    "RebalanceProposal",
    "building_of",
    "create_rebalance_draft",
    "leader_changes",
    "propose_rebalance",
]


@dataclass(frozen=True)
class RebalanceProposal:
    """What :func:`propose_rebalance` found, before anything is written."""

    plan_id: int
    lock_version: int
    result: RebalanceResult
    before: gpd.GeoDataFrame  # the published cells (cell_code, leader_name, geometry)
    after: gpd.GeoDataFrame  # the proposed cells (cell_code, households, weight, geometry)
    leaders: dict[str, str]  # cell code → grid leader's name, for the kept codes
    households_outside: int


def building_of(door: object) -> str | None:
    """A building key from a door plate: the compound or road + number, then the building.

    >>> building_of("兴安花园小区1栋1单元")
    '兴安花园小区1栋'
    >>> building_of("兴安路12号") is None
    True
    """
    if not isinstance(door, str) or not door.strip():
        return None
    parts = parse_address(door)
    number = parts.get("building")
    if not number:
        return None
    place = parts.get("poi") or parts.get("street", "") + parts.get("house_number", "")
    return f"{place}{number}栋"


def propose_rebalance(
    *,
    session: Session,
    plan_id: int,
    min_households: int = 300,
    max_households: int = 500,
    limits: Mapping[str, tuple[int, int]] | None = None,
    max_weight_excess: float = 0.5,
) -> RebalanceProposal:
    """Rebalance the published plan ``plan_id`` against today's households; writes nothing."""
    plan = get_plan(plan_id, session=session)
    if plan.state != "published":
        raise ConflictError(f"方案「{plan.name}」不是已发布的方案，动态调整只针对已发布方案")
    geo = plan_geodata(plan_id, session=session)
    blocks = geo.blocks.rename(columns={"block_key": "block_id"})
    points = queries.household_points_for_rebalance(session)
    points["building"] = [building_of(d) for d in points["door"]]
    used = queries.codes_ever_used(session, subdistrict_code=plan.subdistrict_code)
    current = set(blocks["cell_code"].astype(str))
    result = rebalance(
        blocks,
        points,
        cell_field="cell_code",
        community_field="community_code",
        building_field="building",
        weight_field="weight",
        min_households=min_households,
        max_households=max_households,
        limits=limits,
        max_weight_excess=max_weight_excess,
        retired_codes=[c for c in used if c not in current],
        drop_outside=True,
    )
    after = result.blocks.dissolve(
        "cell_code", aggfunc={"households": "sum", "weight": "sum", "community_code": "first"}
    ).reset_index()
    leaders = {
        str(r.cell_code): str(r.leader_name)
        for r in geo.cells.itertuples()
        if isinstance(r.leader_name, str)
    }
    return RebalanceProposal(
        plan_id=plan_id,
        lock_version=plan.lock_version,
        result=result,
        before=geo.cells,
        after=after,
        leaders=leaders,
        households_outside=int(result.summary.get("households_outside", 0)),  # type: ignore[call-overload]
    )


def leader_changes(proposal: RebalanceProposal) -> pd.DataFrame:
    """Who gains or loses whom: one row per (grid leader's cell, moved block or buildings)."""
    rows = []
    for m in proposal.result.moves.itertuples():
        what = f"{m.block_id}（{m.buildings}）" if m.buildings else str(m.block_id)
        rows.append(
            {
                "cell_code": m.from_cell,
                "leader": proposal.leaders.get(str(m.from_cell), "—"),
                "change": "loses",
                "what": what,
                "other_cell": m.to_cell,
                "households": int(m.households),
            }
        )
        rows.append(
            {
                "cell_code": m.to_cell,
                "leader": proposal.leaders.get(str(m.to_cell), "（新网格，待配网格长）"),
                "change": "gains",
                "what": what,
                "other_cell": m.from_cell,
                "households": int(m.households),
            }
        )
    cols = ["cell_code", "leader", "change", "what", "other_cell", "households"]
    return (
        pd.DataFrame(rows, columns=cols).sort_values(["cell_code", "change"]).reset_index(drop=True)
    )


def create_rebalance_draft(
    *, session: Session, proposal: RebalanceProposal, created_by: str | None
) -> PlanInfo:
    """Save the proposal as a new draft of the sub-district (one transaction).

    The draft starts as a copy of the published plan (same codes, leaders, blocks); moved
    blocks change cell, split compounds become one block per building group (``KEY-1``,
    ``KEY-2`` …), new cells are added with no leader, and cells left without blocks (the
    retired codes) are removed. The cells' outlines are then rebuilt from their blocks.
    """
    with session.begin_nested():
        return _create_draft(session, proposal, created_by)


def _create_draft(s: Session, proposal: RebalanceProposal, created_by: str | None) -> PlanInfo:
    pub = get_plan(proposal.plan_id, session=s)
    if pub.lock_version != proposal.lock_version or pub.state != "published":
        raise ConflictError("已发布的方案在提出调整后被修改过，请重新生成调整方案")
    draft = create_draft_from_published(
        created_by,
        session=s,
        source_plan_id=proposal.plan_id,
        name=f"{pub.name}（动态调整）"[:100],
    )
    units = proposal.result.blocks
    whole = units[units["part"] == 0]
    queries.set_block_cells(
        s,
        plan_id=draft.id,
        cells=zip(whole["block_id"], whole["cell_code"], strict=True),
    )
    reshaped = whole[whole["reshaped"]].to_crs(STORAGE_CRS)
    queries.set_block_geometries(
        s,
        plan_id=draft.id,
        geometries=zip(reshaped["block_id"], shapely.to_wkb(reshaped.geometry.array), strict=True),
    )
    split = units[units["part"] > 0]
    if len(split):
        queries.delete_blocks(s, plan_id=draft.id, block_keys=split["block_id"])
        parts = gpd.GeoDataFrame(
            {
                "block_key": [
                    f"{b}-{p}" for b, p in zip(split["block_id"], split["part"], strict=True)
                ],
                "community_code": split["community_code"].to_numpy(),
                "cell_code": split["cell_code"].to_numpy(),
            },
            geometry=split.geometry.to_numpy(),
            crs=units.crs,
        )
        insert_blocks(draft.id, draft.district_code, parts, session=s)
    cells = proposal.result.cells
    for r in cells[cells["status"] == "new"].itertuples():
        insert_cell(
            draft.id, draft.district_code, str(r.community_code), str(r.cell_code), session=s
        )
    rebuild_cells(draft.id, cells["cell_code"].astype(str), session=s)
    summary = proposal.result.summary
    audit.record(
        session=s,
        username=created_by,
        action=audit.PLAN_REBALANCE_DRAFT,
        target=f"plan:{draft.id}",
        detail={
            "source_plan_id": proposal.plan_id,
            "households_moved": int(summary["households_moved"]),  # type: ignore[call-overload]
            "new_codes": list(summary["new_codes"]),  # type: ignore[call-overload]
            "retired_codes": list(summary["retired_codes"]),  # type: ignore[call-overload]
        },
        district_code=draft.district_code,
    )
    return get_plan(draft.id, session=s)
