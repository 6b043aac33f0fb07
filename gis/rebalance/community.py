"""Repair of one community's household counts: choose its number of cells, carve or retire
cells to reach it, repair by flow (and the MILP when stuck), report what stays out of range."""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import shapely

from gis.graph import components
from gis.rebalance.flow import _penalty, _repair
from gis.rebalance.milp import _milp_repair
from gis.rebalance.state import _State

_MILP_MAX_UNITS = 80  # communities up to this many units get the exact MILP when stuck
_EXTRA_CELLS = 2  # cells more (or fewer) than the clamped count tried when blocks are lumpy


def _rebalance_community(
    st: _State, code: str, lo: int, hi: int, problems: list[dict[str, object]]
) -> None:
    members = set(np.flatnonzero(st.u.comm == code).tolist())
    for comp in components(members, st.adj):
        cells = st.cells_of(comp)
        total = int(st.u.hh[list(comp)].sum())
        # A unit over the maximum that could not be split keeps its cell; that cell's cap is
        # the unit itself (the nearest plan).
        caps = {
            c: max([hi] + [int(st.u.hh[i]) for i in st.members[c] if not st.movable[i]])
            for c in cells
        }
        k_min, k_max = math.ceil(total / hi), (total // lo if lo > 0 else len(comp))
        k_lo, k_hi, eff_lo = k_min, k_max, lo
        if total == 0:
            continue
        if k_min > k_max:
            # No count fits: the count with the smallest violation, with a relaxed range.
            over = total - max(k_max, 1) * hi  # households above the max with k_max cells
            under = k_min * lo - total  # households short of the min with k_min cells
            if k_max >= 1 and over <= under:
                k_lo = k_hi = k_max
                caps = {c: max(v, math.ceil(total / k_max)) for c, v in caps.items()}
                relaxed = f"按 {k_max} 格、每格至多 {math.ceil(total / k_max)} 户"
            else:
                k_lo = k_hi = k_min
                eff_lo = total // k_min
                relaxed = f"按 {k_min} 格、每格至少 {eff_lo} 户"
            problems.append(
                {
                    "kind": "community_infeasible",
                    "community_code": code,
                    "cell_code": None,
                    "block_ids": [],
                    "households": total,
                    "message": f"社区 {code} 共 {total:,} 户，无法划分为每格 {lo}–{hi} 户的网格"
                    f"（{k_min} 格至少要 {k_min * lo:,} 户，{max(k_max, 1)} 格至多容纳 {max(k_max, 1) * hi:,} 户），"
                    f"已{relaxed}给出最接近的方案",
                }
            )
        # The count nearest today's that the lumps of the blocks allow: start from the current
        # count clamped into [k_min, k_max], then try one more cell at a time.
        k = min(max(len(cells), k_lo), k_hi)
        start = st.snapshot()
        best: tuple[int, int, dict[str, object]] | None = None
        tries = [k] + [
            c for n in range(1, _EXTRA_CELLS + 1) for c in (k + n, k - n) if k_lo <= c <= k_hi
        ]
        for kk in tries:
            st.restore(start)
            _set_count(st, comp, kk, lo, hi, caps)
            for c in st.cells_of(comp):
                caps.setdefault(c, hi)
            _repair(st, comp, eff_lo, caps)
            pen = _penalty(st, st.cells_of(comp), eff_lo, caps)
            if best is None or pen < best[0]:
                best = (pen, kk, st.snapshot())
            if pen == 0:
                break
        assert best is not None
        st.restore(best[2])
        if best[0] > 0 and len(comp) <= _MILP_MAX_UNITS:
            # The flow-guided moves got stuck: solve the best count exactly.
            _milp_repair(st, comp, eff_lo, caps)
        for c in st.cells_of(comp):
            t = st.total(c)
            if not eff_lo <= t <= caps.get(c, hi):
                problems.append(
                    {
                        "kind": "cell_out_of_range",
                        "community_code": code,
                        "cell_code": c,
                        "block_ids": sorted({str(st.u.block_id[i]) for i in st.members[c]}),
                        "households": t,
                        "message": f"社区 {code} 的网格 {c} 调整后有 {t:,} 户，仍不在 {lo}–{hi} 户之内："
                        "相邻街区的户数无法凑成合规网格（街区不能再拆），需要人工调整",
                    }
                )


def _set_count(st: _State, comp: set[int], k: int, lo: int, hi: int, caps: dict[str, int]) -> None:
    while len(st.cells_of(comp)) < k:
        if not _carve(st, comp, lo, hi, caps):
            break
    while len(st.cells_of(comp)) > k:
        if not _retire(st, comp):
            break


def _carve(st: _State, comp: set[int], lo: int, hi: int, caps: dict[str, int]) -> bool:
    """Cut a new cell out of the fullest cell that can give one."""
    cells = sorted(st.cells_of(comp), key=lambda c: (-(st.total(c) - caps.get(c, hi)), c))
    for c in cells:
        t = st.total(c)
        movable = {i for i in st.members[c] if st.movable[i]}
        if len(st.members[c]) < 2 or not movable:
            continue
        target = min(hi, max(lo, t - caps.get(c, hi)))
        xy = shapely.get_coordinates(shapely.centroid(st.u.geom[sorted(movable)]))
        centre = xy.mean(axis=0)
        order = [sorted(movable)[i] for i in np.argsort(-np.hypot(*(xy - centre).T), kind="stable")]
        seed = next((i for i in order if st.stays_connected(c, {i})), None)
        if seed is None:
            continue
        group = {seed}
        got = int(st.u.hh[seed])
        while got < target:
            cand = sorted({m for i in group for m in st.adj[i] if m in movable and m not in group})
            cand = [
                m for m in cand if got + st.u.hh[m] <= hi and st.stays_connected(c, group | {m})
            ]
            if not cand:
                break
            gxy = shapely.get_coordinates(shapely.centroid(st.u.geom[sorted(group)])).mean(axis=0)
            cxy = shapely.get_coordinates(shapely.centroid(st.u.geom[cand]))
            m = cand[int(np.argmin(np.hypot(*(cxy - gxy).T)))]
            if got + st.u.hh[m] - target > target - got and got >= lo:
                break
            group.add(m)
            got += int(st.u.hh[m])
        st.new_count += 1
        new = f"+{st.new_count}"
        for i in group:
            st.move(i, new)
        return True
    return False


def _retire(st: _State, comp: set[int]) -> bool:
    """Hand the blocks of the emptiest cell to its neighbours, each growing contiguously."""
    for c in sorted(st.cells_of(comp), key=lambda c: (st.total(c), c)):
        if not all(st.movable[i] for i in st.members[c]) or not st.neighbours(c):
            continue
        units = set(st.members[c])
        queue: deque[tuple[int, str]] = deque()
        for i in sorted(units):
            for m in sorted(st.adj[i]):
                if m not in units and str(st.label[m]) != c:
                    queue.append((i, str(st.label[m])))
        while queue:
            i, d = queue.popleft()
            if str(st.label[i]) != c:
                continue
            st.move(i, d)
            for m in sorted(st.adj[i]):
                if m in units and str(st.label[m]) == c:
                    queue.append((m, d))
        return True
    return False
