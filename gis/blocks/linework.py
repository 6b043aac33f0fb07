"""Street linework made ready to polygonize: noded on the snap grid, small breaks closed by
extending or linking dangling ends; and the linework left over that bounds no block."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

_LINE_TYPES = (1, 2, 5)  # LineString, LinearRing, MultiLineString
_POLY_TYPES = (3, 6)  # Polygon, MultiPolygon
_EPS_M = 1e-6
_GRID_M = 1e-4


def _node(lines: np.ndarray) -> np.ndarray:
    """Node linework: split at every crossing and drop duplicated segments."""
    if len(lines) == 0:
        return np.empty(0, dtype=object)
    # Snap-rounding to a 0.1 mm grid nodes lines that miss each other by a rounding error
    # (typical after a reprojection: a T-junction end lands 1e-9 m beside the crossing street),
    # which a floating-point noder would leave as a dangle.
    merged = shapely.unary_union(lines, grid_size=_GRID_M)
    edges = shapely.get_parts(merged)
    edges = edges[np.isin(shapely.get_type_id(edges), _LINE_TYPES)]
    return np.asarray(edges[shapely.length(edges) > 0])


def _close_breaks(edges: np.ndarray, *, snap_m: float) -> np.ndarray:
    """Short links that join dangling street ends to the linework they nearly meet.

    An end is extended along its last segment when that hits another line within ``snap_m``
    (a lane drawn a little short of the road); otherwise it is joined to the nearest point of
    another line within ``snap_m``. Lines touching the dangling edge itself are never targets,
    so an overshoot past a crossing is not turned into a tiny triangle.
    """
    starts = shapely.get_point(edges, 0)
    ends = shapely.get_point(edges, -1)
    pts = np.concatenate([starts, ends])
    owner = np.concatenate([np.arange(len(edges)), np.arange(len(edges))])
    xy = shapely.get_coordinates(pts)
    _, inverse, counts = np.unique(xy, axis=0, return_inverse=True, return_counts=True)
    dangling = counts[inverse.ravel()] == 1
    if not dangling.any():
        return np.empty(0, dtype=object)
    p = pts[dangling]
    own = owner[dangling]
    is_start = np.arange(len(pts))[dangling] < len(edges)
    tree = shapely.STRtree(edges)

    # 1. Extension along the last segment.
    nxt = shapely.get_point(edges[own], np.where(is_start, 1, -2))
    d = shapely.get_coordinates(p) - shapely.get_coordinates(nxt)
    norm = np.hypot(d[:, 0], d[:, 1])
    norm[norm == 0] = 1.0
    tip = shapely.get_coordinates(p) + d / norm[:, None] * snap_m
    rays = shapely.linestrings(
        np.stack([shapely.get_coordinates(p), tip], axis=1).reshape(-1, 2),
        indices=np.repeat(np.arange(len(p)), 2),
    )
    link = np.full(len(p), None, dtype=object)
    k, j = tree.query(rays, predicate="intersects")
    k, j = _drop_own(k, j, own, edges)
    if len(k):
        hit = shapely.intersection(rays[k], edges[j])
        dist = shapely.distance(p[k], hit)
        ok = dist > _EPS_M
        k, j, hit, dist = k[ok], j[ok], hit[ok], dist[ok]
        best = _argmin_by(k, dist)
        kk = k[best]
        near = shapely.get_point(shapely.shortest_line(p[kk], hit[best]), 1)
        link[kk] = shapely.linestrings(
            np.stack(
                [shapely.get_coordinates(p[kk]), shapely.get_coordinates(near)], axis=1
            ).reshape(-1, 2),
            indices=np.repeat(np.arange(len(kk)), 2),
        )

    # 2. Otherwise the shortest link to any other line within snap_m.
    rest = np.flatnonzero(pd.isna(link))
    if len(rest):
        k, j = tree.query(p[rest], predicate="dwithin", distance=snap_m)
        k = rest[k]
        k, j = _drop_own(k, j, own, edges)
        if len(k):
            dist = shapely.distance(p[k], edges[j])
            best = _argmin_by(k, dist)
            link[k[best]] = shapely.shortest_line(p[k[best]], edges[j[best]])
    out = link[~pd.isna(link)]
    return np.asarray(out[shapely.length(out) > 0])


def _drop_own(
    k: np.ndarray, j: np.ndarray, own: np.ndarray, edges: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    keep = j != own[k]
    k, j = k[keep], j[keep]
    if len(k):
        touching = shapely.intersects(edges[own[k]], edges[j])
        k, j = k[~touching], j[~touching]
    return k, j


def _argmin_by(group: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Positions of the smallest value within each group."""
    order = np.lexsort((value, group))
    first = np.ones(len(order), dtype=bool)
    first[1:] = group[order][1:] != group[order][:-1]
    return order[first]


def _lost_linework(
    cuts: shapely.Geometry,
    dangles: shapely.Geometry,
    edges: np.ndarray,
    region: shapely.Geometry | None,
) -> gpd.GeoDataFrame:
    cut_parts = shapely.get_parts(cuts)
    dangle_parts = shapely.get_parts(dangles)
    geoms = np.concatenate([dangle_parts, cut_parts])
    kinds = np.array(["dangle"] * len(dangle_parts) + ["cut_edge"] * len(cut_parts), dtype=object)
    if region is not None:
        shapely.prepare(region)
        if len(geoms):
            mid = shapely.line_interpolate_point(geoms, 0.5, normalized=True)
            inside = shapely.covers(region, mid)
            geoms, kinds = geoms[inside], kinds[inside]
        if len(edges):
            mid = shapely.line_interpolate_point(edges, 0.5, normalized=True)
            out_edges = edges[~shapely.covers(region, mid)]
            if len(out_edges):
                merged = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(out_edges)))
                geoms = np.concatenate([geoms, merged])
                kinds = np.concatenate([kinds, np.array(["outside"] * len(merged), dtype=object)])
    return gpd.GeoDataFrame(
        {
            "kind": pd.Series(kinds, dtype=object),
            "length_m": np.round(shapely.length(geoms), 2) if len(geoms) else np.array([]),
        },
        geometry=gpd.GeoSeries(geoms, crs=None),
    )
