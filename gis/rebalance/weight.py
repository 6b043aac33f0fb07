"""The second balance: special-group weight (低保, 残疾, 独居老人 …) spread across a community's
cells, keeping every household count in range."""

from __future__ import annotations

import numpy as np

from gis.graph import components
from gis.rebalance.flow import _MAX_ITER
from gis.rebalance.state import _State


def _balance_weight(st: _State, code: str, lo: int, hi: int, excess: float) -> None:
    """Move boundary units so no cell's weight is above (1 + excess) × the community average."""
    members = set(np.flatnonzero(st.u.comm == code).tolist())
    for comp in components(members, st.adj):
        cells = st.cells_of(comp)
        total = float(st.u.weight[list(comp)].sum())
        if total <= 0 or len(cells) < 2:
            continue
        cap = total / len(cells) * (1 + excess)

        def over(cs: list[str], cap: float = cap) -> float:
            return sum(max(0.0, st.weight(c) - cap) for c in cs)

        for _ in range(_MAX_ITER):
            base = over(cells)
            if base <= 1e-9:
                break
            best: tuple[float, int, int, str] | None = None
            for c in cells:
                if st.weight(c) <= cap:
                    continue
                for d in st.neighbours(c):
                    if d not in cells:
                        continue
                    for i in st.border(c, d):
                        h, w = int(st.u.hh[i]), float(st.u.weight[i])
                        if not st.movable[i] or w <= 0:
                            continue
                        if st.total(c) - h < lo or st.total(d) + h > hi:
                            continue
                        if not st.stays_connected(c, {i}):
                            continue
                        gain = (
                            max(0.0, st.weight(c) - cap)
                            + max(0.0, st.weight(d) - cap)
                            - max(0.0, st.weight(c) - w - cap)
                            - max(0.0, st.weight(d) + w - cap)
                        )
                        if gain > 1e-9 and (best is None or (-gain, h) < (-best[0], best[1])):
                            best = (gain, h, i, d)
            if best is None:
                break
            st.move(best[2], best[3])
