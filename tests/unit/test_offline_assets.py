"""Maps never reach for the internet: every asset is served by the app itself."""

from __future__ import annotations

import folium
import folium.plugins
import geopandas as gpd
from shapely.geometry import LineString, box

from layers.base import add_legend, base_map, communities_layer, streets_layer
from layers.cells import cells_layer
from layers.offline import STATIC_PREFIX, asset_urls, remote_urls
from tests.conftest import ROOT


def _demo_map() -> folium.Map:
    comm = gpd.GeoDataFrame(
        {"name": ["大北街社区"]}, geometry=[box(109.02, 32.68, 109.04, 32.69)], crs=4490
    )
    streets = gpd.GeoDataFrame(
        {"name": ["纱帽石", "兴安路"], "kind": ["lane", "road"]},
        geometry=[
            LineString([(109.02, 32.685), (109.04, 32.685)]),
            LineString([(109.03, 32.68), (109.03, 32.69)]),
        ],
        crs=4490,
    )
    cells = gpd.GeoDataFrame(
        {"cell_code": ["610902001004001"], "households": [420]},
        geometry=[box(109.02, 32.68, 109.03, 32.69)],
        crs=4490,
    )
    m = base_map(comm)
    streets_layer(streets).add_to(m)
    cells_layer(
        cells,
        value_field="households",
        tooltip_fields={"cell_code": "网格编码", "households": "户数"},
    )[0].add_to(m)
    communities_layer(comm).add_to(m)
    add_legend(m, "网格户数", [("#ffffb2", "≤ 420户")])
    folium.plugins.HeatMap([[32.685, 109.03]]).add_to(m)
    folium.plugins.Draw().add_to(m)
    return m


def test_rendered_map_has_no_remote_script_or_stylesheet():
    html = _demo_map().get_root().render()
    assert remote_urls(html) == []
    assert f"{STATIC_PREFIX}/leaflet/leaflet.js" in html


def test_every_asset_streamlit_folium_loads_is_local_and_installed():
    urls = asset_urls(_demo_map())
    assert urls, "no assets collected"
    for url in urls:
        assert url.startswith(STATIC_PREFIX), url
        path = url.removeprefix(STATIC_PREFIX + "/").split("?")[0]  # ?v= is the asset version
        local = ROOT / "static" / "vendor" / path
        assert local.exists(), f"{local} is not installed (make setup copies it from node_modules)"


def test_no_default_tiles_are_requested():
    html = _demo_map().get_root().render()
    assert "tile.openstreetmap" not in html and "tileLayer(" not in html
