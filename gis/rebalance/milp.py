"""The exact repair of a small community as a MILP, for when the flow-guided moves get stuck."""

from __future__ import annotations

import numpy as np

from gis.rebalance.flow import _penalty
from gis.rebalance.state import _State

_MILP_SECONDS = 3.0


def _milp_repair(st: _State, comp: set[int], lo: int, caps: dict[str, int]) -> bool:
    """Exact repair of a small community as a MILP (HiGHS through ``scipy.optimize.milp``).

    Used when the flow-guided moves get stuck on lumpy blocks (e.g. three 300-household blocks
    where 100 must leave). Minimises the households whose cell differs from their old cell, each
    cell within its range (with a heavily-penalised slack, so the nearest plan comes back when
    none fits) and contiguous by the single-commodity flow formulation (Shirabe 2005): each cell
    has a root unit, which sends one unit of flow to every other member along arcs
    inside the cell. A unit may go to its cell or a neighbouring cell. scipy already ships HiGHS,
    so this needs no extra solver dependency.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_array

    cells = st.cells_of(comp)
    units = sorted(comp)
    cur = {i: str(st.label[i]) for i in units}
    near = {c: st.neighbours(c) & set(cells) for c in cells}
    allowed: dict[int, list[str]] = {}
    for i in units:
        allowed[i] = [cur[i]] + ([] if not st.movable[i] else sorted(near[cur[i]]))
    xi: dict[tuple[int, str], int] = {}
    for i in units:
        for c in allowed[i]:
            xi[(i, c)] = len(xi)
    nx_ = len(xi)
    arcs = [(i, j, c) for (i, c) in xi for j in st.adj[i] if (j, c) in xi]
    fi = {a: nx_ + n for n, a in enumerate(arcs)}
    yi = {key: nx_ + len(arcs) + k for key, k in xi.items()}  # the cell's root
    si = {c: 2 * nx_ + len(arcs) + 2 * n for n, c in enumerate(cells)}  # under, over
    nvar = 2 * nx_ + len(arcs) + 2 * len(cells)
    total = int(st.u.hh[units].sum()) + 1
    cost = np.zeros(nvar)
    for (i, c), k in xi.items():
        if c != str(st.u.cell[i]):
            cost[k] = st.u.hh[i] + 1e-3  # households moved; then fewer units
    for c in cells:
        cost[si[c]] = cost[si[c] + 1] = 10.0 * total
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lb: list[float] = []
    ub: list[float] = []

    def row(entries: list[tuple[int, float]], low: float, high: float) -> None:
        r = len(lb)
        for k, v in entries:
            rows.append(r)
            cols.append(k)
            vals.append(v)
        lb.append(low)
        ub.append(high)

    for i in units:
        row([(xi[(i, c)], 1.0) for c in allowed[i]], 1, 1)
    for c in cells:
        members = [(xi[(i, c)], float(st.u.hh[i])) for i in units if (i, c) in xi]
        row([*members, (si[c], 1.0)], lo, np.inf)
        row([*members, (si[c] + 1, -1.0)], -np.inf, caps[c])
        row([(yi[(i, c)], 1.0) for i in units if (i, c) in xi], 1, 1)
    size = {c: sum(1 for (_, d) in xi if d == c) for c in cells}
    inflow: dict[tuple[int, str], list[tuple[int, float]]] = {}
    for a in arcs:
        i, j, c = a
        inflow.setdefault((j, c), []).append((fi[a], 1.0))
        inflow.setdefault((i, c), []).append((fi[a], -1.0))
        row([(fi[a], 1.0), (xi[(i, c)], -float(size[c]))], -np.inf, 0)
        row([(fi[a], 1.0), (xi[(j, c)], -float(size[c]))], -np.inf, 0)
    for (i, c), k in xi.items():
        # Members take one unit of flow each; only the root may send more than it takes.
        row([*inflow.get((i, c), []), (k, -1.0), (yi[(i, c)], float(size[c]))], 0, np.inf)
        row([(yi[(i, c)], 1.0), (k, -1.0)], -np.inf, 0)
    a_mat = coo_array((vals, (rows, cols)), shape=(len(lb), nvar)).tocsr()
    integrality = np.zeros(nvar)
    integrality[:nx_] = 1
    integrality[nx_ + len(arcs) : 2 * nx_ + len(arcs)] = 1
    upper = np.full(nvar, np.inf)
    upper[:nx_] = 1
    upper[nx_ + len(arcs) : 2 * nx_ + len(arcs)] = 1
    res = milp(
        cost,
        constraints=LinearConstraint(a_mat, lb, ub),
        integrality=integrality,
        bounds=Bounds(np.zeros(nvar), upper),
        options={"time_limit": _MILP_SECONDS},
    )
    if res.x is None:
        return False
    before = _penalty(st, cells, lo, caps)
    saved = {i: cur[i] for i in units}
    for (i, c), k in xi.items():
        if res.x[k] > 0.5 and str(st.label[i]) != c:
            st.move(i, c)
    if _penalty(st, st.cells_of(comp), lo, caps) > before or any(
        not st.stays_connected(c, set()) for c in st.cells_of(comp)
    ):
        for i, c in saved.items():
            if str(st.label[i]) != c:
                st.move(i, c)
        return False
    return True
