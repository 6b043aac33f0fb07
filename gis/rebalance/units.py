"""The rebalance's input: range and cell checks, household points placed in blocks, and
the units moved between cells (whole blocks, or building groups of a split compound)."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from core.errors import InvalidInputError
from gis.compounds import building_label, split_block
from gis.graph import components


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
