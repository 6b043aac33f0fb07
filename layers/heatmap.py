"""Heatmap of cases from PostGIS heat bins: a still layer and a week/month animation.

The input is never one row per case: it is bin centres with counts (db/stats/cells.py), so
what reaches the browser grows with the screen, not with the number of cases. Weights are
scaled to [0, 1] against the 98th percentile (leaflet-heat saturates at ``max = 1``), so one
extreme bin does not wash out the rest.

The animation reuses leaflet-heat (already served from static/vendor) with a small play /
pause / slider control written here, rather than folium's HeatMapWithTime, which needs four
more CDN scripts (heatmap.js, leaflet-heatmap, leaflet-timedimension, iso8601).
"""

from __future__ import annotations

import json

import folium
import folium.plugins
import numpy as np
import pandas as pd
from branca.element import MacroElement, Template
from folium.elements import JSCSSMixin

from layers.offline import STATIC_PREFIX, use_local_assets

# Light yellow → dark red, readable on the app's own pale base map.
GRADIENT = {0.2: "#ffffb2", 0.4: "#fecc5c", 0.6: "#fd8d3c", 0.8: "#f03b20", 1.0: "#bd0026"}


def _weights(n: np.ndarray) -> np.ndarray:
    n = np.asarray(n, dtype=float)
    if n.size == 0:
        return n
    top = max(float(np.percentile(n, 98)), 1.0)
    return np.round(np.clip(n / top, 0.05, 1.0), 3)


def heat_layer(
    bins: pd.DataFrame, *, name: str = "事件热力", radius: int = 18, blur: int = 15
) -> folium.plugins.HeatMap:
    """leaflet-heat from bin centres ``lon, lat, n`` (EPSG:4326), assets served locally."""
    use_local_assets()
    data = (
        np.column_stack(
            [
                np.round(bins["lat"].to_numpy(dtype=float), 5),
                np.round(bins["lon"].to_numpy(dtype=float), 5),
                _weights(bins["n"].to_numpy()),
            ]
        )
        if len(bins)
        else np.empty((0, 3))
    )
    return folium.plugins.HeatMap(
        data.tolist(),
        name=name,
        radius=radius,
        blur=blur,
        min_opacity=0.25,
        max=1.0,
        gradient=GRADIENT,
    )


class HeatAnimation(JSCSSMixin, MacroElement):
    """A heat layer whose points change per frame, with ▶/⏸ and a slider in the map corner."""

    default_js = [("leaflet-heat.js", f"{STATIC_PREFIX}/leaflet-heat/leaflet-heat.js")]

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
          .lianxin-anim{background:rgba(255,255,255,.93);padding:6px 10px;border:1px solid #999;
            border-radius:4px;font-size:15px;line-height:1.5;min-width:250px}
          .lianxin-anim button{font-size:16px;min-width:44px;min-height:32px;margin-right:6px}
          .lianxin-anim input{width:150px;vertical-align:middle}
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function() {
          var map = {{ this._parent.get_name() }};
          var d = {{ this.payload }};
          var layer = L.heatLayer([], {radius: {{ this.radius }}, blur: {{ this.blur }},
              max: 1.0, minOpacity: 0.25, gradient: {{ this.gradient }}});
          var ctl = L.control({position: 'topright'});
          var i = 0, timer = null, box, label, slider, btn;
          function show(k) {
            i = k;
            var f = d.frames[k], pts = [];
            for (var j = 0; j < f.length; j += 2) {
              pts.push([d.bins[2 * f[j]], d.bins[2 * f[j] + 1], f[j + 1] / 100]);
            }
            layer.setLatLngs(pts);
            label.textContent = d.labels[k] + '　' + d.totals[k].toLocaleString() + ' 件';
            slider.value = k;
          }
          ctl.onAdd = function() {
            box = L.DomUtil.create('div', 'lianxin-anim');
            box.innerHTML = '<div style="font-weight:bold">' + d.title + '</div>';
            btn = L.DomUtil.create('button', '', box); btn.textContent = '▶ 播放';
            btn.setAttribute('aria-label', '播放或暂停');
            slider = L.DomUtil.create('input', '', box);
            slider.type = 'range'; slider.min = 0; slider.max = d.labels.length - 1;
            label = L.DomUtil.create('div', 'lianxin-anim-label', box);
            L.DomEvent.disableClickPropagation(box);
            L.DomEvent.disableScrollPropagation(box);
            slider.oninput = function() { show(parseInt(slider.value, 10)); };
            btn.onclick = function() {
              if (timer) { clearInterval(timer); timer = null; btn.textContent = '▶ 播放'; return; }
              btn.textContent = '⏸ 暂停';
              timer = setInterval(function() { show((i + 1) % d.labels.length); },
                                  {{ this.interval_ms }});
            };
            return box;
          };
          if (d.labels.length) {
            ctl.addTo(map); layer.addTo(map); show(d.labels.length - 1);
          }
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        frames: pd.DataFrame,
        *,
        title: str,
        labels: list[str] | None = None,
        radius: int = 20,
        blur: int = 16,
        interval_ms: int = 900,
        decimals: int = 4,
    ) -> None:
        super().__init__()
        self._name = "HeatAnimation"
        keys = sorted(frames["frame"].unique()) if len(frames) else []
        # Every bin's centre once; each frame lists (bin index, weight 1–100) pairs.
        centres = (
            frames[["lat", "lon"]].round(decimals).drop_duplicates().reset_index(drop=True)
            if len(frames)
            else pd.DataFrame({"lat": [], "lon": []})
        )
        index = {
            (la, lo): k
            for k, (la, lo) in enumerate(zip(centres["lat"], centres["lon"], strict=True))
        }
        top = max(float(np.percentile(frames["n"], 98)), 1.0) if len(frames) else 1.0
        out_frames: list[list[int]] = []
        totals: list[int] = []
        for key in keys:
            part = frames[frames["frame"] == key]
            w = np.clip(np.rint(part["n"].to_numpy(dtype=float) * 100 / top), 5, 100).astype(int)
            ids = [
                index[(la, lo)]
                for la, lo in zip(
                    part["lat"].round(decimals), part["lon"].round(decimals), strict=True
                )
            ]
            out_frames.append(np.column_stack([ids, w]).ravel().tolist())
            totals.append(int(part["n"].sum()))
        bins = [v for pair in zip(centres["lat"], centres["lon"], strict=True) for v in pair]
        names = labels or [str(k) for k in keys]
        payload = {
            "title": title,
            "labels": names,
            "bins": bins,
            "frames": out_frames,
            "totals": totals,
        }
        # Raw UTF-8 (not \\u escapes) keeps the Chinese labels small; "</" cannot end the script.
        self.payload = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).replace(
            "</", "<\\/"
        )
        self.radius, self.blur, self.interval_ms = radius, blur, interval_ms
        self.gradient = json.dumps({str(k): v for k, v in GRADIENT.items()})


def heat_animation_layer(
    frames: pd.DataFrame, *, step: str, title: str = "事件热力动画"
) -> HeatAnimation:
    """The animation from ``frame, lon, lat, n`` rows; frames labelled 2026年11月 / 11月30日起."""
    use_local_assets()
    # Bin centres need only a tenth of the bin spacing: fewer digits, smaller page.
    decimals = 4
    if len(frames) > 1:
        lons = np.unique(frames["lon"].to_numpy(float))
        spacing = float(np.min(np.diff(lons))) if len(lons) > 1 else 0.0
        if spacing > 0:
            decimals = int(min(6, max(2, np.ceil(-np.log10(spacing / 10)))))
    labels = []
    for key in sorted(frames["frame"].unique()) if len(frames) else []:
        day = pd.Timestamp(key)
        labels.append(
            f"{day.year}年{day.month}月" if step == "month" else f"{day.month}月{day.day}日当周"
        )
    return HeatAnimation(frames, title=title, labels=labels, decimals=decimals)
