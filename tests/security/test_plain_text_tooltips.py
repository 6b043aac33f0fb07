"""Map tooltips are HTML (Leaflet sets them as innerHTML): a typed name or address with HTML in
it must reach the page escaped, for households, cells and streets."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, box

from core.plaintext import plain
from layers.base import base_map, streets_layer
from layers.cells import cells_layer
from layers.households import households_layer

ATTACK = '<img src="http://evil.example/x.png" onerror="alert(1)">'


def _html(layer) -> str:
    m = base_map(gpd.GeoDataFrame(geometry=[box(109.02, 32.68, 109.04, 32.69)], crs=4490))
    layer.add_to(m)
    # folium writes the GeoJSON with \\uXXXX escapes for & and <: read it as the browser will
    page = m.get_root().render()
    return page.replace("\\u0026", "&").replace("\\u003c", "<").replace('\\"', '"')


def test_household_tooltips_escape_html():
    households = pd.DataFrame(
        {
            "id": [1],
            "head_name": [ATTACK],
            "address": ["纱帽石53号"],
            "special_groups": [[]],
            "lon": [109.03],
            "lat": [32.685],
        }
    )
    page = _html(households_layer(households, tooltip_fields={"head_name": "户主"}))
    assert "evil.example" in page  # the text is there …
    assert '<img src=\\"http://evil.example' not in page and '<img src="http://evil' not in page
    assert "&lt;img" in page  # … as text


def test_cell_and_street_tooltips_escape_html():
    cells = gpd.GeoDataFrame(
        {"cell_code": ["610902001001001"], "leader_name": [ATTACK], "households": [300]},
        geometry=[box(109.02, 32.68, 109.03, 32.69)],
        crs=4490,
    )
    group, _ = cells_layer(
        cells, value_field="households", tooltip_fields={"leader_name": "网格长"}
    )
    streets = gpd.GeoDataFrame(
        {"name": [ATTACK], "kind": ["street"]},
        geometry=[LineString([(109.02, 32.685), (109.04, 32.685)])],
        crs=4490,
    )
    for page in (_html(group), _html(streets_layer(streets))):
        assert "&lt;img" in page and '<img src="http://evil' not in page


def test_plain_text_keeps_every_character_and_makes_no_markdown():
    for text in ("![t](http://evil.example/x.png)", "[点我](www.evil.example)", "a@evil.example"):
        rendered = plain(text)
        assert "](" not in rendered.replace("\\](", "").replace("`", "") or rendered.startswith("`")
    assert plain("张*三*_李_") == "张\\*三\\*\\_李\\_"
    assert plain("第一行\n第二行") == "第一行  \n第二行"
    assert plain(None) == "" and plain(float("nan")) == ""
