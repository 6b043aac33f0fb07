"""The kinds of coverage problem, their Chinese labels, and the collector of problem rows.

Also the number and name formatting shared by the messages of :mod:`gis.coverage`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

__all__ = ["BLOCKING_KINDS", "KIND_LABELS", "PROBLEM_COLUMNS", "WARNING_KINDS"]

#: Problems that must be fixed before a plan can be published.
BLOCKING_KINDS = frozenset(
    {"gap", "overlap", "invalid", "outside", "multipart", "unassigned_household", "duplicate_code"}
)
#: Problems a planner should look at but may accept.
WARNING_KINDS = frozenset({"sliver", "households_out_of_range", "no_leader"})
#: Chinese names of the kinds, for reports.
KIND_LABELS = {
    "gap": "覆盖缺口",
    "overlap": "重叠",
    "invalid": "几何无效",
    "outside": "越界",
    "multipart": "网格不连续",
    "unassigned_household": "住户未入格",
    "duplicate_code": "编码重复",
    "sliver": "狭长碎片",
    "households_out_of_range": "户数超出范围",
    "no_leader": "未配网格长",
}
PROBLEM_COLUMNS = ["kind", "cell_ids", "area_m2", "width_m", "message", "severity"]
_KIND_ORDER = {k: n for n, k in enumerate(KIND_LABELS)}


class _Context:
    """Collects problems; geometries in the working CRS, converted once at the end."""

    def __init__(self, *, ids: list[str], crs: object, work: pyproj.CRS, tol: float) -> None:
        self.ids = ids
        self.crs = crs
        self.work = work
        self.tol = tol
        self.rows: list[dict[str, object]] = []
        self._out = pyproj.Transformer.from_crs(work, crs, always_xy=True)
        self._geographic = pyproj.CRS.from_user_input(crs).is_geographic

    def add(
        self,
        kind: str,
        members: Iterable[Any],
        *,
        message: str,
        geometry: shapely.Geometry | None = None,
        area: float = np.nan,
        width: float = np.nan,
    ) -> None:
        self.rows.append(
            {
                "kind": kind,
                "cell_ids": [self.ids[int(m)] for m in members],
                "area_m2": round(float(area), 2) if np.isfinite(area) else np.nan,
                "width_m": round(float(width), 2) if np.isfinite(width) else np.nan,
                "message": message,
                "severity": "blocking" if kind in BLOCKING_KINDS else "warning",
                "geometry": geometry,
            }
        )

    def format_point(self, pt: shapely.Point) -> str:
        x, y = self._out.transform(pt.x, pt.y)
        return f"({x:.6f}, {y:.6f})" if self._geographic else f"({x:.1f}, {y:.1f})"

    def frame(self) -> gpd.GeoDataFrame:
        if not self.rows:
            return gpd.GeoDataFrame(
                {
                    c: pd.Series(dtype=float if c.endswith("_m2") or c == "width_m" else object)
                    for c in PROBLEM_COLUMNS
                },
                geometry=gpd.GeoSeries([], crs=self.crs),
            )
        df = pd.DataFrame(self.rows)
        df["_order"] = df["kind"].map(_KIND_ORDER)
        df["_first"] = df["cell_ids"].map(lambda c: c[0] if c else "")
        df = df.sort_values(["_order", "_first"], kind="stable").drop(columns=["_order", "_first"])
        geo = gpd.GeoSeries(df.pop("geometry").to_numpy(), crs=self.work)
        if self.work != pyproj.CRS.from_user_input(self.crs):
            geo = geo.to_crs(self.crs)
        return gpd.GeoDataFrame(df.reset_index(drop=True), geometry=geo.to_numpy(), crs=self.crs)


def _num(x: float) -> str:
    """1 decimal for ordinary sizes, 2 for small ones (a 0.25 m strip must not read '0.2')."""
    if not np.isfinite(x):
        return "?"
    text = f"{x:.2f}" if abs(x) < 10 else f"{x:.1f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _names(names: Sequence[str], limit: int = 6) -> str:
    if len(names) <= limit:
        return "、".join(names[:-1]) + " 与 " + names[-1] if len(names) > 1 else "".join(names)
    return "、".join(names[:limit]) + f" 等 {len(names)} 个网格"
