"""Geometry helpers of the coverage check: polygonal parts, holes, and widths in metres."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from core.errors import InvalidInputError
from gis.crs import union_in

_POLY_TYPES = (3, 6)
_OPEN_M = 1e-3


def _polygonal(g: shapely.Geometry | None) -> shapely.Geometry:
    if g is None:
        return shapely.Polygon()
    if shapely.get_type_id(g) in _POLY_TYPES:
        return g
    parts = [p for p in shapely.get_parts(g) if shapely.get_type_id(p) in _POLY_TYPES]
    if not parts:
        # GeometryCollections may nest; flatten once more.
        parts = [
            q
            for p in shapely.get_parts(g)
            for q in shapely.get_parts(p)
            if shapely.get_type_id(q) in _POLY_TYPES
        ]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _polygon_in(
    geom: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry | None,
    crs: object,
    work: pyproj.CRS,
    *,
    what: str,
) -> shapely.Geometry | None:
    if geom is None:
        return None
    g = _polygonal(shapely.make_valid(union_in(geom, crs, work)))
    if shapely.is_empty(g):
        raise InvalidInputError(f"{what}必须是有面积的多边形")
    return g


def _holes(union: shapely.Geometry) -> shapely.Geometry:
    parts = shapely.get_parts(union)
    rings = [
        shapely.get_interior_ring(p, i)
        for p in parts
        for i in range(shapely.get_num_interior_rings(p))
    ]
    return shapely.union_all(shapely.polygons(rings)) if rings else shapely.Polygon()


def _widths(geoms: np.ndarray, *, tolerance_m: float | None = None) -> np.ndarray:
    """Width in metres: the diameter of the largest inscribed circle.

    For long thin shapes (mean width 2 × area / perimeter below a tenth of √area) the mean
    width is returned instead: it *is* the strip's width, and the circle search converges
    slowly on thin shapes (tens of milliseconds each). Otherwise the search tolerance is 1 %
    of the mean width, at least 2 mm. With ``tolerance_m`` the circle is always used.
    """
    if len(geoms) == 0:
        return np.empty(0)
    # A 1 mm opening first strips hair-thin spikes that reprojection noise glues onto a gap
    # or overlap (a 1e-9 m sliver along a whole shared edge would halve 2A/P).
    opened = shapely.buffer(
        shapely.buffer(geoms, -_OPEN_M, join_style="mitre"), _OPEN_M, join_style="mitre"
    )
    geoms = np.where(shapely.is_empty(opened), geoms, opened)
    area = shapely.area(geoms)
    guess = 2.0 * area / np.maximum(shapely.length(geoms), 1e-12)
    if tolerance_m is not None:
        return 2.0 * shapely.length(shapely.maximum_inscribed_circle(geoms, tolerance=tolerance_m))
    out = guess.copy()
    round_ish = guess >= np.sqrt(area) / 10.0
    if round_ish.any():
        tol = np.clip(guess[round_ish] / 100.0, 0.002, 0.5)
        out[round_ish] = 2.0 * shapely.length(
            shapely.maximum_inscribed_circle(geoms[round_ish], tolerance=tol)
        )
    return out
