"""Households as small circles styled by special group (UI.md), and one cell's outline.

Pure builders: a (Geo)DataFrame in, a folium layer out. Colour is never the only carrier of
meaning: the tooltip names the group, and households with no special group are smaller and
hollow.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd

from core.plaintext import html_text
from core.vocab import SPECIAL_GROUPS
from gis.crs import DISPLAY_CRS, STORAGE_CRS

# One colour per special group (ColorBrewer Set1/Dark2, distinguishable on the light base).
GROUP_COLOURS: dict[str, str] = {
    "low_income": "#e41a1c",
    "disabled": "#377eb8",
    "elderly_alone": "#984ea3",
    "empty_nest_elderly": "#ff7f00",
    "left_behind_child": "#1b9e77",
    "community_correction": "#a65628",
    "low_rent_housing": "#e7298a",
    "laid_off_worker": "#666600",
}
NO_GROUP_COLOUR = "#4d4d4d"
REVIEW_COLOUR = "#b22222"
CELL_OUTLINE = "#b22222"


def group_of(groups: object) -> str | None:
    """The group that styles a household: its first special group in vocabulary order."""
    if groups is None or isinstance(groups, float):
        return None
    have = {str(g) for g in groups}  # type: ignore[attr-defined]
    return next((g for g in SPECIAL_GROUPS if g in have), None)


def legend_entries(present: list[str] | None = None) -> list[tuple[str, str]]:
    """(colour, label) for the groups present (all when None), then 无重点人群."""
    keys = [g for g in SPECIAL_GROUPS if present is None or g in present]
    return [(GROUP_COLOURS[g], SPECIAL_GROUPS[g]) for g in keys] + [(NO_GROUP_COLOUR, "无重点人群")]


def households_layer(
    households: pd.DataFrame,
    *,
    tooltip_fields: dict[str, str],
    name: str = "住户",
    selected_id: int | None = None,
) -> folium.FeatureGroup:
    """Circle markers from ``lon``/``lat`` (EPSG:4490); tooltip = ``tooltip_fields``
    (column → Chinese alias). Rows without a point are skipped."""
    group = folium.FeatureGroup(name=name, control=True)
    data = households.dropna(subset=["lon", "lat"])
    if data.empty:
        return group
    # special-group households drawn last, on top of the plain ones at the same door plate
    data = data.iloc[
        sorted(range(len(data)), key=lambda i: group_of(data["special_groups"].iloc[i]) is not None)
    ]
    gdf = gpd.GeoDataFrame(
        data[list(tooltip_fields)]
        .astype(str)
        .map(html_text)  # tooltips are HTML: a typed name or address is shown as text
        .assign(
            _group=pd.Series(
                [group_of(g) for g in data["special_groups"]], index=data.index, dtype=object
            ),
            _sel=[int(i) == selected_id for i in data["id"]] if "id" in data else False,
        ),
        geometry=gpd.points_from_xy(data["lon"], data["lat"]),
        crs=STORAGE_CRS,
    ).to_crs(DISPLAY_CRS)

    def style(feature: dict) -> dict:
        props = feature["properties"]
        g = props["_group"]
        if props["_sel"]:
            return {
                "fill": True,
                "radius": 9,
                "color": "#000",
                "weight": 3,
                "fillColor": "#ffff33",
                "fillOpacity": 1,
            }
        if g is None:
            return {
                "fill": True,
                "radius": 3,
                "color": NO_GROUP_COLOUR,
                "weight": 1,
                "fillOpacity": 0.15,
                "fillColor": NO_GROUP_COLOUR,
            }
        return {
            "fill": True,
            "radius": 5,
            "color": "#222",
            "weight": 1,
            "fillColor": GROUP_COLOURS[g],
            "fillOpacity": 0.9,
        }

    folium.GeoJson(
        gdf,
        marker=folium.CircleMarker(radius=4),
        style_function=style,
        tooltip=folium.GeoJsonTooltip(
            fields=list(tooltip_fields), aliases=list(tooltip_fields.values())
        ),
    ).add_to(group)
    return group


def cell_outline_layer(cell: gpd.GeoDataFrame, *, name: str = "本网格") -> folium.FeatureGroup:
    """The cell: thick outline, a faint fill; tooltip = code, community, leader."""
    group = folium.FeatureGroup(name=name, control=True)
    cols = [c for c in ("cell_code", "community_name", "leader_name") if c in cell.columns]
    aliases = {"cell_code": "网格编码", "community_name": "社区", "leader_name": "网格长"}
    folium.GeoJson(
        cell.to_crs(DISPLAY_CRS)[[*cols, "geometry"]],
        style_function=lambda _f: {
            "color": CELL_OUTLINE,
            "weight": 4,
            "fillColor": "#fde9c8",
            "fillOpacity": 0.25,
        },
        tooltip=folium.GeoJsonTooltip(fields=cols, aliases=[aliases[c] for c in cols]),
    ).add_to(group)
    return group
