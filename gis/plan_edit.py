"""Plan-edit geometry: a cell's outline from its blocks, and cutting a cell along a line.

Pure shapely: the grid-plan service (``services/plans``) reads the blocks, calls these and
writes the result. Everything works in the storage CRS (EPSG:4490, degrees), so every vertex
a cut does not create stays bit-for-bit as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
import shapely.ops

from core.errors import GeometryError

__all__ = ["DEG_TOL", "LineSplit", "snap_to_vertices", "split_blocks_by_line", "union_of_blocks"]

#: About 0.1 mm in degrees: snapping tolerance for split pieces.
DEG_TOL = 1e-9


def union_of_blocks(geoms: np.ndarray) -> shapely.Geometry:
    """The cell's outline as a MultiPolygon: a coverage union keeps edges shared with
    neighbours exact; blocks that overlap (a drawn one) are unioned without failing.

    Missing and empty geometries are ignored; none left gives an empty MultiPolygon.
    """
    geoms = geoms[~(pd.isna(geoms) | shapely.is_empty(geoms))]
    if not len(geoms):
        return shapely.MultiPolygon()
    if len(geoms) > 1 and shapely.coverage_is_valid(geoms):
        merged = shapely.coverage_union_all(geoms)
    else:  # a drawn block may overlap others; the check reports it, the union must not fail
        merged = shapely.union_all(shapely.make_valid(geoms))
    parts = [p for p in shapely.get_parts(merged) if shapely.get_type_id(p) == 3 and not p.is_empty]
    return shapely.MultiPolygon(parts)


@dataclass(frozen=True)
class LineSplit:
    """How a line splits a cell's blocks.

    ``whole_to_new``: keys of the uncut blocks on the new cell's side (the smaller part).
    ``cut_ids``: ids of the blocks the line cuts; their pieces are ``cut_keys``
    (``<key>-1``, ``<key>-2`` …), ``cut_pieces`` (snapped onto the cut's new vertices) and
    ``cut_to_new`` (whether each piece goes to the new cell). ``vertices``: the points where
    the line crosses block edges, to be inserted into the neighbours too
    (:func:`snap_to_vertices`).
    """

    whole_to_new: list[str]
    cut_ids: list[int]
    cut_keys: list[str]
    cut_pieces: list[shapely.Geometry]
    cut_to_new: list[bool]
    vertices: shapely.Geometry


def split_blocks_by_line(
    outline: shapely.Geometry,
    line: shapely.Geometry,
    *,
    block_ids: Sequence[int],
    block_keys: Sequence[str],
    block_geoms: Sequence[shapely.Geometry],
    cell_code: str,
) -> LineSplit:
    """Cut a cell (``outline``, its blocks) along ``line`` into two groups of blocks.

    The line must cross the outline completely and cut it into exactly two parts; the part
    with the smaller area becomes the new cell. Blocks the line crosses are cut in two.

    Raises
    ------
    core.errors.GeometryError
        The line does not cross the cell, cuts it into more than two parts, or leaves one
        side without blocks (the message names ``cell_code``).
    """
    sides = [p for p in shapely.get_parts(shapely.ops.split(outline, line)) if p.area > 0]
    if len(sides) < 2:
        raise GeometryError(
            f"分割线没有完整穿过网格 {cell_code}：请从网格外画到网格外，把它分成两部分"
        )
    if len(sides) > 2:
        raise GeometryError(
            f"分割线把网格 {cell_code} 分成了 {len(sides)} 部分：请画一条只把它分成两部分的线"
        )
    small = min(sides, key=lambda g: g.area)
    shapely.prepare(small)

    whole_to_new: list[str] = []
    cut_ids: list[int] = []
    cut_keys: list[str] = []
    cut_geoms: list[shapely.Geometry] = []
    cut_to_new: list[bool] = []
    for block_id, key, geom in zip(block_ids, block_keys, block_geoms, strict=True):
        parts = [p for p in shapely.get_parts(shapely.ops.split(geom, line)) if p.area > 0]
        if len(parts) <= 1:
            if small.contains(geom.point_on_surface()):
                whole_to_new.append(str(key))
            continue
        cut_ids.append(int(block_id))
        for n, part in enumerate(parts, 1):
            cut_keys.append(f"{key}-{n}"[:40])
            cut_geoms.append(part)
            cut_to_new.append(bool(small.contains(part.point_on_surface())))
    moving = len(whole_to_new) + sum(cut_to_new)
    staying = len(block_keys) - len(whole_to_new) - len(cut_ids) + cut_to_new.count(False)
    if moving == 0 or staying == 0:
        raise GeometryError(f"分割线没有把网格 {cell_code} 的街区分成两组，请重画")

    # New vertices (where the line crosses block edges) must exist on both sides of each edge.
    pieces = np.asarray(cut_geoms, dtype=object)
    ref = shapely.MultiPoint()
    if len(pieces):
        cuts = shapely.intersection(line, shapely.union_all(shapely.boundary(pieces)))
        ref = shapely.multipoints(shapely.get_coordinates(cuts))
        pieces = shapely.snap(pieces, ref, DEG_TOL)
    return LineSplit(
        whole_to_new=whole_to_new,
        cut_ids=cut_ids,
        cut_keys=cut_keys,
        cut_pieces=list(pieces),
        cut_to_new=cut_to_new,
        vertices=ref,
    )


def snap_to_vertices(geom: shapely.Geometry, vertices: shapely.Geometry) -> shapely.Geometry:
    """``geom`` with ``vertices`` inserted where they lie on its edges (within
    :data:`DEG_TOL`): a neighbour of a cut block gains the cut's new vertices."""
    return shapely.snap(geom, vertices, DEG_TOL)
