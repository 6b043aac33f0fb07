"""The map the app draws itself: no online basemap, its own streets, lanes and community outlines.

Pure builders: each takes a GeoDataFrame and returns a folium layer; each reprojects to EPSG:4326
itself and names its tooltip fields explicitly (STYLE.md §11).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import folium
import geopandas as gpd
from branca.element import MacroElement, Template

from core.plaintext import html_text
from gis.crs import DISPLAY_CRS
from layers.offline import use_local_assets

STREET_COLOUR = "#8c8c8c"
LANE_COLOUR = "#c8c8c8"
COMMUNITY_COLOUR = "#303030"


def base_map(
    bounds_gdf: gpd.GeoDataFrame,
    *,
    tiles: str | None = None,
    attribution: str = "",
    prefer_canvas: bool = False,
) -> folium.Map:
    """An empty map fitted to ``bounds_gdf``, with a scale bar and no external tiles by default.

    ``tiles`` may be a URL template of an intranet tile server (e.g. 天地图 with a key).
    SVG rendering by default (each cell is a DOM path a test or screen reader can find);
    ``prefer_canvas=True`` for thousands of features.
    """
    use_local_assets()
    minx, miny, maxx, maxy = bounds_gdf.to_crs(DISPLAY_CRS).total_bounds
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=15,
        tiles=None,
        control_scale=False,  # folium's scale bar shows feet and miles too: add a metric one
        prefer_canvas=prefer_canvas,
        attribution_control=bool(tiles),
        zoom_snap=0.25,  # fit the town snugly, not to the next power of two
    )
    if tiles:
        folium.TileLayer(tiles=tiles, attr=attribution or "basemap").add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    add_metric_scale(m)
    _refit_when_resized(m, [[miny, minx], [maxy, maxx]])
    style = MacroElement()
    style._template = _MAP_STYLE
    m.get_root().add_child(style)
    return m


# Templates compiled once, at import: compiling one per map and rerun showed in py-spy's top
# frames under load (jinja2 Environment._compile, issue 15). The data goes in attributes.
_SCALE = Template(
    "{% macro script(this, kwargs) %}"
    "L.control.scale({metric: true, imperial: false, position: 'bottomleft'})"
    ".addTo({{this._parent.get_name()}});"
    "{% endmacro %}"
)
_REFIT = Template(
    "{% macro script(this, kwargs) %}"
    "(function(map){var b={{this.bounds_json}};"
    "if(window.ResizeObserver){var w=0;new ResizeObserver(function(e){"
    "var nw=e[0].contentRect.width;if(Math.abs(nw-w)>20){w=nw;map.invalidateSize();"
    "map.fitBounds(b);}}).observe(map.getContainer());}})({{this._parent.get_name()}});"
    "{% endmacro %}"
)
_MAP_STYLE = Template(
    "{% macro header(this, kwargs) %}"
    "<style>.leaflet-container{background:#f7f5f0;font-size:14px}</style>"
    "{% endmacro %}"
)
_LEGEND = Template("{% macro html(this, kwargs) %}{{this.legend_html}}{% endmacro %}")


def add_metric_scale(m: folium.Map) -> None:
    """A scale bar in metres and kilometres only (Leaflet's ``imperial: false``): no feet."""
    scale = MacroElement()
    scale._template = _SCALE
    m.add_child(scale)


def _refit_when_resized(m: folium.Map, bounds: list[list[float]]) -> None:
    """Fit the bounds again when the map's box changes size.

    Inside Streamlit the map is drawn before its iframe reaches its final width, so a single
    fitBounds leaves the town small and off-centre. Only size changes trigger it: panning
    and zooming by the user are left alone.
    """
    refit = MacroElement()
    refit._template = _REFIT
    refit.bounds_json = json.dumps(bounds)  # type: ignore[attr-defined]
    m.add_child(refit)


def streets_layer(streets: gpd.GeoDataFrame, *, name: str = "街巷") -> folium.FeatureGroup:
    """Streets and roads in grey, lanes in light grey and thinner; tooltip = the name."""
    group = folium.FeatureGroup(name=name, control=True)
    data = streets.to_crs(DISPLAY_CRS)[["name", "kind", "geometry"]]
    data = data.assign(name=data["name"].map(html_text))  # names come from imported files
    for kind, colour, weight in (
        ("lane", LANE_COLOUR, 2),
        ("street", STREET_COLOUR, 4),
        ("road", STREET_COLOUR, 5),
    ):
        part = data[data["kind"] == kind]
        if part.empty:
            continue
        folium.GeoJson(
            part,
            style_function=lambda _f, c=colour, w=weight: {"color": c, "weight": w, "opacity": 0.9},
            tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=["街巷"]),
            smooth_factor=1.5,
        ).add_to(group)
    return group


def streets_layer_geojson(parts: dict[str, str], *, name: str = "街巷") -> folium.FeatureGroup:
    """:func:`streets_layer` from GeoJSON text per kind, already serialised (and shared across
    users by services.shared_cache.cell_streets_geojson): each map parses its own copy."""
    group = folium.FeatureGroup(name=name, control=True)
    for kind, colour, weight in (
        ("lane", LANE_COLOUR, 2),
        ("street", STREET_COLOUR, 4),
        ("road", STREET_COLOUR, 5),
    ):
        if kind not in parts:
            continue
        folium.GeoJson(
            parts[kind],
            style_function=lambda _f, c=colour, w=weight: {"color": c, "weight": w, "opacity": 0.9},
            tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=["街巷"]),
            smooth_factor=1.5,
        ).add_to(group)
    return group


def communities_layer(
    communities: gpd.GeoDataFrame, *, name: str = "社区边界"
) -> folium.FeatureGroup:
    """Community outlines: dark, dashed, no fill (UI.md)."""
    group = folium.FeatureGroup(name=name, control=True)
    data = communities.to_crs(DISPLAY_CRS)[["name", "geometry"]]
    data = data.assign(name=data["name"].map(html_text))
    folium.GeoJson(
        data,
        style_function=lambda _f: {
            "color": COMMUNITY_COLOUR,
            "weight": 2.5,
            "dashArray": "8 6",
            "fill": False,
        },
        tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=["社区"]),
    ).add_to(group)
    return group


def add_legend(
    m: folium.Map,
    title: str,
    entries: list[tuple[str, str]],
    *,
    lines: Sequence[tuple[str, str, str]] = (),
) -> None:
    """A legend box (bottom right): colour swatches with labels, plus line styles.

    Built from plain HTML rather than a branca colormap, which would pull d3 from a CDN.
    """
    swatches = "".join(
        f'<div><span style="display:inline-block;width:14px;height:14px;background:{c};'
        f'border:1px solid #666;margin-right:6px;vertical-align:middle"></span>{label}</div>'
        for c, label in entries
    )
    line_rows = "".join(
        f'<div><span style="display:inline-block;width:24px;border-top:3px {style} {c};'
        f'margin-right:6px;vertical-align:middle"></span>{label}</div>'
        for c, style, label in lines
    )
    html = f"""
    <div class="lianxin-legend" style="position:absolute;bottom:28px;right:10px;z-index:9999;
        background:rgba(255,255,255,.93);padding:8px 10px;border:1px solid #999;border-radius:4px;
        font-size:14px;line-height:1.6">
      <div style="font-weight:bold;margin-bottom:2px">{title}</div>{swatches}{line_rows}
    </div>
    """
    legend = MacroElement()
    legend._template = _LEGEND
    legend.legend_html = html  # type: ignore[attr-defined]
    m.get_root().add_child(legend)
