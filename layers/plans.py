"""The planner's map: a plan's cells, blocks, streets, communities and problems on one map.

Pure folium: the page hands in the frames and its UI text (:class:`PlanMapText`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import folium
import folium.plugins
import geopandas as gpd

from gis.crs import DISPLAY_CRS
from layers.base import (
    COMMUNITY_COLOUR,
    LANE_COLOUR,
    STREET_COLOUR,
    add_legend,
    base_map,
    communities_layer,
    streets_layer,
)
from layers.cells import cells_layer, legend_entries
from layers.problems import PANE, PROBLEM_RED, problems_layer

BLOCK_COLOUR = "#7a7a7a"
#: Cell fields in the tooltip, in this order.
CELL_TOOLTIP = ("cell_code", "community_name", "leader_name", "households")


@dataclass(frozen=True)
class PlanMapText:
    """The map's UI text, from the page's labels module."""

    cell_fields: Mapping[str, str]  # column → tooltip alias, at least CELL_TOOLTIP
    no_leader: str  # shown for a cell without a grid leader
    block: str  # a block's key (tooltip)
    block_legend: str  # the blocks layer's name and legend line
    cell: str  # a block's cell (tooltip)
    problems: str  # the problems layer's name
    severity_labels: Mapping[str, str]
    households_legend: str
    problem_legend: str
    community_legend: str
    street_legend: str
    lane_legend: str


def blocks_layer(
    blocks: gpd.GeoDataFrame, *, name: str, block_alias: str, cell_alias: str
) -> folium.FeatureGroup:
    """Blocks (block_key, cell_code, geometry) as thin grey outlines with a tooltip."""
    group = folium.FeatureGroup(name=name, control=True)
    data = blocks.to_crs(DISPLAY_CRS)[["block_key", "cell_code", "geometry"]]
    folium.GeoJson(
        data,
        style_function=lambda _f: {"color": BLOCK_COLOUR, "weight": 0.7, "fill": False},
        tooltip=folium.GeoJsonTooltip(
            fields=["block_key", "cell_code"], aliases=[block_alias, cell_alias]
        ),
    ).add_to(group)
    return group


def plan_map(
    cells: gpd.GeoDataFrame,
    blocks: gpd.GeoDataFrame,
    problems: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
    *,
    text: PlanMapText,
    selected: str | None,
    focus: int | None,
    draw: bool,
) -> folium.Map:
    """The plan on one map: cells coloured by households, blocks, communities, streets, and
    the problems on top in their own pane (red, dashed, labelled: colour is not the only cue).

    ``focus`` zooms to that problem (its row number); ``draw`` adds the line/polygon tools.
    """
    m = base_map(communities)
    streets_layer(streets).add_to(m)
    cells = cells.assign(
        leader_name=cells["leader_name"]
        .astype(object)
        .where(cells["leader_name"].notna(), text.no_leader)
    )
    tooltip = {k: text.cell_fields[k] for k in CELL_TOOLTIP}
    group, breaks = cells_layer(
        cells, value_field="households", tooltip_fields=tooltip, selected_code=selected
    )
    group.add_to(m)
    blocks_layer(
        blocks, name=text.block_legend, block_alias=text.block, cell_alias=text.cell
    ).add_to(m)
    communities_layer(communities).add_to(m)
    if len(problems):
        # last, and in its own pane above every other overlay: always on top (UI.md)
        folium.map.CustomPane(PANE, z_index=650).add_to(m)
        problems_layer(
            problems, severity_labels=dict(text.severity_labels), name=text.problems
        ).add_to(m)
    if focus is not None and focus < len(problems):
        geom = problems.to_crs(DISPLAY_CRS).geometry.iloc[focus]
        if geom is not None and not geom.is_empty:
            minx, miny, maxx, maxy = geom.buffer(0.0004).bounds
            m.fit_bounds([[miny, minx], [maxy, maxx]])
    if draw:
        folium.plugins.Draw(
            export=False,
            position="topleft",
            draw_options={
                "polyline": {"shapeOptions": {"color": "#1f4e9c", "weight": 4}},
                "polygon": {"allowIntersection": False, "showArea": False},
                "rectangle": True,
                "circle": False,
                "marker": False,
                "circlemarker": False,
            },
            edit_options={"edit": False, "remove": True},
        ).add_to(m)
    add_legend(
        m,
        text.households_legend,
        legend_entries(breaks, unit="户") + [(PROBLEM_RED, text.problem_legend)],
        lines=[
            (BLOCK_COLOUR, "solid", text.block_legend),
            (COMMUNITY_COLOUR, "dashed", text.community_legend),
            (STREET_COLOUR, "solid", text.street_legend),
            (LANE_COLOUR, "solid", text.lane_legend),
        ],
    )
    return m
