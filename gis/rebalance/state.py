"""The working assignment of units to cells that every repair step reads and moves."""

from __future__ import annotations

import numpy as np

from gis.graph import components
from gis.rebalance.units import _Units


class _State:
    """The working assignment of units to cells, with each cell's members."""

    def __init__(
        self, units: _Units, adj: list[set[int]], label: np.ndarray, movable: np.ndarray
    ) -> None:
        self.u = units
        self.adj = adj
        self.label = label.astype(object)
        self.movable = movable
        self.members: dict[str, set[int]] = {}
        for i, c in enumerate(self.label):
            self.members.setdefault(str(c), set()).add(i)
        self.new_count = 0

    def snapshot(self) -> dict[str, object]:
        return {
            "label": self.label.copy(),
            "members": {c: set(m) for c, m in self.members.items()},
            "new_count": self.new_count,
        }

    def restore(self, snap: dict[str, object]) -> None:
        self.label = snap["label"].copy()  # type: ignore[attr-defined]
        self.members = {c: set(m) for c, m in snap["members"].items()}  # type: ignore[attr-defined]
        self.new_count = int(snap["new_count"])  # type: ignore[call-overload]

    def total(self, c: str) -> int:
        return int(self.u.hh[list(self.members[c])].sum()) if self.members.get(c) else 0

    def weight(self, c: str) -> float:
        return float(self.u.weight[list(self.members[c])].sum()) if self.members.get(c) else 0.0

    def move(self, unit: int, dst: str) -> None:
        src = str(self.label[unit])
        self.members[src].discard(unit)
        if not self.members[src]:
            del self.members[src]
        self.members.setdefault(dst, set()).add(unit)
        self.label[unit] = dst

    def cells_of(self, units: set[int]) -> list[str]:
        return sorted({str(self.label[i]) for i in units})

    def stays_connected(self, c: str, removed: set[int]) -> bool:
        rest = self.members[c] - removed
        return bool(rest) and len(components(rest, self.adj)) == 1

    def neighbours(self, c: str) -> set[str]:
        return {str(self.label[m]) for i in self.members[c] for m in self.adj[i]} - {c}

    def border(self, c: str, d: str) -> list[int]:
        """Units of ``c`` touching ``d``."""
        dm = self.members.get(d, set())
        return [i for i in self.members[c] if self.adj[i] & dm]
