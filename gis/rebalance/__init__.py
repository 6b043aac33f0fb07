"""Rebalancing a published grid plan (动态调整) with the fewest households moved.

Households keep changing after cells are drawn; within a year some cells hold 700 households and
others 150. Re-proposing from scratch moves most households to new cells and new grid leaders.
:func:`rebalance` repairs the plan instead: every cell back within ``min``–``max`` households,
moving whole blocks — or groups of whole buildings inside a large compound — between
neighbouring cells of the same community, each cell staying contiguous.

Why this algorithm
------------------
Districting repair is usually done by local search (Ríos-Mercado & Fernández's GRASP for
commercial territory design, GerryChain's ReCom). Both move far more units than needed, since
they optimise compactness, not stability. Here the objective is the number of households that
change cell, so the repair is driven by a **minimum-cost flow on the cell adjacency graph**
(networkx's network simplex): each over-full cell must send its excess, each under-full cell
must receive its shortfall, cells in range may pass households on, and every household crossing
a border costs 1. The flow value is a lower bound on the households any repair must move (in the
continuous relaxation); it also says *which borders* they should cross. The flow is then
realised with whole units: a unit on the border of ``c`` towards ``d`` whose households fit in
the flow still owed on that border, and whose removal keeps ``c`` connected (an articulation
check), moves across. After such a move the rest of the flow is still feasible, so the flow
value strictly falls and the households moved by these moves never exceed the first flow's
value. When no unit fits a border's remaining flow (units are lumpy), the move that most lowers
(flow value, households out of range) is taken, re-solving the flow for each candidate; when
none lowers it the cell is reported, with the reason.

The number of cells of a community changes only when its total cannot fit its current count:
a new cell is carved (about ``max(min, excess)`` households, grown from the outermost unit,
keeping the rest connected) out of the fullest cell; a cell is retired by handing its blocks to
its neighbours (multi-source breadth-first growth, so every neighbour stays contiguous). Both
move the fewest households a change of count can. A community whose total fits no count (e.g.
520 households with 300–500) gets the count whose violation is smallest, and says so.

A second balance then moves boundary units so that no cell carries more than
``max_weight_excess`` above its community's average special-group weight (低保, 残疾, 独居老人 …),
keeping every count in range.

Codes stay stable: a final cell holding more than half of an old cell's households keeps that
code (and so its grid leader); other cells get the next free codes of their community, numbered
west→east then north→south; old codes nobody kept are retired, never reused.

The package: :func:`rebalance` (here) checks the input and runs the steps, one module each —
:mod:`~gis.rebalance.units` (input checks, the units), :mod:`~gis.rebalance.state` (the working
assignment), :mod:`~gis.rebalance.community` (cell count and household repair of a community),
:mod:`~gis.rebalance.flow` (the min-cost-flow repair), :mod:`~gis.rebalance.milp` (the exact
repair of small stuck communities), :mod:`~gis.rebalance.weight` (the second balance),
:mod:`~gis.rebalance.codes` (stable codes) and :mod:`~gis.rebalance.result` (the output).

Pure: numpy, pandas, shapely, geopandas, networkx; no database, no Streamlit.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from core.errors import InvalidInputError
from gis.blocks import working_crs
from gis.graph import rook_adjacency
from gis.rebalance.codes import assign_codes
from gis.rebalance.community import _rebalance_community
from gis.rebalance.result import RebalanceResult, _result
from gis.rebalance.state import _State
from gis.rebalance.units import _check_cells, _check_limits, _make_units, _points_in_blocks, _to
from gis.rebalance.weight import _balance_weight

__all__ = ["rebalance"]


def rebalance(
    blocks: gpd.GeoDataFrame,
    households: gpd.GeoDataFrame,
    *,
    cell_field: str = "cell_code",
    community_field: str = "community_code",
    block_id_field: str = "block_id",
    building_field: str | None = None,
    weight_field: str | None = None,
    count_field: str | None = None,
    min_households: int = 300,
    max_households: int = 500,
    limits: Mapping[str, tuple[int, int]] | None = None,
    max_weight_excess: float = 0.5,
    retired_codes: Iterable[str] = (),
    edge_tolerance_m: float = 0.5,
    drop_outside: bool = False,
) -> RebalanceResult:
    """Bring every cell back within its household range, moving the fewest households.

    Parameters
    ----------
    blocks : GeoDataFrame
        Polygons with a CRS, each carrying its current cell's code in ``cell_field`` and its
        community in ``community_field`` (all one community when that column is missing).
    households : GeoDataFrame
        Household points; optional ``building_field`` (楼栋号), ``weight_field`` (special-group
        weight, e.g. 1 per 低保/残疾/独居老人 flag) and ``count_field`` (households per point).
    min_households, max_households : int
        Default range per cell; ``limits`` maps a community code to its own ``(min, max)``.
    max_weight_excess : float, default 0.5
        Most a cell's weight may exceed its community's average cell weight (0.5 = 50 % above).
    retired_codes : iterable of str
        Codes retired earlier, never to be handed out again.
    drop_outside : bool, default False
        Leave out household points outside every block (counted in the summary's
        ``households_outside``) instead of refusing them — for the database, where a
        household may be placed outside the sub-district's blocks.
    edge_tolerance_m : float, default 0.5
        Blocks are neighbours when they share more than this length of boundary (a corner or a
        digitising sliver does not count).

    Raises
    ------
    core.errors.InvalidInputError
        Min > max; blocks without a cell code; a cell whose blocks are not contiguous or lie in
        two communities; household points outside every block.
    """
    started = time.perf_counter()
    _check_limits(min_households, max_households, "默认")
    limits = dict(limits or {})
    for code, (lo, hi) in limits.items():
        _check_limits(lo, hi, f"社区 {code} ")
    if not isinstance(blocks, gpd.GeoDataFrame) or blocks.crs is None:
        raise InvalidInputError("街区必须是带坐标系的面图层")
    if cell_field not in blocks.columns:
        raise InvalidInputError(
            f"街区图层没有网格编码字段 {cell_field}，可用字段：{', '.join(map(str, blocks.columns))}"
        )
    for name in (building_field, weight_field, count_field):
        if name is not None and name not in households.columns:
            raise InvalidInputError(
                f"住户图层没有字段 {name}，可用字段：{', '.join(map(str, households.columns))}"
            )
    blocks = blocks.reset_index(drop=True)
    geoms = np.asarray(blocks.geometry.array)
    if (pd.isna(geoms) | shapely.is_empty(geoms)).any():
        raise InvalidInputError("街区图层有空几何，请先删除或修复")
    work = working_crs(blocks.crs, shapely.total_bounds(geoms))
    geoms = _to(geoms, blocks.crs, work)
    cells0 = blocks[cell_field]
    if cells0.isna().any() or (cells0.astype(str).str.strip() == "").any():
        bad = blocks.index[cells0.isna() | (cells0.astype(str).str.strip() == "")]
        raise InvalidInputError(
            f"有 {len(bad)} 个街区没有网格编码（{cell_field}），例如第 {int(bad[0]) + 1} 个"
        )
    cell0 = cells0.astype(str).str.strip().to_numpy()
    if community_field in blocks.columns:
        if blocks[community_field].isna().any():
            raise InvalidInputError(f"有街区的社区代码（{community_field}）为空")
        comm = blocks[community_field].astype(str).str.strip().to_numpy()
    else:
        comm = np.full(len(blocks), "001", dtype=object)
    bids = (
        blocks[block_id_field].astype(str).to_numpy()
        if block_id_field in blocks.columns
        else np.array([str(i + 1) for i in range(len(blocks))], dtype=object)
    )

    pts_frame = households if households.crs is not None else households.set_crs(blocks.crs)
    pts = _to(np.asarray(pts_frame.geometry.array), pts_frame.crs, work)
    point_block = _points_in_blocks(pts, geoms)
    outside = np.flatnonzero(point_block < 0)
    if len(outside) and drop_outside:
        keep = point_block >= 0
        households = households.iloc[np.flatnonzero(keep)]
        pts, point_block = pts[keep], point_block[keep]
    elif len(outside):
        rows = "、".join(str(int(i) + 1) for i in outside[:5])
        raise InvalidInputError(
            f"有 {len(outside):,} 个住户点不在任何街区内（第 {rows} 个点"
            f"{' 等' if len(outside) > 5 else ''}），请补齐街区或删除这些点"
        )
    pcount = (
        pd.to_numeric(households[count_field], errors="coerce").fillna(0).to_numpy(float)
        if count_field
        else np.ones(len(pts))
    )
    pweight = (
        pd.to_numeric(households[weight_field], errors="coerce").fillna(0).to_numpy(float)
        if weight_field
        else np.zeros(len(pts))
    )
    pbuilding = (
        households[building_field].to_numpy(object)
        if building_field
        else np.full(len(pts), None, dtype=object)
    )

    problems: list[dict[str, object]] = []
    adjacency_blocks = rook_adjacency(geoms, comm, min_shared=edge_tolerance_m)
    _check_cells(cell0, comm, bids, adjacency_blocks)

    def bounds(code: str) -> tuple[int, int]:
        return limits.get(code, (min_households, max_households))

    units = _make_units(
        geoms, bids, comm, cell0, point_block, pts, pbuilding, pcount, pweight, bounds, problems
    )
    adj = rook_adjacency(units.geom, units.comm, min_shared=edge_tolerance_m)
    label = units.cell.copy()  # working assignment: old code, or "+N" for new cells
    movable = units.hh <= np.array([bounds(c)[1] for c in units.comm])
    state = _State(units, adj, label, movable)
    for code in pd.unique(units.comm):
        lo, hi = bounds(code)
        _rebalance_community(state, code, lo, hi, problems)
        _balance_weight(state, code, lo, hi, max_weight_excess)

    new_code = assign_codes(
        units.cell, state.label, units.hh, units.comm, units.geom, retired_codes=retired_codes
    )
    out = _result(blocks, work, units, new_code, bounds, max_weight_excess, problems, started)
    out.summary["households_outside"] = int(len(outside))
    return out
