"""Cutting one community's blocks into connected cells within the household range.

Used by :func:`gis.cells.proposal.propose_cells`: blocks too big or without a feasible split are
reported in ``problems``; the rest are grown into groups seed by seed, then repaired.
"""

from __future__ import annotations

import math

import numpy as np
import shapely

from gis.graph import components


def _names(bids: np.ndarray, members: object, limit: int = 8) -> str:
    names = sorted(bids[list(members)].tolist())  # type: ignore[call-overload]
    text = "、".join(names[:limit])
    return text + (f" 等 {len(names)} 个街区" if len(names) > limit else "")


def _partition(
    members: np.ndarray,
    hh: np.ndarray,
    adj: list[set[int]],
    geoms: np.ndarray,
    bids: np.ndarray,
    code: str,
    lo: int,
    hi: int,
    problems: list[dict[str, object]],
) -> list[np.ndarray]:
    """Cut one community into connected groups within [lo, hi] households."""
    xy = shapely.get_coordinates(shapely.centroid(geoms))
    area = shapely.area(geoms)
    free = set(members.tolist())
    for b in sorted(free):
        if hh[b] > hi:
            problems.append(
                {
                    "kind": "block_too_big",
                    "community_code": code,
                    "block_ids": [str(bids[b])],
                    "households": int(hh[b]),
                    "message": f"社区 {code} 的街区 {bids[b]} 单独就有 {hh[b]} 户，超过每格上限 {hi} 户，需要人工拆分（未编入网格）",
                }
            )
            free.discard(b)
    groups: list[set[int]] = []
    for comp in components(free, adj):
        total = int(hh[list(comp)].sum())
        if total == 0:
            problems.append(
                {
                    "kind": "isolated_blocks",
                    "community_code": code,
                    "block_ids": sorted(bids[list(comp)].tolist()),
                    "households": 0,
                    "message": f"社区 {code} 的街区 {_names(bids, comp)} 没有住户，且不与其他可编网格的街区相邻，未编入网格",
                }
            )
            continue
        k_min = math.ceil(total / hi)
        k_max = total // lo if lo > 0 else len(comp)
        if k_min > k_max:
            problems.append(
                {
                    "kind": "community_infeasible",
                    "community_code": code,
                    "block_ids": sorted(bids[list(comp)].tolist()),
                    "households": total,
                    "message": f"社区 {code} 的相连街区 {_names(bids, comp)} 共 {total} 户，无法划分为每格 {lo}–{hi} 户的网格",
                }
            )
            continue
        k = min(max(round(total / ((lo + hi) / 2)), k_min), k_max)
        groups.extend(_best_partition(comp, k, hh, adj, xy, area, lo, hi))
    good = []
    for g in groups:
        h = int(hh[list(g)].sum())
        if lo <= h <= hi:
            good.append(np.array(sorted(g)))
        else:
            problems.append(
                {
                    "kind": "cells_out_of_range",
                    "community_code": code,
                    "block_ids": sorted(bids[list(g)].tolist()),
                    "households": h,
                    "message": f"社区 {code} 的街区 {_names(bids, g)} 共 {h} 户，无法与相邻街区组成 {lo}–{hi} 户的网格，需要人工调整（未编入网格）",
                }
            )
    return good


def _best_partition(
    comp: set[int],
    k: int,
    hh: np.ndarray,
    adj: list[set[int]],
    xy: np.ndarray,
    area: np.ndarray,
    lo: int,
    hi: int,
) -> list[set[int]]:
    """Try a few first seeds (the outermost blocks) and keep the partition that places most
    households in valid groups; ties go to the fewest groups out of range."""
    nodes = sorted(comp)
    pts = xy[nodes]
    far = np.hypot(*(pts - pts.mean(axis=0)).T)
    seeds: list[int | None] = [None] + [nodes[i] for i in np.argsort(-far, kind="stable")[:6]]
    best: list[set[int]] = []
    best_score: tuple[int, int] | None = None
    for seed in seeds:
        groups = _repair(
            _grow(comp, k, hh, adj, xy, area, lo, hi, first_seed=seed), hh, adj, lo, hi
        )
        sums = [int(hh[list(g)].sum()) for g in groups]
        bad = [t for t in sums if not lo <= t <= hi]
        score = (sum(bad), len(bad))
        if best_score is None or score < best_score:
            best, best_score = groups, score
        if score == (0, 0):
            break
    return best


def _grow(
    comp: set[int],
    k: int,
    hh: np.ndarray,
    adj: list[set[int]],
    xy: np.ndarray,
    area: np.ndarray,
    lo: int,
    hi: int,
    *,
    first_seed: int | None = None,
) -> list[set[int]]:
    """Grow ``k`` groups one after another, each from the outermost free block.

    A block is preferred when taking it leaves every remaining pocket of free blocks
    splittable within [lo, hi] — the usual way a greedy region-grower strands a corner.
    """

    def splittable(nodes: set[int]) -> bool:
        for part in components(nodes, adj):
            t = int(hh[list(part)].sum())
            if t and math.ceil(t / hi) > (t // lo if lo > 0 else len(part)):
                return False
        return True

    free = set(comp)
    groups: list[set[int]] = []
    for r in range(k):
        if not free:
            break
        if r == k - 1:
            groups.append(set(free))
            free.clear()
            break
        target = int(hh[list(free)].sum()) / (k - r)
        if r == 0 and first_seed is not None:
            seed = first_seed
        else:
            nodes = sorted(free)
            pts = xy[nodes]
            far = np.hypot(*(pts - pts.mean(axis=0)).T)
            seed = nodes[int(np.argmax(far))]
        group = {seed}
        free.discard(seed)
        total = int(hh[seed])
        weight = area[seed]
        gc = xy[seed] * area[seed]
        while True:
            cand = sorted({c for g in group for c in adj[g] if c in free and total + hh[c] <= hi})
            if not cand:
                break
            rest_ok = splittable(free)
            if total >= lo and rest_ok and total >= target:
                break
            good = [c for c in cand if splittable(free - {c})]
            centroid = gc / weight
            best = min(good or cand, key=lambda c: (float(np.hypot(*(xy[c] - centroid))), c))
            if total >= lo and rest_ok and total + hh[best] - target > target - total:
                break  # adding it overshoots the target more than stopping short
            group.add(best)
            free.discard(best)
            total += int(hh[best])
            gc = gc + xy[best] * area[best]
            weight += area[best]
        groups.append(group)
    # Leftover pockets (the last group may be disconnected) become separate groups.
    out: list[set[int]] = []
    for g in groups:
        out.extend(components(g, adj))
    return out


def _repair(
    groups: list[set[int]], hh: np.ndarray, adj: list[set[int]], lo: int, hi: int
) -> list[set[int]]:
    """Merge or shift boundary blocks until every group is within [lo, hi], where possible."""
    groups = [set(g) for g in groups if g]

    def total(g: set[int]) -> int:
        return int(hh[list(g)].sum())

    for _ in range(200):
        owner = {b: n for n, g in enumerate(groups) for b in g}
        bad = [n for n, g in enumerate(groups) if not lo <= total(g) <= hi or total(g) == 0]
        if not bad:
            break
        changed = False
        for n in bad:
            g = groups[n]
            t = total(g)
            neighbours = {owner[c] for b in g for c in adj[b] if c in owner and owner[c] != n}
            # 1. Merge with a neighbouring group when the sum fits.
            fits = [m for m in neighbours if total(groups[m]) + t <= hi]
            if (t < lo or t == 0) and fits:
                m = min(fits, key=lambda m: (total(groups[m]), m))
                groups[m] |= g
                groups[n] = set()
                changed = True
                break
            # 2. Move one boundary block across, keeping both sides connected.
            moves = []
            for m in neighbours:
                h = groups[m]
                tm = total(h)
                if t < lo:  # pull a block in from m
                    for b in (c for c in h if adj[c] & g):
                        nt, nm = t + hh[b], tm - hh[b]
                        if nt <= hi and nm >= lo and _connected(h - {b}, adj):
                            moves.append((abs(lo - nt) if nt < lo else 0, b, m, n))
                else:  # push a block out to m
                    for b in (c for c in g if adj[c] & h):
                        nt, nm = t - hh[b], tm + hh[b]
                        if nm <= hi and nt >= lo and g - {b} and _connected(g - {b}, adj):
                            moves.append((abs(nt - hi) if nt > hi else 0, b, n, m))
            if moves:
                _, b, src, dst = min(moves)
                groups[src].discard(b)
                groups[dst].add(b)
                changed = True
                break
        groups = [g for g in groups if g]
        if not changed:
            break
    return groups


def _connected(nodes: set[int], adj: list[set[int]]) -> bool:
    return len(nodes) > 0 and len(components(nodes, adj)) == 1
