"""Grid cells coloured by a number (households, open cases …) with Chinese tooltips."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
from pandas.api.types import is_numeric_dtype

from core.plaintext import html_text
from gis.crs import DISPLAY_CRS

# A sequential palette (ColorBrewer YlOrRd, 5 classes): light = few, dark = many.
SEQUENTIAL = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")


def class_breaks(values: np.ndarray, *, n_classes: int = 5) -> list[float]:
    """Quantile class breaks (upper bounds) for a choropleth; unique and increasing.

    Counts (all values whole numbers) get whole-number breaks, so that every class can be
    written with whole numbers that do not overlap (see :func:`legend_entries`).
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return [0.0]
    qs = np.quantile(values, np.linspace(0, 1, n_classes + 1)[1:])
    if np.all(np.isfinite(values)) and np.all(values == np.round(values)):
        qs = np.ceil(qs)
    return sorted(set(float(q) for q in qs))


def colour_for(value: float, breaks: list[float]) -> str:
    """Colour of the class ``value`` falls in, spread over the palette when classes are few."""
    last = max(len(breaks) - 1, 1)
    for i, upper in enumerate(breaks):
        if value <= upper:
            return SEQUENTIAL[round(i * (len(SEQUENTIAL) - 1) / last)]
    return SEQUENTIAL[-1]


def legend_entries(breaks: list[float], *, unit: str = "") -> list[tuple[str, str]]:
    """One (colour, label) per class. Classes never overlap and a class of one value is
    written once: ``≤ 2户``, ``3户``, ``4–9户`` for whole-number breaks 2, 3, 9; breaks with
    decimals are written ``> 0.5–1.2``, the lower bound excluded.
    """
    whole = all(float(b).is_integer() for b in breaks)
    entries = []
    lower: float | None = None
    for upper in breaks:
        colour = colour_for(upper, breaks)
        if lower is None:
            label = f"≤ {upper:,.0f}{unit}" if whole else f"≤ {upper:,.1f}{unit}"
        elif whole:
            first = lower + 1
            label = f"{upper:,.0f}{unit}" if first >= upper else f"{first:,.0f}–{upper:,.0f}{unit}"
        else:
            label = f"> {lower:,.1f}–{upper:,.1f}{unit}"
        entries.append((colour, label))
        lower = upper
    return entries


def cells_layer(
    cells: gpd.GeoDataFrame,
    *,
    value_field: str,
    tooltip_fields: dict[str, str],
    breaks: list[float] | None = None,
    selected_code: str | None = None,
    name: str = "网格",
) -> tuple[folium.FeatureGroup, list[float]]:
    """Cells filled by ``value_field``; thin outlines, the selected cell thick.

    ``tooltip_fields`` maps column → Chinese alias, in display order.
    """
    data = cells.to_crs(DISPLAY_CRS)
    breaks = breaks or class_breaks(data[value_field].to_numpy())
    data = data.assign(_fill=[colour_for(float(v), breaks) for v in data[value_field]])
    cols = list(tooltip_fields) + ["_fill", "cell_code", "geometry"]
    data = data[list(dict.fromkeys(cols))]
    text_cols = [c for c in tooltip_fields if c in data and not is_numeric_dtype(data[c])]
    # tooltips are HTML: a leader's or cell's typed name is shown as text
    data = data.assign(
        **{c: data[c].map(lambda v: html_text(v) if isinstance(v, str) else v) for c in text_cols}
    )
    group = folium.FeatureGroup(name=name, control=True)
    folium.GeoJson(
        data,
        name=name,
        style_function=lambda f: {
            "fillColor": f["properties"]["_fill"],
            "fillOpacity": 0.55,
            "color": "#444" if f["properties"]["cell_code"] != selected_code else "#000",
            "weight": 1 if f["properties"]["cell_code"] != selected_code else 4,
        },
        highlight_function=lambda _f: {"weight": 3, "color": "#000"},
        tooltip=folium.GeoJsonTooltip(
            fields=list(tooltip_fields), aliases=list(tooltip_fields.values()), localize=True
        ),
    ).add_to(group)
    return group, breaks
