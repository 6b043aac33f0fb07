"""The indexes of a gazetteer, and how they are built from GeoDataFrames or files.

:class:`GazetteerIndex` holds the streets (with their door plates as arrays along the line),
the name and alias index, the communities and the compounds;
:class:`gis.gazetteer.geocoder.Gazetteer` adds the look-ups and geocoding on top.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from pathlib import Path
from typing import Any, Self

import numpy as np
import pyproj
import shapely

from core.errors import GeometryError, InvalidInputError
from gis.addresses import house_number_parts, normalize_address, normalize_value
from gis.crs import METRIC_CRS, STORAGE_CRS
from gis.gazetteer.records import (
    ALIAS_FACTOR,
    _aliases,
    _community_key,
    _core,
    _Plates,
    _require_columns,
    _Street,
    _to_storage,
)


class GazetteerIndex:
    """Streets, door plates, communities and compounds of a territory, indexed.

    Build with :meth:`from_frames` or :meth:`from_files` (on
    :class:`~gis.gazetteer.geocoder.Gazetteer`, which geocodes against these indexes).
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
    ) -> Self:
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
    ) -> Self:
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
            num = normalize_value("house_number", normalize_address(number))
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
            parts = house_number_parts(num)
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
                    normalize_value("house_number", normalize_address(number)),
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

    def _lonlat(self, x: float, y: float) -> tuple[float, float]:
        lon, lat = self._to_storage.transform(x, y)
        return float(lon), float(lat)

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
