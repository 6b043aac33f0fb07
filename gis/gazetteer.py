"""Gazetteer and geocoder: address text → point, with a match type and a score.

A :class:`Gazetteer` is built once from streets (centrelines), door plates (points),
communities (polygons) and optionally named compounds (小区/楼院, points). It then answers
:meth:`Gazetteer.geocode` with plain dict look-ups and precomputed per-street arrays; no
GeoDataFrame work happens per address, so a roster of tens of thousands of rows geocodes in
seconds.

Matching order (the first that succeeds wins; ``match_type`` names it):

1. ``door_plate`` — the street and house number are a known door plate. Only then; or the
   address names a compound (小区/楼院) whose registered door plate is known (score 0.95).
2. ``interpolated`` — the street is known, the number is not: the point is interpolated
   between the nearest known numbers on the same side (same parity when there are any),
   along the street line in metres (:data:`gis.crs.METRIC_CRS`), carrying the plates' offset
   from the centreline so the point lands on the side of the street the plates are on.
3. ``street`` — the street is known but there is no usable number: the point of the street
   nearest the named community (or its midpoint). A named compound without a known door
   plate also lands here, at its own point.
4. ``community`` — only the community is known: its representative point.
5. ``unmatched`` — NaN coordinates, score 0.

Street names are matched exactly, then by alias, then fuzzily with rapidfuzz (Levenshtein
distance on the name without its kind suffix: 纱帽石巷 ≈ 纱帽石, one wrong character in a name
of three or more characters) among the streets of the named community when there is one.
rapidfuzz because its ``process.extract`` runs the comparisons in C++ over the whole name list
at once (microseconds per address) and exposes the plain edit distance, which is what a typo
is; difflib is ~100× slower and its ratio hides the distance.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyproj
import shapely
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from core.errors import GeometryError, InvalidInputError
from gis.addresses import (
    normalize_address,
    normalize_value,
    parse_normalized,
    road_number_parts,
)
from gis.crs import METRIC_CRS, STORAGE_CRS

# Scores by match type; a fuzzy street name multiplies by FUZZY_FACTOR.
SCORE_DOOR_PLATE = 1.0
SCORE_SUB_NUMBER = 0.85  # 53附1 unknown but 53 known: that plate's point
SCORE_INTERPOLATED = 0.8
SCORE_EXTRAPOLATED = 0.65  # known numbers on one side only
SCORE_STREET = 0.5
SCORE_COMPOUND = 0.55  # a compound's own point, no registered door plate
SCORE_COMPOUND_PLATE = 0.95  # a compound whose registered door plate is known
SCORE_COMMUNITY = 0.3
ALIAS_FACTOR = 0.98
FUZZY_FACTOR = 0.9
SHORT_FUZZY_FACTOR = 0.85  # one wrong character in a short name (上安路 for 兴安路)
SCAN_FACTOR = 0.95  # street found inside the text, not as the parsed road
# A point this close to the community an address names is taken to be in it: 5e-5° is about
# 5 m at Ankang's latitude, less than a door plate's offset from a boundary street's line.
COMMUNITY_TOLERANCE_DEG = 5e-5

_KIND_SUFFIX_RE = re.compile(r"(?:大街|大道|正街|街|路|巷|道|弄|里)$")
_NUMBER_AFTER_RE = re.compile(r"^([0-9]+(?:号?[附之\-][0-9]+)?)")


@dataclass(frozen=True)
class GeocodeResult:
    """One geocoded address. ``lon``/``lat`` are EPSG:4490; NaN when unmatched."""

    lon: float
    lat: float
    match_type: str
    score: float
    matched: str
    components: dict[str, str] = field(default_factory=dict)
    # Why the point contradicts the address itself (a 社区 written that the door plate is not
    # in), or None. A contradicted geocode is not to be trusted with a cell: a person decides.
    conflict: str | None = None


@dataclass
class _Plates:
    """Known door plates of one street, sorted by main number, in metres along the line."""

    numbers: np.ndarray  # main numbers, sorted
    measures: np.ndarray  # distance along the street line (m); NaN without a line
    xy: np.ndarray  # (n, 2) plate positions in metres
    offsets: np.ndarray  # (n, 2) plate position minus its projection on the line


@dataclass
class _Street:
    name: str
    line: Any = None  # shapely (Multi)LineString in METRIC_CRS, or None
    midpoint: tuple[float, float] | None = None  # lon/lat
    community_codes: set[str] = field(default_factory=set)
    plates_all: _Plates | None = None
    plates_by_parity: dict[int, _Plates] = field(default_factory=dict)


def _core(name: str) -> str:
    """Street name without its kind suffix: 纱帽石巷 → 纱帽石, 兴安路 → 兴安."""
    core = _KIND_SUFFIX_RE.sub("", name)
    return core if len(core) >= 2 else name


def _community_key(name: str) -> str:
    s = normalize_address(name)
    for suffix in ("社区", "村"):
        if s.endswith(suffix) and len(s) > len(suffix) + 1:
            return s[: -len(suffix)]
    return s


def _aliases(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    items = value if isinstance(value, list | tuple | np.ndarray) else str(value).split("|")
    return [normalize_address(a) for a in items if str(a).strip()]


def _to_storage(gdf: Any, what: str) -> Any:
    if gdf.crs is None:
        return gdf.set_crs(STORAGE_CRS)
    if pyproj.CRS.from_user_input(gdf.crs) != pyproj.CRS.from_user_input(STORAGE_CRS):
        return gdf.to_crs(STORAGE_CRS)
    return gdf


def _require_columns(gdf: Any, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise InvalidInputError(
            f"{what}缺少字段 {', '.join(missing)}；现有字段：{', '.join(map(str, gdf.columns))}"
        )


class Gazetteer:
    """Streets, door plates and communities of a territory, indexed for geocoding.

    Build with :meth:`from_frames` or :meth:`from_files`; then call :meth:`geocode` or
    :meth:`geocode_many`.
    """

    def __init__(self) -> None:
        self._streets: dict[str, _Street] = {}
        self._name_index: dict[str, tuple[str, float]] = {}  # name or alias → (street, factor)
        self._cores: list[str] = []
        self._names: list[str] = []
        self._core_streets: list[str] = []
        self._plates: dict[tuple[str, str], list[tuple[float, float, str | None]]] = {}
        self._communities: dict[
            str, tuple[str, float, float, Any]
        ] = {}  # code → name, lon, lat, poly
        self._community_index: dict[str, str] = {}  # name / key → code
        # name → lon, lat, and the compound's registered door plate (street, number) if known
        self._compounds: dict[str, tuple[float, float, tuple[str, str] | None]] = {}
        self._scan_re: re.Pattern[str] | None = None
        self._compound_re: re.Pattern[str] | None = None
        self._community_re: re.Pattern[str] | None = None
        self._to_metric = pyproj.Transformer.from_crs(STORAGE_CRS, METRIC_CRS, always_xy=True)
        self._to_storage = pyproj.Transformer.from_crs(METRIC_CRS, STORAGE_CRS, always_xy=True)
        self._near_community: dict[tuple[str, str], tuple[float, float]] = {}

    # ------------------------------------------------------------------ building

    @classmethod
    def from_frames(
        cls,
        *,
        streets: Any,
        door_plates: Any,
        communities: Any = None,
        compounds: Any = None,
    ) -> Gazetteer:
        """Build a gazetteer from GeoDataFrames (EPSG:4490 lon/lat; other CRSs are converted).

        Parameters
        ----------
        streets
            ``name``, optional ``kind``, ``aliases`` ("|"-separated text or list) and
            ``community_code``; LineString/MultiLineString geometry.
        door_plates
            ``street_name``, ``house_number`` (text: ``"53"``, ``"53附1"``), optional
            ``community_code``; Point geometry.
        communities
            ``code``, ``name``; Polygon geometry. Optional.
        compounds
            ``name`` of a 小区/楼院; Point geometry. Optional.
        """
        gaz = cls()
        _require_columns(streets, ["name", "geometry"], "街巷图层")
        _require_columns(door_plates, ["street_name", "house_number", "geometry"], "门牌图层")
        streets = _to_storage(streets, "街巷图层")
        door_plates = _to_storage(door_plates, "门牌图层")
        types = set(streets.geometry.dropna().geom_type)
        if types - {"LineString", "MultiLineString"}:
            raise GeometryError(
                f"街巷图层应为线（LineString），实际含 {', '.join(sorted(map(str, types)))}"
            )
        gaz._add_streets(streets)
        gaz._add_door_plates(door_plates)
        if communities is not None and len(communities):
            _require_columns(communities, ["code", "name", "geometry"], "社区图层")
            gaz._add_communities(_to_storage(communities, "社区图层"))
        if compounds is not None and len(compounds):
            _require_columns(compounds, ["name", "geometry"], "小区图层")
            gaz._add_compounds(_to_storage(compounds, "小区图层"))
        gaz._finish()
        return gaz

    @classmethod
    def from_files(
        cls,
        streets_path: str | Path,
        door_plates_path: str | Path,
        *,
        street_name_field: str = "name",
        door_plate_street_field: str = "street_name",
        door_plate_number_field: str = "house_number",
        communities_path: str | Path | None = None,
        compounds_path: str | Path | None = None,
    ) -> Gazetteer:
        """Build a gazetteer from files GDAL reads (GeoJSON, GeoPackage, Shapefile …)."""
        import geopandas as gpd

        def read(path: str | Path, what: str) -> Any:
            if not Path(path).exists():
                raise InvalidInputError(f"{what}文件不存在：{path}")
            try:
                return gpd.read_file(path, engine="pyogrio")
            except Exception as exc:  # GDAL's own errors vary by driver
                raise InvalidInputError(f"无法读取{what}文件 {path}：{exc}") from exc

        streets = read(streets_path, "街巷")
        plates = read(door_plates_path, "门牌")
        _require_columns(streets, [street_name_field], f"街巷文件 {streets_path} ")
        _require_columns(
            plates,
            [door_plate_street_field, door_plate_number_field],
            f"门牌文件 {door_plates_path} ",
        )
        streets = streets.rename(columns={street_name_field: "name"})
        plates = plates.rename(
            columns={
                door_plate_street_field: "street_name",
                door_plate_number_field: "house_number",
            }
        )
        communities = read(communities_path, "社区") if communities_path else None
        compounds = read(compounds_path, "小区") if compounds_path else None
        return cls.from_frames(
            streets=streets, door_plates=plates, communities=communities, compounds=compounds
        )

    def _street(self, name: str) -> _Street:
        st = self._streets.get(name)
        if st is None:
            st = self._streets[name] = _Street(name=name)
            self._name_index[name] = (name, 1.0)
        return st

    def _add_streets(self, streets: Any) -> None:
        names = [normalize_address(n) for n in streets["name"]]
        metric = streets.geometry.to_crs(METRIC_CRS).values
        geoms: dict[str, list[Any]] = defaultdict(list)
        alias_col = streets["aliases"] if "aliases" in streets.columns else [None] * len(streets)
        comm_col = (
            streets["community_code"]
            if "community_code" in streets.columns
            else [None] * len(streets)
        )
        for name, geom, aliases, comm in zip(names, metric, alias_col, comm_col, strict=True):
            if not name:
                continue
            st = self._street(name)
            if geom is not None and not geom.is_empty:
                geoms[name].append(geom)
            if comm is not None and not (isinstance(comm, float) and math.isnan(comm)):
                st.community_codes.add(str(comm))
            for alias in _aliases(aliases):
                self._name_index.setdefault(alias, (name, ALIAS_FACTOR))
        for name, parts in geoms.items():
            line = shapely.line_merge(shapely.union_all(parts)) if len(parts) > 1 else parts[0]
            st = self._streets[name]
            st.line = line
            mid = line.interpolate(0.5, normalized=True)
            st.midpoint = self._lonlat(mid.x, mid.y)

    def _add_door_plates(self, plates: Any) -> None:
        pts = plates.geometry.values
        lon = shapely.get_x(pts)
        lat = shapely.get_y(pts)
        x, y = self._to_metric.transform(lon, lat)
        comm_col = (
            plates["community_code"] if "community_code" in plates.columns else [None] * len(plates)
        )
        per_street: dict[str, list[tuple[int, float, float]]] = defaultdict(list)
        for i, (street, number, comm) in enumerate(
            zip(plates["street_name"], plates["house_number"], comm_col, strict=True)
        ):
            name = normalize_address(street)
            num = normalize_value("road_number", normalize_address(number))
            if not name or not num or not np.isfinite(lon[i]):
                continue
            code = (
                None
                if comm is None or (isinstance(comm, float) and math.isnan(comm))
                else str(comm)
            )
            st = self._street(name)
            if code:
                st.community_codes.add(code)
            self._plates.setdefault((name, num), []).append((float(lon[i]), float(lat[i]), code))
            parts = road_number_parts(num)
            if parts is not None and parts[1] == 0:
                per_street[name].append((parts[0], float(x[i]), float(y[i])))
        for name, rows in per_street.items():
            st = self._streets[name]
            rows.sort()
            st.plates_all = self._plates_array(st, rows)
            for parity in (0, 1):
                sub = [r for r in rows if r[0] % 2 == parity]
                if sub:
                    st.plates_by_parity[parity] = self._plates_array(st, sub)

    @staticmethod
    def _plates_array(st: _Street, rows: list[tuple[int, float, float]]) -> _Plates:
        numbers = np.array([r[0] for r in rows], dtype=np.int64)
        xy = np.array([(r[1], r[2]) for r in rows], dtype=float)
        if st.line is not None:
            pts = shapely.points(xy)
            measures = shapely.line_locate_point(st.line, pts)
            on_line = shapely.line_interpolate_point(st.line, measures)
            offsets = xy - shapely.get_coordinates(on_line)
        else:
            measures = np.full(len(rows), np.nan)
            offsets = np.zeros_like(xy)
        return _Plates(numbers=numbers, measures=measures, xy=xy, offsets=offsets)

    def _add_communities(self, communities: Any) -> None:
        reps = communities.geometry.representative_point()
        for code, name, rep, poly in zip(
            communities["code"], communities["name"], reps, communities.geometry, strict=True
        ):
            code = str(code)
            nm = normalize_address(name)
            self._communities[code] = (nm, float(rep.x), float(rep.y), poly)
            self._community_index[nm] = code
            self._community_index[_community_key(nm)] = code
            self._community_index[code] = code

    def _add_compounds(self, compounds: Any) -> None:
        n = len(compounds)
        streets = compounds["street_name"] if "street_name" in compounds.columns else [None] * n
        numbers = compounds["house_number"] if "house_number" in compounds.columns else [None] * n
        for name, pt, street, number in zip(
            compounds["name"], compounds.geometry, streets, numbers, strict=True
        ):
            nm = normalize_address(name)
            if not nm or pt is None or pt.is_empty:
                continue
            plate = None
            if isinstance(street, str) and street and number is not None:
                key = (
                    normalize_address(street),
                    normalize_value("road_number", normalize_address(number)),
                )
                if key in self._plates:
                    plate = key
            self._compounds[nm] = (float(pt.x), float(pt.y), plate)

    def _finish(self) -> None:
        self._cores = []
        self._core_streets = []
        for name, (street, _factor) in self._name_index.items():
            self._cores.append(_core(name))
            self._core_streets.append(street)
        self._names = list(self._name_index)
        names = sorted(self._name_index, key=len, reverse=True)
        if names:
            self._scan_re = re.compile("|".join(map(re.escape, names)))
        written = {n for n, _lon, _lat, _poly in self._communities.values()}
        written |= {_community_key(n) + "社区" for n in written}
        for name in written:
            self._community_index.setdefault(name, self._community_index[_community_key(name)])
        if written:
            self._community_re = re.compile(
                "|".join(map(re.escape, sorted(written, key=len, reverse=True)))
            )
        if self._compounds:
            self._compound_re = re.compile(
                "|".join(map(re.escape, sorted(self._compounds, key=len, reverse=True)))
            )

    # ------------------------------------------------------------------ look-ups

    def _lonlat(self, x: float, y: float) -> tuple[float, float]:
        lon, lat = self._to_storage.transform(x, y)
        return float(lon), float(lat)

    def _find_community(self, comps: dict[str, str], text: str) -> str | None:
        name = comps.get("community")
        if name:
            code = self._community_index.get(name) or self._community_index.get(
                _community_key(name)
            )
            if code:
                return code
        if self._community_re is not None:
            m = self._community_re.search(text)
            if m:
                return self._community_index.get(m.group(0))
        return None

    def _find_street(
        self, comps: dict[str, str], text: str, community: str | None
    ) -> tuple[str, float, str, str | None] | None:
        """(street, factor, name as written, number written after it) for the address."""
        road = comps.get("road")
        if road:
            hit = self._name_index.get(road)
            if hit is None:
                hit = self._fuzzy_street(road, community)
            if hit is not None:
                number = comps.get("road_number")
                if number is None:  # 杏园巷6号院: the model may call 6号院 a POI
                    at = text.find(road)
                    found = _NUMBER_AFTER_RE.match(text[at + len(road) :]) if at >= 0 else None
                    number = found.group(1) if found else None
                return hit[0], hit[1], road, number
        # The street may be inside another component (a POI, a badly split road): scan the text,
        # without the community name, for the longest known name.
        if self._scan_re is None:
            return None
        scan_text = text
        if comps.get("community"):
            scan_text = scan_text.replace(comps["community"], "|")
        m = self._scan_re.search(scan_text)
        if not m:
            return None
        street, factor = self._name_index[m.group(0)]
        num = _NUMBER_AFTER_RE.match(scan_text[m.end() :])
        return street, factor * SCAN_FACTOR, m.group(0), num.group(1) if num else None

    def _fuzzy_street(self, road: str, community: str | None) -> tuple[str, float] | None:
        """The one street within a small edit distance of ``road``; None when none or several.

        First on the name without its kind suffix (纱帽石巷 = 纱帽石; one wrong character in
        three or more), then on the whole name when it has a kind suffix (上安路 ≈ 兴安路:
        one wrong character, same 路), which covers two-character names.
        """
        core = _core(road)
        if len(core) < 2:
            return None
        max_dist = 0 if len(core) < 3 else (1 if len(core) < 6 else 2)
        hits = process.extract(
            core, self._cores, scorer=Levenshtein.distance, score_cutoff=max_dist, limit=8
        )
        if hits:
            best = min(h[1] for h in hits)
            street = self._unique(
                {self._core_streets[h[2]] for h in hits if h[1] == best}, community
            )
            if street is not None:
                return street, FUZZY_FACTOR if best else ALIAS_FACTOR
        if core != road and len(road) >= 3:
            hits = process.extract(
                road, self._names, scorer=Levenshtein.distance, score_cutoff=1, limit=8
            )
            same_kind = {
                self._name_index[self._names[h[2]]][0]
                for h in hits
                if self._names[h[2]][-1] == road[-1]
            }
            street = self._unique(same_kind, community)
            if street is not None:
                return street, SHORT_FUZZY_FACTOR
        return None

    def _unique(self, streets: set[str], community: str | None) -> str | None:
        if len(streets) > 1 and community:
            in_comm = {s for s in streets if community in self._streets[s].community_codes}
            streets = in_comm or streets
        if len(streets) != 1:
            return None  # ambiguous: better a street-less answer than a wrong street
        return next(iter(streets))

    def _plate(self, street: str, number: str, community: str | None) -> tuple[float, float] | None:
        rows = self._plates.get((street, number))
        if not rows:
            return None
        if community and len(rows) > 1:
            for lon, lat, code in rows:
                if code == community:
                    return lon, lat
        return rows[0][0], rows[0][1]

    def _interpolate(self, st: _Street, n: int) -> tuple[float, float, float] | None:
        """(lon, lat, score) between the nearest known numbers, or None without plates."""
        plates = st.plates_by_parity.get(n % 2) or st.plates_all
        if plates is None or not len(plates.numbers):
            return None
        nums = plates.numbers
        i = int(np.searchsorted(nums, n))
        if 0 < i < len(nums):
            a, b = i - 1, i
            score = SCORE_INTERPOLATED
        elif len(nums) >= 2:
            a, b = (0, 1) if i == 0 else (len(nums) - 2, len(nums) - 1)
            score = SCORE_EXTRAPOLATED
        else:
            x, y = plates.xy[0]
            lon, lat = self._lonlat(x, y)
            return lon, lat, SCORE_EXTRAPOLATED
        na, nb = float(nums[a]), float(nums[b])
        t = (n - na) / (nb - na) if nb != na else 0.0
        if st.line is not None and np.isfinite(plates.measures[a]):
            ma, mb = plates.measures[a], plates.measures[b]
            m = min(max(ma + t * (mb - ma), 0.0), st.line.length)
            base = st.line.interpolate(m)
            tc = min(max(t, 0.0), 1.0)
            off = (1 - tc) * plates.offsets[a] + tc * plates.offsets[b]
            x, y = base.x + off[0], base.y + off[1]
        else:
            x, y = plates.xy[a] + t * (plates.xy[b] - plates.xy[a])
        lon, lat = self._lonlat(x, y)
        return lon, lat, score

    def _street_point(self, st: _Street, community: str | None) -> tuple[float, float] | None:
        if community and st.line is not None and community in self._communities:
            key = (st.name, community)
            pt = self._near_community.get(key)
            if pt is None:
                _, clon, clat, _poly = self._communities[community]
                cx, cy = self._to_metric.transform(clon, clat)
                m = st.line.project(shapely.Point(cx, cy))
                p = st.line.interpolate(m)
                pt = self._near_community[key] = self._lonlat(p.x, p.y)
            return pt
        if st.midpoint is not None:
            return st.midpoint
        if st.plates_all is not None:
            x, y = st.plates_all.xy[len(st.plates_all.xy) // 2]
            return self._lonlat(x, y)
        return None

    # ------------------------------------------------------------------ geocoding

    def geocode(
        self, address: object, *, components: dict[str, str] | None = None
    ) -> GeocodeResult:
        """Geocode one address.

        Parameters
        ----------
        address
            Free text, e.g. ``"大北街社区纱帽石53号"``.
        components
            Already-parsed components (from :func:`gis.addresses.parse_address`), to skip
            parsing again.

        Returns
        -------
        GeocodeResult
            Never raises for a bad address: an address that cannot be placed comes back
            ``unmatched`` with NaN coordinates and score 0.
        """
        text = normalize_address(address)
        comps = parse_normalized(text) if components is None else components
        return self._geocode_normalized(text, comps)

    def _geocode_normalized(self, text: str, comps: dict[str, str]) -> GeocodeResult:
        if not text:
            return GeocodeResult(math.nan, math.nan, "unmatched", 0.0, "", comps)
        community = self._find_community(comps, text)
        found = self._find_street(comps, text, community)
        compound = self._compound_re.search(text) if self._compound_re is not None else None
        # A named compound wins over a street whose name is only part of the compound's
        # (大北街综合楼 is not on 大北街) or which comes without a number.
        if compound is not None and (
            found is None or found[2] in compound.group(0) or found[3] is None
        ):
            return self._compound_result(compound.group(0), community, comps)
        if found is not None:
            result = self._street_result(found, community, comps)
            if result is not None:
                return self._check_community(result, community)
        if community is not None and community in self._communities:
            name, lon, lat, _poly = self._communities[community]
            return GeocodeResult(lon, lat, "community", SCORE_COMMUNITY, name, comps)
        return GeocodeResult(math.nan, math.nan, "unmatched", 0.0, "", comps)

    def _check_community(self, result: GeocodeResult, community: str | None) -> GeocodeResult:
        """Flag a precise point (door plate, interpolated) that lies outside the community
        the address names: "五星街社区兴安路32号" where 兴安路32号 is in 兴安路社区.

        A point within ``COMMUNITY_TOLERANCE_DEG`` of the written community counts as in it
        (door plates of a boundary street sit a few metres either side of the line).
        """
        if community is None or result.match_type not in ("door_plate", "interpolated"):
            return result
        entry = self._communities.get(community)
        if entry is None:
            return result
        written, _lon, _lat, poly = entry
        point = shapely.Point(result.lon, result.lat)
        if poly is None or shapely.distance(poly, point) <= COMMUNITY_TOLERANCE_DEG:
            return result
        actual = next(
            (n for n, _x, _y, p in self._communities.values() if p is not None and p.covers(point)),
            None,
        )
        where = f"位于{actual}" if actual else "不在任何社区内"
        conflict = f"地址写明{written}，但{result.matched}{where}"
        return replace(result, conflict=conflict)

    def _compound_result(
        self, name: str, community: str | None, comps: dict[str, str]
    ) -> GeocodeResult:
        lon, lat, plate = self._compounds[name]
        if plate is not None:
            # The compound's registered door plate: as exact as the registry knows it.
            pt = self._plate(plate[0], plate[1], community)
            if pt is not None:
                label = f"{name}（{plate[0]}{plate[1]}号）"
                return GeocodeResult(pt[0], pt[1], "door_plate", SCORE_COMPOUND_PLATE, label, comps)
        return GeocodeResult(lon, lat, "street", SCORE_COMPOUND, name, comps)

    def _street_result(
        self,
        found: tuple[str, float, str, str | None],
        community: str | None,
        comps: dict[str, str],
    ) -> GeocodeResult | None:
        street, factor, _written, number = found
        st = self._streets[street]
        if number:
            number = normalize_value("road_number", number)
            label = f"{street}{number}号"
            pt = self._plate(street, number, community)
            if pt is not None:
                score = round(SCORE_DOOR_PLATE * factor, 3)
                return GeocodeResult(pt[0], pt[1], "door_plate", score, label, comps)
            parts = road_number_parts(number)
            if parts is not None:
                main, sub = parts
                if sub:
                    pt = self._plate(street, str(main), community)
                    if pt is not None:
                        score = round(SCORE_SUB_NUMBER * factor, 3)
                        return GeocodeResult(pt[0], pt[1], "interpolated", score, label, comps)
                interp = self._interpolate(st, main)
                if interp is not None:
                    score = round(interp[2] * factor, 3)
                    return GeocodeResult(interp[0], interp[1], "interpolated", score, label, comps)
        pt = self._street_point(st, community)
        if pt is None:
            return None
        return GeocodeResult(pt[0], pt[1], "street", round(SCORE_STREET * factor, 3), street, comps)

    def geocode_many(self, addresses: Iterable[object], *, conflicts: bool = False) -> pd.DataFrame:
        """Geocode many addresses; each distinct text is parsed and placed once.

        Returns
        -------
        pandas.DataFrame
            ``lon, lat, match_type, score, matched`` (and ``conflict`` with
            ``conflicts=True``: why the point contradicts the address, or None), indexed like
            ``addresses`` (its index
            when it is a Series, else 0..n-1).
        """
        if isinstance(addresses, pd.Series):
            index = addresses.index
            values = addresses.tolist()
        else:
            values = list(addresses)
            index = pd.RangeIndex(len(values))
        unique: dict[str, int] = {}
        keys = []
        for v in values:
            key = "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
            keys.append(unique.setdefault(key, len(unique)))
        results = []
        for raw in unique:
            text = normalize_address(raw)
            results.append(self._geocode_normalized(text, parse_normalized(text)))
        take = np.asarray(keys, dtype=np.int64)
        frame = pd.DataFrame(
            {
                "lon": np.array([r.lon for r in results], dtype=float)[take] if results else [],
                "lat": np.array([r.lat for r in results], dtype=float)[take] if results else [],
                "match_type": np.array([r.match_type for r in results], dtype=object)[take]
                if results
                else [],
                "score": np.array([r.score for r in results], dtype=float)[take] if results else [],
                "matched": np.array([r.matched for r in results], dtype=object)[take]
                if results
                else [],
            },
            index=index,
        )
        if conflicts:
            frame["conflict"] = (
                np.array([r.conflict for r in results], dtype=object)[take] if results else []
            )
        return frame

    # ------------------------------------------------------------------ introspection

    @property
    def street_names(self) -> list[str]:
        return sorted(self._streets)

    def __len__(self) -> int:
        return sum(len(v) for v in self._plates.values())

    def __repr__(self) -> str:
        return (
            f"Gazetteer({len(self._streets)} streets, {len(self)} door plates, "
            f"{len(self._communities)} communities)"
        )
