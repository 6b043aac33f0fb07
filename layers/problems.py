"""Plan problems on the map: red, always on top, with a text label and a Chinese tooltip.

One GeoJSON layer per severity, not one per problem: a draft imported from streets (one cell
per block, hundreds of cells) has hundreds of problems, and a folium layer each made the
first open of a 560-cell draft take tens of seconds (bench/bench_planner_map.py).
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
from branca.element import MacroElement, Template
from folium.utilities import JsCode

from gis.crs import DISPLAY_CRS

PROBLEM_RED = "#d7191c"
MAX_LABELS = 40  # text labels on the map; blocking problems come first, the panel lists all
PANE = "problems"


def problems_layer(
    problems: gpd.GeoDataFrame,
    *,
    severity_labels: dict[str, str],
    name: str,
    max_labels: int = MAX_LABELS,
) -> folium.FeatureGroup:
    """Problems (``kind_label``, ``severity``, ``message``, geometry) as one feature group.

    Blocking area problems are filled, warnings only outlined (the cells under them stay
    readable); point problems (households outside every cell) are small circles. Colour is
    not the only cue: area problems carry a "⚠ kind" text label (the first ``max_labels``).
    Draw it in a pane named ``problems`` above the other overlays (the caller adds the pane).
    """
    group = folium.FeatureGroup(name=name, control=True)
    if problems.empty:
        return group
    shown = problems.to_crs(DISPLAY_CRS)
    shown = shown[shown.geometry.notna() & ~shown.geometry.is_empty]
    shown = shown.assign(
        tip=[
            f"⚠ {k}（{severity_labels.get(s, s)}）：{m}"
            for k, s, m in zip(
                shown["kind_label"], shown["severity"], shown["message"], strict=True
            )
        ],
        blocking=(shown["severity"] == "blocking"),
    )[["tip", "kind_label", "blocking", "geometry"]]
    is_point = shown.geom_type.isin(["Point", "MultiPoint"])
    areas, points = shown[~is_point], shown[is_point]
    if len(areas):
        folium.GeoJson(
            areas[["tip", "blocking", "geometry"]],
            style_function=_area_style,
            tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
            pane=PANE,
        ).add_to(group)
        # Text labels, blocking problems first (what the planner must fix): one layer of
        # points whose tooltips stay open, not a folium Marker each (each is a template to
        # compile and a script to run).
        labelled = areas.sort_values("blocking", ascending=False, kind="stable").head(max_labels)
        spots = gpd.GeoDataFrame(
            {"label": ["⚠ " + str(k) for k in labelled["kind_label"]]},
            geometry=labelled.geometry.representative_point().to_numpy(),
            crs=DISPLAY_CRS,
        )
        folium.GeoJson(
            spots,
            marker=folium.CircleMarker(radius=2, color=PROBLEM_RED, fill=True, opacity=0.9),
            # each label its own open tooltip (a permanent tooltip bound to the whole layer
            # would open once); the text is escaped by Leaflet's DOM text, not HTML
            on_each_feature=JsCode(
                "function(feature, layer) {"
                "var el = document.createElement('span');"
                "el.textContent = feature.properties.label;"
                "layer.bindTooltip(el, {permanent: true, direction: 'center', "
                "className: 'lianxin-problem', pane: 'problems'});}"
            ),
            pane=PANE,
        ).add_to(group)
        css = MacroElement()
        css._template = _LABEL_STYLE
        group.add_child(css)
    if len(points):  # one layer for all point problems: hundreds of households stay fast
        folium.GeoJson(
            points[["tip", "geometry"]].explode(index_parts=False),
            marker=folium.CircleMarker(
                radius=5, color=PROBLEM_RED, weight=2, fill=True, fill_opacity=0.7
            ),
            tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
            pane=PANE,
        ).add_to(group)
    return group


# Leaflet's tooltip, styled as a red tag (class lianxin-problem); added once per map.
LABEL_CSS = (
    f".leaflet-tooltip.lianxin-problem{{color:#fff;background:{PROBLEM_RED};border:0;"
    "border-radius:3px;padding:1px 5px;font-size:13px;white-space:nowrap;box-shadow:none}"
    ".leaflet-tooltip.lianxin-problem:before{display:none}"
)
# compiled once at import, not per map (py-spy under load, issue 15)
_LABEL_STYLE = Template(
    "{% macro header(this, kwargs) %}<style>" + LABEL_CSS + "</style>{% endmacro %}"
)


def _area_style(feature: dict[str, Any]) -> dict[str, Any]:
    blocking = bool(feature["properties"]["blocking"])
    return {
        "color": PROBLEM_RED,
        "weight": 3 if blocking else 2,
        "dashArray": "6 4",
        "fillColor": PROBLEM_RED,
        "fillOpacity": 0.45 if blocking else 0.0,
    }
