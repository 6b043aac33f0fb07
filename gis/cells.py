"""Proposing grid cells (网格) from blocks (街区) and household points, and cell codes.

A cell is a set of contiguous blocks (sharing an edge, not just a corner) inside one community
with ``min_households``–``max_households`` households. The proposal is a starting point for the
planner: where the rules cannot be met — a single block already too big, a community that cannot
be cut into cells of the allowed size — it says so plainly in ``problems`` instead of producing a
cell that breaks the rules.

Cell codes follow Beijing DB11/T 2157-2023: 6 digits district (GB/T 2260) + 3 sub-district +
3 community + 3 cell sequence = 15 digits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from core.errors import InvalidInputError
from gis.blocks import working_crs
from gis.graph import components, rook_adjacency

__all__ = [
    "CellCode",
    "ProposalResult",
    "PROBLEM_KINDS",
    "cell_code",
    "number_cells",
    "propose_cells",
    "validate_cell_code",
]

#: Kinds of entries in :attr:`ProposalResult.problems`.
PROBLEM_KINDS = {
    "block_too_big": "单个街区户数超过上限",
    "community_infeasible": "社区无法按户数范围划分",
    "cells_out_of_range": "剩余街区无法组成合规网格",
    "isolated_blocks": "孤立街区未编入网格",
    "unassigned_households": "住户不在任何街区内",
    "no_community": "街区没有所属社区",
}
_PROBLEM_COLUMNS = ["kind", "community_code", "block_ids", "households", "message"]


class CellCode(NamedTuple):
    """The four parts of a 15-digit cell code."""

    district: str
    subdistrict: str
    community: str
    cell: str


@dataclass(frozen=True)
class ProposalResult:
    """A proposed set of cells.

    Attributes
    ----------
    cells : geopandas.GeoDataFrame
        ``cell_code`` (15 digits), ``community_code``, ``households``, ``block_ids`` (list of
        str) and ``geometry`` (the union of the blocks), in the blocks' CRS.
    problems : pandas.DataFrame
        ``kind`` (see :data:`PROBLEM_KINDS`), ``community_code``, ``block_ids``,
        ``households`` and a Chinese ``message``; empty when every block found a cell.
    """

    cells: gpd.GeoDataFrame
    problems: pd.DataFrame


# ---------------------------------------------------------------------------------------------
# Codes


def _part(value: object, *, digits: int, name: str) -> str:
    if isinstance(value, bool):
        raise InvalidInputError(f"{name}必须是 {digits} 位数字，收到 {value!r}")
    if isinstance(value, int | np.integer):
        if not 0 < int(value) < 10**digits:
            raise InvalidInputError(f"{name}必须在 1–{10**digits - 1} 之间，收到 {value}")
        return f"{int(value):0{digits}d}"
    text = str(value).strip()
    if len(text) != digits or not text.isascii() or not text.isdigit():
        raise InvalidInputError(f"{name}必须是 {digits} 位数字，收到 {value!r}")
    return text


def cell_code(
    district_code: str | int,
    subdistrict_code: str | int,
    community_seq: str | int,
    cell_seq: str | int,
) -> str:
    """Compose a 15-digit cell code (网格编码).

    Parameters
    ----------
    district_code : str or int
        6-digit district code (GB/T 2260), e.g. ``"610902"`` for 汉滨区.
    subdistrict_code : str or int
        3-digit sub-district code, or an int 1–999.
    community_seq : str or int
        3-digit community number, or an int 1–999.
    cell_seq : str or int
        3-digit cell number within the community, or an int 1–999.

    Returns
    -------
    str

    Examples
    --------
    >>> cell_code("610902", "001", 12, 3)
    '610902001012003'
    """
    code = (
        _part(district_code, digits=6, name="区县代码")
        + _part(subdistrict_code, digits=3, name="街道代码")
        + _part(community_seq, digits=3, name="社区序号")
        + _part(cell_seq, digits=3, name="网格序号")
    )
    validate_cell_code(code)
    return code


def validate_cell_code(code: str) -> CellCode:
    """Check a 15-digit cell code and split it into its parts.

    Raises
    ------
    core.errors.InvalidInputError
        Not 15 ASCII digits, a district code starting with 0, or a sub-district, community or
        cell number of ``000``.

    Examples
    --------
    >>> validate_cell_code("610902001012003").cell
    '003'
    """
    text = str(code).strip()
    if len(text) != 15 or not text.isascii() or not text.isdigit():
        raise InvalidInputError(
            f"网格编码 {code!r} 必须是 15 位数字（6 位区县 + 3 位街道 + 3 位社区 + 3 位网格）"
        )
    parts = CellCode(text[:6], text[6:9], text[9:12], text[12:])
    if parts.district[0] == "0":
        raise InvalidInputError(f"网格编码 {text} 的区县代码 {parts.district} 无效")
    for value, name in (
        (parts.subdistrict, "街道"),
        (parts.community, "社区"),
        (parts.cell, "网格"),
    ):
        if value == "000":
            raise InvalidInputError(f"网格编码 {text} 的{name}序号不能为 000")
    return parts


def number_cells(geometries: np.ndarray) -> np.ndarray:
    """Order cells west→east, then north→south, like lines of text.

    Rows are bands of height √(median cell area) counted down from the northernmost centroid;
    within a row cells run west→east by centroid. Returns the 1-based sequence of each input.
    """
    n = len(geometries)
    if n == 0:
        return np.empty(0, dtype=int)
    c = shapely.get_coordinates(shapely.centroid(geometries))
    band = math.sqrt(max(float(np.median(shapely.area(geometries))), 1e-9))
    row = np.floor((c[:, 1].max() - c[:, 1]) / band)
    order = np.lexsort((c[:, 0], row))
    seq = np.empty(n, dtype=int)
    seq[order] = np.arange(1, n + 1)
    return seq


# ---------------------------------------------------------------------------------------------
# Proposal


def propose_cells(
    blocks: gpd.GeoDataFrame,
    households: gpd.GeoDataFrame,
    *,
    community_field: str = "community_code",
    min_households: int = 300,
    max_households: int = 500,
    district_code: str = "610902",
    subdistrict_code: str = "001",
    community_seqs: Mapping[str, int | str] | None = None,
    communities: gpd.GeoDataFrame | None = None,
    block_id_field: str = "block_id",
    count_field: str | None = None,
) -> ProposalResult:
    """Group contiguous blocks into cells of ``min_households``–``max_households`` households.

    Blocks are grouped within their community only (never across a community boundary),
    through shared edges (corner contact does not count). Each community is cut into
    ``k`` cells, ``k`` as close to ``households / mid-range`` as the range allows; cells are
    grown one at a time from the outermost free block, adding the neighbour nearest to the
    cell's centre, then repaired by moving boundary blocks between neighbouring cells.
    Blocks without households go with the cell they border.

    Parameters
    ----------
    blocks : GeoDataFrame
        Blocks (Polygon), e.g. from :func:`gis.blocks.blocks_from_streets`, with a CRS.
    households : GeoDataFrame
        Household points (one per household, or with ``count_field``).
    community_field : str, default "community_code"
        Column of the blocks with the community code. When missing, ``communities`` gives it
        (by largest overlap); without either, all blocks form one community.
    min_households, max_households : int, default 300, 500
        Allowed households per cell.
    district_code, subdistrict_code : str
        First 6 + 3 digits of every cell code.
    community_seqs : mapping, optional
        Community code → 3-digit community number. By default the last 3 digits of the
        community code.
    communities : GeoDataFrame, optional
        Community polygons with ``community_field``, used when the blocks lack that column.
    block_id_field : str, default "block_id"
        Column naming the blocks; the index when missing.
    count_field : str, optional
        Column of ``households`` giving the number of households per point.

    Returns
    -------
    ProposalResult
        ``.cells`` numbered west→east, then north→south within each community (see
        :func:`number_cells`), and ``.problems``.
    """
    if not isinstance(blocks, gpd.GeoDataFrame) or blocks.crs is None:
        raise InvalidInputError("街区必须是带坐标系的 GeoDataFrame")
    if not 0 <= min_households <= max_households:
        raise InvalidInputError(
            f"户数范围 {min_households}–{max_households} 无效：下限必须不大于上限且不为负"
        )
    if max_households <= 0:
        raise InvalidInputError("户数上限必须大于 0")
    _part(district_code, digits=6, name="区县代码")
    _part(subdistrict_code, digits=3, name="街道代码")
    problems: list[dict[str, object]] = []

    geoms = np.asarray(blocks.geometry.array)
    keep = ~(pd.isna(geoms) | shapely.is_empty(geoms))
    blocks = blocks.loc[keep]
    geoms = geoms[keep]
    work = working_crs(blocks.crs, shapely.total_bounds(geoms) if len(geoms) else None)
    if work != pyproj.CRS.from_user_input(blocks.crs):
        geoms = np.asarray(gpd.GeoSeries(geoms, crs=blocks.crs).to_crs(work).array)
    if block_id_field in blocks.columns:
        bids = blocks[block_id_field].astype(str).to_numpy()
    else:
        bids = np.array([str(i) for i in blocks.index])
    community = _block_communities(blocks, geoms, work, community_field, communities, problems)
    hh = _count_households(geoms, households, work, count_field, problems)

    adjacency = rook_adjacency(geoms, community)
    cells_rows: list[dict[str, object]] = []
    for code in pd.unique(community):
        members = np.flatnonzero(community == code)
        groups = _partition(
            members, hh, adjacency, geoms, bids, code, min_households, max_households, problems
        )
        if not groups:
            continue
        cgeoms = np.asarray([shapely.union_all(geoms[g]) for g in groups], dtype=object)
        seq = number_cells(cgeoms)
        cseq = _community_seq(code, community_seqs)
        for g, geom, s in zip(groups, cgeoms, seq, strict=True):
            cells_rows.append(
                {
                    "cell_code": cell_code(district_code, subdistrict_code, cseq, int(s)),
                    "community_code": code,
                    "households": int(hh[g].sum()),
                    "block_ids": sorted(bids[g].tolist()),
                    "geometry": geom,
                }
            )
    if cells_rows:
        frame = pd.DataFrame(cells_rows).sort_values("cell_code").reset_index(drop=True)
        geo = gpd.GeoSeries(frame.pop("geometry").to_numpy(), crs=work)
    else:
        frame = pd.DataFrame(
            {
                c: pd.Series(dtype=object)
                for c in ["cell_code", "community_code", "households", "block_ids"]
            }
        )
        geo = gpd.GeoSeries([], crs=work)
    if work != pyproj.CRS.from_user_input(blocks.crs):
        geo = geo.to_crs(blocks.crs)
    cells = gpd.GeoDataFrame(frame, geometry=geo.to_numpy(), crs=blocks.crs)
    probs = pd.DataFrame(problems, columns=_PROBLEM_COLUMNS)
    return ProposalResult(cells=cells, problems=probs)


def _community_seq(code: str, mapping: Mapping[str, int | str] | None) -> str | int:
    if mapping is not None and code in mapping:
        return mapping[code]
    text = str(code)
    if len(text) >= 3 and text[-3:].isdigit() and text[-3:] != "000":
        return text[-3:]
    raise InvalidInputError(
        f"社区代码 {code!r} 的末三位不是有效的社区序号，请用 community_seqs 指定社区序号"
    )


def _block_communities(
    blocks: gpd.GeoDataFrame,
    geoms: np.ndarray,
    work: pyproj.CRS,
    community_field: str,
    communities: gpd.GeoDataFrame | None,
    problems: list[dict[str, object]],
) -> np.ndarray:
    if community_field in blocks.columns:
        values = blocks[community_field]
        if values.isna().any():
            raise InvalidInputError(
                f"有 {int(values.isna().sum())} 个街区的 {community_field} 为空，请补齐所属社区"
            )
        return values.astype(str).to_numpy()
    if communities is not None:
        if community_field not in communities.columns:
            raise InvalidInputError(f"社区图层没有字段 {community_field}")
        comm = communities if communities.crs is not None else communities.set_crs(blocks.crs)
        cg = np.asarray(comm.to_crs(work).geometry.array)
        ccode = comm[community_field].astype(str).to_numpy()
        k, j = shapely.STRtree(cg).query(geoms, predicate="intersects")
        area = shapely.area(shapely.intersection(geoms[k], cg[j]))
        out = np.full(len(geoms), "", dtype=object)
        order = np.lexsort((-area, k))
        first = np.r_[True, k[order][1:] != k[order][:-1]] if len(order) else np.array([], bool)
        out[k[order][first]] = ccode[j[order][first]]
        lost = np.flatnonzero(out == "")
        if len(lost):
            raise InvalidInputError(f"有 {len(lost)} 个街区不在任何社区内，无法确定所属社区")
        return out
    problems.append(
        {
            "kind": "no_community",
            "community_code": "001",
            "block_ids": [],
            "households": np.nan,
            "message": f"街区没有 {community_field} 字段，也没有社区图层：全部街区按同一个社区（序号 001）划分",
        }
    )
    return np.full(len(geoms), "001", dtype=object)


def _count_households(
    geoms: np.ndarray,
    households: gpd.GeoDataFrame,
    work: pyproj.CRS,
    count_field: str | None,
    problems: list[dict[str, object]],
) -> np.ndarray:
    hh = households if households.crs is not None else households.set_crs(work)
    pts = np.asarray(hh.to_crs(work).geometry.array)
    weight = (
        hh[count_field].fillna(0).astype(float).to_numpy()
        if count_field is not None
        else np.ones(len(pts))
    )
    c, p = shapely.STRtree(pts).query(geoms, predicate="intersects")
    # A point on a shared edge is counted once, in the first block.
    order = np.lexsort((c, p))
    p, c = p[order], c[order]
    p, first = np.unique(p, return_index=True)
    c = c[first]
    counts = np.bincount(c, weights=weight[p], minlength=len(geoms))
    lost = len(pts) - len(p)
    if lost:
        problems.append(
            {
                "kind": "unassigned_households",
                "community_code": None,
                "block_ids": [],
                "households": float(np.delete(weight, p).sum()),
                "message": f"有 {lost} 个住户点不在任何街区内，未计入网格",
            }
        )
    return np.rint(counts).astype(int)


def _names(bids: np.ndarray, members: object, limit: int = 8) -> str:
    names = sorted(bids[list(members)].tolist())  # type: ignore[call-overload]
    text = "、".join(names[:limit])
    return text + (f" 等 {len(names)} 个街区" if len(names) > limit else "")


def _partition(
    members: np.ndarray,
    hh: np.ndarray,
    adj: list[set[int]],
    geoms: np.ndarray,
    bids: np.ndarray,
    code: str,
    lo: int,
    hi: int,
    problems: list[dict[str, object]],
) -> list[np.ndarray]:
    """Cut one community into connected groups within [lo, hi] households."""
    xy = shapely.get_coordinates(shapely.centroid(geoms))
    area = shapely.area(geoms)
    free = set(members.tolist())
    for b in sorted(free):
        if hh[b] > hi:
            problems.append(
                {
                    "kind": "block_too_big",
                    "community_code": code,
                    "block_ids": [str(bids[b])],
                    "households": int(hh[b]),
                    "message": f"社区 {code} 的街区 {bids[b]} 单独就有 {hh[b]} 户，超过每格上限 {hi} 户，需要人工拆分（未编入网格）",
                }
            )
            free.discard(b)
    groups: list[set[int]] = []
    for comp in components(free, adj):
        total = int(hh[list(comp)].sum())
        if total == 0:
            problems.append(
                {
                    "kind": "isolated_blocks",
                    "community_code": code,
                    "block_ids": sorted(bids[list(comp)].tolist()),
                    "households": 0,
                    "message": f"社区 {code} 的街区 {_names(bids, comp)} 没有住户，且不与其他可编网格的街区相邻，未编入网格",
                }
            )
            continue
        k_min = math.ceil(total / hi)
        k_max = total // lo if lo > 0 else len(comp)
        if k_min > k_max:
            problems.append(
                {
                    "kind": "community_infeasible",
                    "community_code": code,
                    "block_ids": sorted(bids[list(comp)].tolist()),
                    "households": total,
                    "message": f"社区 {code} 的相连街区 {_names(bids, comp)} 共 {total} 户，无法划分为每格 {lo}–{hi} 户的网格",
                }
            )
            continue
        k = min(max(round(total / ((lo + hi) / 2)), k_min), k_max)
        groups.extend(_best_partition(comp, k, hh, adj, xy, area, lo, hi))
    good = []
    for g in groups:
        h = int(hh[list(g)].sum())
        if lo <= h <= hi:
            good.append(np.array(sorted(g)))
        else:
            problems.append(
                {
                    "kind": "cells_out_of_range",
                    "community_code": code,
                    "block_ids": sorted(bids[list(g)].tolist()),
                    "households": h,
                    "message": f"社区 {code} 的街区 {_names(bids, g)} 共 {h} 户，无法与相邻街区组成 {lo}–{hi} 户的网格，需要人工调整（未编入网格）",
                }
            )
    return good


def _best_partition(
    comp: set[int],
    k: int,
    hh: np.ndarray,
    adj: list[set[int]],
    xy: np.ndarray,
    area: np.ndarray,
    lo: int,
    hi: int,
) -> list[set[int]]:
    """Try a few first seeds (the outermost blocks) and keep the partition that places most
    households in valid groups; ties go to the fewest groups out of range."""
    nodes = sorted(comp)
    pts = xy[nodes]
    far = np.hypot(*(pts - pts.mean(axis=0)).T)
    seeds: list[int | None] = [None] + [nodes[i] for i in np.argsort(-far, kind="stable")[:6]]
    best: list[set[int]] = []
    best_score: tuple[int, int] | None = None
    for seed in seeds:
        groups = _repair(
            _grow(comp, k, hh, adj, xy, area, lo, hi, first_seed=seed), hh, adj, lo, hi
        )
        sums = [int(hh[list(g)].sum()) for g in groups]
        bad = [t for t in sums if not lo <= t <= hi]
        score = (sum(bad), len(bad))
        if best_score is None or score < best_score:
            best, best_score = groups, score
        if score == (0, 0):
            break
    return best


def _grow(
    comp: set[int],
    k: int,
    hh: np.ndarray,
    adj: list[set[int]],
    xy: np.ndarray,
    area: np.ndarray,
    lo: int,
    hi: int,
    *,
    first_seed: int | None = None,
) -> list[set[int]]:
    """Grow ``k`` groups one after another, each from the outermost free block.

    A block is preferred when taking it leaves every remaining pocket of free blocks
    splittable within [lo, hi] — the usual way a greedy region-grower strands a corner.
    """

    def splittable(nodes: set[int]) -> bool:
        for part in components(nodes, adj):
            t = int(hh[list(part)].sum())
            if t and math.ceil(t / hi) > (t // lo if lo > 0 else len(part)):
                return False
        return True

    free = set(comp)
    groups: list[set[int]] = []
    for r in range(k):
        if not free:
            break
        if r == k - 1:
            groups.append(set(free))
            free.clear()
            break
        target = int(hh[list(free)].sum()) / (k - r)
        if r == 0 and first_seed is not None:
            seed = first_seed
        else:
            nodes = sorted(free)
            pts = xy[nodes]
            far = np.hypot(*(pts - pts.mean(axis=0)).T)
            seed = nodes[int(np.argmax(far))]
        group = {seed}
        free.discard(seed)
        total = int(hh[seed])
        weight = area[seed]
        gc = xy[seed] * area[seed]
        while True:
            cand = sorted({c for g in group for c in adj[g] if c in free and total + hh[c] <= hi})
            if not cand:
                break
            rest_ok = splittable(free)
            if total >= lo and rest_ok and total >= target:
                break
            good = [c for c in cand if splittable(free - {c})]
            centroid = gc / weight
            best = min(good or cand, key=lambda c: (float(np.hypot(*(xy[c] - centroid))), c))
            if total >= lo and rest_ok and total + hh[best] - target > target - total:
                break  # adding it overshoots the target more than stopping short
            group.add(best)
            free.discard(best)
            total += int(hh[best])
            gc = gc + xy[best] * area[best]
            weight += area[best]
        groups.append(group)
    # Leftover pockets (the last group may be disconnected) become separate groups.
    out: list[set[int]] = []
    for g in groups:
        out.extend(components(g, adj))
    return out


def _repair(
    groups: list[set[int]], hh: np.ndarray, adj: list[set[int]], lo: int, hi: int
) -> list[set[int]]:
    """Merge or shift boundary blocks until every group is within [lo, hi], where possible."""
    groups = [set(g) for g in groups if g]

    def total(g: set[int]) -> int:
        return int(hh[list(g)].sum())

    for _ in range(200):
        owner = {b: n for n, g in enumerate(groups) for b in g}
        bad = [n for n, g in enumerate(groups) if not lo <= total(g) <= hi or total(g) == 0]
        if not bad:
            break
        changed = False
        for n in bad:
            g = groups[n]
            t = total(g)
            neighbours = {owner[c] for b in g for c in adj[b] if c in owner and owner[c] != n}
            # 1. Merge with a neighbouring group when the sum fits.
            fits = [m for m in neighbours if total(groups[m]) + t <= hi]
            if (t < lo or t == 0) and fits:
                m = min(fits, key=lambda m: (total(groups[m]), m))
                groups[m] |= g
                groups[n] = set()
                changed = True
                break
            # 2. Move one boundary block across, keeping both sides connected.
            moves = []
            for m in neighbours:
                h = groups[m]
                tm = total(h)
                if t < lo:  # pull a block in from m
                    for b in (c for c in h if adj[c] & g):
                        nt, nm = t + hh[b], tm - hh[b]
                        if nt <= hi and nm >= lo and _connected(h - {b}, adj):
                            moves.append((abs(lo - nt) if nt < lo else 0, b, m, n))
                else:  # push a block out to m
                    for b in (c for c in g if adj[c] & h):
                        nt, nm = t - hh[b], tm + hh[b]
                        if nm <= hi and nt >= lo and g - {b} and _connected(g - {b}, adj):
                            moves.append((abs(nt - hi) if nt > hi else 0, b, n, m))
            if moves:
                _, b, src, dst = min(moves)
                groups[src].discard(b)
                groups[dst].add(b)
                changed = True
                break
        groups = [g for g in groups if g]
        if not changed:
            break
    return groups


def _connected(nodes: set[int], adj: list[set[int]]) -> bool:
    return len(nodes) > 0 and len(components(nodes, adj)) == 1
