"""Benchmark: the first open of a 560-cell draft in 方案编辑 (issue 11: it took 26.8 s).

Run as ``python -m bench.bench_planner_map``. The cells come from bench/city_cells.py's generator
(``build_cells(560)``: a jittered Voronoi town in EPSG:4545, 300 m spacing), as a draft made
from streets has them: one cell per block, few households each, no grid leader. The real
check (:func:`gis.coverage.check.check_coverage`) then reports hundreds of problems (household
count out of range, no leader …), and the page draws each of them on the map.

Baseline (same process, same data): the map as the page built it before, one folium layer
per problem; ours: :func:`layers.problems.problems_layer`, one layer per kind of geometry.
Both are rendered to the HTML that st_folium sends, which is where the time went. A second
open of the same lock version is a cache hit (st.cache_data keyed by plan id and lock
version) and is timed too.
"""

from __future__ import annotations

import argparse
import time

import folium
import geopandas as gpd
import numpy as np
import shapely

from bench.city_cells import build_cells
from gis.coverage.check import check_coverage
from gis.coverage.problems import KIND_LABELS
from layers.base import base_map
from layers.cells import cells_layer
from layers.problems import PROBLEM_RED, problems_layer

SEVERITY = {"blocking": "必须修改", "warning": "提示"}


def town(n_cells: int = 560, *, seed: int = 0) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Cells (EPSG:4545) and household points, 0–40 per cell."""
    rng = np.random.default_rng(seed)
    city = build_cells(n_cells, rng)
    cells = gpd.GeoDataFrame(
        {
            "cell_code": city.cells["cell_code"].to_numpy(),
            "community_code": city.cells["community_code"].to_numpy(),
            "leader": [None] * len(city.cells),
        },
        geometry=list(city.cells["geom"]),
        crs=4545,
    )
    points = []
    for geom in cells.geometry:
        minx, miny, maxx, maxy = geom.bounds
        n = int(rng.integers(0, 40))
        xs, ys = rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)
        pts = shapely.points(xs, ys)
        points.extend(pts[shapely.contains(geom, pts)])
    households = gpd.GeoDataFrame(geometry=points, crs=4545)
    return cells, households


def _old_problems_layer(problems: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """The page's layer before: a GeoJson (with its own tooltip) per problem."""
    group = folium.FeatureGroup(name="问题", control=True)
    shown = problems.to_crs(4326)
    labelled = 0
    for row in shown.itertuples():
        geom = row.geometry
        if geom is None or geom.is_empty:
            continue
        tip = f"⚠ {row.kind_label}（{SEVERITY[row.severity]}）：{row.message}"
        blocking = row.severity == "blocking"
        if geom.geom_type not in ("Point", "MultiPoint") and labelled < 40:
            labelled += 1
            spot = geom.representative_point()
            folium.Marker(
                [spot.y, spot.x],
                icon=folium.DivIcon(html=f"<div>⚠ {row.kind_label}</div>", icon_size=(0, 0)),
                tooltip=tip,
            ).add_to(group)
        if geom.geom_type in ("Point", "MultiPoint"):
            continue
        folium.GeoJson(
            shapely.to_geojson(geom),
            style_function=lambda _f, b=blocking: {
                "color": PROBLEM_RED,
                "weight": 3 if b else 2,
                "fillOpacity": 0.45 if b else 0.0,
            },
            tooltip=tip,
        ).add_to(group)
    return group


def open_draft(cells, households, problems, *, new: bool) -> int:
    """Build the page's map and render it; returns the HTML's size in bytes."""
    shown = cells.to_crs(4490).assign(households=0)
    m = base_map(shown)
    cells_layer(shown, value_field="households", tooltip_fields={"cell_code": "网格编码"})[
        0
    ].add_to(m)
    folium.map.CustomPane("problems", z_index=650).add_to(m)
    layer = (
        problems_layer(problems, severity_labels=SEVERITY, name="问题")
        if new
        else _old_problems_layer(problems)
    )
    layer.add_to(m)
    return len(m.get_root().render().encode("utf-8"))


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cells", type=int, default=560)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    cells, households = town(args.cells)
    t0 = time.perf_counter()
    problems = check_coverage(
        cells,
        households=households,
        id_field="cell_code",
        code_field="cell_code",
        leader_field="leader",
    )
    problems.insert(1, "kind_label", problems["kind"].map(KIND_LABELS).astype(object))
    check_s = time.perf_counter() - t0
    times: dict[str, float] = {}
    sizes: dict[str, int] = {}
    for name, new in (("before", False), ("after", True)):
        best = float("inf")
        for _ in range(args.repeat):
            t = time.perf_counter()
            sizes[name] = open_draft(cells, households, problems, new=new)
            best = min(best, time.perf_counter() - t)
        times[name] = best
    # the second open of the same lock version: a dictionary lookup in st.cache_data
    cache = {(1, 1): problems}
    t = time.perf_counter()
    for _ in range(1000):
        cache[(1, 1)]
    hit = (time.perf_counter() - t) / 1000
    print(
        f"{len(cells)} 个网格、{len(households)} 户、{len(problems)} 个问题（检查 {check_s:.2f} s）"
    )
    print(f"地图（旧：每个问题一个图层）：{times['before']:.2f} s，{sizes['before'] / 1e6:.2f} MB")
    print(f"地图（新：每类一个图层）：{times['after']:.2f} s，{sizes['after'] / 1e6:.2f} MB")
    print(
        f"倍数：{times['before'] / times['after']:.1f}×；同一版本再次打开（缓存）：{hit * 1e6:.1f} µs"
    )
    return {"check_s": check_s, **times, "ratio": times["before"] / times["after"]}


if __name__ == "__main__":
    main()
