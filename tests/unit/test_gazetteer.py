"""Geocoding against a tiny hand-made gazetteer whose answers are known by construction.

纱帽石 runs west→east along lat 32.685 from lon 109.030; door plate n sits at
lon 109.030 + n × 0.00006 (≈5.6 m per number), odd numbers 11 m north of the centreline, even
numbers 11 m south. Plates 1..60 exist except 25, 26 and 41. 兴安路 has no plates. 鼓楼社区
has no streets in the gazetteer.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box

from core.errors import GeometryError, InvalidInputError
from gis.gazetteer.geocoder import Gazetteer
from gis.gazetteer.records import GeocodeResult

DABEIJIE = "610902001004"
GULOU = "610902001007"
MISSING = {25, 26, 41}
LAT0 = 32.685
OFFSET_DEG = 0.0001  # ≈ 11 m


def plate_lonlat(n: int) -> tuple[float, float]:
    return 109.030 + n * 0.00006, LAT0 + (OFFSET_DEG if n % 2 else -OFFSET_DEG)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dy = (a[1] - b[1]) * 110_950
    dx = (a[0] - b[0]) * 110_950 * math.cos(math.radians(LAT0))
    return math.hypot(dx, dy)


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    streets = gpd.GeoDataFrame(
        {
            "name": ["纱帽石", "兴安路", "大北街", "培新街"],
            "kind": ["lane", "road", "street", "street"],
            "aliases": ["纱帽石巷|沙帽石", "", None, ["培新正街"]],
        },
        geometry=[
            LineString([(109.030, LAT0), (109.034, LAT0)]),
            LineString([(109.036, 32.683), (109.036, 32.688)]),
            LineString([(109.028, 32.687), (109.034, 32.687)]),
            LineString([(109.028, 32.690), (109.034, 32.690)]),
        ],
        crs="EPSG:4490",
    )
    numbers = [n for n in range(1, 61) if n not in MISSING]
    plates = gpd.GeoDataFrame(
        {
            "street_name": ["纱帽石"] * len(numbers) + ["纱帽石", "大北街"],
            "house_number": [str(n) for n in numbers] + ["53附1", "8"],
            "community_code": [DABEIJIE] * (len(numbers) + 2),
        },
        geometry=[Point(plate_lonlat(n)) for n in numbers]
        + [Point(109.03325, LAT0 + 0.0002), Point(109.0285, 32.6871)],
        crs="EPSG:4490",
    )
    communities = gpd.GeoDataFrame(
        {"code": [DABEIJIE, GULOU], "name": ["大北街社区", "鼓楼社区"]},
        geometry=[box(109.027, 32.682, 109.037, 32.689), box(109.040, 32.680, 109.045, 32.684)],
        crs="EPSG:4490",
    )
    compounds = gpd.GeoDataFrame(
        {
            "name": ["兴安小区", "纱帽石综合楼", "无号大院"],
            "street_name": [None, "纱帽石", "纱帽石"],
            "house_number": [None, "30", "25"],  # 25 does not exist
        },
        geometry=[Point(109.0365, 32.6855), Point(plate_lonlat(30)), Point(109.0312, 32.6852)],
        crs="EPSG:4490",
    )
    return Gazetteer.from_frames(
        streets=streets, door_plates=plates, communities=communities, compounds=compounds
    )


def test_exact_door_plate(gaz: Gazetteer) -> None:
    r = gaz.geocode("陕西省安康市汉滨区老城街道大北街社区纱帽石53号")
    assert isinstance(r, GeocodeResult)
    assert r.match_type == "door_plate"
    assert r.score == 1.0
    assert r.matched == "纱帽石53号"
    assert metres((r.lon, r.lat), plate_lonlat(53)) < 0.5
    assert r.components["house_number"] == "53"


@pytest.mark.parametrize(
    "text", ["纱帽石五十三号", "纱帽石 53 号", "纱帽石５３号", "纱帽石53号附近"]
)
def test_written_forms_find_the_same_plate(gaz: Gazetteer, text: str) -> None:
    r = gaz.geocode(text)
    assert r.match_type == "door_plate"
    assert metres((r.lon, r.lat), plate_lonlat(53)) < 0.5


def test_sub_number_plate_is_its_own_door_plate(gaz: Gazetteer) -> None:
    for text in ["纱帽石53附1号", "纱帽石53-1号", "纱帽石53之1号"]:
        r = gaz.geocode(text)
        assert r.match_type == "door_plate", text
        assert r.matched == "纱帽石53附1号"


def test_unknown_sub_number_falls_back_to_its_main_plate(gaz: Gazetteer) -> None:
    r = gaz.geocode("纱帽石53附2号")
    assert r.match_type == "interpolated"
    assert r.score < 1.0
    assert metres((r.lon, r.lat), plate_lonlat(53)) < 0.5


@pytest.mark.parametrize("n", sorted(MISSING))
def test_nonexistent_plate_is_interpolated_between_its_neighbours(gaz: Gazetteer, n: int) -> None:
    r = gaz.geocode(f"大北街社区纱帽石{n}号")
    assert r.match_type == "interpolated"
    assert r.score < 1.0
    # Same parity neighbours are n-2 and n+2 (or the next existing one): the answer lies
    # between them in longitude and on their side of the street.
    lo, hi = plate_lonlat(n - 2)[0], plate_lonlat(n + 2 if n + 2 not in MISSING else n + 4)[0]
    assert lo < r.lon < hi
    assert metres((r.lon, r.lat), plate_lonlat(n)) < 3.0
    assert (r.lat > LAT0) == (n % 2 == 1)


def test_number_past_the_end_extrapolates_on_the_street(gaz: Gazetteer) -> None:
    r = gaz.geocode("纱帽石99号")
    assert r.match_type == "interpolated"
    assert r.score < 0.8
    assert 109.033 < r.lon <= 109.0341  # clamped to the street's east end


def test_nonexistent_plates_are_never_door_plate(gaz: Gazetteer) -> None:
    texts = [f"纱帽石{n}号" for n in [*MISSING, 61, 99, 500]] + ["纱帽石53附9号", "兴安路53号"]
    frame = gaz.geocode_many(texts)
    assert not (frame["match_type"] == "door_plate").any()


def test_street_without_plates(gaz: Gazetteer) -> None:
    r = gaz.geocode("兴安路12号")
    assert r.match_type == "street"
    assert r.matched == "兴安路"
    assert r.lon == pytest.approx(109.036)
    assert 32.683 <= r.lat <= 32.688


def test_street_without_number(gaz: Gazetteer) -> None:
    r = gaz.geocode("大北街社区纱帽石")
    assert r.match_type == "street"
    assert r.lat == pytest.approx(LAT0)


def test_community_only(gaz: Gazetteer) -> None:
    r = gaz.geocode("老城街道鼓楼社区")
    assert r.match_type == "community"
    assert r.matched == "鼓楼社区"
    assert 109.040 < r.lon < 109.045 and 32.680 < r.lat < 32.684


def test_unmatched(gaz: Gazetteer) -> None:
    for text in ["", "北京市朝阳区建国路88号", None, "???"]:
        r = gaz.geocode(text)
        assert r.match_type == "unmatched"
        assert r.score == 0.0
        assert math.isnan(r.lon) and math.isnan(r.lat)


def test_matching_order_scores(gaz: Gazetteer) -> None:
    order = ["纱帽石53号", "纱帽石25号", "兴安路12号", "鼓楼社区"]
    frame = gaz.geocode_many(order)
    assert frame["match_type"].tolist() == ["door_plate", "interpolated", "street", "community"]
    assert frame["score"].is_monotonic_decreasing


@pytest.mark.parametrize(
    ("text", "factor_below_one"),
    [
        ("纱帽石巷53号", False),  # alias
        ("沙帽石53号", False),  # alias (a common miswriting listed in the gazetteer)
        ("纱帽右53号", True),  # one wrong character
        ("大北街社区纱帽石巷53号", False),
        ("培新正街8号", False),  # alias from a list
    ],
)
def test_fuzzy_and_alias_names(gaz: Gazetteer, text: str, factor_below_one: bool) -> None:
    r = gaz.geocode(text)
    if text.startswith("培新"):
        assert r.matched == "培新街"  # no plates there: street level
        return
    assert r.match_type == "door_plate"
    assert r.matched == "纱帽石53号"
    assert (r.score < 0.95) == factor_below_one


def test_two_wrong_characters_are_not_guessed(gaz: Gazetteer) -> None:
    r = gaz.geocode("纱冒右53号")
    assert r.match_type in {"community", "unmatched"}


def test_community_street_name_is_not_taken_for_the_street(gaz: Gazetteer) -> None:
    # 大北街社区 contains the street name 大北街; the address is on 纱帽石.
    r = gaz.geocode("大北街社区纱帽石8号")
    assert r.matched == "纱帽石8号"
    r = gaz.geocode("大北街社区大北街8号")
    assert r.match_type == "door_plate" and r.matched == "大北街8号"


def test_a_community_the_door_plate_is_not_in_is_flagged_as_a_conflict(gaz: Gazetteer) -> None:
    """ "鼓楼社区纱帽石53号": 纱帽石53号 lies in 大北街社区 — the point is kept, with the reason,
    so that the caller sends the household to review instead of into a cell."""
    r = gaz.geocode("鼓楼社区纱帽石53号")
    assert r.match_type == "door_plate"
    assert r.conflict == "地址写明鼓楼社区，但纱帽石53号位于大北街社区"
    interpolated = gaz.geocode("鼓楼社区纱帽石26号")
    assert interpolated.match_type == "interpolated" and interpolated.conflict is not None
    for consistent in ("大北街社区纱帽石53号", "纱帽石53号", "老城街道纱帽石53号"):
        assert gaz.geocode(consistent).conflict is None, consistent
    many = gaz.geocode_many(["鼓楼社区纱帽石53号", "纱帽石53号"], conflicts=True)
    assert many["conflict"].notna().tolist() == [True, False]


def test_compound_without_door_plate_is_street_level(gaz: Gazetteer) -> None:
    r = gaz.geocode("兴安小区3栋2单元501")
    assert r.match_type == "street"
    assert r.matched == "兴安小区"
    assert r.lon == pytest.approx(109.0365)


def test_compound_with_registered_plate(gaz: Gazetteer) -> None:
    # 纱帽石综合楼 contains the street name 纱帽石 but is a compound at 纱帽石30号.
    r = gaz.geocode("大北街社区纱帽石综合楼6栋1单元402")
    assert r.match_type == "door_plate"
    assert r.matched == "纱帽石综合楼（纱帽石30号）"
    assert 0.9 <= r.score < 1.0
    assert metres((r.lon, r.lat), plate_lonlat(30)) < 0.5


def test_compound_whose_plate_does_not_exist_is_not_door_plate(gaz: Gazetteer) -> None:
    r = gaz.geocode("无号大院2栋")
    assert r.match_type == "street"
    assert r.matched == "无号大院"


def test_street_number_written_after_a_compound_word(gaz: Gazetteer) -> None:
    # 纱帽石53号院: the parser may read 53号院 as a POI; the number still counts.
    r = gaz.geocode("纱帽石53号院3栋2单元301")
    assert r.match_type == "door_plate"
    assert r.matched == "纱帽石53号"


def test_geocode_many_is_indexed_like_the_input(gaz: Gazetteer) -> None:
    s = pd.Series(["纱帽石53号", None, "纱帽石53号", np.nan], index=[10, 20, 30, 40])
    frame = gaz.geocode_many(s)
    assert list(frame.index) == [10, 20, 30, 40]
    assert list(frame.columns) == ["lon", "lat", "match_type", "score", "matched"]
    assert frame.loc[10, "lon"] == frame.loc[30, "lon"]
    assert frame.loc[20, "match_type"] == "unmatched"
    assert gaz.geocode_many([]).empty


def test_other_crs_is_converted() -> None:
    streets = gpd.GeoDataFrame(
        {"name": ["纱帽石"]}, geometry=[LineString([(109.030, LAT0), (109.034, LAT0)])], crs=4490
    ).to_crs(3857)
    plates = gpd.GeoDataFrame(
        {"street_name": ["纱帽石"], "house_number": ["53"]},
        geometry=[Point(plate_lonlat(53))],
        crs=4490,
    ).to_crs(3857)
    r = Gazetteer.from_frames(streets=streets, door_plates=plates).geocode("纱帽石53号")
    assert metres((r.lon, r.lat), plate_lonlat(53)) < 0.5


def test_bad_layers_are_refused() -> None:
    plates = gpd.GeoDataFrame({"street_name": [], "house_number": []}, geometry=[], crs=4490)
    pts = gpd.GeoDataFrame({"name": ["x"]}, geometry=[Point(109.03, LAT0)], crs=4490)
    with pytest.raises(GeometryError):
        Gazetteer.from_frames(streets=pts, door_plates=plates)
    with pytest.raises(InvalidInputError, match="street_name"):
        Gazetteer.from_frames(streets=pts, door_plates=pts)


def test_from_files_with_own_field_names(tmp_path) -> None:
    streets = gpd.GeoDataFrame(
        {"街巷名称": ["纱帽石"]},
        geometry=[LineString([(109.030, LAT0), (109.034, LAT0)])],
        crs=4490,
    )
    plates = gpd.GeoDataFrame(
        {"街路巷": ["纱帽石"], "门牌号": ["53"]}, geometry=[Point(plate_lonlat(53))], crs=4490
    )
    streets.to_file(tmp_path / "s.gpkg")
    plates.to_file(tmp_path / "p.geojson")
    gaz = Gazetteer.from_files(
        tmp_path / "s.gpkg",
        tmp_path / "p.geojson",
        street_name_field="街巷名称",
        door_plate_street_field="街路巷",
        door_plate_number_field="门牌号",
    )
    assert gaz.geocode("纱帽石53号").match_type == "door_plate"
    with pytest.raises(InvalidInputError, match="门牌号X"):
        Gazetteer.from_files(
            tmp_path / "s.gpkg",
            tmp_path / "p.geojson",
            street_name_field="街巷名称",
            door_plate_street_field="街路巷",
            door_plate_number_field="门牌号X",
        )


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.text(alphabet="大北街社区纱帽石巷兴安路鼓楼小区号附之-0123456789五十栋单元室 ", max_size=30)
)
def test_geocode_never_raises_and_door_plate_means_a_known_plate(gaz: Gazetteer, text: str) -> None:
    r = gaz.geocode(text)
    assert r.match_type in {"door_plate", "interpolated", "street", "community", "unmatched"}
    assert 0.0 <= r.score <= 1.0
    assert math.isnan(r.lon) == (r.match_type == "unmatched")
    if r.match_type == "door_plate" and "（" not in r.matched:
        assert r.matched.startswith(("纱帽石", "大北街"))
        number = r.matched.rstrip("号").replace("纱帽石", "").replace("大北街", "")
        assert number in {str(n) for n in range(1, 61) if n not in MISSING} | {"53附1", "8"}


def test_one_wrong_character_in_a_short_name(gaz: Gazetteer) -> None:
    r = gaz.geocode("兴按路12号")
    assert r.match_type == "street"
    assert r.matched == "兴安路"
    assert r.score < 0.5


def test_ambiguous_typo_is_not_guessed(gaz: Gazetteer) -> None:
    # 大新街 is one character from both 大北街 and 培新街: no street rather than a wrong one.
    r = gaz.geocode("大新街8号")
    assert r.match_type == "unmatched"
    # …unless the community settles it: only 大北街 is in 大北街社区.
    r = gaz.geocode("大北街社区大新街8号")
    assert r.match_type == "door_plate"
    assert r.matched == "大北街8号"
