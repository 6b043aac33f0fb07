"""Map layers of the 动态调整 diff: cells before and after, changed cells and moved units."""

from __future__ import annotations

import folium
import geopandas as gpd

from gis.crs import DISPLAY_CRS

CHANGED_COLOUR = "#c0392b"
CELL_COLOUR = "#4f6d8f"


def diff_cells_layer(
    cells: gpd.GeoDataFrame,
    *,
    changed: set[str],
    tooltip_fields: dict[str, str],
    name: str,
) -> folium.FeatureGroup:
    """Cells as outlines, those in ``changed`` thick red; ``tooltip_fields`` column → alias."""
    data = cells.to_crs(DISPLAY_CRS).assign(_changed=[c in changed for c in cells["cell_code"]])
    data = data[list(dict.fromkeys([*tooltip_fields, "cell_code", "_changed", "geometry"]))]
    group = folium.FeatureGroup(name=name, control=True)
    folium.GeoJson(
        data,
        name=name,
        style_function=lambda f: {
            "fillColor": CHANGED_COLOUR if f["properties"]["_changed"] else CELL_COLOUR,
            "fillOpacity": 0.35 if f["properties"]["_changed"] else 0.12,
            "color": CHANGED_COLOUR if f["properties"]["_changed"] else "#444",
            "weight": 3 if f["properties"]["_changed"] else 1,
            "className": "rebalance-changed" if f["properties"]["_changed"] else "rebalance-cell",
        },
        tooltip=folium.GeoJsonTooltip(
            fields=list(tooltip_fields), aliases=list(tooltip_fields.values()), localize=True
        ),
    ).add_to(group)
    return group


def moved_units_layer(moves: gpd.GeoDataFrame, *, name: str = "移动的街区") -> folium.FeatureGroup:
    """The moved blocks and building groups, hatched dark red."""
    group = folium.FeatureGroup(name=name, control=True)
    if len(moves):
        data = moves.to_crs(DISPLAY_CRS)[
            ["block_id", "from_cell", "to_cell", "households", "geometry"]
        ]
        folium.GeoJson(
            data,
            name=name,
            style_function=lambda _f: {
                "fillColor": "#7b241c",
                "fillOpacity": 0.5,
                "color": "#7b241c",
                "weight": 1,
                "dashArray": "4 3",
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["block_id", "from_cell", "to_cell", "households"],
                aliases=["街区", "原网格", "新网格", "户数"],
                localize=True,
            ),
        ).add_to(group)
    return group
