"""Make every folium map load its JavaScript and CSS from the app itself.

folium points Leaflet and its plugins at public CDNs; on a government intranet those never load
and the map is blank. ``use_local_assets()`` rewrites the class-level asset lists of every
folium element the project uses to files under ``/app/static/vendor`` (installed from the npm
registry at set-up, see package.json and scripts/vendor_assets.py). Assets the project does not
need (Bootstrap, jQuery, Font Awesome) are dropped rather than fetched.

streamlit-folium collects the same ``default_js``/``default_css`` lists, so this covers both the
component and a map saved as HTML. ``remote_urls(html)`` lists what would still go to the
internet — the tests assert it is empty.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import folium
import folium.plugins
from folium.elements import JSCSSMixin

STATIC_PREFIX = "/app/static/vendor"


def _asset_version() -> str:
    """A version for the asset URLs: the npm lock file pins every asset, so its hash changes
    exactly when an asset may change. The proxy serves these URLs with a one-year cache
    lifetime (cli/serving.py); the version makes a browser fetch an upgraded file."""
    lock = Path(__file__).resolve().parents[1] / "package-lock.json"
    try:
        return hashlib.sha256(lock.read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


_V = f"?v={_asset_version()}"

_MAP_JS = [("leaflet", f"{STATIC_PREFIX}/leaflet/leaflet.js{_V}")]
_MAP_CSS = [("leaflet_css", f"{STATIC_PREFIX}/leaflet/leaflet.css{_V}")]
_PLUGINS: dict[type[JSCSSMixin], tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {
    folium.plugins.HeatMap: (
        [("leaflet-heat.js", f"{STATIC_PREFIX}/leaflet-heat/leaflet-heat.js{_V}")],
        [],
    ),
    folium.plugins.Draw: (
        [("leaflet_draw_js", f"{STATIC_PREFIX}/leaflet-draw/leaflet.draw.js{_V}")],
        [("leaflet_draw_css", f"{STATIC_PREFIX}/leaflet-draw/leaflet.draw.css{_V}")],
    ),
}

_applied = False


def use_local_assets() -> None:
    """Point folium at the app's own copies of Leaflet and its plugins (idempotent)."""
    global _applied
    if _applied:
        return
    folium.Map.default_js = list(_MAP_JS)
    folium.Map.default_css = list(_MAP_CSS)
    for cls, (js, css) in _PLUGINS.items():
        cls.default_js = list(js)
        cls.default_css = list(css)
    _applied = True


_URL = re.compile(r"""(?:src|href)\s*=\s*["'](https?:)?//[^"']+["']""", re.IGNORECASE)


def remote_urls(html: str) -> list[str]:
    """Script/stylesheet URLs in ``html`` that point off this server."""
    return [m.group(0) for m in _URL.finditer(html)]


def asset_urls(m: folium.Map) -> list[str]:
    """Every JS/CSS URL the map and its children ask for (what streamlit-folium loads)."""
    urls: list[str] = []

    def walk(element: object) -> None:
        for _, url in getattr(element, "default_js", []) or []:
            urls.append(url)
        for _, url in getattr(element, "default_css", []) or []:
            urls.append(url)
        for child in getattr(element, "_children", {}).values():
            walk(child)

    walk(m)
    return list(dict.fromkeys(urls))
