"""How every query module hands rows back: plain DataFrames, or GeoDataFrames in EPSG:4490
(the storage CRS) with geopandas' geometry column name ``geometry``, so layers and gis agree.

One reader of each kind for all of db/ (there were four copies that differed in small ways).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.settings import SRID


def read_frame(session: Session, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Run ``sql`` and return its rows as a DataFrame, built column by column."""
    result = session.execute(text(sql), params or {})
    names = list(result.keys())
    rows = result.fetchall()
    # Column by column: building a frame from tens of thousands of Row objects costs pandas
    # about a second (type inference per cell); from columns it is milliseconds.
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    return pd.DataFrame({n: list(c) for n, c in zip(names, columns, strict=True)}, columns=names)


def read_geoframe(
    session: Session, sql: str, params: dict[str, Any] | None = None
) -> gpd.GeoDataFrame:
    """Run ``sql`` (its geometry column named ``geom``) and return a GeoDataFrame in EPSG:4490."""
    gdf = gpd.read_postgis(
        text(sql), session.connection(), geom_col="geom", params=params or {}, crs=SRID
    )
    return gdf.rename_geometry("geometry")
