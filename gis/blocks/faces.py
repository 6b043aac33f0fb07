"""Polygonized faces made into blocks: faces too thin to be a block merged into a neighbour,
road surfaces split down the middle between the blocks beside them, the blocks numbered."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from gis.blocks.linework import _EPS_M, _POLY_TYPES, _argmin_by


def _merge_thin(faces: np.ndarray, *, min_width_m: float) -> np.ndarray:
    """Merge faces narrower than ``min_width_m`` into the neighbour with the longest shared edge."""
    area = shapely.area(faces)
    perimeter = shapely.length(faces)
    # Every point of a polygon lies within its inscribed radius r of the boundary, so
    # area <= 2 r perimeter + pi r^2: faces failing this bound cannot be thin and skip the
    # (much slower) maximum-inscribed-circle computation.
    r = min_width_m / 2.0
    candidate = np.flatnonzero(area < 2 * r * perimeter + np.pi * r * r)
    if len(candidate) == 0:
        return faces
    radius = shapely.length(
        shapely.maximum_inscribed_circle(faces[candidate], tolerance=min_width_m / 50.0)
    )
    thin = candidate[radius * 2 < min_width_m]
    if len(thin) == 0:
        return faces
    is_thin = np.zeros(len(faces), dtype=bool)
    is_thin[thin] = True
    tree = shapely.STRtree(faces)
    k, j = tree.query(faces[thin], predicate="intersects")
    i = thin[k]
    keep = i != j
    i, j = i[keep], j[keep]
    shared = shapely.length(
        shapely.intersection(shapely.boundary(faces[i]), shapely.boundary(faces[j]))
    )
    keep = shared > _EPS_M
    i, j, shared = i[keep], j[keep], shared[keep]
    # Prefer a real block over another thin face, then the longest shared edge.
    score = shared + np.where(is_thin[j], 0.0, 1e12)
    best = _argmin_by(i, -score)
    parent = np.arange(len(faces))
    for a, b in zip(i[best], j[best], strict=True):
        parent[_find(parent, int(a))] = _find(parent, int(b))
    roots = np.array([_find(parent, n) for n in range(len(faces))])
    out = []
    for root in np.unique(roots):
        members = faces[roots == root]
        out.append(members[0] if len(members) == 1 else shapely.coverage_union_all(members))
    return np.asarray(out, dtype=object)


def _find(parent: np.ndarray, n: int) -> int:
    while parent[n] != n:
        parent[n] = parent[parent[n]]
        n = int(parent[n])
    return n


def _split_roads(
    faces: np.ndarray, roads: shapely.Geometry, area: shapely.Geometry, *, step_m: float
) -> np.ndarray:
    """Give each block the half of the road surface nearest to it.

    The Voronoi diagram of points sampled along the block outlines splits the road area along
    its medial axis (its centreline) — the discrete form of "split the road down the middle".
    """
    rings = shapely.segmentize(shapely.boundary(faces), step_m)
    xy, idx = shapely.get_coordinates(rings, return_index=True)
    xy, first = np.unique(xy, axis=0, return_index=True)
    idx = idx[first]
    sites = shapely.points(xy)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=area))
    c, s = shapely.STRtree(sites).query(cells, predicate="intersects")
    # A Voronoi cell contains exactly its own site; keep the first match per cell.
    c, first = np.unique(c, return_index=True)
    owner = np.full(len(cells), -1)
    owner[c] = idx[s[first]]
    keep = owner >= 0
    cells, owner = cells[keep], owner[keep]
    order = np.argsort(owner, kind="stable")
    owner, cells = owner[order], cells[order]
    bounds = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1], True])
    # Voronoi cells form a valid coverage, so the fast coverage union dissolves them exactly;
    # then one overlay per block with the road surface instead of one per sample point.
    zones = np.asarray(
        [
            shapely.coverage_union_all(cells[a:b])
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ],
        dtype=object,
    )
    shares = shapely.intersection(zones, roads)
    out = faces.copy()
    n = owner[bounds[:-1]]
    out[n] = shapely.union(faces[n], shares)
    out = shapely.make_valid(out)
    out = np.asarray([_polygonal(g) for g in out], dtype=object)
    return np.asarray(shapely.coverage_clean(out))


def _polygonal(g: shapely.Geometry) -> shapely.Geometry:
    if shapely.get_type_id(g) in _POLY_TYPES:
        return g
    parts = [p for p in shapely.get_parts(g) if shapely.get_type_id(p) in _POLY_TYPES]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _blocks_frame(faces: np.ndarray, crs: pyproj.CRS) -> gpd.GeoDataFrame:
    faces = faces[~shapely.is_empty(faces)] if len(faces) else faces
    if len(faces):
        c = shapely.get_coordinates(shapely.centroid(faces))
        order = np.lexsort((c[:, 0], -np.round(c[:, 1], 3)))
        faces = faces[order]
    width = max(4, len(str(len(faces))))
    return gpd.GeoDataFrame(
        {
            "block_id": [f"B{n + 1:0{width}d}" for n in range(len(faces))],
            "area_m2": np.round(shapely.area(faces), 2) if len(faces) else np.array([]),
        },
        geometry=gpd.GeoSeries(faces, crs=crs),
    )
