"""Benchmark: :func:`gis.blocks.blocks_from_streets` on 30,000 street segments.

Run as ``python -m bench.bench_blocks``. The streets are a jittered 100×100-node street grid
(≈100 m blocks, EPSG:4545 near x=500000, y=3617000) whose edges are cut at random points into
30,000 segments, with 1 % of segments duplicated and 1 % of lane ends pulled 1.5 m short. The
reference is the bare GEOS pipeline ``polygonize(unary_union(segments))`` on the same input.
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import shapely

from gis.blocks import blocks_from_streets

X0, Y0 = 500_000.0, 3_617_000.0


def synth_streets(
    n_side: int = 100, *, n_segments: int = 30_000, seed: int = 0
) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    xs, ys = np.meshgrid(np.arange(n_side) * 100.0, np.arange(n_side) * 100.0)
    nodes = np.stack([xs, ys], axis=-1) + rng.uniform(-20, 20, (n_side, n_side, 2)) + [X0, Y0]
    a = np.concatenate([nodes[:, :-1].reshape(-1, 2), nodes[:-1, :].reshape(-1, 2)])
    b = np.concatenate([nodes[:, 1:].reshape(-1, 2), nodes[1:, :].reshape(-1, 2)])
    n_edges = len(a)
    # Cut edges at random points until there are n_segments pieces.
    extra = max(0, n_segments - n_edges)
    cut = rng.choice(n_edges, size=min(extra, n_edges), replace=False)
    t = rng.uniform(0.2, 0.8, len(cut))[:, None]
    mid = a[cut] + (b[cut] - a[cut]) * t
    starts = np.concatenate([a, mid])
    ends = np.concatenate([b, b[cut]])
    ends[cut] = mid
    # Pull 1 % of segment ends 1.5 m short of their node (a lane drawn a little short).
    short = rng.choice(len(starts), size=len(starts) // 100, replace=False)
    d = ends[short] - starts[short]
    ends[short] -= d / np.hypot(d[:, 0], d[:, 1])[:, None] * 1.5
    coords = np.stack([starts, ends], axis=1).reshape(-1, 2)
    lines = shapely.linestrings(coords, indices=np.repeat(np.arange(len(starts)), 2))
    dup = rng.choice(len(lines), size=len(lines) // 100, replace=False)
    lines = np.concatenate([lines, lines[dup]])
    return gpd.GeoDataFrame(geometry=lines, crs="EPSG:4545")


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--segments", type=int, default=30_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    streets = synth_streets(n_segments=args.segments)
    geoms = np.asarray(streets.geometry.array)
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    boundary = shapely.box(x0 + 50, y0 + 50, x1 - 50, y1 - 50)

    times: dict[str, list[float]] = {"base": [], "ours": [], "ours_boundary": []}
    result = None
    for _ in range(args.repeat):
        t = time.perf_counter()
        base_faces = shapely.get_parts(
            shapely.polygonize(shapely.get_parts(shapely.unary_union(geoms)))
        )
        times["base"].append(time.perf_counter() - t)
        t = time.perf_counter()
        result = blocks_from_streets(streets, snap_m=2.0)
        times["ours"].append(time.perf_counter() - t)
        t = time.perf_counter()
        bounded = blocks_from_streets(streets, boundary=boundary, snap_m=2.0)
        times["ours_boundary"].append(time.perf_counter() - t)
    best = {k: min(v) for k, v in times.items()}
    assert result is not None
    valid = bool(shapely.coverage_is_valid(np.asarray(result.blocks.geometry.array)))
    cover = shapely.coverage_union_all(np.asarray(bounded.blocks.geometry.array))
    print(f"segments: {len(streets)} (incl. duplicates)")
    print(
        f"polygonize(unary_union) alone: {len(base_faces)} faces, best {best['base'] * 1000:.0f} ms"
    )
    print(
        f"blocks_from_streets: {len(result.blocks)} blocks, "
        f"{(result.dangles['kind'] == 'dangle').sum()} dangles, valid coverage: {valid}, "
        f"best {best['ours'] * 1000:.0f} ms (ratio {best['ours'] / best['base']:.2f})"
    )
    print(
        f"blocks_from_streets with boundary: {len(bounded.blocks)} blocks, union/boundary area "
        f"- 1 = {cover.area / boundary.area - 1:.1e}, best {best['ours_boundary'] * 1000:.0f} ms"
    )
    return {**best, "blocks": float(len(result.blocks)), "base_faces": float(len(base_faces))}


if __name__ == "__main__":
    main()
