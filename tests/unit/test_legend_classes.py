"""Map legends: classes of whole numbers never overlap, a one-value class is written once;
scale bars are metric only (area: plan editor / metric everywhere)."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import shapely

from layers.base import base_map
from layers.cells import class_breaks, colour_for, legend_entries


def _ranges(entries: list[tuple[str, str]]) -> list[tuple[int, int]]:
    out = []
    for _colour, label in entries:
        nums = [int(n.replace(",", "")) for n in re.findall(r"[\d,]+", label)]
        if label.startswith("≤"):
            out.append((-(10**9), nums[0]))
        elif len(nums) == 1:
            out.append((nums[0], nums[0]))
        else:
            assert nums[0] < nums[1], label  # never "2–2"
            out.append((nums[0], nums[1]))
    return out


def test_household_counts_get_classes_that_neither_overlap_nor_repeat_a_value():
    values = np.array([1, 2, 2, 2, 2, 3, 3, 4, 9, 9, 350, 420, 480])
    breaks = class_breaks(values)
    entries = legend_entries(breaks, unit="户")
    ranges = _ranges(entries)
    for (_, hi), (lo, _) in zip(ranges, ranges[1:], strict=False):
        assert lo == hi + 1  # next class starts right after the previous one
    for v in values:  # every value is in exactly one class, the one its colour says
        inside = [i for i, (lo, hi) in enumerate(ranges) if lo <= v <= hi]
        assert len(inside) == 1
        assert entries[inside[0]][0] == colour_for(float(v), breaks)
    assert not any(re.search(r"(\d+)–\1户", label) for _, label in entries)


def test_a_class_of_one_value_is_written_once():
    entries = legend_entries([2.0, 3.0, 9.0], unit="户")
    assert [label for _, label in entries] == ["≤ 2户", "3户", "4–9户"]


def test_the_scale_bar_is_metric_only():
    box = gpd.GeoDataFrame(geometry=[shapely.box(109.0, 32.68, 109.03, 32.7)], crs=4326)
    html = base_map(box).get_root().render()
    assert "imperial: false" in html
    assert "L.control.scale()" not in html


def test_hundreds_of_problems_are_drawn_as_a_few_layers_with_their_labels():
    import folium
    import geopandas as gpd

    from layers.problems import MAX_LABELS, problems_layer

    boxes = [
        shapely.box(109.0 + i * 0.001, 32.68, 109.0009 + i * 0.001, 32.681) for i in range(300)
    ]
    problems = gpd.GeoDataFrame(
        {
            "kind_label": ["户数超出范围"] * 299 + ["空隙"],
            "severity": ["warning"] * 299 + ["blocking"],
            "message": [f"网格 {i} 户数 3" for i in range(300)],
        },
        geometry=boxes,
        crs=4326,
    )
    group = problems_layer(
        problems, severity_labels={"warning": "提示", "blocking": "必须修改"}, name="问题"
    )
    layers = [c for c in group._children.values() if isinstance(c, folium.GeoJson)]
    assert len(layers) == 2  # the areas, the labels: not one layer per problem
    html = folium.Map().add_child(group).get_root().render()
    assert "permanent: true" in html and "lianxin-problem" in html  # each label stays open
    labels = layers[1].data["features"]
    assert len(labels) == MAX_LABELS and labels[0]["properties"]["label"] == "⚠ 空隙"
