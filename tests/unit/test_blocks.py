"""Blocks from streets: hand-built street grids with known answers, and momepy's real streets."""

from __future__ import annotations

import geopandas as gpd
import momepy
import numpy as np
import pytest
import shapely
from shapely import LineString, MultiLineString

from core.errors import GeometryError
from gis.blocks import blocks_from_streets

X0, Y0 = 500_000.0, 3_617_000.0
CRS = "EPSG:4545"


def line(*pts: tuple[float, float]) -> LineString:
    return LineString([(X0 + x, Y0 + y) for x, y in pts])


def streets(geoms: list[shapely.Geometry], crs: str = CRS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": [f"路{i}" for i in range(len(geoms))]}, geometry=geoms, crs=crs
    )


def grid_lines() -> list[LineString]:
    """A 3×3 street grid 0..200 m: four 100 m blocks."""
    return [line((x, 0), (x, 200)) for x in (0, 100, 200)] + [
        line((0, y), (200, y)) for y in (0, 100, 200)
    ]


def is_coverage(blocks: gpd.GeoDataFrame) -> bool:
    return bool(shapely.coverage_is_valid(np.asarray(blocks.geometry.array)))


def test_simple_grid_gives_four_blocks() -> None:
    res = blocks_from_streets(streets(grid_lines()))
    assert list(res.blocks.columns) == ["block_id", "area_m2", "geometry"]
    assert len(res.blocks) == 4
    assert res.blocks["area_m2"].tolist() == [10_000.0] * 4
    assert res.blocks["block_id"].tolist() == ["B0001", "B0002", "B0003", "B0004"]
    # Numbered north→south, then west→east: B0001 is the north-west block.
    first = res.blocks.geometry.iloc[0].centroid
    assert (first.x, first.y) == pytest.approx((X0 + 50, Y0 + 150))
    assert is_coverage(res.blocks)
    assert len(res.dangles) == 0
    assert res.blocks.crs == CRS


def test_real_world_mess_gives_the_same_blocks() -> None:
    # Segments cut at arbitrary points, a duplicated segment, a MultiLineString, a
    # reversed segment and a lane that overshoots its crossing by 1 m.
    messy = [
        line((0, 0), (0, 37)),
        line((0, 37), (0, 200)),
        line((100, 0), (100, 200)),
        line((100, 0), (100, 200)),
        MultiLineString(
            [[(X0 + 200, Y0), (X0 + 200, Y0 + 120)], [(X0 + 200, Y0 + 120), (X0 + 200, Y0 + 200)]]
        ),
        line((200, 0), (0, 0)),
        line((0, 100), (201, 100)),
        line((0, 200), (63.2, 200)),
        line((63.2, 200), (200, 200)),
    ]
    res = blocks_from_streets(streets(messy))
    assert len(res.blocks) == 4
    assert res.blocks["area_m2"].sum() == pytest.approx(40_000.0)
    assert is_coverage(res.blocks)
    assert res.dangles["kind"].tolist() == ["dangle"]  # the 1 m overshoot
    assert res.dangles["length_m"].iloc[0] == pytest.approx(1.0)


@pytest.mark.parametrize(("short_m", "blocks", "dangles"), [(1.5, 4, 0), (5.0, 3, 1)])
def test_lane_stopping_short_is_snapped_within_snap_m(
    short_m: float, blocks: int, dangles: int
) -> None:
    lines = grid_lines()
    lines[1] = line((100, short_m), (100, 200))  # the middle street stops short of the southern one
    res = blocks_from_streets(streets(lines), snap_m=2.0)
    assert len(res.blocks) == blocks
    assert res.blocks["area_m2"].sum() == pytest.approx(40_000.0)
    assert (res.dangles["kind"] == "dangle").sum() == dangles
    if dangles:
        assert res.dangles["length_m"].iloc[0] == pytest.approx(100.0 - short_m)
    assert is_coverage(res.blocks)


def test_boundary_bounds_blocks_and_reports_streets_outside() -> None:
    lines = [line((x, -50), (x, 250)) for x in (0, 100, 200)] + [
        line((-50, y), (250, y)) for y in (0, 100, 200)
    ]
    boundary = shapely.box(X0 + 30, Y0 + 30, X0 + 170, Y0 + 170)
    res = blocks_from_streets(streets(lines), boundary=boundary)
    assert len(res.blocks) == 4
    assert res.blocks.union_all().area == pytest.approx(boundary.area, rel=1e-9)
    assert is_coverage(res.blocks)
    assert set(res.dangles["kind"]) == {"outside"}


def test_divided_road_median_is_not_a_block() -> None:
    lines = grid_lines() + [line((0, 104), (200, 104))]  # second carriageway 4 m north
    res = blocks_from_streets(streets(lines), min_block_width_m=6.0)
    assert len(res.blocks) == 4
    widths = 2 * shapely.length(
        shapely.maximum_inscribed_circle(np.asarray(res.blocks.geometry.array))
    )
    assert widths.min() > 6.0
    assert res.blocks["area_m2"].sum() == pytest.approx(40_000.0)
    assert is_coverage(res.blocks)


def test_ring_road_inside_a_block_and_boundary_with_a_hole() -> None:
    ring = line((40, 40), (60, 40), (60, 60), (40, 60), (40, 40))  # a closed lane inside SW block
    res = blocks_from_streets(streets([*grid_lines(), ring]))
    assert sorted(res.blocks["area_m2"]) == [400.0, 9_600.0, 10_000.0, 10_000.0, 10_000.0]
    assert is_coverage(res.blocks)

    lake = shapely.box(X0 + 120, Y0 + 120, X0 + 180, Y0 + 180)
    territory = shapely.box(X0 - 10, Y0 - 10, X0 + 210, Y0 + 210).difference(lake)
    res = blocks_from_streets(streets(grid_lines()), boundary=territory)
    assert is_coverage(res.blocks)
    assert res.blocks.union_all().area == pytest.approx(territory.area, rel=1e-9)
    assert not res.blocks.intersects(shapely.Point(X0 + 150, Y0 + 150)).any()


def test_lonlat_input_is_measured_in_metres_and_returned_in_lonlat() -> None:
    res = blocks_from_streets(streets(grid_lines()).to_crs("EPSG:4490"))
    assert res.blocks.crs == "EPSG:4490"
    assert res.blocks["area_m2"].tolist() == pytest.approx([10_000.0] * 4, rel=1e-6)


def test_bubenec_streets_form_a_valid_coverage() -> None:
    path = momepy.datasets.get_path("bubenec")
    s = gpd.read_file(path, layer="streets")
    assert s.crs.to_epsg() == 3857
    res = blocks_from_streets(s)
    assert len(res.blocks) >= 5
    assert is_coverage(res.blocks)
    assert res.blocks.crs == s.crs

    boundary = s.union_all().convex_hull.buffer(-20)
    res = blocks_from_streets(s, boundary=gpd.GeoSeries([boundary], crs=s.crs))
    assert is_coverage(res.blocks)
    assert shapely.coverage_is_valid(np.asarray(res.blocks.geometry.array), gap_width=1.0)
    assert res.blocks.union_all().area == pytest.approx(boundary.area, rel=1e-6)
    assert "outside" in set(res.dangles["kind"])


def test_road_polygons_split_between_blocks_without_gaps() -> None:
    path = momepy.datasets.get_path("bubenec")
    s = gpd.read_file(path, layer="streets")
    roads = gpd.GeoDataFrame(geometry=s.buffer(6, cap_style="flat"), crs=s.crs)
    boundary = s.union_all().convex_hull.buffer(-20)
    res = blocks_from_streets(roads, boundary=boundary)
    geoms = np.asarray(res.blocks.geometry.array)
    assert shapely.coverage_is_valid(geoms, gap_width=1.0)
    assert shapely.coverage_union_all(geoms).area == pytest.approx(boundary.area, rel=1e-6)
    # Road surface is shared out: no block is just the land between the kerbs.
    land = shapely.difference(boundary, roads.union_all())
    assert shapely.area(geoms).sum() > land.area + 0.9 * (boundary.area - land.area)


def test_road_polygons_simple_cross() -> None:
    # Two 10 m wide roads crossing in a 200 m square: four blocks meeting on the centrelines.
    ns = shapely.box(X0 + 95, Y0, X0 + 105, Y0 + 200)
    ew = shapely.box(X0, Y0 + 95, X0 + 200, Y0 + 105)
    boundary = shapely.box(X0, Y0, X0 + 200, Y0 + 200)
    res = blocks_from_streets(streets([ns, ew]), boundary=boundary, split_step_m=1.0)
    assert len(res.blocks) == 4
    assert res.blocks["area_m2"].tolist() == pytest.approx([10_000.0] * 4, rel=2e-3)
    assert is_coverage(res.blocks)


@pytest.mark.parametrize(
    "bad",
    [
        [shapely.Point(X0, Y0), shapely.Point(X0 + 1, Y0)],
        [],
    ],
    ids=["points", "empty"],
)
def test_unusable_streets_are_refused(bad: list[shapely.Geometry]) -> None:
    with pytest.raises(GeometryError, match="街道图层"):
        blocks_from_streets(gpd.GeoDataFrame(geometry=gpd.GeoSeries(bad, crs=CRS)))


def test_streets_without_crs_are_refused() -> None:
    with pytest.raises(GeometryError, match="坐标系"):
        blocks_from_streets(gpd.GeoDataFrame(geometry=grid_lines()))
