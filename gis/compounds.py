"""Splitting a large compound (大院、小区) into parts by building (楼栋), never cutting one.

A block holding more households than a cell may hold cannot be one cell's block. When its
households carry building numbers, the block is cut into ``ceil(households / max)`` parts, each
a group of whole buildings:

- buildings are grouped by recursive coordinate bisection of their centroids (split along the
  longer spread, at the household count that gives each side its share of parts), the classic
  way to cut a point set into compact, balanced pieces (Berger & Bokhari 1987) — it keeps the
  groups compact, so the parts read as "the east buildings" and "the west buildings";
- the part polygons are the Voronoi cells of the building centroids, clipped to the block and
  dissolved by group: every part is bounded by the block's streets and by lines running between
  buildings, so a cell boundary never crosses a building's point set.

Households without a building number inside such a block go with the building whose Voronoi
cell they stand in. A block whose households have no building number at all is left whole and
reported; so is a block with one building only.

Pure: numpy, shapely; no database.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from core.errors import InvalidInputError
from gis.blocks import working_crs

__all__ = ["BlockSplit", "building_label", "natural_key", "split_block", "split_oversized_blocks"]


@dataclass(frozen=True)
class BlockSplit:
    """One block cut into parts.

    Attributes
    ----------
    parts : list of shapely.Polygon or MultiPolygon
        One polygon per part, inside the block, together covering it.
    buildings : list of list of str
        The building ids of each part (sorted naturally).
    point_part : numpy.ndarray
        For each household point given, the index of its part.
    problem : str or None
        ``"no_buildings"`` or ``"one_building"`` when the block could not be split (then
        ``parts`` is the whole block), ``"building_too_big"`` when a part of one building still
        holds more than the maximum; ``None`` otherwise.
    """

    parts: list[shapely.Geometry]
    buildings: list[list[str]]
    point_part: np.ndarray
    problem: str | None


_NUM = re.compile(r"(\d+)")
_LOOSE = "未编号住户组"


def natural_key(text: str) -> tuple[object, ...]:
    """Sort ``2栋`` before ``10栋``: digits compare as numbers."""
    return tuple(int(p) if p.isdigit() else p for p in _NUM.split(text))


def building_label(ids: list[str], limit: int = 4) -> str:
    """``1栋、2栋、3栋`` or ``1栋…9栋（共 6 栋）`` for a longer list."""
    ids = sorted(ids, key=natural_key)
    if len(ids) <= limit:
        return "、".join(ids)
    return f"{ids[0]}…{ids[-1]}（共 {len(ids)} 栋）"


def split_block(
    block: shapely.Geometry,
    xy: np.ndarray,
    building: np.ndarray,
    *,
    max_households: int,
    counts: np.ndarray | None = None,
) -> BlockSplit:
    """Cut one block into parts of whole buildings, each of at most ``max_households``.

    Parameters
    ----------
    block : Polygon
        The block, in a metric CRS.
    xy : (n, 2) array
        Household point coordinates (in the block).
    building : (n,) array of object
        Building id of each household, ``None``/empty when unknown.
    max_households : int
        Most households one part may hold.
    counts : (n,) array, optional
        Households per point (default one each).
    """
    n = len(xy)
    w = np.ones(n) if counts is None else np.asarray(counts, dtype=float)
    bld = np.array([_clean(b) for b in building], dtype=object)
    known = np.array([b is not None for b in bld], dtype=bool)
    whole = BlockSplit([block], [[]], np.zeros(n, dtype=int), None)
    if not known.any():
        return BlockSplit(whole.parts, whole.buildings, whole.point_part, "no_buildings")
    ids = sorted({str(b) for b in bld[known]}, key=natural_key)
    if len(ids) == 1 and known.all():
        return BlockSplit([block], [ids], whole.point_part, "one_building")
    index = {b: i for i, b in enumerate(ids)}
    bi = np.array([index[str(b)] if b is not None else -1 for b in bld])
    # Households without a building number are free points, not a building: they are cut
    # into location groups of at most a quarter of the maximum (by the same bisection), each
    # of which then acts as one "building" of the compound.
    if (~known).any():
        loose = np.flatnonzero(~known)
        chunks = max(1, math.ceil(w[loose].sum() / max(1, max_households // 4)))
        pieces = _bisect(list(range(len(loose))), xy[loose], w[loose], min(chunks, len(loose)))
        for n, piece in enumerate(pieces):
            bi[loose[piece]] = len(ids)
            ids.append(f"{_LOOSE}{n + 1}")
    centre = np.array([xy[bi == i].mean(axis=0) for i in range(len(ids))])
    centre = _separate(centre)
    cells = _voronoi(block, centre)
    load = np.bincount(bi, weights=w, minlength=len(ids))
    k = min(max(1, math.ceil(load.sum() / max_households)), len(ids))
    groups = _bisect(list(range(len(ids))), centre, load, k)
    # Lumpy buildings can leave a group over the maximum: one more part until none is, unless
    # the group is a single building (which is never cut).
    while k < len(ids) and any(load[g].sum() > max_households and len(g) > 1 for g in groups):
        k += 1
        groups = _bisect(list(range(len(ids))), centre, load, k)
    problem = "building_too_big" if any(load[g].sum() > max_households for g in groups) else None
    part_of_building = np.empty(len(ids), dtype=int)
    for p, g in enumerate(groups):
        part_of_building[g] = p
    parts = [shapely.union_all([cells[i] for i in g]) for g in groups]
    parts = [_polygonal(shapely.intersection(p, block)) for p in parts]
    return BlockSplit(
        parts,
        [sorted((ids[i] for i in g), key=natural_key) for g in groups],
        part_of_building[bi],
        problem,
    )


def _clean(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value).strip()
    return text or None


def _separate(centre: np.ndarray) -> np.ndarray:
    """Nudge coinciding building centroids apart (a few centimetres) so each has a Voronoi cell."""
    out = centre.copy()
    _, inverse, counts = np.unique(
        np.round(out, 3), axis=0, return_inverse=True, return_counts=True
    )
    for g in np.flatnonzero(counts > 1):
        members = np.flatnonzero(inverse.ravel() == g)
        for j, m in enumerate(members[1:], start=1):
            angle = 2 * math.pi * j / len(members)
            out[m] = out[m] + 0.05 * np.array([math.cos(angle), math.sin(angle)])
    return out


def _voronoi(block: shapely.Geometry, centre: np.ndarray) -> list[shapely.Geometry]:
    """The Voronoi cell of each centroid, clipped to the block, in the centroids' order."""
    diagram = shapely.voronoi_polygons(
        shapely.multipoints(centre), extend_to=shapely.envelope(block).buffer(1.0)
    )
    polys = np.asarray(shapely.get_parts(diagram))
    pts = shapely.points(centre)
    out: list[shapely.Geometry] = [shapely.Polygon()] * len(centre)
    tree = shapely.STRtree(polys)
    p_idx, poly_idx = tree.query(pts, predicate="intersects")
    for p, q in zip(p_idx, poly_idx, strict=True):
        if shapely.is_empty(out[p]):
            out[p] = shapely.intersection(polys[q], block)
    return out


def _bisect(members: list[int], centre: np.ndarray, load: np.ndarray, k: int) -> list[list[int]]:
    if k <= 1 or len(members) <= 1:
        return [members]
    pts = centre[members]
    axis = int(np.argmax(pts.max(axis=0) - pts.min(axis=0)))
    order = [members[i] for i in np.argsort(pts[:, axis], kind="stable")]
    k1 = k // 2
    cum = np.cumsum(load[order])
    target = cum[-1] * k1 / k
    # At least k1 buildings on the left and k - k1 on the right.
    lo_cut, hi_cut = k1, len(order) - (k - k1)
    cut = int(np.argmin(np.abs(cum[lo_cut - 1 : hi_cut] - target))) + lo_cut
    return _bisect(order[:cut], centre, load, k1) + _bisect(order[cut:], centre, load, k - k1)


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygonal parts of an intersection."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    polys = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys) if polys else shapely.Polygon()


def split_oversized_blocks(
    blocks: gpd.GeoDataFrame,
    households: gpd.GeoDataFrame,
    *,
    building_field: str,
    max_households: int,
    block_id_field: str = "block_id",
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, list[str]]:
    """Cut every block over ``max_households`` into building groups, for ``propose``.

    Returns ``(blocks, points, messages)``: the blocks with each oversized block replaced by
    its parts (``block_id`` ``B-1``, ``B-2`` …, column ``part``), one point per block or part
    carrying its households in column ``households`` (so the proposal counts each household in
    its own building's part, wherever its point stands), and a Chinese line per block that
    could not be split.
    """
    if building_field not in households.columns:
        raise InvalidInputError(
            f"住户图层没有楼栋字段 {building_field}，可用字段：{', '.join(map(str, households.columns))}"
        )
    blocks = blocks.reset_index(drop=True)
    geoms = np.asarray(blocks.geometry.array)
    work = working_crs(blocks.crs, shapely.total_bounds(geoms))
    bw = np.asarray(blocks.to_crs(work).geometry.array)
    hh_frame = households if households.crs is not None else households.set_crs(blocks.crs)
    pw = np.asarray(hh_frame.to_crs(work).geometry.array)
    owner = np.full(len(pw), -1)
    if len(pw):
        p, b = shapely.STRtree(bw).query(pw, predicate="intersects")
        order = np.lexsort((b, p))
        p, b = p[order], b[order]
        first = np.r_[True, p[1:] != p[:-1]] if len(p) else np.array([], dtype=bool)
        owner[p[first]] = b[first]
    xy = shapely.get_coordinates(pw) if len(pw) else np.empty((0, 2))
    bld = households[building_field].to_numpy(object)
    bids = (
        blocks[block_id_field].astype(str).to_numpy()
        if block_id_field in blocks.columns
        else np.array([str(i + 1) for i in range(len(blocks))], dtype=object)
    )
    rows: list[dict[str, object]] = []
    geo: list[shapely.Geometry] = []
    counts: list[int] = []
    messages: list[str] = []
    for i in range(len(blocks)):
        mine = np.flatnonzero(owner == i)
        base = blocks.iloc[i].drop(labels=blocks.geometry.name).to_dict()
        if len(mine) <= max_households:
            rows.append({**base, block_id_field: bids[i], "part": 0, "buildings": ""})
            geo.append(bw[i])
            counts.append(len(mine))
            continue
        split = split_block(bw[i], xy[mine], bld[mine], max_households=max_households)
        if split.problem == "no_buildings":
            messages.append(
                f"街区 {bids[i]} 有 {len(mine):,} 户，超过上限 {max_households} 户，但住户没有楼栋号，无法按楼栋拆分"
            )
        elif split.problem == "one_building":
            messages.append(
                f"街区 {bids[i]} 有 {len(mine):,} 户，只有一栋楼，无法按楼栋拆分（需按单元人工拆分）"
            )
        elif split.problem == "building_too_big":
            messages.append(
                f"街区 {bids[i]} 按楼栋拆分后仍有一栋楼超过上限 {max_households} 户（不拆开楼栋）"
            )
        for p, poly in enumerate(split.parts):
            part = p + 1 if len(split.parts) > 1 else 0
            rows.append(
                {
                    **base,
                    block_id_field: f"{bids[i]}-{part}" if part else bids[i],
                    "part": part,
                    "buildings": building_label(split.buildings[p]) if split.buildings[p] else "",
                }
            )
            geo.append(poly)
            counts.append(int((split.point_part == p).sum()))
    out = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geo, crs=work)
    points = gpd.GeoDataFrame(
        {"households": counts},
        geometry=shapely.point_on_surface(np.asarray(geo, dtype=object)),
        crs=work,
    )
    lost = int((owner < 0).sum())
    if lost:
        messages.append(f"有 {lost:,} 个住户点不在任何街区内，未计入网格")
    return out.to_crs(blocks.crs), points.to_crs(blocks.crs), messages
