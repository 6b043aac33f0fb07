"""The benchmark city's cells: a jittered Voronoi coverage in EPSG:4545 around Ankang grouped
into communities and sub-districts, and the geometry helpers that store it in EPSG:4490."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyproj
import shapely

from core.settings import DISTRICT_CODE

DISTRICT = DISTRICT_CODE
SRID = 4490
X0, Y0 = 580_000.0, 3_600_000.0  # EPSG:4545, near Ankang (≈109°E, 32.5°N)
SPACING_M = 300.0


@dataclass
class City:
    cells: pd.DataFrame  # cell_code, community_code, subdistrict_code, row, col, geom (4545)
    communities: pd.DataFrame
    subdistricts: pd.DataFrame


# ------------------------------------------------------------------------------ geometry
def build_cells(n_cells: int, rng: np.random.Generator) -> City:
    cols = math.ceil(math.sqrt(n_cells))
    idx = np.arange(n_cells)
    row, col = idx // cols, idx % cols
    rows = int(row.max()) + 1
    jitter = rng.uniform(-0.3, 0.3, (n_cells, 2)) * SPACING_M
    pts = np.c_[col, row] * SPACING_M + jitter + [X0, Y0]
    env = shapely.box(
        X0 - SPACING_M / 2,
        Y0 - SPACING_M / 2,
        X0 + (cols - 0.5) * SPACING_M,
        Y0 + (rows - 0.5) * SPACING_M,
    )
    polys = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=env, ordered=True)
    )
    polys = shapely.intersection(polys, env)
    sd_row, sd_col = row // 20, col // 20
    sd_index = sd_row * math.ceil(cols / 20) + sd_col
    cm_key = (row // 5) * math.ceil(cols / 5) + col // 5
    cells = pd.DataFrame(
        {"row": row, "col": col, "sd": sd_index, "cm_key": cm_key, "geom": polys, "pt_x": pts[:, 0]}
    )
    cells["pt_y"] = pts[:, 1]
    # Codes: sub-district seq, community seq within the sub-district, cell seq within the
    # community, numbered north→south then west→east (DB11/T 2157 habit).
    sd_codes = {s: f"{DISTRICT}{i + 1:03d}" for i, s in enumerate(sorted(cells["sd"].unique()))}
    cells["subdistrict_code"] = cells["sd"].map(sd_codes)
    cm_codes: dict[int, str] = {}
    for sd, part in cells.sort_values(["row", "col"], ascending=[False, True]).groupby(
        "sd", sort=True
    ):
        for j, key in enumerate(dict.fromkeys(part["cm_key"])):
            cm_codes[key] = f"{sd_codes[sd]}{j + 1:03d}"
    cells["community_code"] = cells["cm_key"].map(cm_codes)
    cells = cells.sort_values(["community_code", "row", "col"], ascending=[True, False, True])
    cells["seq"] = cells.groupby("community_code").cumcount() + 1
    cells["cell_code"] = cells["community_code"] + cells["seq"].map("{:03d}".format)
    cells = cells.sort_index()
    communities = (
        cells.groupby("community_code")
        .agg(subdistrict_code=("subdistrict_code", "first"), geom=("geom", list))
        .reset_index()
    )
    communities["geom"] = [shapely.coverage_union_all(g) for g in communities["geom"]]
    subdistricts = communities.groupby("subdistrict_code").agg(geom=("geom", list)).reset_index()
    subdistricts["geom"] = [shapely.coverage_union_all(g) for g in subdistricts["geom"]]
    return City(cells=cells, communities=communities, subdistricts=subdistricts)


_TO_STORAGE = pyproj.Transformer.from_crs(4545, SRID, always_xy=True)


def _ewkb(geoms: np.ndarray, *, multi: bool = False) -> np.ndarray:
    geoms = shapely.transform(geoms, lambda xy: np.column_stack(_TO_STORAGE.transform(*xy.T)))
    if multi:
        geoms = np.array(
            [g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g]) for g in geoms],
            dtype=object,
        )
    return shapely.to_wkb(shapely.set_srid(geoms, SRID), hex=True, include_srid=True)


def _points_ewkb(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    lon, lat = _TO_STORAGE.transform(x, y)
    return shapely.to_wkb(
        shapely.set_srid(shapely.points(lon, lat), SRID), hex=True, include_srid=True
    )


def _locate(x: np.ndarray, y: np.ndarray, polys: np.ndarray) -> np.ndarray:
    """Index of the cell each point falls in (the first, on a shared edge)."""
    tree = shapely.STRtree(polys)
    pidx, cidx = tree.query(shapely.points(x, y), predicate="intersects")
    out = np.full(len(x), -1, dtype=np.int64)
    first = np.unique(pidx, return_index=True)[1]
    out[pidx[first]] = cidx[first]
    return out
