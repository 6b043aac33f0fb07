"""What real street files carry, hand-built one trait at a time (gis.streets + gis.blocks).

A 200 m × 200 m grid of four 100 m blocks in CGCS2000 Gauss–Krüger (EPSG:4545) near the demo
town; each test adds one trait of real files and checks the blocks come out right.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from core.errors import GeometryError
from gis.blocks import blocks_from_streets
from gis.coverage.check import check_coverage
from gis.streets import DEFAULT_HIGHWAYS, check_extent, select_streets

X0, Y0 = 500_000.0, 3_617_000.0
CRS = "EPSG:4545"


def grid_lines() -> list[shapely.LineString]:
    lines = [shapely.LineString([(X0 + x, Y0), (X0 + x, Y0 + 200)]) for x in (0, 100, 200)]
    lines += [shapely.LineString([(X0, Y0 + y), (X0 + 200, Y0 + y)]) for y in (0, 100, 200)]
    return lines


def frame(lines: list, **cols: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=lines, crs=CRS)


def tagged(extra: list, extra_tags: list[dict]) -> gpd.GeoDataFrame:
    """The grid as residential streets plus ``extra`` ways with their OSM tags as columns."""
    rows = [{"highway": "residential", "name": f"路{n}"} for n in range(6)] + extra_tags
    cols = sorted({k for r in rows for k in r})
    return frame(grid_lines() + extra, **{c: [r.get(c) for r in rows] for c in cols})


def n_blocks(streets: gpd.GeoDataFrame, **kw) -> int:
    return len(blocks_from_streets(select_streets(streets, **kw).lines).blocks)


# --- the highway filter ---------------------------------------------------------------------


def test_footways_steps_paths_cycleways_tracks_and_parking_aisles_do_not_make_blocks():
    diag = shapely.LineString([(X0 + 5, Y0 + 5), (X0 + 95, Y0 + 95)])
    kinds = ["footway", "steps", "path", "cycleway", "track", "pedestrian"]
    extra = [diag] * len(kinds) + [diag]
    tags = [{"highway": k} for k in kinds] + [{"highway": "service", "service": "parking_aisle"}]
    streets = tagged(extra, tags)
    sel = select_streets(streets)
    assert sel.dropped["highway"] == 7
    assert sel.filtered_by_highway and sel.highways_found["footway"] == 1
    assert len(blocks_from_streets(sel.lines).blocks) == 4
    # the planner can change the filter: every value, and the footway splits the block
    cut = shapely.LineString([(X0, Y0), (X0 + 100, Y0 + 100)])
    with_footway = tagged([cut], [{"highway": "footway"}])
    assert n_blocks(with_footway) == 4
    assert n_blocks(with_footway, highways=DEFAULT_HIGHWAYS | {"footway"}) == 5
    assert n_blocks(with_footway, highways=None) == 5


def test_service_lanes_count_as_streets():
    lane = shapely.LineString([(X0 + 50, Y0), (X0 + 50, Y0 + 100)])
    streets = tagged([lane], [{"highway": "service", "service": "alley"}])
    assert n_blocks(streets) == 5


def test_a_file_without_highway_tags_is_used_whole():
    lane = shapely.LineString([(X0 + 50, Y0), (X0 + 50, Y0 + 100)])
    sel = select_streets(frame(grid_lines() + [lane], name=["街"] * 7))
    assert not sel.filtered_by_highway and len(sel.lines) == 7


def test_nothing_left_after_the_filter_names_the_values_found():
    streets = frame(grid_lines(), highway=["footway"] * 6)
    with pytest.raises(GeometryError, match=r"footway（6）"):
        select_streets(streets)


def test_tags_in_an_overpass_tags_object_or_gdal_other_tags():
    tunnel = shapely.LineString([(X0, Y0), (X0 + 200, Y0 + 200)])
    overpass = frame(
        grid_lines() + [tunnel],
        tags=[json.dumps({"highway": "residential"})] * 6
        + [json.dumps({"highway": "primary", "tunnel": "yes", "layer": "-1"})],
    )
    assert select_streets(overpass).dropped == {"underground": 1}
    gdal = frame(
        grid_lines() + [tunnel],
        highway=["residential"] * 6 + ["primary"],
        other_tags=[None] * 6 + ['"tunnel"=>"yes","layer"=>"-1"'],
    )
    assert select_streets(gdal).dropped == {"underground": 1}


# --- levels: layer, bridge, tunnel ------------------------------------------------------------


def test_a_tunnel_under_the_blocks_does_not_split_them():
    tunnel = shapely.LineString([(X0 - 50, Y0 + 50), (X0 + 250, Y0 + 150)])
    streets = tagged([tunnel], [{"highway": "primary", "tunnel": "yes", "layer": "-1"}])
    assert n_blocks(streets) == 4
    assert n_blocks(streets.drop(columns=["tunnel", "layer"])) > 4  # were it at grade


def test_a_flyover_crossing_the_streets_makes_no_junction_and_no_blocks():
    flyover = shapely.LineString([(X0 + 50, Y0 - 50), (X0 + 50, Y0 + 250)])
    streets = tagged([flyover], [{"highway": "trunk", "bridge": "yes", "layer": "1"}])
    sel = select_streets(streets)
    assert sel.dropped == {"overpass": 1}
    assert len(blocks_from_streets(sel.lines).blocks) == 4


def test_a_bridge_that_carries_a_street_over_a_stream_still_divides_blocks():
    # a lane in three ways: at grade, on a bridge (layer=1), at grade; it meets the grid and
    # its approaches only at its own ends, so it bounds blocks like any street
    parts = [
        shapely.LineString([(X0 + 50, Y0), (X0 + 50, Y0 + 40)]),
        shapely.LineString([(X0 + 50, Y0 + 40), (X0 + 50, Y0 + 60)]),
        shapely.LineString([(X0 + 50, Y0 + 60), (X0 + 50, Y0 + 100)]),
    ]
    tags = [{"highway": "residential"}, {"highway": "residential", "bridge": "yes"}]
    streets = tagged(parts, tags + [{"highway": "residential"}])
    assert select_streets(streets).dropped == {}
    assert n_blocks(streets) == 5


def test_a_street_through_a_building_passage_is_at_ground_level():
    lane = shapely.LineString([(X0 + 50, Y0), (X0 + 50, Y0 + 100)])
    streets = tagged([lane], [{"highway": "service", "tunnel": "building_passage"}])
    assert n_blocks(streets) == 5


# --- geometry traits ----------------------------------------------------------------------------


def test_multilinestrings():
    streets = frame([shapely.MultiLineString(grid_lines())], name=[None])
    assert n_blocks(streets) == 4


@pytest.mark.parametrize("dims", ["Z", "M", "ZM"])
def test_3d_and_measured_coordinates(dims):
    lines = []
    for line in grid_lines():
        (x1, y1), (x2, y2) = line.coords
        extra = {"Z": "260", "M": "0", "ZM": "260 0"}[dims]
        lines.append(shapely.from_wkt(f"LINESTRING {dims} ({x1} {y1} {extra}, {x2} {y2} {extra})"))
    sel = select_streets(frame(lines))
    assert not shapely.has_z(np.asarray(sel.lines.geometry.array)).any()
    res = blocks_from_streets(sel.lines)
    assert len(res.blocks) == 4
    assert res.blocks["area_m2"].sum() == pytest.approx(40_000)


def test_unnamed_ways():
    streets = frame(grid_lines(), name=[None, "", None, "解放路", None, None])
    assert n_blocks(streets) == 4


def test_duplicate_ways_once_each_and_reversed():
    lines = grid_lines()
    dup = lines + [lines[0], shapely.reverse(lines[1])]
    sel = select_streets(frame(dup, name=["路"] * 8))
    assert sel.dropped == {"duplicate": 2}
    res = blocks_from_streets(sel.lines)
    assert len(res.blocks) == 4 and (res.dangles["kind"] == "dangle").sum() == 0


def test_cad_lines_with_sub_metre_gaps_are_snapped():
    lines = []
    for line in grid_lines():
        (x1, y1), (x2, y2) = line.coords
        # CAD: every line drawn as two pieces with a 0.4 m break, the ends 0.3 m short
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        dx, dy = (0.2, 0) if y1 == y2 else (0, 0.2)
        sx, sy = (0.3, 0) if y1 == y2 else (0, 0.3)
        lines.append(shapely.LineString([(x1 + sx, y1 + sy), (mx - dx, my - dy)]))
        lines.append(shapely.LineString([(mx + dx, my + dy), (x2 - sx, y2 - sy)]))
    res = blocks_from_streets(select_streets(frame(lines)).lines, snap_m=2.0)
    assert len(res.blocks) == 4
    assert (res.dangles["kind"] == "dangle").sum() == 0


# --- extents and the enclosed share -----------------------------------------------------------


def test_streets_1000_km_from_the_boundary_are_refused_naming_both_extents():
    boundary = gpd.GeoSeries([shapely.box(X0, Y0, X0 + 200, Y0 + 200)], crs=CRS)
    far = frame([shapely.affinity.translate(g, 0, 1_000_000) for g in grid_lines()])
    with pytest.raises(GeometryError) as err:
        check_extent(far, boundary)
    msg = str(err.value)
    assert "相距约" in msg and "公里" in msg and msg.count("经度") == 2 and "坐标系" in msg


def test_a_few_hundred_metres_off_points_at_gcj02():
    boundary = gpd.GeoSeries([shapely.box(X0, Y0, X0 + 200, Y0 + 200)], crs=CRS)
    off = frame([shapely.affinity.translate(g, 450, 300) for g in grid_lines()])
    with pytest.raises(GeometryError, match="GCJ-02"):
        check_extent(off, boundary)
    check_extent(frame(grid_lines()), boundary)  # on the boundary: fine


def test_the_share_of_the_boundary_the_streets_enclose():
    boundary = gpd.GeoSeries([shapely.box(X0, Y0, X0 + 400, Y0 + 200)], crs=CRS)
    res = blocks_from_streets(frame(grid_lines()), boundary=boundary)
    assert res.enclosed_share == pytest.approx(0.5)
    assert res.unenclosed["area_m2"].sum() == pytest.approx(40_000)
    assert res.blocks["area_m2"].sum() == pytest.approx(80_000)  # the blocks still cover it
    full = blocks_from_streets(
        frame(grid_lines()), boundary=shapely.box(X0, Y0, X0 + 200, Y0 + 200)
    )
    assert full.enclosed_share == pytest.approx(1.0) and len(full.unenclosed) == 0


# --- duplicate ids in a cells file ------------------------------------------------------------


def test_duplicate_values_of_the_cells_own_id_field_are_duplicate_code():
    cells = gpd.GeoDataFrame(
        {"cell_id": ["C0908", "C0909", "C0909"]},
        geometry=[
            shapely.box(X0, Y0, X0 + 100, Y0 + 100),
            shapely.box(X0 + 100, Y0, X0 + 200, Y0 + 100),
            shapely.box(X0 + 200, Y0, X0 + 300, Y0 + 100),
        ],
        crs=CRS,
    )
    problems = check_coverage(cells, id_field="cell_id")
    dup = problems[problems["kind"] == "duplicate_code"]
    assert len(dup) == 1
    assert sorted(dup["cell_ids"].iloc[0]) == ["C0909", "C0909"]
    assert "C0909" in dup["message"].iloc[0] and "第 2 个" in dup["message"].iloc[0]
