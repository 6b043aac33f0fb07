"""Benchmark: full :func:`gis.coverage.check.check_coverage` on 10,000 cells vs GEOS's validator alone.

Run as ``python -m bench.bench_coverage``. The cells are a 100×100 jittered Voronoi coverage in
EPSG:4545 (100 m spacing near x=500000, y=3617000) with a few planted problems: a 0.5 m gap, an
overlap, a sliver, a bow-tie, a split cell and a duplicate code. The baseline is
``shapely.coverage_invalid_edges(cells, gap_width=1)`` on the same cells in the same run.
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import shapely

from gis.coverage.check import check_coverage

X0, Y0 = 500_000.0, 3_617_000.0


def synth_cells(n_side: int = 100, *, spacing_m: float = 100.0, seed: int = 0) -> gpd.GeoDataFrame:
    """A jittered Voronoi coverage of ``n_side²`` cells with planted problems."""
    rng = np.random.default_rng(seed)
    xs, ys = np.meshgrid(np.arange(n_side), np.arange(n_side))
    jitter = rng.uniform(-0.3, 0.3, (n_side * n_side, 2)) * spacing_m
    pts = np.c_[xs.ravel(), ys.ravel()] * spacing_m + jitter + [X0, Y0]
    env = shapely.box(
        X0 - spacing_m / 2,
        Y0 - spacing_m / 2,
        X0 + (n_side - 0.5) * spacing_m,
        Y0 + (n_side - 0.5) * spacing_m,
    )
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=env, ordered=True)
    )
    cells = shapely.intersection(cells, env)
    n = len(cells)
    ids = [f"C{i:05d}" for i in range(n)]
    codes = [f"610902001001{i:05d}" for i in range(n)]
    mid = n // 2 + n_side // 2
    cells[mid] = shapely.buffer(cells[mid], -0.25, join_style="mitre")  # 0.5 m ring gap
    cells[mid + 10] = shapely.buffer(cells[mid + 10], 2.0, join_style="mitre")  # overlap
    c = shapely.centroid(cells[mid + 20])
    cells[mid + 20] = shapely.Polygon(  # bow-tie
        [(c.x - 20, c.y - 20), (c.x + 20, c.y + 20), (c.x + 20, c.y - 20), (c.x - 20, c.y + 20)]
    )
    cells[mid + 30] = shapely.union(  # split cell
        cells[mid + 30], shapely.buffer(shapely.centroid(cells[mid + 40]), 5)
    )
    codes[mid + 50] = codes[mid + 51]  # duplicate code
    return gpd.GeoDataFrame(
        {"cell_id": ids, "cell_code": codes, "leader": ["张三"] * n},
        geometry=cells,
        crs="EPSG:4545",
    )


def best_of(fns: dict[str, object], repeat: int) -> dict[str, float]:
    """Best time of each function, runs interleaved so machine load hits all alike."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()  # type: ignore[operator]
            times[name].append(time.perf_counter() - t)
    return {k: min(v) for k, v in times.items()}


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--side", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)
    cells = synth_cells(args.side)
    geoms = np.asarray(cells.geometry.array)
    boundary = shapely.box(*shapely.total_bounds(geoms))
    pts = np.random.default_rng(1).uniform(0, 1, (100_000, 2))
    lo, hi = shapely.total_bounds(geoms).reshape(2, 2)
    households = gpd.GeoDataFrame(geometry=shapely.points(lo + pts * (hi - lo)), crs=cells.crs)

    def ours_fn() -> gpd.GeoDataFrame:
        return check_coverage(
            cells,
            boundary=boundary,
            code_field="cell_code",
            leader_field="leader",
            gap_width_m=1.0,
        )

    def ours_hh_fn() -> gpd.GeoDataFrame:
        return check_coverage(
            cells,
            boundary=boundary,
            households=households,
            code_field="cell_code",
            leader_field="leader",
            gap_width_m=1.0,
            min_households=0,
            max_households=10**6,
        )

    problems = ours_fn()
    t = best_of(
        {
            "base": lambda: shapely.coverage_invalid_edges(geoms, gap_width=1.0),
            "ours": ours_fn,
            "ours_hh": ours_hh_fn,
        },
        args.repeat,
    )
    base, ours, ours_hh = t["base"], t["ours"], t["ours_hh"]
    result = {
        "cells": float(len(cells)),
        "baseline_s": base,
        "ours_s": ours,
        "ratio": ours / base,
        "ours_with_100k_households_s": ours_hh,
    }
    print(f"cells: {len(cells)}  problems found: {problems['kind'].value_counts().to_dict()}")
    print(f"shapely.coverage_invalid_edges (best of {args.repeat}): {base * 1000:.1f} ms")
    print(f"check_coverage full           (best of {args.repeat}): {ours * 1000:.1f} ms")
    print(f"ratio ours / baseline: {ours / base:.2f}")
    print(f"check_coverage + 100,000 household points: {ours_hh * 1000:.1f} ms")
    return result


if __name__ == "__main__":
    main()
