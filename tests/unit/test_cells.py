"""Proposing cells from blocks: household ranges, communities, contiguity, numbering, codes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from core.errors import InvalidInputError
from gis.cells.codes import cell_code, number_cells, validate_cell_code
from gis.cells.proposal import propose_cells
from gis.coverage.check import check_coverage

X0, Y0 = 500_000.0, 3_617_000.0
CRS = "EPSG:4545"


def block_grid(
    n_side: int, households: np.ndarray, *, community_of=lambda r, c: "610902001001"
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """n×n blocks of 100 m (row 0 north) with ``households[r, c]`` points inside each."""
    rng = np.random.default_rng(3)
    geoms, ids, comms, pts = [], [], [], []
    for r in range(n_side):
        for c in range(n_side):
            b = shapely.box(X0 + c * 100, Y0 - (r + 1) * 100, X0 + (c + 1) * 100, Y0 - r * 100)
            geoms.append(b)
            ids.append(f"K{r}{c}")
            comms.append(community_of(r, c))
            x0, y0, x1, y1 = b.bounds
            pts.append(
                shapely.points(
                    rng.uniform([x0 + 1, y0 + 1], [x1 - 1, y1 - 1], (int(households[r, c]), 2))
                )
            )
    blocks = gpd.GeoDataFrame({"block_id": ids, "community_code": comms}, geometry=geoms, crs=CRS)
    hh = gpd.GeoDataFrame(geometry=np.concatenate(pts), crs=CRS)
    return blocks, hh


# --- codes -------------------------------------------------------------------------------------


def test_cell_code_composes_fifteen_digits() -> None:
    assert cell_code("610902", "001", 12, 3) == "610902001012003"
    assert cell_code(610902, 1, "012", "003") == "610902001012003"
    parts = validate_cell_code("610902001012003")
    assert (parts.district, parts.subdistrict, parts.community, parts.cell) == (
        "610902",
        "001",
        "012",
        "003",
    )


@pytest.mark.parametrize(
    "code",
    [
        "61090200101200",
        "6109020010120031",
        "61090200101200X",
        "610902001012000",
        "010902001012003",
        "６１０９０２００１０１２００３",
    ],
)
def test_validate_cell_code_refuses_bad_codes(code: str) -> None:
    with pytest.raises(InvalidInputError):
        validate_cell_code(code)


@pytest.mark.parametrize(
    "args", [("61090", "001", 1, 1), ("610902", "001", 0, 1), ("610902", "001", 1, 1000)]
)
def test_cell_code_refuses_bad_parts(args: tuple) -> None:
    with pytest.raises(InvalidInputError):
        cell_code(*args)


def test_numbering_runs_west_to_east_then_north_to_south() -> None:
    # Cells given in scrambled order; rows are read north→south, each row west→east.
    nw, ne = shapely.box(0, 100, 100, 200), shapely.box(100, 110, 200, 210)  # NE a bit higher
    sw, se = shapely.box(0, 0, 100, 100), shapely.box(100, -5, 200, 95)
    seq = number_cells(np.array([se, nw, sw, ne], dtype=object))
    assert seq.tolist() == [4, 1, 3, 2]


# --- proposal ----------------------------------------------------------------------------------


def test_proposal_respects_range_and_communities() -> None:
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 180, (10, 10))
    west_east = lambda r, c: "610902001001" if c < 5 else "610902001002"  # noqa: E731
    blocks, hh = block_grid(10, counts, community_of=west_east)
    res = propose_cells(blocks, hh, min_households=300, max_households=500)
    cells = res.cells
    assert list(cells.columns) == [
        "cell_code",
        "community_code",
        "households",
        "block_ids",
        "geometry",
    ]
    assert len(res.problems) == 0
    assert cells["households"].between(300, 500).all()
    assert cells["households"].sum() == counts.sum()
    comm_of = dict(zip(blocks["block_id"], blocks["community_code"], strict=True))
    for _, cell in cells.iterrows():
        assert {comm_of[b] for b in cell["block_ids"]} == {cell["community_code"]}
        assert cell.geometry.geom_type == "Polygon"  # contiguous
        assert cell["cell_code"].startswith("610902001" + cell["community_code"][-3:])
        validate_cell_code(cell["cell_code"])
    used = [b for ids in cells["block_ids"] for b in ids]
    assert sorted(used) == sorted(blocks["block_id"])  # every block exactly once
    assert cells["cell_code"].is_unique
    # The cells form a clean coverage of the blocks.
    boundary = shapely.box(X0, Y0 - 1000, X0 + 1000, Y0)
    problems = check_coverage(
        cells,
        boundary=boundary,
        id_field="cell_code",
        households=hh,
        community_field="community_code",
        communities=blocks.dissolve("community_code").reset_index(),
    )
    assert len(problems) == 0


def test_first_cell_of_each_community_is_in_the_north_west() -> None:
    blocks, hh = block_grid(4, np.full((4, 4), 100))
    res = propose_cells(blocks, hh, min_households=300, max_households=500)
    first = res.cells.set_index("cell_code").geometry.iloc[0]
    assert first.intersects(shapely.box(X0, Y0 - 100, X0 + 100, Y0))  # contains block K00


def test_block_over_maximum_is_reported_not_celled() -> None:
    counts = np.full((3, 3), 100)
    counts[1, 1] = 612
    blocks, hh = block_grid(3, counts)
    res = propose_cells(blocks, hh, min_households=300, max_households=500)
    big = res.problems[res.problems["kind"] == "block_too_big"]
    assert len(big) == 1
    assert big["block_ids"].iloc[0] == ["K11"]
    assert "K11" in big["message"].iloc[0] and "612" in big["message"].iloc[0]
    assert all("K11" not in ids for ids in res.cells["block_ids"])
    assert res.cells["households"].between(300, 500).all()


def test_community_that_cannot_be_split_is_reported() -> None:
    # 550 households: one cell would exceed 500, two cells could not both reach 300.
    counts = np.array([[150, 150], [150, 100]])
    blocks, hh = block_grid(2, counts)
    res = propose_cells(blocks, hh, min_households=300, max_households=500)
    assert len(res.cells) == 0
    assert res.problems["kind"].tolist() == ["community_infeasible"]
    msg = res.problems["message"].iloc[0]
    assert "610902001001" in msg and "550" in msg and "300–500" in msg


def test_empty_blocks_join_a_neighbouring_cell() -> None:
    counts = np.array([[200, 0, 200], [0, 0, 0], [200, 0, 200]])
    blocks, hh = block_grid(3, counts)
    res = propose_cells(blocks, hh, min_households=300, max_households=500)
    assert len(res.problems) == 0
    assert sorted(b for ids in res.cells["block_ids"] for b in ids) == sorted(blocks["block_id"])
    assert res.cells["households"].tolist() == [400, 400]


def test_blocks_without_community_use_community_polygons() -> None:
    blocks, hh = block_grid(4, np.full((4, 4), 100))
    communities = gpd.GeoDataFrame(
        {"community_code": ["610902001007", "610902001008"]},
        geometry=[
            shapely.box(X0, Y0 - 400, X0 + 200, Y0),
            shapely.box(X0 + 200, Y0 - 400, X0 + 400, Y0),
        ],
        crs=CRS,
    )
    res = propose_cells(blocks.drop(columns="community_code"), hh, communities=communities)
    assert set(res.cells["community_code"]) == {"610902001007", "610902001008"}
    assert {c[9:12] for c in res.cells["cell_code"]} == {"007", "008"}
    assert len(res.problems) == 0


def test_bad_range_is_refused() -> None:
    blocks, hh = block_grid(2, np.full((2, 2), 10))
    with pytest.raises(InvalidInputError):
        propose_cells(blocks, hh, min_households=500, max_households=300)
