"""The plan-edit geometry (gis/plan_edit.py) on hand-built blocks: no PostGIS."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from core.errors import GeometryError
from gis.plan_edit import DEG_TOL, snap_to_vertices, split_blocks_by_line, union_of_blocks


def _row(n: int) -> list[shapely.Geometry]:
    """``n`` unit boxes side by side along x: an exact coverage."""
    return [shapely.box(i, 0, i + 1, 1) for i in range(n)]


def test_the_union_of_a_coverage_is_one_polygon_with_its_outer_edges_exact():
    merged = union_of_blocks(np.asarray(_row(3), dtype=object))
    assert merged.geom_type == "MultiPolygon" and len(merged.geoms) == 1
    assert merged.equals(shapely.box(0, 0, 3, 1))
    assert merged.area == pytest.approx(3.0)


def test_the_union_ignores_missing_and_empty_blocks_and_keeps_a_hole():
    ring = shapely.box(0, 0, 3, 3).difference(shapely.box(1, 1, 2, 2))
    merged = union_of_blocks(np.asarray([ring, None, shapely.Polygon()], dtype=object))
    assert len(merged.geoms) == 1 and len(merged.geoms[0].interiors) == 1


def test_the_union_of_overlapping_blocks_does_not_fail():
    drawn = [shapely.box(0, 0, 2, 1), shapely.box(1, 0, 3, 1)]  # overlap: not a coverage
    assert union_of_blocks(np.asarray(drawn, dtype=object)).area == pytest.approx(3.0)


def test_no_blocks_give_an_empty_multipolygon():
    merged = union_of_blocks(np.asarray([], dtype=object))
    assert merged.geom_type == "MultiPolygon" and merged.is_empty


def test_a_line_through_the_middle_block_cuts_it_and_the_smaller_side_moves():
    blocks = _row(3)
    outline = shapely.box(0, 0, 3, 1)
    line = shapely.LineString([(1.25, -1), (1.25, 2)])  # the new cell is x < 1.25
    cut = split_blocks_by_line(
        outline,
        line,
        block_ids=[1, 2, 3],
        block_keys=["A", "B", "C"],
        block_geoms=blocks,
        cell_code="610902001001001",
    )
    assert cut.whole_to_new == ["A"]
    assert cut.cut_ids == [2] and sorted(cut.cut_keys) == ["B-1", "B-2"]
    assert sum(cut.cut_to_new) == 1
    moved = [p for p, new in zip(cut.cut_pieces, cut.cut_to_new, strict=True) if new]
    assert moved[0].area == pytest.approx(0.25)
    # the pieces still tile the old block exactly
    assert shapely.union_all(cut.cut_pieces).equals(blocks[1])
    assert {tuple(c) for c in shapely.get_coordinates(cut.vertices)} == {(1.25, 0.0), (1.25, 1.0)}


def test_a_neighbour_gains_the_cuts_new_vertices():
    neighbour = shapely.box(1, 1, 2, 2)  # above block B, sharing its top edge
    vertices = shapely.MultiPoint([(1.25, 1.0)])
    snapped = snap_to_vertices(neighbour, vertices)
    assert (1.25, 1.0) in {tuple(c) for c in shapely.get_coordinates(snapped)}
    assert snapped.area == pytest.approx(neighbour.area)
    far = shapely.MultiPoint([(1.25, 1.0 + 100 * DEG_TOL)])
    assert snap_to_vertices(neighbour, far).equals_exact(neighbour, 0)


@pytest.mark.parametrize(
    ("line", "says"),
    [
        (shapely.LineString([(1.5, 0.5), (1.5, 2)]), "没有完整穿过网格 X"),  # starts inside
        (shapely.LineString([(0.5, -1), (0.5, 2), (2.5, 2), (2.5, -1)]), "分成了 3 部分"),
        (shapely.LineString([(1.0, -1), (1.0, 2)]), None),  # along a block edge: fine
    ],
)
def test_a_line_that_does_not_cut_the_cell_in_two_is_refused_by_name(line, says):
    kwargs = dict(block_ids=[1, 2, 3], block_keys=["A", "B", "C"], block_geoms=_row(3))
    if says is None:
        cut = split_blocks_by_line(shapely.box(0, 0, 3, 1), line, cell_code="X", **kwargs)
        assert cut.whole_to_new == ["A"] and cut.cut_ids == []
        return
    with pytest.raises(GeometryError, match=says):
        split_blocks_by_line(shapely.box(0, 0, 3, 1), line, cell_code="X", **kwargs)


def test_a_line_leaving_one_side_without_blocks_is_refused():
    # the outline reaches further than its only block: the line cuts the outline, not the block
    outline = shapely.box(0, 0, 3, 1)
    with pytest.raises(GeometryError, match="没有把网格 X 的街区分成两组"):
        split_blocks_by_line(
            outline,
            shapely.LineString([(2.5, -1), (2.5, 2)]),
            block_ids=[1],
            block_keys=["A"],
            block_geoms=[shapely.box(0, 0, 2, 1)],
            cell_code="X",
        )
