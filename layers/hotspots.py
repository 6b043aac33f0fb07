"""Cells drawn by a statistic — the choropleth of open/overdue cases and the Gi* hotspots.

At city scale (10 k cells) a folium ``GeoJson`` of the cells is over 2 MB: every coordinate as
decimal text, Chinese tooltip text as ``\\uXXXX`` escapes, and folium's style map listing every
feature id. :class:`CompactCells` sends the same polygons as integer deltas on a 1e-5° grid
(about a metre), strings dictionary-encoded in raw UTF-8, one colour class per cell, and builds
the Leaflet polygons and tooltips in the browser — about a third of the size. Cells must already
be simplified for the zoom (services.stats.dashboard.simplify_cells keeps them a coverage).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement, Template

from core.plaintext import html_text
from gis.crs import DISPLAY_CRS
from layers.cells import SEQUENTIAL, class_breaks, colour_for

QUANTUM = 1e-5  # degrees per integer step
HOT_COLOUR = "#b2182b"
COLD_COLOUR = "#2166ac"


def _encode(geoms: np.ndarray) -> tuple[list[float], list[list[list[list[int]]]]]:
    """Polygons → origin and, per cell, polygons → rings → flat integer deltas (lat, lon)."""
    minx, miny = shapely.total_bounds(geoms)[:2]
    ox, oy = round(minx, 3) - 0.001, round(miny, 3) - 0.001
    out: list[list[list[list[int]]]] = []
    for geom in geoms:
        polys = []
        for poly in shapely.get_parts(geom):
            rings = []
            for ring in [poly.exterior, *poly.interiors]:
                xy = np.asarray(ring.coords)[:-1]  # Leaflet closes rings itself
                q = np.rint(np.c_[(xy[:, 1] - oy) / QUANTUM, (xy[:, 0] - ox) / QUANTUM]).astype(
                    np.int64
                )
                rings.append(np.diff(q, axis=0, prepend=[[0, 0]]).ravel().tolist())
            polys.append(rings)
        out.append(polys)
    return [oy, ox], out


def _column(values: pd.Series) -> dict[str, object]:
    """A tooltip column: numbers as they are, strings dictionary-encoded."""
    if pd.api.types.is_numeric_dtype(values):
        v = values.astype(float).round(1)
        return {"n": [None if np.isnan(x) else (int(x) if x == int(x) else x) for x in v]}
    text = values.astype("string").fillna("—").astype(str).map(html_text)  # tooltips are HTML
    uniq, idx = np.unique(text.to_numpy(), return_inverse=True)
    return {"d": uniq.tolist(), "i": idx.tolist()}


class CompactCells(MacroElement):
    """Polygons with per-cell colour classes and tooltips, decoded in the browser."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
          var map = {{ this._parent.get_name() }};
          var d = {{ this.payload }};
          var group = L.featureGroup();
          function val(col, k) { return col.n ? col.n[k] : col.d[col.i[k]]; }
          function fmt(v) { return (typeof v === 'number') ? v.toLocaleString() : v; }
          function tip(k) {
            var s = '';
            for (var t = 0; t < d.tips.length; t++) {
              s += (t ? '<br>' : '<b>') + d.tips[t][0] + '：' + fmt(val(d.tips[t][1], k)) + (t ? '' : '</b>');
            }
            return s;
          }
          for (var k = 0; k < d.cells.length; k++) {
            var polys = [];
            for (var p = 0; p < d.cells[k].length; p++) {
              var rings = [];
              for (var r = 0; r < d.cells[k][p].length; r++) {
                var f = d.cells[k][p][r], y = 0, x = 0, ring = [];
                for (var j = 0; j < f.length; j += 2) {
                  y += f[j]; x += f[j + 1];
                  ring.push([d.o[0] + y * d.q, d.o[1] + x * d.q]);
                }
                rings.push(ring);
              }
              polys.push(rings);
            }
            var st = d.styles[d.cls[k]];
            var layer = L.polygon(polys, st);
            (function(kk) { layer.bindTooltip(function() { return tip(kk); }, {sticky: true}); })(k);
            group.addLayer(layer);
          }
          group.addTo(map);
          {% if this.layer_name %}
          if (map._lianxinLayers === undefined) { map._lianxinLayers = {}; }
          map._lianxinLayers[{{ this.layer_name|tojson }}] = group;
          {% endif %}
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        cells: gpd.GeoDataFrame,
        *,
        classes: Sequence[int],
        styles: Sequence[dict[str, object]],
        tooltip_fields: dict[str, str],
        name: str = "",
    ) -> None:
        super().__init__()
        self._name = "CompactCells"
        data = cells.to_crs(DISPLAY_CRS) if cells.crs is not None else cells
        origin, encoded = _encode(data.geometry.to_numpy())
        payload = {
            "o": origin,
            "q": QUANTUM,
            "cells": encoded,
            "cls": [int(c) for c in classes],
            "styles": list(styles),
            "tips": [[label, _column(data[col])] for col, label in tooltip_fields.items()],
        }
        self.payload = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).replace(
            "</", "<\\/"
        )
        self.layer_name = name


def choropleth_layer(
    cells: gpd.GeoDataFrame,
    *,
    value_field: str,
    tooltip_fields: dict[str, str],
    breaks: list[float] | None = None,
    selected_code: str | None = None,
    name: str = "网格",
    fill_opacity: float = 0.6,
) -> tuple[CompactCells, list[float]]:
    """Cells filled by ``value_field`` (sequential palette, thin outline; selected cell thick).

    A low ``fill_opacity`` lets a heat layer underneath show through.
    """
    values = cells[value_field].to_numpy(dtype=float)
    breaks = breaks or class_breaks(values)
    colours = list(SEQUENTIAL)
    cls = [colours.index(colour_for(float(v), breaks)) for v in values]
    styles: list[dict[str, object]] = [
        {"fillColor": c, "fillOpacity": fill_opacity, "color": "#555", "weight": 0.8}
        for c in colours
    ]
    if selected_code is not None:
        selected = (cells["cell_code"] == selected_code).to_numpy()
        styles += [
            {"fillColor": c, "fillOpacity": fill_opacity, "color": "#000", "weight": 4}
            for c in colours
        ]
        cls = [c + len(colours) if s else c for c, s in zip(cls, selected, strict=True)]
    layer = CompactCells(
        cells, classes=cls, styles=styles, tooltip_fields=tooltip_fields, name=name
    )
    return layer, breaks


def hotspots_layer(
    cells: gpd.GeoDataFrame,
    *,
    tooltip_fields: dict[str, str],
    name: str = "热点",
) -> CompactCells | None:
    """Significant Gi* cells on top: hot = solid dark red outline, cold = dashed blue.

    ``cells`` needs a ``hotspot`` column (``hot`` / ``cold`` / ``none``); only hot and cold
    cells are drawn. Outline *and* dash pattern differ, so colour is not the only carrier.
    """
    part = cells[cells["hotspot"].isin(["hot", "cold"])]
    if part.empty:
        return None
    styles: list[dict[str, object]] = [
        {"color": HOT_COLOUR, "weight": 3.5, "fillColor": HOT_COLOUR, "fillOpacity": 0.15},
        {
            "color": COLD_COLOUR,
            "weight": 3,
            "dashArray": "6 4",
            "fillColor": COLD_COLOUR,
            "fillOpacity": 0.1,
        },
    ]
    cls = [0 if h == "hot" else 1 for h in part["hotspot"]]
    return CompactCells(part, classes=cls, styles=styles, tooltip_fields=tooltip_fields, name=name)


def page_bytes(*layers: MacroElement) -> int:
    """Bytes of a page holding only ``layers`` (for the benchmark's size comparisons)."""
    m = folium.Map(tiles=None)
    for layer in layers:
        layer.add_to(m)
    return len(m.get_root().render().encode("utf-8"))


def dashboard_map(
    cells: gpd.GeoDataFrame,
    *,
    value_field: str,
    value_label: str,
    tooltip_fields: dict[str, str],
    heat: MacroElement | None = None,
    communities: gpd.GeoDataFrame | None = None,
    streets: gpd.GeoDataFrame | dict[str, str] | None = None,
    selected_code: str | None = None,
    legend_lines: Sequence[tuple[str, str, str]] = (),
    fill_opacity: float = 0.6,
) -> folium.Map:
    """The leader dashboard's map: base, cells by ``value_field``, hotspots, heat, outlines.

    ``cells`` carries ``hotspot`` (from services.stats.hotspots) and the tooltip columns; ``heat`` is
    a layer from layers.heatmap. The selected cell is drawn thick and the map zooms to it.
    """
    from layers.base import (
        add_legend,
        base_map,
        communities_layer,
        streets_layer,
        streets_layer_geojson,
    )
    from layers.cells import legend_entries

    m = base_map(cells)
    if isinstance(streets, dict):  # GeoJSON text per kind, shared (services.shared_cache)
        streets_layer_geojson(streets).add_to(m)
    elif streets is not None and len(streets):
        streets_layer(streets).add_to(m)
    layer, breaks = choropleth_layer(
        cells,
        value_field=value_field,
        tooltip_fields=tooltip_fields,
        selected_code=selected_code,
        name="cells",
        fill_opacity=fill_opacity,
    )
    layer.add_to(m)
    if "hotspot" in cells.columns:
        hot = hotspots_layer(cells, tooltip_fields=tooltip_fields, name="hotspots")
        if hot is not None:
            hot.add_to(m)
    if heat is not None:
        heat.add_to(m)
    if communities is not None and len(communities):
        communities_layer(communities).add_to(m)
    if selected_code is not None and (cells["cell_code"] == selected_code).any():
        minx, miny, maxx, maxy = cells[cells["cell_code"] == selected_code].total_bounds
        pad = max(maxx - minx, maxy - miny) * 2
        m.fit_bounds([[miny - pad, minx - pad], [maxy + pad, maxx + pad]])
    add_legend(m, value_label, legend_entries(breaks), lines=list(legend_lines))
    return m
