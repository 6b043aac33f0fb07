"""Proposing grid cells (网格) from blocks (街区) and household points.

A cell is a set of contiguous blocks (sharing an edge, not just a corner) inside one community
with ``min_households``–``max_households`` households. The proposal is a starting point for the
planner: where the rules cannot be met — a single block already too big, a community that cannot
be cut into cells of the allowed size — it says so plainly in ``problems`` instead of producing a
cell that breaks the rules. This module prepares the inputs (communities of the blocks,
households per block) and assembles the result; :mod:`gis.cells.partition` does the cutting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from core.errors import InvalidInputError
from core.settings import DISTRICT_CODE
from gis.blocks import working_crs
from gis.cells.codes import _part, cell_code, number_cells
from gis.cells.partition import _partition
from gis.graph import rook_adjacency

__all__ = ["PROBLEM_KINDS", "ProposalResult", "propose_cells"]

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


def propose_cells(
    blocks: gpd.GeoDataFrame,
    households: gpd.GeoDataFrame,
    *,
    community_field: str = "community_code",
    min_households: int = 300,
    max_households: int = 500,
    district_code: str = DISTRICT_CODE,
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
