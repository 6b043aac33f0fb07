"""The leader dashboard (领导驾驶舱): where are the problems, which cells have open issues.

Everything is aggregated in PostGIS (db/stats/); this module turns the counts
into what the page shows — cells with their numbers and simplified geometry, heat bins sized
to the zoom, rate cards with numerator and denominator, monthly trends with 同比/环比 — and
knows nothing of Streamlit.

Sizes that depend on the map's zoom follow Web-Mercator: at zoom ``z`` one pixel is
``156543.03 · cos(lat) / 2**z`` metres. Heat bins are about 10 px wide and cells are simplified
to about half a pixel, with ``shapely.coverage_simplify`` so neighbouring cells keep sharing
their edges (no slivers open between them on screen).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy.orm import Session

from core.clock import TZ_NAME, UTC8
from core.errors import InvalidInputError, NotFoundError
from db import repositories
from db.stats import cells as cell_queries
from db.stats import rates as rate_queries
from db.stats.filters import CaseFilter, is_month_aligned
from gis.crs import DISPLAY_CRS, METRIC_CRS
from services.stats.rates import Rate, rates_from_counts

__all__ = [
    "CaseFilter",
    "CellMap",
    "DashboardView",
    "bin_size_deg",
    "cell_map",
    "dashboard_view",
    "cell_open_cases",
    "community_outlines",
    "default_period",
    "filter_options",
    "heat",
    "heat_animation",
    "rate_cards",
    "simplify_cells",
    "trend",
    "zoom_for_bounds",
]

METRES_PER_PIXEL_Z0 = 156_543.03392


# ------------------------------------------------------------------------------ periods & zoom
def day_start(d: dt.date) -> dt.datetime:
    """Midnight at the start of ``d`` in Beijing time."""
    return dt.datetime.combine(d, dt.time(), tzinfo=UTC8)


def default_period(as_of: dt.date, *, months: int = 12) -> tuple[dt.date, dt.date]:
    """The last ``months`` whole months and the current one: ``[first day, next month)``.

    Periods are whole months (the month summaries answer them; a leader reads by month).
    """
    this_month = as_of.replace(day=1)
    return _month(this_month, -months), _month(this_month, 1)


def month_period(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """``[start of first's month, start of the month after last's)`` in Beijing time."""
    return day_start(first.replace(day=1)), day_start(_month(last.replace(day=1), 1))


def zoom_for_bounds(
    bounds: tuple[float, float, float, float], *, width_px: int = 900, height_px: int = 620
) -> int:
    """The Leaflet zoom at which lon/lat ``bounds`` fill a map of the given size."""
    minx, miny, maxx, maxy = bounds
    lat = math.radians((miny + maxy) / 2)
    span_x_m = max((maxx - minx) * 111_320 * math.cos(lat), 1.0)
    span_y_m = max((maxy - miny) * 110_540, 1.0)
    per_px = max(span_x_m / width_px, span_y_m / height_px)
    return int(max(0, min(19, math.floor(math.log2(METRES_PER_PIXEL_Z0 * math.cos(lat) / per_px)))))


def metres_per_pixel(zoom: int, *, lat: float) -> float:
    return METRES_PER_PIXEL_Z0 * math.cos(math.radians(lat)) / 2**zoom


def bin_size_deg(zoom: int, *, lat: float, pixels: float = 10.0) -> float:
    """Heat-bin edge in degrees: about ``pixels`` screen pixels at ``zoom``."""
    return metres_per_pixel(zoom, lat=lat) * pixels / 111_320.0


# ------------------------------------------------------------------------------ geometry
def simplify_cells(
    cells: gpd.GeoDataFrame, *, tolerance_m: float, decimals: int = 5
) -> gpd.GeoDataFrame:
    """Cells simplified for display, still a coverage, in EPSG:4326, rounded to ``decimals``.

    ``shapely.coverage_simplify`` simplifies each shared edge once, so two neighbours keep the
    same boundary; rounding every vertex the same way keeps shared vertices identical. Five
    decimals are about a metre — finer than a pixel at any zoom a leader uses.
    """
    if cells.empty:
        return cells.to_crs(DISPLAY_CRS)
    metric = cells.to_crs(METRIC_CRS)
    geoms = metric.geometry.to_numpy()
    if tolerance_m > 0:
        geoms = shapely.coverage_simplify(geoms, tolerance_m, simplify_boundary=True)
    out = gpd.GeoDataFrame(
        metric.drop(columns=metric.geometry.name), geometry=geoms, crs=METRIC_CRS
    )
    out = out.to_crs(DISPLAY_CRS)
    factor = 10.0**decimals
    out.geometry = shapely.transform(
        out.geometry.to_numpy(), lambda c: np.round(c * factor) / factor
    )
    return out


# ------------------------------------------------------------------------------ cells
@dataclass
class CellMap:
    """Cells with their counts (EPSG:4326, simplified for ``zoom``) and the map's extent."""

    cells: gpd.GeoDataFrame
    zoom: int
    bounds: tuple[float, float, float, float]
    totals: dict[str, int]


def cell_shapes(*, session: Session, community_codes: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
    """The published cells with names and leaders (EPSG:4490); raises NotFoundError if none."""
    shapes = cell_queries.published_cell_shapes(session=session, community_codes=community_codes)
    if shapes.empty:
        raise NotFoundError("还没有已发布的网格方案：请规划员发布一个方案，或载入示例数据")
    return shapes


def display_shapes(
    shapes: gpd.GeoDataFrame, *, width_px: int = 900, height_px: int = 620
) -> tuple[gpd.GeoDataFrame, int]:
    """Shapes simplified to half a pixel at the zoom that fits them; returns (cells, zoom)."""
    bounds = tuple(shapes.to_crs(DISPLAY_CRS).total_bounds)
    zoom = zoom_for_bounds(bounds, width_px=width_px, height_px=height_px)
    lat = (bounds[1] + bounds[3]) / 2
    simple = simplify_cells(shapes, tolerance_m=metres_per_pixel(zoom, lat=lat) / 2)
    # kept with the cached shapes: the heat-from-cells path needs them on every view
    inner = shapes.geometry.representative_point()
    simple["inner_lon"] = inner.x.round(5).to_numpy()
    simple["inner_lat"] = inner.y.round(5).to_numpy()
    simple.attrs["median_width_m"] = _median_cell_width_m(shapes)
    return simple, zoom


@dataclass
class DashboardView:
    """Everything the map and the rate cards show for one filter, from one pass over cases."""

    cell_map: CellMap
    heat: pd.DataFrame  # lon, lat, n: bin centres (EPSG:4326 ≈ 4490 here) with counts
    rates: dict[str, Rate]
    bin_deg: float


def refresh_summaries(*, session: Session, max_age_s: int = 0) -> int:
    """Refresh the dirty month summaries now, whatever the table sizes (the background job).

    Page views refresh only small tables themselves (see :func:`dashboard_view`); at city
    scale ``lianxin stats refresh --every 60``, started by ``lianxin serve``, keeps them fresh,
    so no page request waits for a refresh. Returns how many summary groups were refreshed.
    """
    return cell_queries.refresh_summaries(session=session, max_age_s=max_age_s, in_request=False)


def dashboard_view(
    f: CaseFilter,
    *,
    session: Session,
    as_of: dt.datetime,
    shapes: gpd.GeoDataFrame | None = None,
    zoom: int | None = None,
    count_basically_satisfied: bool = True,
    use_summaries: bool = True,
) -> DashboardView:
    """Cells with open, overdue, period cases and cases per 100 households; heat bins; rates.

    ``shapes``/``zoom`` are the output of :func:`display_shapes` (cache them: they only change
    when a plan is published); without them they are read and simplified here.

    Whole-month periods are answered from the month summaries (migration 0003): the cell
    counts when no category/kind/channel/state filter is set, the rates when no community is;
    otherwise one pass over the period's matching cases grouped by cell and heat bin gives
    the cell counts and the heat together, and the rates are counted from the cases.
    Open/overdue counts always come live from the partial index of open cases.
    ``use_summaries=False`` counts everything from the cases.
    """
    cell_queries.refresh_summaries(session=session, in_request=True)
    if shapes is None or zoom is None:
        shapes, zoom = display_shapes(
            cell_shapes(session=session, community_codes=f.community_codes)
        )
    minx, miny, maxx, maxy = shapes.total_bounds
    lat = float((miny + maxy) / 2)
    size = bin_size_deg(zoom, lat=lat)
    cbs = count_basically_satisfied
    aligned = is_month_aligned(f.start, f.end)
    attribute_filters = bool(f.categories or f.kinds or f.channels or f.states)
    if use_summaries and aligned and not attribute_filters:
        # Whole months, no attribute filter: per-cell counts from the month summary; heat
        # from the cells when a heat bin is wider than a cell, else from the points.
        per_cell = cell_queries.cell_month_counts(f, session=session).set_index("cell_code")[
            "cases"
        ]
        width = shapes.attrs.get("median_width_m") or _median_cell_width_m(shapes)
        if size * 111_320 >= width:
            heat_bins = _heat_from_cells(shapes, per_cell, size_deg=size)
        else:
            heat_bins = _bins(cell_queries.case_cell_bins(f, session=session, size_deg=size), size)
    else:
        fine = cell_queries.case_cell_bins(f, session=session, size_deg=size)
        per_cell = fine.groupby("cell_code", sort=False)["n"].sum()
        heat_bins = _bins(fine, size)
    if use_summaries and aligned and not f.community_codes:
        sums = rate_queries.rate_counts_from_summary(
            f, session=session, count_basically_satisfied=cbs
        )
    else:
        sums = rate_queries.rate_counts(
            f, session=session, start=f.start, end=f.end, count_basically_satisfied=cbs
        )
    # Only cells of the published plan count, whichever path produced per_cell (the month
    # summary also holds unlocated cases and retired cells), so a filter never changes the
    # meaning of the total.
    period_total = int(per_cell[per_cell.index.isin(shapes["cell_code"])].sum())
    counts = cell_queries.cell_open_counts(f, session=session, as_of=as_of).merge(
        per_cell.rename("cases"), left_on="cell_code", right_index=True, how="left"
    )
    counts["cases"] = counts["cases"].fillna(0).astype(int)
    cells = shapes.merge(counts, on="cell_code", how="inner")
    hh = cells["households"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        per100 = np.where(hh > 0, cells["cases"].to_numpy(dtype=float) * 100 / hh, 0.0)
    cells["cases_per_100"] = np.round(per100, 1)
    bounds = tuple(float(v) for v in cells.total_bounds) if len(cells) else (0.0,) * 4
    totals = {
        "cells": len(cells),
        "households": int(cells["households"].sum()),
        "cases": period_total,
        "open_cases": int(cells["open_cases"].sum()),
        "overdue_cases": int(cells["overdue_cases"].sum()),
        "cells_with_open": int((cells["open_cases"] > 0).sum()),
    }
    return DashboardView(
        cell_map=CellMap(cells=cells, zoom=zoom, bounds=bounds, totals=totals),  # type: ignore[arg-type]
        heat=heat_bins,
        rates=rates_from_counts(sums, count_basically_satisfied=cbs),
        bin_deg=size,
    )


def _bins(fine: pd.DataFrame, size_deg: float) -> pd.DataFrame:
    """``lon, lat, n`` of the heat bins from per-(cell, bin) counts."""
    binned = fine.dropna(subset=["i", "j"])
    bins = binned.groupby(["i", "j"], sort=True)["n"].sum().reset_index()
    bins = bins[bins["n"] > 0]
    return bins.assign(
        lon=(bins["i"].astype(float) + 0.5) * size_deg,
        lat=(bins["j"].astype(float) + 0.5) * size_deg,
    )[["lon", "lat", "n"]].reset_index(drop=True)


def _median_cell_width_m(shapes: gpd.GeoDataFrame) -> float:
    """Typical cell width: square root of the median cell area, in metres."""
    if shapes.empty:
        return 0.0
    areas = shapes.to_crs(METRIC_CRS).area.to_numpy()
    return float(np.sqrt(np.median(areas)))


def _heat_from_cells(
    shapes: gpd.GeoDataFrame, per_cell: pd.Series, *, size_deg: float
) -> pd.DataFrame:
    """Heat bins from per-cell counts placed at each cell's inner point (bins ≥ cells)."""
    if "inner_lon" in shapes.columns:
        x, y = shapes["inner_lon"].to_numpy(float), shapes["inner_lat"].to_numpy(float)
    else:
        inner = shapes.geometry.to_crs(DISPLAY_CRS).representative_point()
        x, y = inner.x.to_numpy(), inner.y.to_numpy()
    n = per_cell.reindex(shapes["cell_code"]).fillna(0).to_numpy()
    frame = pd.DataFrame(
        {
            "i": np.floor(x / size_deg).astype(int),
            "j": np.floor(y / size_deg).astype(int),
            "n": n.astype(int),
        }
    )
    bins = frame[frame["n"] > 0].groupby(["i", "j"], sort=True)["n"].sum().reset_index()
    return bins.assign(lon=(bins["i"] + 0.5) * size_deg, lat=(bins["j"] + 0.5) * size_deg)[
        ["lon", "lat", "n"]
    ]


def cell_map(
    f: CaseFilter,
    *,
    session: Session,
    as_of: dt.datetime,
    shapes: gpd.GeoDataFrame | None = None,
    zoom: int | None = None,
) -> CellMap:
    """The cells part of :func:`dashboard_view`."""
    return dashboard_view(f, session=session, as_of=as_of, shapes=shapes, zoom=zoom).cell_map


def cell_open_cases(*, session: Session, cell_code: str, as_of: dt.datetime) -> pd.DataFrame:
    """The drill-down list of one cell: its open cases, most urgent first."""
    if not cell_code or not cell_code.isdigit() or len(cell_code) != 15:
        raise InvalidInputError(f"网格编码 {cell_code!r} 无效：应为 15 位数字")
    return cell_queries.open_cases_in_cell(session=session, cell_code=cell_code, as_of=as_of)


def filter_options(
    *, session: Session
) -> tuple[pd.DataFrame, dt.datetime | None, dt.datetime | None, gpd.GeoDataFrame]:
    """What the page's filters offer: communities with a published cell (``code, name``), the
    first and last time a case was received, and the streets (for the map's labels)."""
    first, last = cell_queries.case_time_range(session=session)
    return cell_queries.community_names(session=session), first, last, repositories.streets(session)


def community_outlines(
    *, session: Session, community_codes: tuple[str, ...] = ()
) -> gpd.GeoDataFrame:
    """Community outlines (``code, name``), simplified to 5 m, in EPSG:4326."""
    comms = repositories.communities(session)
    if community_codes:
        comms = comms[comms["code"].isin(community_codes)]
    return simplify_cells(comms[["code", "name", comms.geometry.name]], tolerance_m=5.0)


# ------------------------------------------------------------------------------ heat
def heat(f: CaseFilter, *, session: Session, zoom: int, lat: float) -> pd.DataFrame:
    """Heat points (bin centres) with weights, bins about 10 px wide at ``zoom``."""
    size = bin_size_deg(zoom, lat=lat)
    return _bins(cell_queries.case_cell_bins(f, session=session, size_deg=size), size)


def heat_animation(
    f: CaseFilter, *, session: Session, zoom: int, lat: float, step: str = "month"
) -> pd.DataFrame:
    """Heat bins per week or month (``frame, lon, lat, n``) for the time animation.

    The bins are twice as coarse as the still map's: dozens of frames have to fit in the page.
    """
    if step not in ("week", "month"):
        raise InvalidInputError(f"动画步长 {step!r} 无效：只能按周（week）或按月（month）")
    return cell_queries.heat_frames(
        f, session=session, size_deg=bin_size_deg(zoom, lat=lat, pixels=20), step=step
    )


# ------------------------------------------------------------------------------ rates
def rate_cards(
    f: CaseFilter, *, session: Session, count_basically_satisfied: bool = True
) -> dict[str, Rate]:
    """办结率, 按期办结率, 满意率, 返工率 (and 回访率) for the filter's period, counted in SQL."""
    counts = rate_queries.rate_counts(
        f,
        session=session,
        start=f.start,
        end=f.end,
        count_basically_satisfied=count_basically_satisfied,
    )
    return rates_from_counts(counts, count_basically_satisfied=count_basically_satisfied)


# ------------------------------------------------------------------------------ trends
def _month(d: dt.date, delta: int) -> dt.date:
    index = d.year * 12 + d.month - 1 + delta
    return dt.date(index // 12, index % 12 + 1, 1)


def trend(f: CaseFilter, *, session: Session, as_of: dt.date, months: int = 12) -> pd.DataFrame:
    """Monthly figures for the last ``months`` months with 同比 and 环比.

    Returns one row per month (``month`` as ``YYYY-MM``): ``received`` and the rates
    (``completion_rate`` … as fractions, NaN without a denominator), ``received_last_year``,
    ``yoy`` (同比: change against the same month a year earlier) and ``mom`` (环比: change
    against the month before), both as fractions (NaN without a base).

    ``received_last_year`` is NaN, not 0, for a month before the first case the system holds
    (there is no data a year ago to compare with); ``partial`` is True for the current month
    while it is not over, so a chart can mark it instead of drawing a plunge.
    """
    this_month = as_of.replace(day=1)
    first = _month(this_month, -(months - 1) - 12)
    raw = rate_queries.monthly_trend(
        f, session=session, first_month=first, end_month=_month(this_month, 1)
    )
    index = [_month(first, i) for i in range(months + 12)]
    frame = (
        raw.assign(month=pd.to_datetime(raw["month"]).dt.date).set_index("month")
        if len(raw)
        else pd.DataFrame(columns=raw.columns).set_index("month")
    )
    frame = frame.reindex(index, fill_value=0).astype(int)

    def ratio(num: pd.Series, den: pd.Series) -> pd.Series:
        return (num / den.where(den > 0)).astype(float)

    out = pd.DataFrame(index=frame.index)
    out["received"] = frame["received"]
    out["completion_rate"] = ratio(frame["done"], frame["due"])
    out["on_time_rate"] = ratio(frame["on_time"], frame["due"])
    out["satisfaction_rate"] = ratio(frame["satisfied_count"], frame["rated"])
    out["rework_rate"] = ratio(frame["reworked"], frame["closed_here"])
    earliest, _latest = cell_queries.case_time_range(session=session)
    first_data = (
        pd.Timestamp(earliest).tz_convert(TZ_NAME).date().replace(day=1)
        if earliest is not None
        else None
    )
    year_ago = [_month(m, -12) for m in frame.index]
    out["received_last_year"] = [
        float(frame["received"].get(y, 0))
        if y in frame.index and first_data is not None and y >= first_data
        else float("nan")
        for y in year_ago
    ]
    out["yoy"] = ratio(out["received"] - out["received_last_year"], out["received_last_year"])
    previous = frame["received"].shift(1)
    out["mom"] = ratio(out["received"] - previous, previous)
    out["partial"] = [
        m == this_month and (as_of + dt.timedelta(days=1)).month == as_of.month for m in out.index
    ]
    out = out.iloc[12:]
    out.index = [m.strftime("%Y-%m") for m in out.index]
    out.index.name = "month"
    return out.reset_index()
