"""The planner's map (layers/plans.py): what a planner sees, without a database."""

from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
import pandas as pd
import shapely

from layers.plans import PlanMapText, blocks_layer, plan_map

TEXT = PlanMapText(
    cell_fields={
        "cell_code": "网格编码",
        "community_name": "社区",
        "leader_name": "网格长",
        "households": "户数",
    },
    no_leader="（未配）",
    block="街区",
    block_legend="街区图层",
    cell="网格",
    problems="检查结果",
    severity_labels={"blocking": "必须修改", "warning": "提示"},
    households_legend="网格户数",
    problem_legend="⚠ 问题",
    community_legend="社区边界",
    street_legend="街道",
    lane_legend="巷道",
)


def _frames():
    a, b = shapely.box(108.9, 32.6, 108.91, 32.61), shapely.box(108.91, 32.6, 108.92, 32.61)
    cells = gpd.GeoDataFrame(
        {
            "cell_code": ["610902001001001", "610902001001002"],
            "community_name": ["甲社区", "甲社区"],
            "leader_name": pd.array(["张三", None], dtype="string"),
            "households": [320, 410],
        },
        geometry=[a, b],
        crs="EPSG:4490",
    )
    blocks = gpd.GeoDataFrame(
        {"block_key": ["B0001", "B0002"], "cell_code": list(cells["cell_code"])},
        geometry=[a, b],
        crs="EPSG:4490",
    )
    communities = gpd.GeoDataFrame(
        {"code": ["610902001001"], "name": ["甲社区"]},
        geometry=[shapely.box(108.9, 32.6, 108.92, 32.61)],
        crs="EPSG:4490",
    )
    streets = gpd.GeoDataFrame(
        {"name": ["兴安路"], "kind": ["street"]},
        geometry=[shapely.LineString([(108.9, 32.6), (108.92, 32.6)])],
        crs="EPSG:4490",
    )
    return cells, blocks, communities, streets


def _problems(n: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "kind": ["gap"] * n,
            "kind_label": ["缝隙"] * n,
            "severity": ["blocking"] * n,
            "message": ["网格之间有缝隙"] * n,
        },
        geometry=[shapely.box(108.909, 32.6, 108.911, 32.601)] * n,
        crs="EPSG:4490",
    )


def _has(html: str, text: str) -> bool:
    """``text`` in the page, as written or as GeoJSON escapes it."""
    return text in html or json.dumps(text)[1:-1] in html


def test_the_blocks_layer_names_each_block_and_its_cell_in_chinese():
    _cells, blocks, _c, _s = _frames()
    m = folium.Map()
    blocks_layer(blocks, name="街区图层", block_alias="街区", cell_alias="网格").add_to(m)
    html = m.get_root().render()
    assert _has(html, "B0001") and _has(html, "610902001001002")
    assert _has(html, "街区") and _has(html, "网格")


def test_a_cell_without_a_leader_says_so_and_problems_sit_in_their_own_pane_on_top():
    cells, blocks, communities, streets = _frames()
    m = plan_map(
        cells,
        blocks,
        _problems(1),
        communities,
        streets,
        text=TEXT,
        selected="610902001001001",
        focus=0,
        draw=True,
    )
    html = m.get_root().render()
    assert _has(html, "（未配）") and _has(html, "张三")
    # the problems are drawn in their own pane, above every other overlay
    assert re.search(r"createPane\(\s*[\"']problems[\"']", html) and "zIndex = 650" in html
    assert _has(html, "缝隙")
    assert "L.Control.Draw" in html
    for legend in ("网格户数", "⚠ 问题", "街区图层", "社区边界", "街道", "巷道"):
        assert _has(html, legend), legend


def test_without_problems_there_is_no_problems_pane_and_no_drawing_tools():
    cells, blocks, communities, streets = _frames()
    html = (
        plan_map(
            cells,
            blocks,
            _problems(0),
            communities,
            streets,
            text=TEXT,
            selected=None,
            focus=None,
            draw=False,
        )
        .get_root()
        .render()
    )
    assert "zIndex = 650" not in html
    assert "L.Control.Draw" not in html
