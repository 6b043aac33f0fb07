"""The flow-guided repair: a min-cost flow of households between neighbouring cells, realised
with whole units (see the package docstring for why)."""

from __future__ import annotations

import math

import networkx as nx

from gis.rebalance.state import _State

_MAX_ITER = 10_000
_TRIAL_MOVES = 30  # flow re-solves for trial moves, per community and cell count


def _flow(
    st: _State, cells: list[str], lo: int, caps: dict[str, int]
) -> tuple[float, dict[str, dict[str, int]]] | None:
    """Min-cost flow of households between neighbouring cells; None when no flow fits."""
    g = nx.DiGraph()
    mandatory_out = mandatory_in = 0
    for c in cells:
        t, hi = st.total(c), caps[c]
        need = max(0, lo - t) - max(0, t - hi)  # > 0: must receive; < 0: must send
        g.add_node(c, demand=need)
        mandatory_in += max(0, need)
        mandatory_out += max(0, -need)
        g.add_edge(c, "_sink", capacity=max(0, hi - max(t, lo)), weight=0)
        g.add_edge("_source", c, capacity=max(0, min(t, hi) - lo), weight=0)
        for d in st.neighbours(c):
            if d in caps:
                g.add_edge(c, d, weight=1)
    # Source and sink are joined by a free edge, so a cell may give while another absorbs
    # (cheaper when they sit nearer to the deficit and the excess than these are to each other).
    spare = sum(g.edges["_source", c]["capacity"] for c in cells) + mandatory_in
    g.add_node("_source", demand=-spare)
    g.add_node("_sink", demand=spare - mandatory_in + mandatory_out)
    g.add_edge("_source", "_sink", weight=0)
    try:
        cost, flow = nx.network_simplex(g)
    except (nx.NetworkXUnfeasible, nx.NetworkXError):
        return None
    return float(cost), flow


def _off(t: int, lo: int, hi: int) -> int:
    return max(0, lo - t) + max(0, t - hi)


def _penalty(st: _State, cells: list[str], lo: int, caps: dict[str, int]) -> int:
    return sum(max(0, lo - st.total(c)) + max(0, st.total(c) - caps[c]) for c in cells)


def _repair(st: _State, comp: set[int], lo: int, caps: dict[str, int]) -> None:
    # Each trial move re-solves the flow; a community gets a bounded number of them (the MILP
    # takes over for small ones when this runs out).
    budget = [_TRIAL_MOVES]
    iterations = [4 * len(comp) + 20]
    for _ in range(_MAX_ITER):
        # 1. The cheapest way out: a single border move that lowers the households out of
        # range (no flow to solve). Mixed with step 2 this could in principle go back and
        # forth, so the whole loop is capped by the iteration count.
        cells = st.cells_of(comp)
        pen = _penalty(st, cells, lo, caps)
        if pen == 0:
            return
        quick: tuple[int, int, int, str] | None = None
        for c in cells:
            tc = st.total(c)
            for d in sorted(st.neighbours(c)):
                if d not in caps:
                    continue
                td = st.total(d)
                for i in st.border(c, d):
                    h = int(st.u.hh[i])
                    if not st.movable[i] or h <= 0:
                        continue
                    delta = (
                        _off(tc - h, lo, caps[c])
                        + _off(td + h, lo, caps[d])
                        - _off(tc, lo, caps[c])
                        - _off(td, lo, caps[d])
                    )
                    if delta < 0 and (quick is None or (delta, h) < (quick[0], quick[1])):
                        if st.stays_connected(c, {i}):
                            quick = (delta, h, i, d)
        if quick is not None and pen > 0 and iterations[0] > 0:
            iterations[0] -= 1
            st.move(quick[2], quick[3])
            continue
        solved = _flow(st, cells, lo, caps)
        if solved is None:
            return
        cost, flow = solved
        if cost == 0 and _penalty(st, cells, lo, caps) == 0:
            return
        # 2. Realise the flow with whole units that fit what is owed on a border.
        moved = False
        progress = True
        while progress:
            progress = False
            owed = sorted(
                (
                    (f, c, d)
                    for c, out in flow.items()
                    if c in caps
                    for d, f in out.items()
                    if d in caps and f > 0
                ),
                reverse=True,
            )
            for f, c, d in owed:
                fits = [
                    i
                    for i in st.border(c, d)
                    if st.movable[i] and 0 < st.u.hh[i] <= f and st.stays_connected(c, {i})
                ]
                if fits:
                    i = max(fits, key=lambda i: (st.u.hh[i], -i))
                    st.move(i, d)
                    flow[c][d] -= int(st.u.hh[i])
                    moved = progress = True
                    break
        if moved:
            continue
        # 3. Units are lumpier than the flow: the single move between neighbouring cells that
        # most lowers flow value + households out of range (a strictly falling potential, so
        # this cannot cycle); ties go to the smaller move.
        base = cost + _penalty(st, cells, lo, caps)
        best: tuple[float, int, int, str] | None = None
        # Borders the flow uses first; every border only when none of those helps.
        on_flow = [(c, d) for c in cells for d, f in flow.get(c, {}).items() if d in caps and f > 0]
        every = [(c, d) for c in cells for d in sorted(st.neighbours(c)) if d in caps]
        for pairs in (on_flow, every):
            if best is not None or budget[0] <= 0:
                break
            for c, d in pairs:
                for i in st.border(c, d):
                    if budget[0] <= 0:
                        break
                    if not st.movable[i] or st.u.hh[i] <= 0 or not st.stays_connected(c, {i}):
                        continue
                    st.move(i, d)
                    after = _flow(st, cells, lo, caps)
                    budget[0] -= 1
                    score = (after[0] if after else math.inf) + _penalty(st, cells, lo, caps)
                    st.move(i, c)
                    if score < base and (
                        best is None or (score, int(st.u.hh[i])) < (best[0], best[1])
                    ):
                        best = (score, int(st.u.hh[i]), i, d)
        if best is None:
            return
        st.move(best[2], best[3])
