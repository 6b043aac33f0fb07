"""Coordinate reference systems: store in CGCS2000, show in WGS-84, measure in Gauss–Krüger.

- ``STORAGE_CRS`` EPSG:4490 (CGCS2000 lon/lat), the national datum; every geometry in the
  database is in it.
- ``DISPLAY_CRS`` EPSG:4326 for Leaflet. CGCS2000 and WGS-84 differ by centimetres here.
- ``METRIC_CRS`` EPSG:4545, CGCS2000 3-degree Gauss–Krüger zone CM 108°E (106.5°–109.5°E),
  which holds Ankang's city districts; :func:`metric_crs_for` picks the zone for other data.

GCJ-02 (the offset coordinates of Amap/Tencent maps, ~500 m off at Ankang) is converted with
``prcoords``, the reference implementation the Chinese GIS community uses.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import shapely

STORAGE_CRS = "EPSG:4490"
DISPLAY_CRS = "EPSG:4326"
METRIC_CRS = "EPSG:4545"

# Rough bounding box of the People's Republic of China in lon/lat, to catch swapped axes.
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)


def metric_crs_for(lon: float) -> str:
    """CGCS2000 3-degree Gauss–Krüger zone (with no zone prefix) for a longitude.

    >>> metric_crs_for(109.03)
    'EPSG:4545'
    """
    central = int(round(lon / 3.0)) * 3
    if not 75 <= central <= 135:
        raise ValueError(f"经度 {lon} 不在中国范围内")
    # EPSG:4534 is CM 75°E, one code per 3° up to EPSG:4554 (CM 135°E).
    return f"EPSG:{4534 + (central - 75) // 3}"


def is_geographic(crs: object) -> bool:
    return bool(pyproj.CRS.from_user_input(crs).is_geographic)


def require_metric(crs: object, *, what: str = "几何") -> None:
    """Refuse a geographic CRS for a metric operation (areas, widths, buffers)."""
    if crs is None or is_geographic(crs):
        raise ValueError(f"{what}必须在米制投影坐标系中计算（例如 {METRIC_CRS}），当前为 {crs}")


def gcj02_to_wgs84(geometries: np.ndarray | shapely.Geometry) -> np.ndarray | shapely.Geometry:
    """Convert GCJ-02 lon/lat geometries to WGS-84 (≈CGCS2000), vertex by vertex."""
    import prcoords

    def convert(coords: np.ndarray) -> np.ndarray:
        out = np.empty_like(coords)
        for i, (lon, lat) in enumerate(coords):
            lat2, lon2 = prcoords.gcj_wgs_bored((lat, lon))
            out[i] = (lon2, lat2)
        return out

    return shapely.transform(geometries, convert)


def union_in(
    geom: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry,
    input_crs: object,
    work: pyproj.CRS,
) -> shapely.Geometry:
    """One geometry in the ``work`` CRS: the union of a frame/series, or a bare geometry.

    A frame without a CRS, or a bare geometry, is taken to be in ``input_crs``.
    """
    if isinstance(geom, gpd.GeoDataFrame | gpd.GeoSeries):
        s = geom.geometry if isinstance(geom, gpd.GeoDataFrame) else geom
        if s.crs is None:
            s = s.set_crs(input_crs)
        return shapely.union_all(np.asarray(s.to_crs(work).array))
    if work != pyproj.CRS.from_user_input(input_crs):
        return gpd.GeoSeries([geom], crs=input_crs).to_crs(work).iloc[0]
    return geom
