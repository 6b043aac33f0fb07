"""Benchmark: 动态调整 (:func:`gis.rebalance.rebalance`) against re-proposing and two baselines.

Run as ``python -m bench.bench_rebalance [--scale-blocks 10000]``.

1. **The demo town, grown unevenly** (data/demo: 132 blocks, 40 cells, 15,010 households):
   +60 % households in three blocks, a new 1,800-household compound of 12 buildings (door
   plates with building numbers) in one block, a cleared courtyard (a block emptied), and
   special-group households concentrated in two old blocks. The same input goes to

   - ``rebalance`` (this project),
   - re-proposing from scratch (``propose --building-field``: split compounds, then
     :func:`gis.cells.proposal.propose_cells`),
   - PySAL spopt's ``MaxPHeuristic`` per community, floor 300 households (blocks whole),
   - a k-means region baseline per community (scikit-learn ``KMeans`` on block centroids
     weighted by households, k = total / 400).

   Households moved count households whose cell code changes, codes matched to the old ones
   by :func:`gis.rebalance.codes.assign_codes` (a new region keeps an old code only when it holds
   most of that cell's households), the same rule for every method.
2. **A synthetic city of ``--scale-blocks`` blocks** (100 m squares; 2×2 blocks a cell,
   10×10 a community; ~100 households a block, 6 % of blocks grown by 60–150 %, 2 % emptied),
   ~1 M households as one weighted point per block: the time of one rebalance on one core.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from pathlib import Path
from typing import TypedDict, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.cells.proposal import propose_cells
from gis.compounds import split_oversized_blocks
from gis.rebalance import rebalance
from gis.rebalance.codes import assign_codes, households_moved

ROOT = Path(__file__).resolve().parents[1]
METRIC = "EPSG:4545"
LO, HI = 300, 500


# ---------------------------------------------------------------------------------------------
# The demo town, grown


def _inside(poly: shapely.Geometry, centre: np.ndarray, n: int, spread: float, rng) -> np.ndarray:
    out: list[np.ndarray] = []
    while sum(len(o) for o in out) < n:
        cand = centre + rng.normal(0, spread, (n * 2, 2))
        ok = shapely.contains_xy(poly, cand[:, 0], cand[:, 1])
        out.append(cand[ok])
    return np.concatenate(out)[:n]


def grown_demo(seed: int = 0) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, dict[str, str]]:
    rng = np.random.default_rng(seed)
    blocks = gpd.read_file(ROOT / "data/demo/blocks.geojson").to_crs(METRIC)
    truth = pd.read_csv(ROOT / "data/demo/households_truth.csv").dropna(
        subset=["true_lon", "true_lat"]
    )
    pts = gpd.GeoSeries(
        shapely.points(truth["true_lon"], truth["true_lat"]), crs="EPSG:4490"
    ).to_crs(METRIC)
    xy = shapely.get_coordinates(np.asarray(pts.array))
    geoms = np.asarray(blocks.geometry.array)
    owner = np.full(len(xy), -1)
    p, b = shapely.STRtree(geoms).query(shapely.points(xy), predicate="intersects")
    owner[p] = b
    xy, owner = xy[owner >= 0], owner[owner >= 0]
    counts = np.bincount(owner, minlength=len(blocks))
    order = np.argsort(-counts)
    story: dict[str, str] = {}
    # A cleared courtyard: the 5th most crowded block is emptied.
    cleared = int(order[4])
    keep = owner != cleared
    xy, owner = xy[keep], owner[keep]
    story["cleared"] = f"{blocks.block_id[cleared]}（{counts[cleared]} 户迁出）"
    # +60 % in three blocks.
    grown = [int(i) for i in rng.choice(order[10:60], 3, replace=False)]
    extra = []
    for i in grown:
        mine = xy[owner == i]
        add = mine[rng.choice(len(mine), int(0.6 * len(mine)))] + rng.normal(
            0, 2, (int(0.6 * len(mine)), 2)
        )
        ok = shapely.contains_xy(geoms[i], add[:, 0], add[:, 1])
        extra.append((add[ok], np.full(int(ok.sum()), i)))
    story["grown"] = "、".join(str(blocks.block_id[i]) for i in grown) + "（各 +60 %）"
    xy = np.concatenate([xy] + [e[0] for e in extra])
    owner = np.concatenate([owner] + [e[1] for e in extra])
    building = np.full(len(xy), None, dtype=object)
    # A new 1,800-household compound of 12 buildings in the largest block.
    site = int(np.argmax(shapely.area(geoms)))
    c = shapely.get_coordinates(shapely.centroid(geoms[site]))[0]
    x0, y0, x1, y1 = geoms[site].bounds
    new_xy, new_b = [], []
    for k in range(12):
        centre = np.array(
            [c[0] + (k % 4 - 1.5) * (x1 - x0) / 6, c[1] + (k // 4 - 1) * (y1 - y0) / 5]
        )
        if not shapely.contains_xy(geoms[site], *centre):
            centre = c + rng.normal(0, 10, 2)
        new_xy.append(_inside(geoms[site], centre, 150, 4.0, rng))
        new_b += [f"新城花园{k + 1}栋"] * 150
    xy = np.concatenate([xy, *new_xy])
    owner = np.concatenate([owner, np.full(1_800, site)])
    building = np.concatenate([building, np.array(new_b, dtype=object)])
    story["compound"] = f"{blocks.block_id[site]}（新建小区 1,800 户、12 栋）"
    story["site"] = str(blocks.block_id[site])
    # Special groups: 8 % everywhere, 45 % in two old blocks.
    weight = (rng.random(len(xy)) < 0.08).astype(float)
    old = [int(i) for i in order[6:8]]
    for i in old:
        sel = owner == i
        weight[sel] = (rng.random(int(sel.sum())) < 0.45).astype(float)
    story["special"] = "、".join(str(blocks.block_id[i]) for i in old) + "（重点人群 45 %）"
    hh = gpd.GeoDataFrame(
        {"building": building, "weight": weight}, geometry=shapely.points(xy), crs=METRIC
    )
    return blocks, hh, story


def _per_block(blocks: gpd.GeoDataFrame, hh: gpd.GeoDataFrame) -> np.ndarray:
    p, b = shapely.STRtree(np.asarray(blocks.geometry.array)).query(
        np.asarray(hh.geometry.array), predicate="intersects"
    )
    first = np.unique(p, return_index=True)[1]
    return np.bincount(b[first], minlength=len(blocks))


def _score(
    old: np.ndarray, groups: np.ndarray, hh: np.ndarray, comm: np.ndarray, geoms
) -> tuple[int, int]:
    """(households moved, regions out of range) for a grouping of units."""
    codes = assign_codes(old, groups, hh, comm, geoms)
    totals = pd.Series(hh).groupby(codes).sum()
    return households_moved(old, codes, hh), int(((totals < LO) | (totals > HI)).sum())


class Scratch(TypedDict):
    """What proposing from scratch did to the same town: households moved, per block too."""

    moved: int
    moved_by_block: pd.Series
    out_of_range: int
    unplaced: int
    seconds: float


def from_scratch(blocks: gpd.GeoDataFrame, hh: gpd.GeoDataFrame) -> Scratch:
    t = time.perf_counter()
    parts, points, _ = split_oversized_blocks(
        blocks, hh, building_field="building", max_households=HI
    )
    result = propose_cells(
        parts, points, count_field="households", min_households=LO, max_households=HI
    )
    seconds = time.perf_counter() - t
    group = {b: n for n, ids in enumerate(result.cells["block_ids"]) for b in ids}
    ids = parts["block_id"].astype(str).to_numpy()
    groups = np.array([group.get(b, f"unplaced-{b}") for b in ids], dtype=object)
    count = points["households"].to_numpy()
    old = parts["cell_code"].astype(str).to_numpy()
    moved, bad = _score(
        old, groups, count, parts["community_code"].to_numpy(), np.asarray(parts.geometry.array)
    )
    unplaced = int(count[[not isinstance(g, int) for g in groups]].sum())
    codes = assign_codes(
        old, groups, count, parts["community_code"].to_numpy(), np.asarray(parts.geometry.array)
    )
    base = np.array([b.split("-")[0] for b in ids])
    return {
        "moved": moved,
        "moved_by_block": pd.Series(count * (old != codes)).groupby(base).sum(),
        "out_of_range": bad,
        "unplaced": unplaced,
        "seconds": seconds,
    }


def maxp(blocks: gpd.GeoDataFrame, counts: np.ndarray) -> dict[str, float]:
    from libpysal.weights import Rook
    from spopt.region import MaxPHeuristic

    t = time.perf_counter()
    groups = np.empty(len(blocks), dtype=object)
    frame = blocks.assign(households=counts.astype(float))
    c = shapely.get_coordinates(shapely.centroid(np.asarray(blocks.geometry.array)))
    frame["x"], frame["y"] = c[:, 0], c[:, 1]
    for comm, part in frame.groupby("community_code"):
        part = part.reset_index()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = Rook.from_dataframe(part, use_index=False)
            model = MaxPHeuristic(part, w, ["x", "y"], "households", LO, top_n=2)
            np.random.seed(0)
            model.solve()
        for i, label in zip(part["index"], model.labels_, strict=True):
            groups[i] = f"{comm}-{label}"
    seconds = time.perf_counter() - t
    moved, bad = _score(
        blocks["cell_code"].to_numpy(),
        groups,
        counts,
        blocks["community_code"].to_numpy(),
        np.asarray(blocks.geometry.array),
    )
    return {"moved": moved, "out_of_range": bad, "seconds": seconds}


def kmeans(blocks: gpd.GeoDataFrame, counts: np.ndarray) -> dict[str, float]:
    from sklearn.cluster import KMeans

    t = time.perf_counter()
    groups = np.empty(len(blocks), dtype=object)
    c = shapely.get_coordinates(shapely.centroid(np.asarray(blocks.geometry.array)))
    broken = 0
    for comm in pd.unique(blocks["community_code"]):
        idx = np.flatnonzero(blocks["community_code"].to_numpy() == comm)
        k = max(1, min(len(idx), round(counts[idx].sum() / ((LO + HI) / 2))))
        model = KMeans(n_clusters=k, n_init=10, random_state=0).fit(
            c[idx], sample_weight=counts[idx] + 1e-6
        )
        for i, label in zip(idx, model.labels_, strict=True):
            groups[i] = f"{comm}-{label}"
    for g in pd.unique(groups):
        merged = shapely.union_all(np.asarray(blocks.geometry.array)[groups == g]).buffer(0.01)
        broken += merged.geom_type != "Polygon"
    seconds = time.perf_counter() - t
    moved, bad = _score(
        blocks["cell_code"].to_numpy(),
        groups,
        counts,
        blocks["community_code"].to_numpy(),
        np.asarray(blocks.geometry.array),
    )
    return {"moved": moved, "out_of_range": bad, "not_contiguous": broken, "seconds": seconds}


# ---------------------------------------------------------------------------------------------
# A city


def city(n_blocks: int, seed: int = 1) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    side = int(math.sqrt(n_blocks))
    r, c = np.divmod(np.arange(side * side), side)
    geoms = shapely.box(
        500_000 + c * 100, 3_600_000 - (r + 1) * 100, 500_000 + (c + 1) * 100, 3_600_000 - r * 100
    )
    comm = (r // 10) * (side // 10 + 1) + c // 10 + 1
    cell = (r % 10) // 2 * 5 + (c % 10) // 2 + 1
    blocks = gpd.GeoDataFrame(
        {
            "block_id": [f"B{i:05d}" for i in range(len(r))],
            "community_code": [f"610902{(k // 1000) + 1:03d}{k % 1000:03d}" for k in comm],
            "cell_code": [
                f"610902{(k // 1000) + 1:03d}{k % 1000:03d}{s:03d}"
                for k, s in zip(comm, cell, strict=True)
            ],
        },
        geometry=geoms,
        crs=METRIC,
    )
    n = rng.normal(100, 12, len(r)).clip(40, None)
    grow = rng.random(len(r)) < 0.06
    n[grow] *= rng.uniform(1.6, 2.5, int(grow.sum()))
    n[rng.random(len(r)) < 0.02] = 0
    pts = gpd.GeoDataFrame(
        {"n": np.round(n), "weight": np.round(n * rng.uniform(0.05, 0.2, len(r)))},
        geometry=shapely.centroid(geoms),
        crs=METRIC,
    )
    return blocks, pts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale-blocks", type=int, default=10_000)
    ap.add_argument("--skip-baselines", action="store_true")
    args = ap.parse_args(argv)

    blocks, hh, story = grown_demo()
    site = story.pop("site")
    print("demo town:", "；".join(f"{k}={v}" for k, v in story.items()))
    print(f"households {len(hh):,}, blocks {len(blocks)}, cells {blocks.cell_code.nunique()}")
    t = time.perf_counter()
    r = rebalance(
        blocks, hh, building_field="building", weight_field="weight", max_weight_excess=0.5
    )
    rb_s = time.perf_counter() - t
    s = r.summary
    print(
        f"rebalance: moved {s['households_moved']:,}, out of range {s['out_of_range_before']} → "
        f"{s['out_of_range_after']}, cells {s['cells_before']} → {s['cells_after']}, new "
        f"{len(cast(list, s['new_codes']))}, retired {len(cast(list, s['retired_codes']))}, worst special-group share "
        f"{s['max_weight_share_before']:.2f} → {s['max_weight_share']:.2f}, {rb_s:.2f} s"
    )
    for m in r.problems["message"]:
        print("  problem:", m)
    fs = from_scratch(blocks, hh)
    rb_old = int(
        r.blocks.loc[r.blocks["moved"] & (r.blocks["block_id"] != site), "households"].sum()
    )
    fs_old = int(fs["moved_by_block"].drop(site, errors="ignore").sum())
    print(
        f"propose from scratch: moved {fs['moved']:,} (of which unplaced {fs['unplaced']:,}), "
        f"out of range {fs['out_of_range']}, {fs['seconds']:.2f} s; rebalance/scratch = "
        f"{cast(int, s['households_moved']) / max(fs['moved'], 1):.1%}"
    )
    print(
        f"  outside the new compound: rebalance moved {rb_old:,}, from scratch {fs_old:,} "
        f"({rb_old / max(fs_old, 1):.1%})"
    )
    counts = _per_block(blocks, hh)
    if not args.skip_baselines:
        mp = maxp(blocks, counts)
        print(
            f"spopt MaxPHeuristic (floor {LO}): moved {mp['moved']:,}, out of range {mp['out_of_range']}, {mp['seconds']:.2f} s"
        )
        km = kmeans(blocks, counts)
        print(
            f"k-means regions: moved {km['moved']:,}, out of range {km['out_of_range']}, "
            f"not contiguous {km['not_contiguous']}, {km['seconds']:.2f} s"
        )

    if args.scale_blocks:
        cb, cp = city(args.scale_blocks)
        t = time.perf_counter()
        rc = rebalance(cb, cp, count_field="n", weight_field="weight")
        sec = time.perf_counter() - t
        c = rc.summary
        print(
            f"city {len(cb):,} blocks, {int(cp['n'].sum()):,} households: {sec:.2f} s; out of "
            f"range {c['out_of_range_before']} → {c['out_of_range_after']}; moved "
            f"{c['households_moved']:,} ({c['households_moved'] / cp['n'].sum():.1%}); cells "
            f"{c['cells_before']} → {c['cells_after']}; share {c['max_weight_share_before']:.2f} → "
            f"{c['max_weight_share']:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
