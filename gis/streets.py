"""Street files as they really come, made ready for block building (:mod:`gis.blocks`).

Real street layers carry much that is not a block outline: footways and steps, parking aisles,
tunnels under the blocks, flyovers above the streets, the same way twice, 3D or measured (M)
coordinates, multi-part lines, attributes in a nested ``tags`` object (Overpass) or GDAL's
``other_tags`` text (the GDAL OSM driver). :func:`select_streets` keeps the lines that bound
blocks on the ground and says, per reason, how many it left out, so the planner sees the
filter's effect instead of trusting it.

Levels follow the OpenStreetMap tagging conventions (``layer``, ``bridge``, ``tunnel``):

- Underground ways (``tunnel`` other than ``no``/``building_passage``, or ``layer`` < 0) bound
  nothing on the surface and are left out.
- Elevated ways (``bridge`` other than ``no``, or ``layer`` > 0) are kept where they only meet
  the ground streets at their own ends (a street carried over a stream or railway still divides
  the blocks on either side). An elevated way that crosses a street of another level mid-span
  (a flyover, a viaduct) is left out: it makes no junction with the street below, and the
  ground streets beneath it are the block outlines.

:func:`check_extent` refuses streets that do not reach the boundary at all (the wrong CRS,
GCJ-02 taken as WGS-84, or simply the wrong file) with one line naming both extents.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from core.errors import GeometryError
from gis.crs import metric_crs_for, union_in

__all__ = [
    "DEFAULT_HIGHWAYS",
    "HIGHWAY_LABELS",
    "StreetSelection",
    "check_extent",
    "select_streets",
]

#: OSM ``highway`` values and their Chinese names, roads first, then ways people walk.
HIGHWAY_LABELS: dict[str, str] = {
    "motorway": "高速公路",
    "trunk": "快速路/国道",
    "primary": "主干道",
    "secondary": "次干道",
    "tertiary": "支路",
    "motorway_link": "高速匝道",
    "trunk_link": "快速路匝道",
    "primary_link": "主干道连接线",
    "secondary_link": "次干道连接线",
    "tertiary_link": "支路连接线",
    "unclassified": "乡村/未分级道路",
    "residential": "居住区道路",
    "living_street": "生活街道",
    "service": "内部道路（不含停车场通道、私家车道）",
    "road": "未知等级道路",
    "pedestrian": "步行街/广场",
    "track": "机耕路",
    "footway": "人行道",
    "path": "小路",
    "cycleway": "自行车道",
    "steps": "台阶",
    "bridleway": "马道",
    "corridor": "室内通道",
    "construction": "在建道路",
}

#: Roads and lanes: every way a vehicle (or a 巷's handcart) uses between blocks. ``service`` is
#: in because in Chinese towns the lanes (巷、胡同) and compound roads are often tagged so and
#: they are real block outlines; its ``service=parking_aisle/driveway/drive-through`` ways are
#: not (they end inside a block and would only add dangles). Footways, steps, paths, cycleways,
#: tracks and pedestrian areas are out: they run through blocks (sidewalks beside the road,
#: paths across a park) far more often than they bound one; the planner can add them.
DEFAULT_HIGHWAYS: frozenset[str] = frozenset(
    {
        "motorway",
        "trunk",
        "primary",
        "secondary",
        "tertiary",
        "motorway_link",
        "trunk_link",
        "primary_link",
        "secondary_link",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "road",
    }
)
_MINOR_SERVICE = frozenset({"parking_aisle", "driveway", "drive-through", "emergency_access"})
_NOT_TUNNEL = frozenset({"no", "building_passage", "false", "0"})
_NOT_BRIDGE = frozenset({"no", "false", "0"})
_LINE_TYPES = (1, 2, 5)
_OTHER_TAGS = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')

#: Reasons in :attr:`StreetSelection.dropped`, in Chinese.
DROP_LABELS: dict[str, str] = {
    "highway": "道路等级不在所选范围内",
    "underground": "隧道/地下道路",
    "overpass": "跨越其他道路的高架桥/立交",
    "duplicate": "重复的线",
    "not_line": "不是线（点、面）",
    "area": "闭合的广场/面状道路（area=yes）",
}


@dataclass(frozen=True)
class StreetSelection:
    """The lines that bound blocks, and what was left out.

    Attributes
    ----------
    lines : geopandas.GeoDataFrame
        One 2D LineString per row (multi-part lines split, Z and M dropped, duplicates
        removed), in the input CRS, with ``name``, ``highway`` and ``level`` when known.
    dropped : dict of str to int
        Reason (see :data:`DROP_LABELS`) → number of lines left out for it.
    filtered_by_highway : bool
        The file had a ``highway`` attribute and the filter was applied.
    highways_found : dict of str to int
        Every ``highway`` value of the file with its count (before filtering).
    """

    lines: gpd.GeoDataFrame
    dropped: dict[str, int] = field(default_factory=dict)
    filtered_by_highway: bool = False
    highways_found: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One Chinese sentence: how many lines are used and why the others are not."""
        parts = [f"{DROP_LABELS[k]} {v:,} 条" for k, v in self.dropped.items() if v]
        head = f"用于生成街区的街巷线 {len(self.lines):,} 条"
        return head + ("；未使用：" + "，".join(parts) if parts else "")


def select_streets(
    streets: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    highways: Collection[str] | None = DEFAULT_HIGHWAYS,
) -> StreetSelection:
    """Keep the street lines that bound blocks on the ground.

    Parameters
    ----------
    streets : GeoDataFrame or GeoSeries
        A street layer as read from a file: OSM exports (osmium/Overpass GeoJSON with tags as
        properties, a nested ``tags`` object or GDAL's ``other_tags``), survey or CAD lines
        without any tags. Must have a CRS.
    highways : collection of str or None, default :data:`DEFAULT_HIGHWAYS`
        ``highway`` values to keep; None keeps every value. Ignored when the layer has no
        ``highway`` attribute (survey and CAD files): then every line is kept.

    Returns
    -------
    StreetSelection

    Raises
    ------
    core.errors.GeometryError
        No CRS, or no line is left.
    """
    gdf = streets if isinstance(streets, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=streets)
    if gdf.crs is None:
        raise GeometryError("街巷图层没有坐标系")
    dropped = dict.fromkeys(DROP_LABELS, 0)
    tags = _tag_table(gdf)
    geoms = np.asarray(gdf.geometry.array)
    present = ~(pd.isna(geoms) | shapely.is_empty(geoms))
    tid = np.where(present, shapely.get_type_id(geoms), -1)
    is_line = np.isin(tid, _LINE_TYPES)
    # Road surfaces drawn as polygons are block material for gis.blocks (its road-polygon
    # mode); only lines are filtered here, polygons pass through untouched.
    is_poly = np.isin(tid, (3, 6))
    dropped["not_line"] = int((present & ~is_line & ~is_poly).sum())
    keep = present & (is_line | is_poly)

    hw = tags.get("highway")
    found: dict[str, int] = {}
    filtered = False
    if hw is not None and hw.notna().any():
        found = {str(k): int(v) for k, v in hw.dropna().value_counts().items()}
        if highways is not None:
            filtered = True
            wanted = {str(h) for h in highways}
            ok = hw.isin(wanted).to_numpy().copy()
            svc = tags.get("service")
            if svc is not None and "service" in wanted:
                ok &= ~((hw == "service") & svc.isin(_MINOR_SERVICE)).to_numpy()
            dropped["highway"] = int((keep & ~ok & is_line).sum())
            keep &= ok | is_poly
        area = tags.get("area")
        if area is not None:
            closed_area = (area == "yes").to_numpy() & is_line
            closed_area &= np.asarray(
                [
                    bool(g is not None and shapely.is_closed(g)) if c else False
                    for g, c in zip(geoms, closed_area, strict=True)
                ]
            )
            dropped["area"] = int((keep & closed_area).sum())
            keep &= ~closed_area

    level = _levels(tags, len(gdf))
    under = keep & is_line & (level < 0)
    dropped["underground"] = int(under.sum())
    keep &= ~under

    rows = np.flatnonzero(keep)
    out_cols = {c: tags[c].to_numpy()[rows] for c in ("name", "highway") if c in tags}
    frame = pd.DataFrame(out_cols)
    frame["level"] = level[rows]
    frame["geometry"] = geoms[rows]
    frame["_row"] = rows
    lines = frame
    if len(lines):
        parts = shapely.get_parts(np.asarray(lines["geometry"], dtype=object), return_index=True)
        lines = lines.iloc[parts[1]].reset_index(drop=True)
        lines["geometry"] = shapely.force_2d(parts[0])
    geo = np.asarray(lines["geometry"], dtype=object) if len(lines) else np.empty(0, object)
    # Elevated ways crossing another level mid-span make no junction there (see module doc).
    if len(geo):
        over = _overpasses(geo, lines["level"].to_numpy())
        dropped["overpass"] = int(len(np.unique(lines["_row"].to_numpy()[over])))
        lines, geo = lines.loc[~over].reset_index(drop=True), geo[~over]
    # The same way twice (an export merged with itself, both directions drawn): keep one.
    if len(geo):
        key = shapely.to_wkb(shapely.normalize(shapely.set_precision(geo, _precision(gdf.crs))))
        dup = pd.Series(key).duplicated().to_numpy()
        dropped["duplicate"] = int(dup.sum())
        lines, geo = lines.loc[~dup].reset_index(drop=True), geo[~dup]
    if not len(geo):
        raise GeometryError(_nothing_left(dropped, found, filtered))
    result = gpd.GeoDataFrame(
        lines.drop(columns=["geometry", "_row"]), geometry=gpd.GeoSeries(geo, crs=gdf.crs)
    )
    return StreetSelection(
        lines=result,
        dropped={k: v for k, v in dropped.items() if v},
        filtered_by_highway=filtered,
        highways_found=found,
    )


def _nothing_left(dropped: dict[str, int], found: dict[str, int], filtered: bool) -> str:
    if filtered and dropped.get("highway"):
        kinds = "、".join(f"{k}（{v:,}）" for k, v in sorted(found.items(), key=lambda kv: -kv[1]))
        return f"按所选道路等级筛选后没有剩下任何街巷线；文件中的道路等级（highway）有：{kinds}"
    return "街巷图层里没有可用于生成街区的线"


def _precision(crs: object) -> float:
    """About a centimetre in the layer's units."""
    return 1e-7 if pyproj.CRS.from_user_input(crs).is_geographic else 0.01


def _tag_table(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """OSM tags as string columns, wherever the export put them."""
    cols = {c: gdf[c] for c in gdf.columns if c != gdf.geometry.name}
    extra: list[dict[str, str]] = [{} for _ in range(len(gdf))]
    for nested in ("tags", "other_tags"):
        if nested not in cols:
            continue
        for i, value in enumerate(cols.pop(nested)):
            extra[i].update(_parse_tags(value))
    table = pd.DataFrame({str(c): v.to_numpy() for c, v in cols.items()}, index=range(len(gdf)))
    more = pd.DataFrame(extra, index=range(len(gdf)))
    for c in more.columns:
        if c not in table.columns:
            table[c] = more[c]
        else:
            table[c] = table[c].where(table[c].notna(), more[c])
    out = pd.DataFrame(index=range(len(gdf)))
    for c in ("highway", "name", "layer", "bridge", "tunnel", "service", "area"):
        if c in table.columns:
            s = table[c].astype(object)
            out[c] = s.where(s.notna() & (s.astype(str).str.strip() != ""), None).map(
                lambda v: None if v is None else str(v).strip()
            )
    return out


def _parse_tags(value: object) -> dict[str, str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return {}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if v is not None}
    text = str(value).strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return {}
        return (
            {str(k): str(v) for k, v in data.items() if v is not None}
            if isinstance(data, dict)
            else {}
        )
    return {k: v for k, v in _OTHER_TAGS.findall(text)}


def _levels(tags: pd.DataFrame, n: int) -> np.ndarray:
    """Vertical level of each way: ``layer`` when given, else +1 bridge, -1 tunnel, 0."""
    level = np.zeros(n, dtype=int)
    has_layer = np.zeros(n, dtype=bool)
    if "layer" in tags:
        parsed = pd.to_numeric(tags["layer"].map(_first_number), errors="coerce")
        has_layer = parsed.notna().to_numpy()
        level = np.where(has_layer, parsed.fillna(0).to_numpy(), 0).astype(int)
    if "bridge" in tags:
        b = tags["bridge"]
        bridge = (b.notna() & ~b.str.lower().isin(_NOT_BRIDGE)).to_numpy()
        level = np.where(bridge & ~has_layer, 1, level)
    if "tunnel" in tags:
        t = tags["tunnel"]
        passage = (t.str.lower() == "building_passage").to_numpy()
        tunnel = (t.notna() & ~t.str.lower().isin(_NOT_TUNNEL)).to_numpy()
        level = np.where(tunnel & ~has_layer, -1, level)
        # A street through a building passage is at ground level, whatever its layer says.
        level = np.where(passage, 0, level)
    return level


def _first_number(value: object) -> str | None:
    if value is None:
        return None
    m = re.match(r"\s*(-?\d+)", str(value))
    return m.group(1) if m else None


def _overpasses(geo: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Lines above ground that cross a line of another level away from their own ends."""
    out = np.zeros(len(geo), dtype=bool)
    up = np.flatnonzero(level > 0)
    if not len(up):
        return out
    lines_only = np.isin(shapely.get_type_id(geo), _LINE_TYPES)
    tree = shapely.STRtree(geo)
    k, j = tree.query(geo[up], predicate="crosses")
    i = up[k]
    ok = (level[j] != level[i]) & lines_only[j]
    out[np.unique(i[ok])] = True
    return out


def check_extent(
    streets: gpd.GeoDataFrame | gpd.GeoSeries,
    boundary: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry,
    *,
    what: str = "街巷",
) -> None:
    """Refuse streets that do not reach the boundary: one line naming both extents and the
    likely cause.

    Raises
    ------
    core.errors.GeometryError
        No street line lies even partly inside the boundary.
    """
    series = streets.geometry if isinstance(streets, gpd.GeoDataFrame) else streets
    if series.crs is None:
        raise GeometryError(f"{what}图层没有坐标系")
    lonlat = pyproj.CRS.from_epsg(4490)
    s = series.to_crs(lonlat)
    sg = np.asarray(s.array)
    sg = sg[~(pd.isna(sg) | shapely.is_empty(sg))]
    if not len(sg):
        raise GeometryError(f"{what}图层没有任何几何图形")
    region = shapely.make_valid(union_in(boundary, series.crs, lonlat))
    shapely.prepare(region)
    if shapely.intersects(region, sg).any():
        return
    centre = shapely.centroid(region)
    work = pyproj.CRS.from_user_input(metric_crs_for(float(centre.x)))
    to_work = pyproj.Transformer.from_crs(lonlat, work, always_xy=True)
    gap_m = shapely.distance(
        shapely.transform(shapely.union_all(sg), to_work.transform, interleaved=False),
        shapely.transform(region, to_work.transform, interleaved=False),
    )
    km = gap_m / 1000.0
    if km < 3:
        cause = (
            "偏移约几百米，可能是 GCJ-02（高德/腾讯地图）坐标当作 WGS-84 读入，请勾选“GCJ-02”后重试"
        )
    else:
        cause = "可能是坐标系设错（投影坐标当经纬度、缺少或错误的 .prj），或选错了文件"
    raise GeometryError(
        f"{what}与边界不重叠，相距约 {km:,.1f} 公里：{what}范围 {_extent(shapely.total_bounds(sg))}，"
        f"边界范围 {_extent(shapely.total_bounds(region))}；{cause}"
    )


def _extent(b: Iterable[float]) -> str:
    minx, miny, maxx, maxy = (float(v) for v in b)
    return f"经度 {minx:.4f}–{maxx:.4f}、纬度 {miny:.4f}–{maxy:.4f}"
