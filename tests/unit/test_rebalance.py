"""Rebalancing a plan (gis.rebalance, gis.compounds) on hand-built blocks whose answer is known
by construction: 100 m square blocks in rows, households placed inside them."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from core.errors import InvalidInputError
from gis.cells.proposal import propose_cells
from gis.compounds import split_block
from gis.rebalance import rebalance
from gis.rebalance.codes import assign_codes, households_moved

X0, Y0 = 500_000.0, 3_617_000.0
METRIC = "EPSG:4545"
COMMUNITY = "610902001001"


def code(n: int) -> str:
    return f"{COMMUNITY}{n:03d}"


def town(
    ncols: int,
    cells: list[int],
    households: list[int],
    *,
    nrows: int = 1,
    buildings: dict[int, int] | None = None,
    weights: dict[int, float] | None = None,
    seed: int = 0,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Blocks b0, b1 … row by row (north first), cell ``code(cells[i])``, ``households[i]``
    points strictly inside; ``buildings[i]`` buildings (4 per row, 25 m apart) in block i;
    ``weights[i]`` special-group weight spread over block i's households."""
    geoms = [
        shapely.box(X0 + c * 100, Y0 - (r + 1) * 100, X0 + (c + 1) * 100, Y0 - r * 100)
        for r in range(nrows)
        for c in range(ncols)
    ]
    blocks = gpd.GeoDataFrame(
        {
            "block_id": [f"b{i}" for i in range(len(geoms))],
            "cell_code": [code(c) for c in cells],
            "community_code": [COMMUNITY] * len(geoms),
        },
        geometry=geoms,
        crs=METRIC,
    )
    rng = np.random.default_rng(seed)
    pts: list[shapely.Point] = []
    bld: list[str | None] = []
    wt: list[float] = []
    for i, (g, n) in enumerate(zip(geoms, households, strict=True)):
        x0, y0, x1, y1 = g.bounds
        nb = (buildings or {}).get(i, 0)
        for j in range(n):
            if nb:
                q = j % nb
                cx, cy = x0 + 12 + (q % 4) * 25, y0 + 15 + (q // 4) * 30
                pts.append(shapely.Point(cx + rng.uniform(-3, 3), cy + rng.uniform(-3, 3)))
                bld.append(f"{q + 1}栋")
            else:
                pts.append(shapely.Point(rng.uniform(x0 + 1, x1 - 1), rng.uniform(y0 + 1, y1 - 1)))
                bld.append(None)
            wt.append((weights or {}).get(i, 0.0) / n)
    hh = gpd.GeoDataFrame({"building": bld, "weight": wt}, geometry=pts, crs=METRIC)
    return blocks, hh


def assert_contiguous(result) -> None:
    for c, g in result.blocks.groupby("cell_code"):
        merged = shapely.union_all(np.asarray(g.geometry.array)).buffer(0.01)
        assert merged.geom_type == "Polygon", f"cell {c} is not one piece"


# --- the repair -------------------------------------------------------------------------------


def test_an_underfull_cell_takes_exactly_one_block_from_its_neighbour() -> None:
    # 001 has 200, 002 has 400: the only minimal repair moves one 100-household block (b2).
    blocks, hh = town(6, [1, 1, 2, 2, 2, 2], [100] * 6)
    r = rebalance(blocks, hh)
    assert r.summary["out_of_range_before"] == 1 and r.summary["out_of_range_after"] == 0
    assert r.summary["households_moved"] == 100
    assert r.moves[["block_id", "from_cell", "to_cell", "households"]].values.tolist() == [
        ["b2", code(2), code(1), 100]
    ]
    assert r.summary["kept_codes"] == [code(1), code(2)]
    assert r.summary["new_codes"] == [] and r.summary["retired_codes"] == []


def test_cells_stay_contiguous_and_within_range_on_an_uneven_grid() -> None:
    # 6×6 blocks, nine 2×2 cells of 4 blocks; growth makes some cells 560–720, others 220.
    cells = [(r // 2) * 3 + (c // 2) + 1 for r in range(6) for c in range(6)]
    rng = np.random.default_rng(3)
    counts = rng.integers(60, 180, size=36).tolist()
    blocks, hh = town(6, cells, counts, nrows=6)
    r = rebalance(blocks, hh)
    assert r.summary["out_of_range_before"] >= 3
    assert r.summary["out_of_range_after"] == 0
    assert_contiguous(r)
    after = r.blocks.groupby("cell_code")["households"].sum()
    assert after.between(300, 500).all()
    # Every move goes between cells that were neighbours, within the community.
    old = blocks.dissolve("cell_code")
    for m in r.moves.itertuples():
        if m.to_cell in old.index:
            assert old.geometry[m.from_cell].buffer(0.01).intersects(old.geometry[m.to_cell])


def test_a_grown_cell_is_split_into_a_kept_and_a_new_code_and_retired_codes_are_not_reused() -> (
    None
):
    # 001 = 300 + 250 + 250 = 800 > 500: a new cell of b0 (300) is the least that can leave;
    # 001 keeps 500 of its 800 (most), so keeps its code; 003 was retired earlier, so the new
    # cell gets 004.
    blocks, hh = town(4, [1, 1, 1, 2], [300, 250, 250, 300])
    r = rebalance(blocks, hh, retired_codes=[code(3)])
    s = r.summary
    assert s["out_of_range_after"] == 0
    assert s["kept_codes"] == [code(1), code(2)]
    assert s["new_codes"] == [code(4)]
    assert s["households_moved"] == 300
    assert r.blocks.set_index("block_id")["cell_code"].to_dict() == {
        "b0": code(4),
        "b1": code(1),
        "b2": code(1),
        "b3": code(2),
    }


def test_new_cells_are_numbered_west_to_east() -> None:
    # One 1,800-household cell of six 300-household blocks in a row becomes 6 cells... of which
    # 001 cannot keep most, so all six are new, numbered from the west.
    blocks, hh = town(6, [1] * 6, [300] * 6)
    r = rebalance(blocks, hh)
    assert r.summary["out_of_range_after"] == 0
    assert r.summary["retired_codes"] == [code(1)]
    by_block = r.blocks.set_index("block_id")["cell_code"]
    assert by_block.tolist() == sorted(by_block.tolist())
    assert r.summary["cells_after"] == len(set(by_block)) >= 4


def test_two_small_cells_retire_one_code() -> None:
    blocks, hh = town(3, [1, 2, 3], [150, 150, 400])
    r = rebalance(blocks, hh)
    s = r.summary
    assert s["out_of_range_after"] == 0 and s["cells_after"] == 2
    assert len(s["retired_codes"]) == 1 and s["retired_codes"][0] in {code(1), code(2)}
    assert s["households_moved"] == 150
    assert s["retired_codes"][0] not in set(r.blocks["cell_code"])


def test_lumpy_blocks_move_no_more_than_the_minimum() -> None:
    # 001 = 300 + 300 + 300 on the north row, 002 = 150 + 150 + 100 below. No single move fixes
    # it. Any valid plan splits 001's 900 into pieces of at most 500, so none keeps most of it:
    # 900 households must change cell, and 002 (400) need not.
    blocks, hh = town(3, [1, 1, 1, 2, 2, 2], [300, 300, 300, 150, 150, 100], nrows=2)
    r = rebalance(blocks, hh)
    assert r.summary["out_of_range_after"] == 0
    assert r.summary["households_moved"] == 900
    assert r.summary["kept_codes"] == [code(2)] and r.summary["retired_codes"] == [code(1)]
    assert_contiguous(r)


def test_rebalance_moves_far_fewer_households_than_proposing_again() -> None:
    cells = [(r // 2) * 3 + (c // 2) + 1 for r in range(6) for c in range(6)]
    rng = np.random.default_rng(7)
    counts = rng.integers(70, 130, size=36)
    counts[[7, 8, 13]] += 150  # growth in the middle
    blocks, hh = town(6, cells, counts.tolist(), nrows=6)
    r = rebalance(blocks, hh)
    assert r.summary["out_of_range_after"] == 0
    fresh = propose_cells(blocks, hh, community_seqs={COMMUNITY: 1})
    group = {b: n for n, ids in enumerate(fresh.cells["block_ids"]) for b in ids}
    groups = np.array([group.get(b, -1) for b in blocks["block_id"]])
    per_block = r.blocks.groupby("block_id")["households"].sum()[blocks["block_id"]].to_numpy()
    codes = assign_codes(
        blocks["cell_code"].to_numpy(),
        groups,
        per_block,
        blocks["community_code"].to_numpy(),
        np.asarray(blocks.geometry.array),
    )
    from_scratch = households_moved(blocks["cell_code"].to_numpy(), codes, per_block)
    assert 0 < r.summary["households_moved"] < from_scratch


# --- large compounds --------------------------------------------------------------------------


def test_split_block_never_cuts_a_building() -> None:
    blocks, hh = town(1, [1], [1_200], buildings={0: 8})
    xy = shapely.get_coordinates(np.asarray(hh.geometry.array))
    split = split_block(
        blocks.geometry.iloc[0], xy, hh["building"].to_numpy(object), max_households=500
    )
    assert split.problem is None and len(split.parts) == 3
    per_building = pd.Series(split.point_part).groupby(hh["building"].to_numpy()).nunique()
    assert (per_building == 1).all()  # every building's households in one part
    assert sorted(sum(split.buildings, [])) == sorted(set(hh["building"]))
    block = blocks.geometry.iloc[0]
    assert sum(p.area for p in split.parts) == pytest.approx(block.area, rel=1e-9)
    assert all(p.within(block.buffer(1e-6)) for p in split.parts)
    counts = np.bincount(split.point_part)
    assert counts.max() <= 500


def test_a_compound_is_split_by_building_into_valid_cells() -> None:
    blocks, hh = town(3, [1, 2, 3], [400, 1_200, 400], buildings={1: 8})
    r = rebalance(blocks, hh, building_field="building")
    assert r.summary["out_of_range_after"] == 0 and r.summary["blocks_split"] == 1
    parts = r.blocks[r.blocks["block_id"] == "b1"]
    assert len(parts) == 3 and parts["part"].tolist() == [1, 2, 3]
    named = [set(s.split("、")) for s in parts["buildings"]]
    assert set.union(*named) == {f"{i}栋" for i in range(1, 9)}
    assert sum(len(n) for n in named) == 8  # no building in two parts
    assert_contiguous(r)


def test_a_compound_without_building_numbers_is_left_whole_and_flagged() -> None:
    blocks, hh = town(3, [1, 2, 3], [400, 1_200, 400])
    r = rebalance(blocks, hh, building_field="building")
    assert r.summary["out_of_range_after"] == 1
    kinds = r.problems["kind"].tolist()
    assert "no_buildings" in kinds
    text = r.problems.loc[r.problems["kind"] == "no_buildings", "message"].iloc[0]
    assert "b1" in text and "1,200" in text and "楼栋号" in text
    assert (r.blocks["block_id"] == "b1").sum() == 1


# --- infeasible and unusable ------------------------------------------------------------------


def test_a_community_whose_total_fits_no_cell_count_is_explained() -> None:
    blocks, hh = town(2, [1, 2], [260, 260])
    r = rebalance(blocks, hh)
    assert r.summary["out_of_range_after"] == 1
    text = r.problems.loc[r.problems["kind"] == "community_infeasible", "message"].iloc[0]
    assert "520" in text and "300–500" in text and "最接近" in text
    assert r.summary["cells_after"] == 1  # the nearest plan: one cell of 520


def test_per_community_limits_apply() -> None:
    blocks, hh = town(2, [1, 2], [260, 260])
    r = rebalance(blocks, hh, limits={COMMUNITY: (200, 400)})
    assert r.summary["out_of_range_before"] == 0 and r.summary["households_moved"] == 0


def test_unusable_input_is_refused() -> None:
    blocks, hh = town(3, [1, 2, 1], [300, 300, 300])
    with pytest.raises(InvalidInputError, match="不连通"):
        rebalance(blocks, hh)
    blocks, hh = town(2, [1, 2], [300, 300])
    with pytest.raises(InvalidInputError, match="下限 600 大于上限 500"):
        rebalance(blocks, hh, min_households=600)
    far = pd.concat(
        [hh, gpd.GeoDataFrame(geometry=[shapely.Point(X0 + 5_000, Y0)], crs=METRIC)],
        ignore_index=True,
    )
    with pytest.raises(InvalidInputError, match="不在任何街区内"):
        rebalance(blocks, far)


# --- the second balance -----------------------------------------------------------------------


def test_special_group_weight_is_spread_below_the_share() -> None:
    # 001 = b0 + b1 + b2 carries all 60 of the weight (in b1 and b2); moving b2 to 002 halves
    # it, keeps 001 most of its households (so its code) and both within 200–600.
    blocks, hh = town(4, [1, 1, 1, 2], [200] * 4, weights={1: 30.0, 2: 30.0})
    r = rebalance(blocks, hh, weight_field="weight", min_households=200, max_households=600)
    assert r.summary["max_weight_share_before"] == pytest.approx(2.0)
    assert r.summary["max_weight_share"] <= 1.5
    assert r.summary["households_moved"] == 200
    assert r.moves["block_id"].tolist() == ["b2"]
    assert_contiguous(r)
