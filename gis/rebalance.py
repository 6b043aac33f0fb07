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

Pure: numpy, pandas, shapely, geopandas, networkx; no database, no Streamlit.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import shapely

from core.errors import InvalidInputError
from gis.blocks import working_crs
from gis.cells.codes import number_cells
from gis.compounds import building_label, split_block
from gis.graph import components, rook_adjacency

__all__ = [
    "PROBLEM_KINDS",
    "RebalanceResult",
    "assign_codes",
    "households_moved",
    "rebalance",
]

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
_MAX_ITER = 10_000
_MILP_MAX_UNITS = 80  # communities up to this many units get the exact MILP when stuck
_MILP_SECONDS = 3.0
_TRIAL_MOVES = 30  # flow re-solves for trial moves, per community and cell count
_EXTRA_CELLS = 2  # cells more (or fewer) than the clamped count tried when blocks are lumpy


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


# ---------------------------------------------------------------------------------------------
# Public entry


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


def households_moved(old: np.ndarray, new: np.ndarray, households: np.ndarray) -> int:
    """Households whose cell code differs between two assignments of the same units."""
    return int(np.asarray(households)[np.asarray(old) != np.asarray(new)].sum())


def assign_codes(
    old: np.ndarray,
    groups: np.ndarray,
    households: np.ndarray,
    communities: np.ndarray,
    geoms: np.ndarray,
    *,
    retired_codes: Iterable[str] = (),
) -> np.ndarray:
    """Give each final group a code: the old code it holds most of (over half), else a new one.

    Parameters
    ----------
    old : array of str
        Each unit's old cell code.
    groups : array
        Each unit's final group label (any hashable).
    households : array
        Households per unit.
    communities : array of str
        Each unit's community.
    geoms : array of Geometry
        Unit polygons (to number new cells west→east, north→south).
    retired_codes : iterable of str
        Codes never to hand out again.

    Returns
    -------
    numpy.ndarray of str
        The new code of each unit.
    """
    old = np.asarray(old, dtype=object)
    groups = np.asarray(groups, dtype=object)
    hh = np.asarray(households, dtype=float)
    frame = pd.DataFrame({"old": old, "group": groups, "hh": hh, "n": 1.0})
    by_old = frame.groupby("old")[["hh", "n"]].sum()
    pair = frame.groupby(["old", "group"])[["hh", "n"]].sum().reset_index()
    # Empty old cells count by units, the others by households.
    tot_hh = pair["old"].map(by_old["hh"]).to_numpy(float)
    tot_n = pair["old"].map(by_old["n"]).to_numpy(float)
    pair["share"] = np.where(
        tot_hh > 0, pair["hh"].to_numpy(float) / np.maximum(tot_hh, 1e-12), pair["n"] / tot_n
    )
    pair = pair[pair["share"] > 0.5].sort_values(["group", "share"], ascending=[True, False])
    kept: dict[object, str] = {}
    for r in pair.itertuples():
        if r.group not in kept:
            kept[r.group] = str(r.old)
    out = np.array([kept.get(g, "") for g in groups], dtype=object)
    used = {str(c) for c in old} | {str(c) for c in retired_codes}
    for code in pd.unique(communities):
        mask = (np.asarray(communities) == code) & (out == "")
        if not mask.any():
            continue
        fresh = pd.unique(groups[mask])
        cgeoms = np.array(
            [shapely.union_all(geoms[mask & (groups == g)]) for g in fresh], dtype=object
        )
        seq = number_cells(cgeoms)
        community_old = [str(c) for c in pd.unique(old[np.asarray(communities) == code])]
        names = _next_codes(community_old, used, len(fresh), str(code))
        for g, s in zip(fresh, seq, strict=True):
            out[mask & (groups == g)] = names[int(s) - 1]
    return out


# ---------------------------------------------------------------------------------------------
# Input


def _check_limits(lo: int, hi: int, what: str) -> None:
    if lo < 0 or hi <= 0:
        raise InvalidInputError(f"{what}户数范围 {lo}–{hi} 无效：必须为正数")
    if lo > hi:
        raise InvalidInputError(f"{what}户数下限 {lo} 大于上限 {hi}，请检查 --min/--max")


def _to(geoms: np.ndarray, src: object, dst: pyproj.CRS) -> np.ndarray:
    if pyproj.CRS.from_user_input(src) == dst:
        return geoms
    return np.asarray(gpd.GeoSeries(geoms, crs=src).to_crs(dst).array)


def _points_in_blocks(pts: np.ndarray, geoms: np.ndarray) -> np.ndarray:
    """Index of the block holding each point (the first one for a point on a shared edge)."""
    out = np.full(len(pts), -1)
    if not len(pts):
        return out
    p, b = shapely.STRtree(geoms).query(pts, predicate="intersects")
    order = np.lexsort((b, p))
    p, b = p[order], b[order]
    first = np.r_[True, p[1:] != p[:-1]] if len(p) else np.array([], dtype=bool)
    out[p[first]] = b[first]
    return out


def _check_cells(cell: np.ndarray, comm: np.ndarray, bids: np.ndarray, adj: list[set[int]]) -> None:
    for code in pd.unique(cell):
        members = np.flatnonzero(cell == code)
        communities = sorted({str(c) for c in comm[members]})
        if len(communities) > 1:
            raise InvalidInputError(
                f"网格 {code} 的街区分属多个社区（{'、'.join(communities)}），一个网格只能在一个社区内"
            )
        parts = components(set(members.tolist()), adj)
        if len(parts) > 1:
            names = "、".join(sorted(bids[list(parts[1])].tolist())[:5])
            raise InvalidInputError(
                f"网格 {code} 的街区不连通：分成 {len(parts)} 块（例如街区 {names} 与其余街区不相邻），请先修正网格"
            )


@dataclass
class _Units:
    geom: np.ndarray
    block: np.ndarray  # index of the source block
    block_id: np.ndarray
    part: np.ndarray
    buildings: np.ndarray
    comm: np.ndarray
    cell: np.ndarray
    hh: np.ndarray
    weight: np.ndarray


def _make_units(
    geoms: np.ndarray,
    bids: np.ndarray,
    comm: np.ndarray,
    cell: np.ndarray,
    point_block: np.ndarray,
    pts: np.ndarray,
    building: np.ndarray,
    count: np.ndarray,
    weight: np.ndarray,
    bounds: object,
    problems: list[dict[str, object]],
) -> _Units:
    """Whole blocks, and oversized blocks cut into building groups (see gis.compounds)."""
    hh = np.bincount(point_block, weights=count, minlength=len(geoms))
    wt = np.bincount(point_block, weights=weight, minlength=len(geoms))
    xy = shapely.get_coordinates(pts) if len(pts) else np.empty((0, 2))
    rows: dict[str, list[object]] = {k: [] for k in _Units.__dataclass_fields__}
    for b in range(len(geoms)):
        hi = bounds(str(comm[b]))[1]  # type: ignore[operator]
        pieces: list[tuple[shapely.Geometry, int, str, float, float]]
        if hh[b] > hi:
            mine = np.flatnonzero(point_block == b)
            split = split_block(
                geoms[b], xy[mine], building[mine], max_households=hi, counts=count[mine]
            )
            if split.problem is not None:
                _compound_problem(
                    split.problem,
                    str(comm[b]),
                    str(cell[b]),
                    str(bids[b]),
                    hh[b],
                    hi,
                    split,
                    problems,
                )
            if len(split.parts) > 1:
                pieces = []
                for p, poly in enumerate(split.parts):
                    sel = mine[split.point_part == p]
                    pieces.append(
                        (
                            poly,
                            p + 1,
                            building_label(split.buildings[p]),
                            count[sel].sum(),
                            weight[sel].sum(),
                        )
                    )
            else:
                label = building_label(split.buildings[0]) if split.buildings[0] else ""
                pieces = [(geoms[b], 0, label, hh[b], wt[b])]
        else:
            pieces = [(geoms[b], 0, "", hh[b], wt[b])]
        for poly, part, label, n, w in pieces:
            for key, value in (
                ("geom", poly),
                ("block", b),
                ("block_id", bids[b]),
                ("part", part),
                ("buildings", label),
                ("comm", comm[b]),
                ("cell", cell[b]),
                ("hh", int(round(n))),
                ("weight", float(w)),
            ):
                rows[key].append(value)
    return _Units(
        geom=np.array(rows["geom"], dtype=object),
        block=np.array(rows["block"], dtype=int),
        block_id=np.array(rows["block_id"], dtype=object),
        part=np.array(rows["part"], dtype=int),
        buildings=np.array(rows["buildings"], dtype=object),
        comm=np.array(rows["comm"], dtype=object),
        cell=np.array(rows["cell"], dtype=object),
        hh=np.array(rows["hh"], dtype=int),
        weight=np.array(rows["weight"], dtype=float),
    )


def _compound_problem(
    kind: str,
    comm: str,
    cell: str,
    bid: str,
    hh: float,
    hi: int,
    split: object,
    problems: list[dict[str, object]],
) -> None:
    n = int(round(hh))
    if kind == "no_buildings":
        text = f"社区 {comm} 的街区 {bid} 有 {n:,} 户，超过每格上限 {hi} 户，但住户没有楼栋号，无法按楼栋拆分，保持整块（需补录楼栋号或人工拆分）"
    elif kind == "one_building":
        text = f"社区 {comm} 的街区 {bid} 有 {n:,} 户，超过每格上限 {hi} 户，但只有一栋楼，无法按楼栋拆分，保持整块（需按单元人工拆分）"
    else:
        text = f"社区 {comm} 的街区 {bid} 按楼栋拆分后，仍有一栋楼超过每格上限 {hi} 户（不拆开楼栋），需按单元人工拆分"
    problems.append(
        {
            "kind": kind,
            "community_code": comm,
            "cell_code": cell,
            "block_ids": [bid],
            "households": n,
            "message": text,
        }
    )


# ---------------------------------------------------------------------------------------------
# The repair


class _State:
    """The working assignment of units to cells, with each cell's members."""

    def __init__(
        self, units: _Units, adj: list[set[int]], label: np.ndarray, movable: np.ndarray
    ) -> None:
        self.u = units
        self.adj = adj
        self.label = label.astype(object)
        self.movable = movable
        self.members: dict[str, set[int]] = {}
        for i, c in enumerate(self.label):
            self.members.setdefault(str(c), set()).add(i)
        self.new_count = 0

    def snapshot(self) -> dict[str, object]:
        return {
            "label": self.label.copy(),
            "members": {c: set(m) for c, m in self.members.items()},
            "new_count": self.new_count,
        }

    def restore(self, snap: dict[str, object]) -> None:
        self.label = snap["label"].copy()  # type: ignore[attr-defined]
        self.members = {c: set(m) for c, m in snap["members"].items()}  # type: ignore[attr-defined]
        self.new_count = int(snap["new_count"])  # type: ignore[call-overload]

    def total(self, c: str) -> int:
        return int(self.u.hh[list(self.members[c])].sum()) if self.members.get(c) else 0

    def weight(self, c: str) -> float:
        return float(self.u.weight[list(self.members[c])].sum()) if self.members.get(c) else 0.0

    def move(self, unit: int, dst: str) -> None:
        src = str(self.label[unit])
        self.members[src].discard(unit)
        if not self.members[src]:
            del self.members[src]
        self.members.setdefault(dst, set()).add(unit)
        self.label[unit] = dst

    def cells_of(self, units: set[int]) -> list[str]:
        return sorted({str(self.label[i]) for i in units})

    def stays_connected(self, c: str, removed: set[int]) -> bool:
        rest = self.members[c] - removed
        return bool(rest) and len(components(rest, self.adj)) == 1

    def neighbours(self, c: str) -> set[str]:
        return {str(self.label[m]) for i in self.members[c] for m in self.adj[i]} - {c}

    def border(self, c: str, d: str) -> list[int]:
        """Units of ``c`` touching ``d``."""
        dm = self.members.get(d, set())
        return [i for i in self.members[c] if self.adj[i] & dm]


def _rebalance_community(
    st: _State, code: str, lo: int, hi: int, problems: list[dict[str, object]]
) -> None:
    members = set(np.flatnonzero(st.u.comm == code).tolist())
    for comp in components(members, st.adj):
        cells = st.cells_of(comp)
        total = int(st.u.hh[list(comp)].sum())
        # A unit over the maximum that could not be split keeps its cell; that cell's cap is
        # the unit itself (the nearest plan).
        caps = {
            c: max([hi] + [int(st.u.hh[i]) for i in st.members[c] if not st.movable[i]])
            for c in cells
        }
        k_min, k_max = math.ceil(total / hi), (total // lo if lo > 0 else len(comp))
        k_lo, k_hi, eff_lo = k_min, k_max, lo
        if total == 0:
            continue
        if k_min > k_max:
            # No count fits: the count with the smallest violation, with a relaxed range.
            over = total - max(k_max, 1) * hi  # households above the max with k_max cells
            under = k_min * lo - total  # households short of the min with k_min cells
            if k_max >= 1 and over <= under:
                k_lo = k_hi = k_max
                caps = {c: max(v, math.ceil(total / k_max)) for c, v in caps.items()}
                relaxed = f"按 {k_max} 格、每格至多 {math.ceil(total / k_max)} 户"
            else:
                k_lo = k_hi = k_min
                eff_lo = total // k_min
                relaxed = f"按 {k_min} 格、每格至少 {eff_lo} 户"
            problems.append(
                {
                    "kind": "community_infeasible",
                    "community_code": code,
                    "cell_code": None,
                    "block_ids": [],
                    "households": total,
                    "message": f"社区 {code} 共 {total:,} 户，无法划分为每格 {lo}–{hi} 户的网格"
                    f"（{k_min} 格至少要 {k_min * lo:,} 户，{max(k_max, 1)} 格至多容纳 {max(k_max, 1) * hi:,} 户），"
                    f"已{relaxed}给出最接近的方案",
                }
            )
        # The count nearest today's that the lumps of the blocks allow: start from the current
        # count clamped into [k_min, k_max], then try one more cell at a time.
        k = min(max(len(cells), k_lo), k_hi)
        start = st.snapshot()
        best: tuple[int, int, dict[str, object]] | None = None
        tries = [k] + [
            c for n in range(1, _EXTRA_CELLS + 1) for c in (k + n, k - n) if k_lo <= c <= k_hi
        ]
        for kk in tries:
            st.restore(start)
            _set_count(st, comp, kk, lo, hi, caps)
            for c in st.cells_of(comp):
                caps.setdefault(c, hi)
            _repair(st, comp, eff_lo, caps)
            pen = _penalty(st, st.cells_of(comp), eff_lo, caps)
            if best is None or pen < best[0]:
                best = (pen, kk, st.snapshot())
            if pen == 0:
                break
        assert best is not None
        st.restore(best[2])
        if best[0] > 0 and len(comp) <= _MILP_MAX_UNITS:
            # The flow-guided moves got stuck: solve the best count exactly.
            _milp_repair(st, comp, eff_lo, caps)
        for c in st.cells_of(comp):
            t = st.total(c)
            if not eff_lo <= t <= caps.get(c, hi):
                problems.append(
                    {
                        "kind": "cell_out_of_range",
                        "community_code": code,
                        "cell_code": c,
                        "block_ids": sorted({str(st.u.block_id[i]) for i in st.members[c]}),
                        "households": t,
                        "message": f"社区 {code} 的网格 {c} 调整后有 {t:,} 户，仍不在 {lo}–{hi} 户之内："
                        "相邻街区的户数无法凑成合规网格（街区不能再拆），需要人工调整",
                    }
                )


def _set_count(st: _State, comp: set[int], k: int, lo: int, hi: int, caps: dict[str, int]) -> None:
    while len(st.cells_of(comp)) < k:
        if not _carve(st, comp, lo, hi, caps):
            break
    while len(st.cells_of(comp)) > k:
        if not _retire(st, comp):
            break


def _carve(st: _State, comp: set[int], lo: int, hi: int, caps: dict[str, int]) -> bool:
    """Cut a new cell out of the fullest cell that can give one."""
    cells = sorted(st.cells_of(comp), key=lambda c: (-(st.total(c) - caps.get(c, hi)), c))
    for c in cells:
        t = st.total(c)
        movable = {i for i in st.members[c] if st.movable[i]}
        if len(st.members[c]) < 2 or not movable:
            continue
        target = min(hi, max(lo, t - caps.get(c, hi)))
        xy = shapely.get_coordinates(shapely.centroid(st.u.geom[sorted(movable)]))
        centre = xy.mean(axis=0)
        order = [sorted(movable)[i] for i in np.argsort(-np.hypot(*(xy - centre).T), kind="stable")]
        seed = next((i for i in order if st.stays_connected(c, {i})), None)
        if seed is None:
            continue
        group = {seed}
        got = int(st.u.hh[seed])
        while got < target:
            cand = sorted({m for i in group for m in st.adj[i] if m in movable and m not in group})
            cand = [
                m for m in cand if got + st.u.hh[m] <= hi and st.stays_connected(c, group | {m})
            ]
            if not cand:
                break
            gxy = shapely.get_coordinates(shapely.centroid(st.u.geom[sorted(group)])).mean(axis=0)
            cxy = shapely.get_coordinates(shapely.centroid(st.u.geom[cand]))
            m = cand[int(np.argmin(np.hypot(*(cxy - gxy).T)))]
            if got + st.u.hh[m] - target > target - got and got >= lo:
                break
            group.add(m)
            got += int(st.u.hh[m])
        st.new_count += 1
        new = f"+{st.new_count}"
        for i in group:
            st.move(i, new)
        return True
    return False


def _retire(st: _State, comp: set[int]) -> bool:
    """Hand the blocks of the emptiest cell to its neighbours, each growing contiguously."""
    for c in sorted(st.cells_of(comp), key=lambda c: (st.total(c), c)):
        if not all(st.movable[i] for i in st.members[c]) or not st.neighbours(c):
            continue
        units = set(st.members[c])
        queue: deque[tuple[int, str]] = deque()
        for i in sorted(units):
            for m in sorted(st.adj[i]):
                if m not in units and str(st.label[m]) != c:
                    queue.append((i, str(st.label[m])))
        while queue:
            i, d = queue.popleft()
            if str(st.label[i]) != c:
                continue
            st.move(i, d)
            for m in sorted(st.adj[i]):
                if m in units and str(st.label[m]) == c:
                    queue.append((m, d))
        return True
    return False


def _flow(
    st: _State, cells: list[str], lo: int, caps: dict[str, int]
) -> tuple[float, dict[str, dict[str, int]]] | None:
    """Min-cost flow of households between neighbouring cells; None when no flow fits."""
    g = nx.DiGraph()
    mandatory_out = mandatory_in = 0
    for c in cells:
        t, hi = st.total(c), caps[c]
        need = max(0, lo - t) - max(0, t - hi)  # > 0: must receive; < 0: must send
        g.add_node(c, demand=need)
        mandatory_in += max(0, need)
        mandatory_out += max(0, -need)
        g.add_edge(c, "_sink", capacity=max(0, hi - max(t, lo)), weight=0)
        g.add_edge("_source", c, capacity=max(0, min(t, hi) - lo), weight=0)
        for d in st.neighbours(c):
            if d in caps:
                g.add_edge(c, d, weight=1)
    # Source and sink are joined by a free edge, so a cell may give while another absorbs
    # (cheaper when they sit nearer to the deficit and the excess than these are to each other).
    spare = sum(g.edges["_source", c]["capacity"] for c in cells) + mandatory_in
    g.add_node("_source", demand=-spare)
    g.add_node("_sink", demand=spare - mandatory_in + mandatory_out)
    g.add_edge("_source", "_sink", weight=0)
    try:
        cost, flow = nx.network_simplex(g)
    except (nx.NetworkXUnfeasible, nx.NetworkXError):
        return None
    return float(cost), flow


def _off(t: int, lo: int, hi: int) -> int:
    return max(0, lo - t) + max(0, t - hi)


def _penalty(st: _State, cells: list[str], lo: int, caps: dict[str, int]) -> int:
    return sum(max(0, lo - st.total(c)) + max(0, st.total(c) - caps[c]) for c in cells)


def _repair(st: _State, comp: set[int], lo: int, caps: dict[str, int]) -> None:
    # Each trial move re-solves the flow; a community gets a bounded number of them (the MILP
    # takes over for small ones when this runs out).
    budget = [_TRIAL_MOVES]
    iterations = [4 * len(comp) + 20]
    for _ in range(_MAX_ITER):
        # 1. The cheapest way out: a single border move that lowers the households out of
        # range (no flow to solve). Mixed with step 2 this could in principle go back and
        # forth, so the whole loop is capped by the iteration count.
        cells = st.cells_of(comp)
        pen = _penalty(st, cells, lo, caps)
        if pen == 0:
            return
        quick: tuple[int, int, int, str] | None = None
        for c in cells:
            tc = st.total(c)
            for d in sorted(st.neighbours(c)):
                if d not in caps:
                    continue
                td = st.total(d)
                for i in st.border(c, d):
                    h = int(st.u.hh[i])
                    if not st.movable[i] or h <= 0:
                        continue
                    delta = (
                        _off(tc - h, lo, caps[c])
                        + _off(td + h, lo, caps[d])
                        - _off(tc, lo, caps[c])
                        - _off(td, lo, caps[d])
                    )
                    if delta < 0 and (quick is None or (delta, h) < (quick[0], quick[1])):
                        if st.stays_connected(c, {i}):
                            quick = (delta, h, i, d)
        if quick is not None and pen > 0 and iterations[0] > 0:
            iterations[0] -= 1
            st.move(quick[2], quick[3])
            continue
        solved = _flow(st, cells, lo, caps)
        if solved is None:
            return
        cost, flow = solved
        if cost == 0 and _penalty(st, cells, lo, caps) == 0:
            return
        # 2. Realise the flow with whole units that fit what is owed on a border.
        moved = False
        progress = True
        while progress:
            progress = False
            owed = sorted(
                (
                    (f, c, d)
                    for c, out in flow.items()
                    if c in caps
                    for d, f in out.items()
                    if d in caps and f > 0
                ),
                reverse=True,
            )
            for f, c, d in owed:
                fits = [
                    i
                    for i in st.border(c, d)
                    if st.movable[i] and 0 < st.u.hh[i] <= f and st.stays_connected(c, {i})
                ]
                if fits:
                    i = max(fits, key=lambda i: (st.u.hh[i], -i))
                    st.move(i, d)
                    flow[c][d] -= int(st.u.hh[i])
                    moved = progress = True
                    break
        if moved:
            continue
        # 3. Units are lumpier than the flow: the single move between neighbouring cells that
        # most lowers flow value + households out of range (a strictly falling potential, so
        # this cannot cycle); ties go to the smaller move.
        base = cost + _penalty(st, cells, lo, caps)
        best: tuple[float, int, int, str] | None = None
        # Borders the flow uses first; every border only when none of those helps.
        on_flow = [(c, d) for c in cells for d, f in flow.get(c, {}).items() if d in caps and f > 0]
        every = [(c, d) for c in cells for d in sorted(st.neighbours(c)) if d in caps]
        for pairs in (on_flow, every):
            if best is not None or budget[0] <= 0:
                break
            for c, d in pairs:
                for i in st.border(c, d):
                    if budget[0] <= 0:
                        break
                    if not st.movable[i] or st.u.hh[i] <= 0 or not st.stays_connected(c, {i}):
                        continue
                    st.move(i, d)
                    after = _flow(st, cells, lo, caps)
                    budget[0] -= 1
                    score = (after[0] if after else math.inf) + _penalty(st, cells, lo, caps)
                    st.move(i, c)
                    if score < base and (
                        best is None or (score, int(st.u.hh[i])) < (best[0], best[1])
                    ):
                        best = (score, int(st.u.hh[i]), i, d)
        if best is None:
            return
        st.move(best[2], best[3])


def _milp_repair(st: _State, comp: set[int], lo: int, caps: dict[str, int]) -> bool:
    """Exact repair of a small community as a MILP (HiGHS through ``scipy.optimize.milp``).

    Used when the flow-guided moves get stuck on lumpy blocks (e.g. three 300-household blocks
    where 100 must leave). Minimises the households whose cell differs from their old cell, each
    cell within its range (with a heavily-penalised slack, so the nearest plan comes back when
    none fits) and contiguous by the single-commodity flow formulation (Shirabe 2005): each cell
    has a root unit, which sends one unit of flow to every other member along arcs
    inside the cell. A unit may go to its cell or a neighbouring cell. scipy already ships HiGHS,
    so this needs no extra solver dependency.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_array

    cells = st.cells_of(comp)
    units = sorted(comp)
    cur = {i: str(st.label[i]) for i in units}
    near = {c: st.neighbours(c) & set(cells) for c in cells}
    allowed: dict[int, list[str]] = {}
    for i in units:
        allowed[i] = [cur[i]] + ([] if not st.movable[i] else sorted(near[cur[i]]))
    xi: dict[tuple[int, str], int] = {}
    for i in units:
        for c in allowed[i]:
            xi[(i, c)] = len(xi)
    nx_ = len(xi)
    arcs = [(i, j, c) for (i, c) in xi for j in st.adj[i] if (j, c) in xi]
    fi = {a: nx_ + n for n, a in enumerate(arcs)}
    yi = {key: nx_ + len(arcs) + k for key, k in xi.items()}  # the cell's root
    si = {c: 2 * nx_ + len(arcs) + 2 * n for n, c in enumerate(cells)}  # under, over
    nvar = 2 * nx_ + len(arcs) + 2 * len(cells)
    total = int(st.u.hh[units].sum()) + 1
    cost = np.zeros(nvar)
    for (i, c), k in xi.items():
        if c != str(st.u.cell[i]):
            cost[k] = st.u.hh[i] + 1e-3  # households moved; then fewer units
    for c in cells:
        cost[si[c]] = cost[si[c] + 1] = 10.0 * total
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lb: list[float] = []
    ub: list[float] = []

    def row(entries: list[tuple[int, float]], low: float, high: float) -> None:
        r = len(lb)
        for k, v in entries:
            rows.append(r)
            cols.append(k)
            vals.append(v)
        lb.append(low)
        ub.append(high)

    for i in units:
        row([(xi[(i, c)], 1.0) for c in allowed[i]], 1, 1)
    for c in cells:
        members = [(xi[(i, c)], float(st.u.hh[i])) for i in units if (i, c) in xi]
        row([*members, (si[c], 1.0)], lo, np.inf)
        row([*members, (si[c] + 1, -1.0)], -np.inf, caps[c])
        row([(yi[(i, c)], 1.0) for i in units if (i, c) in xi], 1, 1)
    size = {c: sum(1 for (_, d) in xi if d == c) for c in cells}
    inflow: dict[tuple[int, str], list[tuple[int, float]]] = {}
    for a in arcs:
        i, j, c = a
        inflow.setdefault((j, c), []).append((fi[a], 1.0))
        inflow.setdefault((i, c), []).append((fi[a], -1.0))
        row([(fi[a], 1.0), (xi[(i, c)], -float(size[c]))], -np.inf, 0)
        row([(fi[a], 1.0), (xi[(j, c)], -float(size[c]))], -np.inf, 0)
    for (i, c), k in xi.items():
        # Members take one unit of flow each; only the root may send more than it takes.
        row([*inflow.get((i, c), []), (k, -1.0), (yi[(i, c)], float(size[c]))], 0, np.inf)
        row([(yi[(i, c)], 1.0), (k, -1.0)], -np.inf, 0)
    a_mat = coo_array((vals, (rows, cols)), shape=(len(lb), nvar)).tocsr()
    integrality = np.zeros(nvar)
    integrality[:nx_] = 1
    integrality[nx_ + len(arcs) : 2 * nx_ + len(arcs)] = 1
    upper = np.full(nvar, np.inf)
    upper[:nx_] = 1
    upper[nx_ + len(arcs) : 2 * nx_ + len(arcs)] = 1
    res = milp(
        cost,
        constraints=LinearConstraint(a_mat, lb, ub),
        integrality=integrality,
        bounds=Bounds(np.zeros(nvar), upper),
        options={"time_limit": _MILP_SECONDS},
    )
    if res.x is None:
        return False
    before = _penalty(st, cells, lo, caps)
    saved = {i: cur[i] for i in units}
    for (i, c), k in xi.items():
        if res.x[k] > 0.5 and str(st.label[i]) != c:
            st.move(i, c)
    if _penalty(st, st.cells_of(comp), lo, caps) > before or any(
        not st.stays_connected(c, set()) for c in st.cells_of(comp)
    ):
        for i, c in saved.items():
            if str(st.label[i]) != c:
                st.move(i, c)
        return False
    return True


def _balance_weight(st: _State, code: str, lo: int, hi: int, excess: float) -> None:
    """Move boundary units so no cell's weight is above (1 + excess) × the community average."""
    members = set(np.flatnonzero(st.u.comm == code).tolist())
    for comp in components(members, st.adj):
        cells = st.cells_of(comp)
        total = float(st.u.weight[list(comp)].sum())
        if total <= 0 or len(cells) < 2:
            continue
        cap = total / len(cells) * (1 + excess)

        def over(cs: list[str], cap: float = cap) -> float:
            return sum(max(0.0, st.weight(c) - cap) for c in cs)

        for _ in range(_MAX_ITER):
            base = over(cells)
            if base <= 1e-9:
                break
            best: tuple[float, int, int, str] | None = None
            for c in cells:
                if st.weight(c) <= cap:
                    continue
                for d in st.neighbours(c):
                    if d not in cells:
                        continue
                    for i in st.border(c, d):
                        h, w = int(st.u.hh[i]), float(st.u.weight[i])
                        if not st.movable[i] or w <= 0:
                            continue
                        if st.total(c) - h < lo or st.total(d) + h > hi:
                            continue
                        if not st.stays_connected(c, {i}):
                            continue
                        gain = (
                            max(0.0, st.weight(c) - cap)
                            + max(0.0, st.weight(d) - cap)
                            - max(0.0, st.weight(c) - w - cap)
                            - max(0.0, st.weight(d) + w - cap)
                        )
                        if gain > 1e-9 and (best is None or (-gain, h) < (-best[0], best[1])):
                            best = (gain, h, i, d)
            if best is None:
                break
            st.move(best[2], best[3])


# ---------------------------------------------------------------------------------------------
# Codes and output


def _next_codes(community_old: list[str], used: set[str], n: int, community: str) -> list[str]:
    """``n`` fresh codes for a community: the 15-digit prefix of its cells + next free number."""
    digits = [c for c in community_old if len(c) == 15 and c.isascii() and c.isdigit()]
    if digits:
        prefix = max(
            set(c[:12] for c in digits), key=lambda p: sum(c.startswith(p) for c in digits)
        )
        taken = {
            int(c[12:]) for c in used if len(c) == 15 and c.startswith(prefix) and c[12:].isdigit()
        }
        out: list[str] = []
        s = 1
        while len(out) < n:
            if s not in taken:
                out.append(f"{prefix}{s:03d}")
            s += 1
        if s > 1000:
            raise InvalidInputError(f"社区 {community} 的网格序号已用尽（最多 999 个）")
        return out
    out = []
    s = 1
    while len(out) < n:
        name = f"{community}-{s:03d}"
        if name not in used:
            out.append(name)
        s += 1
    return out


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
