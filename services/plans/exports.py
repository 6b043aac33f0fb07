"""Exporting a plan: GeoPackage, GeoJSON or zipped Shapefile, in EPSG:4490."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
from sqlalchemy.orm import Session

from core.errors import InvalidInputError
from gis.io import write_layers
from services.plans.reads import plan_geodata
from services.plans.records import EXPORT_FORMATS

_SHP_NAMES = {
    "community_code": "comm_code",
    "community_name": "comm_name",
    "leader_name": "leader",
    "households": "households",
}


def export_plan(plan_id: int, fmt: str, *, session: Session) -> bytes:
    """The plan's cells and blocks as a GeoPackage (``gpkg``), GeoJSON (``geojson``, cells
    only) or zipped Shapefile (``shp``), in EPSG:4490.

    Cells carry cell_code, name, community_code, community_name, leader_name, households;
    Shapefile field names are cut to 10 characters by the format itself.
    """
    if fmt not in EXPORT_FORMATS:
        raise InvalidInputError(f"不支持的导出格式 {fmt!r}，可选：{', '.join(EXPORT_FORMATS)}")
    data = plan_geodata(plan_id, session=session)
    cells = data.cells.drop(columns=["leader_staff_id"]).copy()
    cells["leader_name"] = (
        cells["leader_name"].astype(object).where(cells["leader_name"].notna(), "")
    )
    blocks = data.blocks
    if fmt == "shp":  # dBase field names have at most 10 characters
        cells = cells.rename(columns=_SHP_NAMES)
        blocks = blocks.rename(columns=_SHP_NAMES)
    layers: dict[str, gpd.GeoDataFrame] = {"cells": cells}
    if fmt != "geojson":
        layers["blocks"] = blocks
    suffix = EXPORT_FORMATS[fmt][0]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"plan{suffix}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's notes on field widths
            write_layers(out, layers)
        return out.read_bytes()


def export_filename(version_no: int, subdistrict_code: str, fmt: str) -> str:
    """``网格方案_第2版_610902001.gpkg`` and so on."""
    return f"网格方案_第{version_no}版_{subdistrict_code}{EXPORT_FORMATS[fmt][0]}"
