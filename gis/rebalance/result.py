"""What :func:`gis.rebalance.rebalance` hands back: the result type, its problem kinds, and
the output frames (units, moves, cells, summary) built from the final assignment."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from gis.rebalance.units import _to, _Units

__all__ = ["PROBLEM_KINDS", "RebalanceResult"]

#: Kinds of entries in :attr:`RebalanceResult.problems`.
PROBLEM_KINDS = {
    "no_buildings": "超大街区没有楼栋号，未拆分",
    "one_building": "超大街区只有一栋楼，未拆分",
    "building_too_big": "单栋楼户数超过上限",
    "community_infeasible": "社区总户数无法划分为合规网格",
    "cell_out_of_range": "网格户数仍超出范围",
    "weight_over_share": "网格重点人群负担仍高于上限",
}
_PROBLEM_COLUMNS = ["kind", "community_code", "cell_code", "block_ids", "households", "message"]


@dataclass(frozen=True)
class RebalanceResult:
    """A rebalanced plan.

    Attributes
    ----------
    blocks : GeoDataFrame
        One row per unit: a whole block, or a part (building group) of a split block.
        ``block_id``, ``part`` (0 for a whole block, 1… for parts), ``buildings`` (label of the
        part's buildings), ``community_code``, ``old_cell_code``, ``cell_code`` (new),
        ``households``, ``weight``, ``moved`` (bool), ``geometry``; in the input CRS.
    moves : GeoDataFrame
        The moved units: ``block_id``, ``part``, ``buildings``, ``from_cell``, ``to_cell``,
        ``households``, ``weight``, ``geometry``.
    cells : DataFrame
        One row per old or new code: ``cell_code``, ``community_code``, ``status`` (kept / new /
        retired), ``households_before``, ``households_after``, ``weight_before``,
        ``weight_after``, ``min_households``, ``max_households``.
    problems : DataFrame
        ``kind`` (see :data:`PROBLEM_KINDS`), ``community_code``, ``cell_code``, ``block_ids``,
        ``households`` and a Chinese ``message``.
    summary : dict
        The CLI's JSON summary (``cells_before`` … ``seconds``).
    """

    blocks: gpd.GeoDataFrame
    moves: gpd.GeoDataFrame
    cells: pd.DataFrame
    problems: pd.DataFrame
    summary: dict[str, object] = field(default_factory=dict)


def _result(
    blocks: gpd.GeoDataFrame,
    work: pyproj.CRS,
    u: _Units,
    new_code: np.ndarray,
    bounds: object,
    excess: float,
    problems: list[dict[str, object]],
    started: float,
) -> RebalanceResult:
    moved = u.cell != new_code
    geom_out, reshaped = _output_geometries(np.asarray(blocks.geometry.array), blocks.crs, work, u)
    geo = gpd.GeoSeries(geom_out, crs=blocks.crs)
    frame = gpd.GeoDataFrame(
        {
            "block_id": u.block_id.astype(str),
            "part": u.part,
            "buildings": u.buildings.astype(str),
            "community_code": u.comm.astype(str),
            "old_cell_code": u.cell.astype(str),
            "cell_code": new_code.astype(str),
            "households": u.hh,
            "weight": u.weight,
            "moved": moved,
            "reshaped": reshaped,
        },
        geometry=geo.to_numpy(),
        crs=blocks.crs,
    )
    moves = frame.loc[
        moved,
        [
            "block_id",
            "part",
            "buildings",
            "old_cell_code",
            "cell_code",
            "households",
            "weight",
            "geometry",
        ],
    ]
    moves = moves.rename(
        columns={"old_cell_code": "from_cell", "cell_code": "to_cell"}
    ).reset_index(drop=True)

    before = frame.groupby("old_cell_code").agg(
        community_code=("community_code", "first"),
        households_before=("households", "sum"),
        weight_before=("weight", "sum"),
    )
    after = frame.groupby("cell_code").agg(
        community_code=("community_code", "first"),
        households_after=("households", "sum"),
        weight_after=("weight", "sum"),
    )
    codes = sorted(set(before.index) | set(after.index))
    rows = []
    for c in codes:
        comm = (
            before.at[c, "community_code"] if c in before.index else after.at[c, "community_code"]
        )
        lo, hi = bounds(str(comm))  # type: ignore[operator]
        status = (
            "kept"
            if c in before.index and c in after.index
            else ("new" if c in after.index else "retired")
        )
        rows.append(
            {
                "cell_code": c,
                "community_code": comm,
                "status": status,
                "households_before": int(before.at[c, "households_before"])
                if c in before.index
                else 0,
                "households_after": int(after.at[c, "households_after"]) if c in after.index else 0,
                "weight_before": float(before.at[c, "weight_before"]) if c in before.index else 0.0,
                "weight_after": float(after.at[c, "weight_after"]) if c in after.index else 0.0,
                "min_households": lo,
                "max_households": hi,
            }
        )
    cells = pd.DataFrame(rows)

    def out_of_range(col: str, present: pd.Series) -> int:
        sel = cells[present]
        return int(((sel[col] < sel["min_households"]) | (sel[col] > sel["max_households"])).sum())

    had = cells["status"] != "new"
    has = cells["status"] != "retired"
    share_before = _max_share(cells[had], "weight_before")
    share_after = _max_share(cells[has], "weight_after")
    if share_after > 1 + excess + 1e-9:
        problems.append(
            {
                "kind": "weight_over_share",
                "community_code": None,
                "cell_code": None,
                "block_ids": [],
                "households": None,
                "message": f"调整后仍有网格的重点人群负担为社区平均的 {share_after:.2f} 倍，高于上限 {1 + excess:.2f} 倍：相邻街区无法在户数范围内交换",
            }
        )
    summary: dict[str, object] = {
        "cells_before": int(had.sum()),
        "cells_after": int(has.sum()),
        "out_of_range_before": out_of_range("households_before", had),
        "out_of_range_after": out_of_range("households_after", has),
        "households_moved": int(frame.loc[moved, "households"].sum()),
        "blocks_split": int(len(set(frame.loc[frame["part"] > 0, "block_id"]))),
        "kept_codes": sorted(cells.loc[cells["status"] == "kept", "cell_code"].tolist()),
        "new_codes": sorted(cells.loc[cells["status"] == "new", "cell_code"].tolist()),
        "retired_codes": sorted(cells.loc[cells["status"] == "retired", "cell_code"].tolist()),
        "max_weight_share_before": round(share_before, 3),
        "max_weight_share": round(share_after, 3),
        "seconds": round(time.perf_counter() - started, 3),
    }
    probs = pd.DataFrame(problems, columns=_PROBLEM_COLUMNS)
    return RebalanceResult(
        blocks=frame,
        moves=gpd.GeoDataFrame(moves, geometry="geometry", crs=blocks.crs),
        cells=cells,
        problems=probs,
        summary=summary,
    )


def _output_geometries(
    original: np.ndarray, crs: object, work: pyproj.CRS, u: _Units
) -> tuple[np.ndarray, np.ndarray]:
    """Unit polygons in the input CRS that form an exact coverage with the untouched blocks.

    A whole block is returned exactly as it came in (no reprojection round trip). A part of a
    split block is its Voronoi region brought back to the input CRS and clipped to the block's
    own input polygon, so its outer edges keep the block's vertices. Where a line between
    parts meets the block's edge, that new vertex is also inserted into every neighbouring
    block (``reshaped``), so the shared edges still match vertex for vertex.
    """
    out = original[u.block].copy()
    reshaped = np.zeros(len(u.block), dtype=bool)
    split = np.flatnonzero(u.part > 0)
    if not len(split):
        return out, reshaped
    regions = _to(u.geom[split], work, pyproj.CRS.from_user_input(crs))
    out[split] = shapely.intersection(regions, original[u.block[split]])
    tree = shapely.STRtree(original)
    whole_of_block = {int(b): i for i, b in enumerate(u.block) if u.part[i] == 0}
    for b in np.unique(u.block[split]):
        block = original[b]
        old = {tuple(c) for c in shapely.get_coordinates(block)}
        new = [
            c
            for i in split[u.block[split] == b]
            for c in shapely.get_coordinates(out[i])
            if tuple(c) not in old
        ]
        if not new:
            continue
        points = shapely.multipoints(np.array(new))
        edge = shapely.boundary(block)
        on_edge = [
            p for p in shapely.get_parts(points) if shapely.distance(p, edge) < 1e-9 * _scale(block)
        ]
        if not on_edge:
            continue
        snap_to = shapely.multipoints([p.coords[0] for p in on_edge])
        for j in tree.query(block, predicate="intersects"):
            if j == b or int(j) not in whole_of_block:
                continue
            i = whole_of_block[int(j)]
            snapped = shapely.snap(out[i], snap_to, 1e-9 * _scale(block))
            if not shapely.equals_exact(snapped, out[i], 0):
                out[i] = snapped
                reshaped[i] = True
    return out, reshaped


def _scale(geom: shapely.Geometry) -> float:
    """1 for degrees, ~1e5 for metres: tolerances written in degrees."""
    x0, y0, x1, y1 = geom.bounds
    return 1.0 if max(abs(x0), abs(x1)) <= 360 and max(abs(y0), abs(y1)) <= 90 else 1e5


def _max_share(cells: pd.DataFrame, col: str) -> float:
    """The largest cell weight over its community's average cell weight (1.0 = average)."""
    worst = 0.0
    for _, g in cells.groupby("community_code"):
        mean = float(g[col].mean())
        if mean > 0:
            worst = max(worst, float(g[col].max()) / mean)
    return worst
