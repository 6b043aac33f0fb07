"""Blocks (街区): the areas enclosed by streets and lanes, the atoms grid cells are built from.

Street data as it really comes — segments cut at arbitrary points, lanes that stop a metre or two
short of the road they meet, duplicated segments, divided roads drawn as two carriageways, road
surfaces drawn as polygons — is turned into a polygonal *coverage*: blocks that share edges
exactly, do not overlap and leave no gap inside the boundary.

The approach is the classic one used by topology tools (GRASS ``v.clean`` + ``v.centroids``,
PostGIS ``ST_Polygonize``): node the linework, close small breaks by extending or snapping dangling
ends, polygonize, then merge faces too thin to be a block (the median of a divided road, traffic
islands) into their neighbour with the longest shared edge. GEOS does the noding and
polygonizing (``unary_union`` / ``polygonize_full``), which is robust and vectorised; only the
small fix-ups run in Python.

The package: :func:`blocks_from_streets` (here) runs the steps; :mod:`~gis.blocks.linework`
nodes the linework and closes the breaks, :mod:`~gis.blocks.faces` turns the faces into blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from core.errors import GeometryError, InvalidInputError
from gis.blocks.faces import _blocks_frame, _merge_thin, _split_roads
from gis.blocks.linework import (
    _GRID_M,
    _LINE_TYPES,
    _POLY_TYPES,
    _close_breaks,
    _lost_linework,
    _node,
)
from gis.crs import metric_crs_for, union_in

__all__ = ["BlocksResult", "blocks_from_streets", "working_crs"]


@dataclass(frozen=True)
class BlocksResult:
    """Blocks built from streets.

    Attributes
    ----------
    blocks : geopandas.GeoDataFrame
        Columns ``block_id`` (``"B0001"``…, numbered north→south then west→east),
        ``area_m2`` and ``geometry``, in the CRS of the streets. A valid polygonal coverage.
    dangles : geopandas.GeoDataFrame
        Linework that bounds no block, for the planner to inspect: ``kind`` is ``"dangle"`` (a
        street end that meets nothing within ``snap_m``), ``"cut_edge"`` (a lane joining two
        streets through the inside of a block) or ``"outside"`` (street outside the boundary);
        with ``length_m`` and ``geometry`` in the CRS of the streets.
    enclosed_share : float or None
        With a boundary and centrelines: the share (0–1) of the boundary's area that lies in
        faces closed by the streets themselves. The rest is closed only by the boundary's
        outline (a part of the territory the street file does not cover). None otherwise.
    unenclosed : geopandas.GeoDataFrame
        That rest, as polygons with ``area_m2``, in the CRS of the streets (empty when
        ``enclosed_share`` is None or 1).
    """

    blocks: gpd.GeoDataFrame
    dangles: gpd.GeoDataFrame
    enclosed_share: float | None = None
    unenclosed: gpd.GeoDataFrame = field(
        default_factory=lambda: gpd.GeoDataFrame({"area_m2": []}, geometry=[])
    )


def working_crs(crs: object, bounds: np.ndarray | None = None) -> pyproj.CRS:
    """The CRS to measure in: the data's own projected CRS, or the Gauss–Krüger zone.

    A geographic CRS gets the CGCS2000 3-degree zone of the centre longitude
    (:func:`gis.crs.metric_crs_for`); outside China the UTM zone.
    """
    if crs is None:
        raise GeometryError("几何数据没有坐标系，无法按米计算；请先设置坐标系（例如 EPSG:4490）")
    c = pyproj.CRS.from_user_input(crs)
    if not c.is_geographic:
        return c
    if bounds is None or not np.isfinite(bounds).all():
        raise GeometryError("几何数据为空，无法确定米制坐标系")
    lon = (bounds[0] + bounds[2]) / 2.0
    lat = (bounds[1] + bounds[3]) / 2.0
    try:
        return pyproj.CRS.from_user_input(metric_crs_for(lon))
    except ValueError:
        zone = int((lon + 180) // 6) + 1
        return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def blocks_from_streets(
    streets: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    boundary: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry | None = None,
    snap_m: float = 2.0,
    min_block_width_m: float = 6.0,
    split_step_m: float = 1.0,
) -> BlocksResult:
    """Build blocks (街区) from street/lane centrelines or road-surface polygons.

    Parameters
    ----------
    streets : GeoDataFrame or GeoSeries
        Centrelines (LineString/MultiLineString), road surfaces (Polygon/MultiPolygon), or
        both. Must have a CRS.
    boundary : GeoDataFrame, GeoSeries or shapely geometry, optional
        The territory. Its outline bounds blocks too, and the blocks then cover it exactly.
        A bare shapely geometry is taken to be in the streets' CRS.
    snap_m : float, default 2.0
        A street end that meets nothing is extended (or, failing that, joined by the shortest
        link) to the nearest other street or the boundary when it is at most this far away.
    min_block_width_m : float, default 6.0
        Faces narrower than this (maximum-inscribed-circle diameter) are not blocks but road
        space — the median of a divided road, a traffic island — and are merged into the
        neighbouring block with the longest shared edge. 0 keeps every face.
    split_step_m : float, default 1.0
        Road polygons only: spacing of the sample points whose Voronoi diagram splits each
        road surface along its centre between the blocks on either side.

    Returns
    -------
    BlocksResult
        ``.blocks`` (block_id, area_m2, geometry) and ``.dangles`` (kind, length_m, geometry),
        both in the streets' CRS.

    Raises
    ------
    core.errors.GeometryError
        No CRS, no usable line or polygon, points given as streets, or an empty boundary.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> grid = [shapely.LineString([(x, 0), (x, 200)]) for x in (0, 100, 200)]
    >>> grid += [shapely.LineString([(0, y), (200, y)]) for y in (0, 100, 200)]
    >>> res = blocks_from_streets(gpd.GeoSeries(grid, crs="EPSG:4545"))
    >>> len(res.blocks), float(res.blocks.area_m2.sum())
    (4, 40000.0)
    """
    if snap_m < 0 or min_block_width_m < 0 or split_step_m <= 0:
        raise InvalidInputError("snap_m、min_block_width_m 不能为负数，split_step_m 必须大于 0")
    series = streets.geometry if isinstance(streets, gpd.GeoDataFrame) else streets
    if not isinstance(series, gpd.GeoSeries):
        raise InvalidInputError("streets 必须是 GeoDataFrame 或 GeoSeries")
    input_crs = series.crs
    geoms = np.asarray(series.array)
    geoms = geoms[~(pd.isna(geoms) | shapely.is_empty(geoms))]
    if len(geoms) == 0:
        raise GeometryError("街道图层没有任何几何图形")
    work = working_crs(input_crs, shapely.total_bounds(geoms))
    if work != pyproj.CRS.from_user_input(input_crs):
        geoms = np.asarray(gpd.GeoSeries(geoms, crs=input_crs).to_crs(work).array)

    parts = shapely.get_parts(shapely.get_parts(geoms))  # collections → members → parts
    tid = shapely.get_type_id(parts)
    lines = parts[np.isin(tid, _LINE_TYPES)]
    lines = np.asarray(shapely.force_2d(lines))
    roads = shapely.make_valid(shapely.force_2d(parts[np.isin(tid, _POLY_TYPES)]))
    if len(lines) == 0 and len(roads) == 0:
        found = sorted({shapely.GeometryType(t).name for t in shapely.get_type_id(parts)})
        raise GeometryError(f"街道图层应为线或面（道路面），但只有点：{', '.join(found)}")

    region = _boundary_in(boundary, input_crs, work)

    road_union: shapely.Geometry | None = None
    area = region
    free = region
    outlines: list[shapely.Geometry] = []
    if len(roads):
        road_union = shapely.union_all(roads)
        if area is None:
            # Without a boundary the road network's own outline bounds the territory.
            shells = shapely.polygons(shapely.get_exterior_ring(shapely.get_parts(road_union)))
            area = shapely.union_all(shells)
        road_union = shapely.intersection(road_union, area)
        free = shapely.difference(area, road_union)
        outlines = list(shapely.get_parts(shapely.boundary(free)))
    elif region is not None:
        outlines = list(shapely.get_parts(shapely.boundary(region)))

    edges = _node(np.concatenate([lines, np.asarray(outlines, dtype=object)]))
    links = np.empty(0, dtype=object)
    if snap_m > 0 and len(lines):
        links = _close_breaks(edges, snap_m=snap_m)
        if len(links):
            # Re-node only the edges the links touch: every vertex is already on the snap
            # grid, so the untouched edges still meet the re-noded ones exactly.
            near = shapely.STRtree(edges).query(links, predicate="dwithin", distance=_GRID_M)
            touched = np.unique(near[1])
            keep = np.ones(len(edges), dtype=bool)
            keep[touched] = False
            edges = np.concatenate([edges[keep], _node(np.concatenate([edges[touched], links]))])

    polys, cuts, dangles, invalid = shapely.polygonize_full(edges)
    faces = shapely.get_parts(polys)
    if free is not None and len(faces):
        shapely.prepare(free)
        faces = faces[shapely.contains_properly(free, shapely.point_on_surface(faces))]
    if min_block_width_m > 0 and len(faces) > 1:
        faces = _merge_thin(faces, min_width_m=min_block_width_m)
    if road_union is not None and area is not None and len(faces):
        faces = _split_roads(faces, road_union, area, step_m=split_step_m)
    if len(faces) and not shapely.coverage_is_valid(faces):
        faces = shapely.coverage_clean(faces)

    blocks = _blocks_frame(faces, work)
    lost = _lost_linework(cuts, dangles, edges, region).set_crs(work)
    share: float | None = None
    rest = gpd.GeoDataFrame({"area_m2": np.array([])}, geometry=gpd.GeoSeries([], crs=work))
    if region is not None and road_union is None and len(lines):
        share, rest = _enclosed(edges, np.concatenate([lines, links]), region, work)
    if work != pyproj.CRS.from_user_input(input_crs):
        blocks = blocks.to_crs(input_crs)
        lost = lost.to_crs(input_crs)
        rest = rest.to_crs(input_crs)
    return BlocksResult(blocks=blocks, dangles=lost, enclosed_share=share, unenclosed=rest)


def _enclosed(
    edges: np.ndarray, streets: np.ndarray, region: shapely.Geometry, work: pyproj.CRS
) -> tuple[float, gpd.GeoDataFrame]:
    """Share of ``region`` inside faces closed by street edges alone, and the rest.

    The edges are already noded with the boundary's outline; only the edges that lie on a
    street (or a snapping link) are polygonized again, so a face counts only when streets
    close it. A street running along the boundary counts as a street.
    """
    mid = shapely.line_interpolate_point(edges, 0.5, normalized=True)
    on_street = np.zeros(len(edges), dtype=bool)
    if len(streets):
        hit, _ = shapely.STRtree(streets).query(mid, predicate="dwithin", distance=10 * _GRID_M)
        on_street[np.unique(hit)] = True
    street_faces = shapely.get_parts(shapely.polygonize(edges[on_street]))
    closed = shapely.intersection(
        shapely.union_all(street_faces) if len(street_faces) else shapely.Polygon(), region
    )
    total = float(shapely.area(region))
    share = min(1.0, float(shapely.area(closed)) / total) if total > 0 else 0.0
    rest = shapely.get_parts(shapely.difference(region, closed))
    rest = rest[np.isin(shapely.get_type_id(rest), _POLY_TYPES)]
    # Rounding slivers along the outline are not a part of the territory left uncovered.
    rest = rest[shapely.area(rest) >= 1.0] if len(rest) else rest
    frame = gpd.GeoDataFrame(
        {"area_m2": np.round(shapely.area(rest), 1) if len(rest) else np.array([])},
        geometry=gpd.GeoSeries(rest, crs=work),
    )
    return share, frame


def _boundary_in(
    boundary: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry | None,
    input_crs: object,
    work: pyproj.CRS,
) -> shapely.Geometry | None:
    if boundary is None:
        return None
    geom = shapely.make_valid(union_in(boundary, input_crs, work))
    polys = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in _POLY_TYPES]
    if not polys or shapely.area(shapely.union_all(polys)) <= 0:
        raise GeometryError("边界必须是有面积的多边形")
    return shapely.union_all(polys)
