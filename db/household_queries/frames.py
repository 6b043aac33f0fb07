"""How the household queries hand rows back: GeoDataFrames in EPSG:4490 (the storage CRS)
with the geometry column ``geometry``, or plain DataFrames."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.settings import SRID


def _gdf(session: Session, sql: str, params: dict[str, Any] | None = None) -> gpd.GeoDataFrame:
    gdf = gpd.read_postgis(
        text(sql), session.connection(), geom_col="geom", params=params or {}, crs=SRID
    )
    return gdf.rename_geometry("geometry")


def _df(session: Session, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    result = session.execute(text(sql), params or {})
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
