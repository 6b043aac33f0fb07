"""Match scores, the geocoding result, the per-street records and the input checks.

See :mod:`gis.gazetteer` for how the scores rank the match types.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyproj

from core.errors import InvalidInputError
from gis.addresses import normalize_address
from gis.crs import STORAGE_CRS

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
