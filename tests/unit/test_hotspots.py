"""Gi* hotspots on hand-built lattices whose answer is known by construction."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from services.stats.hotspots import getis_ord_hotspots, queen_weights


def lattice(n: int = 12) -> gpd.GeoDataFrame:
    """``n × n`` unit squares in EPSG:4545, indexed by ``row * n + col`` (a coverage)."""
    boxes = [
        shapely.box(500_000 + c * 300, 3_600_000 + r * 300, 500_300 + c * 300, 3_600_300 + r * 300)
        for r in range(n)
        for c in range(n)
    ]
    return gpd.GeoDataFrame(
        {"cell_code": [f"610902001001{i:03d}" for i in range(n * n)]},
        geometry=boxes,
        crs="EPSG:4545",
    )


def test_queen_contiguity_counts_corners():
    w = queen_weights(lattice(3))
    assert w.cardinalities[4] == 8  # the centre touches every other cell
    assert w.cardinalities[0] == 3  # a corner: two edges and one diagonal


def test_planted_hot_cluster_is_found_and_nothing_far_away():
    n = 12
    cells = lattice(n)
    rng = np.random.default_rng(7)
    counts = rng.poisson(5, n * n)
    cluster = [r * n + c for r in range(3, 6) for c in range(3, 6)]
    counts[cluster] += 30
    cells["cases"] = counts
    result = getis_ord_hotspots(cells, value_field="cases")
    hot = set(result.index[result["hotspot"] == "hot"])
    centre = 4 * n + 4
    assert centre in hot
    assert len(hot & set(cluster)) >= 7, sorted(hot)
    # far from the cluster (more than one cell away from it) nothing is called hot
    far = [r * n + c for r in range(n) for c in range(n) if r > 7 or c > 7]
    assert not hot & set(far)
    assert result.loc[centre, "z"] > 3
    assert (result.loc[list(hot), "z"] > 0).all()


def test_planted_cold_cluster_is_cold():
    n = 12
    cells = lattice(n)
    counts = np.full(n * n, 20)
    counts += np.random.default_rng(3).integers(-2, 3, n * n)
    cold = [r * n + c for r in range(7, 10) for c in range(7, 10)]
    counts[cold] = 0
    cells["cases"] = counts
    result = getis_ord_hotspots(cells, value_field="cases")
    assert result.loc[8 * n + 8, "hotspot"] == "cold"
    assert "hot" not in set(result.loc[cold, "hotspot"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_uniform_field_gives_nothing_significant(seed):
    cells = lattice(12)
    cells["cases"] = np.random.default_rng(seed).poisson(8, len(cells))
    result = getis_ord_hotspots(cells, value_field="cases")
    assert (result["hotspot"] == "none").all(), result[result["hotspot"] != "none"]


def test_constant_field_has_no_z_scores():
    cells = lattice(5)
    cells["cases"] = 4
    result = getis_ord_hotspots(cells, value_field="cases")
    assert result["z"].isna().all()
    assert (result["hotspot"] == "none").all()


def test_result_is_indexed_like_the_input():
    cells = lattice(4).set_index("cell_code")
    cells["cases"] = np.arange(16)
    result = getis_ord_hotspots(cells, value_field="cases")
    assert result.index.equals(cells.index)


def test_missing_column_names_what_exists():
    from core.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="cases"):
        getis_ord_hotspots(lattice(3), value_field="cases")
