"""Coverage checks on hand-built grids whose problems are known by construction.

The grid is 3×3 cells of 100 m in EPSG:4545 near (500000, 3617000): rows A (north), B, C and
columns 1–3 (west→east), so A1 is the north-west cell.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from core.errors import InvalidInputError
from gis.coverage.check import check_coverage
from gis.coverage.problems import BLOCKING_KINDS, WARNING_KINDS

X0, Y0 = 500_000.0, 3_617_000.0
CRS = "EPSG:4545"


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    """A box in grid metres relative to (X0, Y0); y grows northwards, the grid spans y -300..0."""
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def cell_box(name: str) -> shapely.Polygon:
    row = "ABC".index(name[0])
    col = int(name[1]) - 1
    return box(col * 100, -(row + 1) * 100, (col + 1) * 100, -row * 100)


NAMES = [f"{r}{c}" for r in "ABC" for c in "123"]
BOUNDARY = box(0, -300, 300, 0)


def grid(**replace: shapely.Geometry | None) -> gpd.GeoDataFrame:
    geoms = {n: cell_box(n) for n in NAMES}
    geoms.update(replace)
    return gpd.GeoDataFrame(
        {"cell_id": list(geoms), "code": [f"C{n}" for n in geoms], "leader": ["王芳"] * len(geoms)},
        geometry=list(geoms.values()),
        crs=CRS,
    )


def found(problems: gpd.GeoDataFrame) -> set[tuple[str, frozenset[str]]]:
    return {
        (k, frozenset(ids)) for k, ids in zip(problems["kind"], problems["cell_ids"], strict=True)
    }


# --- clean --------------------------------------------------------------------------------------


@pytest.mark.parametrize("with_boundary", [False, True])
def test_clean_grid_reports_nothing(with_boundary: bool) -> None:
    problems = check_coverage(grid(), boundary=BOUNDARY if with_boundary else None)
    assert len(problems) == 0
    assert list(problems.columns) == [
        "kind",
        "cell_ids",
        "area_m2",
        "width_m",
        "message",
        "severity",
        "geometry",
    ]
    assert problems.crs == CRS


def test_clean_grid_in_lonlat_reports_nothing() -> None:
    cells = grid().to_crs("EPSG:4490")
    assert len(check_coverage(cells, boundary=gpd.GeoSeries([BOUNDARY], crs=CRS))) == 0


def test_kinds_are_partitioned() -> None:
    assert BLOCKING_KINDS.isdisjoint(WARNING_KINDS)
    assert {"gap", "overlap", "invalid", "outside", "multipart"} <= BLOCKING_KINDS
    assert {"sliver", "households_out_of_range", "no_leader"} == set(WARNING_KINDS)


# --- planted problems, each found and nothing else ------------------------------------------------


def planted() -> gpd.GeoDataFrame:
    slot = box(100, -75, 100.5, -25)  # 0.5 m × 50 m slot on A2's west edge
    c2_hole = box(140, -260, 160, -240)  # C3 owns an island inside C2
    cells = grid(
        A2=shapely.difference(cell_box("A2"), slot),
        B2=box(100, -200, 205, -100),  # 5 m into B3
        A3=box(200, -100, 310, 0),  # 10 m across the eastern boundary
        C1=box(0, -300, 97, -200),
        C2=shapely.difference(cell_box("C2"), c2_hole),
        C3=shapely.union(cell_box("C3"), c2_hole),
    )
    sliver = gpd.GeoDataFrame(
        {"cell_id": ["C1s"], "code": ["CB1"], "leader": ["李强"]},  # duplicate code with B1
        geometry=[box(97, -300, 100, -200)],
        crs=CRS,
    )
    return gpd.GeoDataFrame(
        gpd.pd.concat([cells, sliver], ignore_index=True), geometry="geometry", crs=CRS
    )


def test_every_planted_problem_is_found_and_nothing_else() -> None:
    problems = check_coverage(planted(), boundary=BOUNDARY, code_field="code", gap_width_m=1.0)
    assert found(problems) == {
        ("gap", frozenset({"A1", "A2"})),
        ("overlap", frozenset({"B2", "B3"})),
        ("outside", frozenset({"A3"})),
        ("multipart", frozenset({"C3"})),
        ("sliver", frozenset({"C1s"})),
        ("duplicate_code", frozenset({"B1", "C1s"})),
    }
    by_kind = problems.set_index("kind")
    assert by_kind.loc["gap", "area_m2"] == pytest.approx(25.0)
    assert by_kind.loc["gap", "width_m"] == pytest.approx(0.5, abs=0.02)
    assert "A1" in by_kind.loc["gap", "message"] and "0.5 米" in by_kind.loc["gap", "message"]
    assert by_kind.loc["overlap", "area_m2"] == pytest.approx(500.0)
    assert by_kind.loc["overlap", "width_m"] == pytest.approx(5.0, abs=0.05)
    assert by_kind.loc["outside", "area_m2"] == pytest.approx(1000.0)
    assert by_kind.loc["sliver", "width_m"] == pytest.approx(3.0, abs=0.1)
    assert by_kind.loc["sliver", "severity"] == "warning"
    assert by_kind.loc["gap", "severity"] == "blocking"
    assert "CB1" in by_kind.loc["duplicate_code", "message"]


def test_half_metre_gap_found_without_boundary() -> None:
    # Columns 2–3 shifted 0.5 m east: a strip open at both ends, not enclosed by any cell.
    shifted = {n: shapely.affinity.translate(cell_box(n), 0.5, 0) for n in NAMES if n[1] in "23"}
    problems = check_coverage(grid(**shifted), gap_width_m=1.0)
    assert found(problems) == {("gap", frozenset({"A1", "B1", "C1", "A2", "B2", "C2"}))}
    assert problems["width_m"].iloc[0] == pytest.approx(0.5, abs=0.02)
    assert problems["area_m2"].iloc[0] == pytest.approx(150.0)


def test_narrow_gap_message_names_cells_and_sizes() -> None:
    problems = check_coverage(
        grid(A2=shapely.difference(cell_box("A2"), box(100, -75, 100.5, -25)))
    )
    assert problems["message"].tolist() == ["网格 A1 与 A2 之间有 0.5 米宽的缝隙，面积 25 平方米"]


def test_bow_tie_is_invalid_with_location() -> None:
    bow_tie = shapely.Polygon(
        [(X0 + 100, Y0 - 200), (X0 + 200, Y0 - 100), (X0 + 200, Y0 - 200), (X0 + 100, Y0 - 100)]
    )
    problems = check_coverage(grid(B2=bow_tie), boundary=BOUNDARY)
    # The bow-tie covers two of the four triangles of its square: the other two are gaps.
    assert found(problems) == {
        ("invalid", frozenset({"B2"})),
        ("gap", frozenset({"A2", "B2"})),
        ("gap", frozenset({"B2", "C2"})),
    }
    invalid = problems[problems["kind"] == "invalid"].iloc[0]
    assert "自相交" in invalid["message"] and "500150.0" in invalid["message"]
    assert invalid.geometry.equals(shapely.Point(X0 + 150, Y0 - 150))


def test_community_crossing_by_field_and_by_overlap() -> None:
    communities = gpd.GeoDataFrame(
        {"community_code": ["001", "002"]},
        geometry=[box(0, -300, 100, 0), box(100, -300, 300, 0)],
        crs=CRS,
    )
    cells = grid()
    cells["community_code"] = ["001" if n[1] == "1" else "002" for n in cells["cell_id"]]
    cells.loc[cells["cell_id"] == "B2", "community_code"] = "001"  # wrong community
    problems = check_coverage(cells, communities=communities, community_field="community_code")
    assert found(problems) == {("outside", frozenset({"B2"}))}
    assert problems["area_m2"].iloc[0] == pytest.approx(10_000.0)

    split = communities.set_geometry([box(0, -300, 150, 0), box(150, -300, 300, 0)])
    problems = check_coverage(grid(), communities=split, community_field="community_code")
    assert found(problems) == {("outside", frozenset({n})) for n in ("A2", "B2", "C2")}


def test_households_counts_and_unassigned() -> None:
    rng = np.random.default_rng(7)
    pts = []
    for n in NAMES:
        x0, y0, x1, y1 = cell_box(n).bounds
        count = 200 if n == "A1" else 400
        pts.append(shapely.points(rng.uniform([x0 + 1, y0 + 1], [x1 - 1, y1 - 1], (count, 2))))
    stray = shapely.Point(X0 + 350, Y0 - 50)
    households = gpd.GeoDataFrame(
        {"household_id": [f"H{i}" for i in range(3400)] + ["H-stray"]},
        geometry=np.concatenate([*pts, [stray]]),
        crs=CRS,
    )
    problems = check_coverage(grid(), households=households)
    assert found(problems) == {
        ("households_out_of_range", frozenset({"A1"})),
        ("unassigned_household", frozenset()),
    }
    msgs = dict(zip(problems["kind"], problems["message"], strict=True))
    assert "200 户" in msgs["households_out_of_range"]
    assert "H-stray" in msgs["unassigned_household"] and "A3" in msgs["unassigned_household"]


def test_leader_and_code_attributes() -> None:
    cells = grid()
    cells.loc[cells["cell_id"] == "C2", "leader"] = " "
    cells.loc[cells["cell_id"] == "A3", "code"] = "CA1"
    problems = check_coverage(cells, leader_field="leader", code_field="code")
    assert found(problems) == {
        ("no_leader", frozenset({"C2"})),
        ("duplicate_code", frozenset({"A1", "A3"})),
    }


# --- degenerate input ----------------------------------------------------------------------------


def test_empty_cells() -> None:
    empty = gpd.GeoDataFrame({"cell_id": []}, geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)
    assert len(check_coverage(empty)) == 0
    problems = check_coverage(empty, boundary=BOUNDARY)
    assert found(problems) == {("gap", frozenset())}
    assert problems["area_m2"].iloc[0] == pytest.approx(90_000.0)


def test_hole_is_a_gap_unless_filled() -> None:
    hole = box(30, -70, 70, -30)
    problems = check_coverage(grid(A1=shapely.difference(cell_box("A1"), hole)))
    assert found(problems) == {("gap", frozenset({"A1"}))}
    assert problems["area_m2"].iloc[0] == pytest.approx(1600.0)
    filler = gpd.GeoDataFrame(
        {"cell_id": ["A1h"], "code": ["X"], "leader": ["x"]}, geometry=[hole], crs=CRS
    )
    cells = gpd.pd.concat([grid(A1=shapely.difference(cell_box("A1"), hole)), filler])
    assert len(check_coverage(gpd.GeoDataFrame(cells, crs=CRS))) == 0


def test_multipolygon_cells_and_missing_geometry() -> None:
    cells = grid(A1=shapely.MultiPolygon([cell_box("A1")]), B1=None)
    # A single-part MultiPolygon is fine; B1 has no geometry. Without a boundary its square is
    # a 100 m wide bay open to the west, not a gap; with the boundary it is.
    assert found(check_coverage(cells)) == {("invalid", frozenset({"B1"}))}
    problems = check_coverage(cells, boundary=BOUNDARY)
    assert found(problems) == {
        ("invalid", frozenset({"B1"})),
        ("gap", frozenset({"A1", "B2", "C1"})),
    }
    assert "没有几何图形" in problems.set_index("kind").loc["invalid", "message"]


def test_id_field_must_exist() -> None:
    with pytest.raises(InvalidInputError, match="没有字段 name"):
        check_coverage(grid(), id_field="name")


def test_result_is_in_cells_crs() -> None:
    cells = grid(B2=box(100, -200, 205, -100)).to_crs("EPSG:4490")
    problems = check_coverage(cells)
    assert problems.crs == "EPSG:4490"
    assert found(problems) == {("overlap", frozenset({"B2", "B3"}))}
    assert problems["area_m2"].iloc[0] == pytest.approx(500.0, rel=1e-3)
