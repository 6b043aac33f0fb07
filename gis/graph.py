"""Neighbour graphs of polygons: which share an edge, and the connected groups.

Shared by the cell proposal (:mod:`gis.cells.proposal`) and the rebalance (:mod:`gis.rebalance`).
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["components", "rook_adjacency"]


def rook_adjacency(
    geoms: np.ndarray, community: np.ndarray, *, min_shared: float = 1e-6
) -> list[set[int]]:
    """Rook neighbours: polygons of one community sharing more than ``min_shared`` (in the
    units of the CRS) of edge, not just a corner. ``adj[i]`` is the set of i's neighbours."""
    adj: list[set[int]] = [set() for _ in range(len(geoms))]
    if len(geoms) < 2:
        return adj
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = (i < j) & (community[i] == community[j])
    i, j = i[keep], j[keep]
    shared = shapely.length(shapely.intersection(shapely.boundary(geoms[i]), geoms[j]))
    for a, b in zip(i[shared > min_shared], j[shared > min_shared], strict=True):
        adj[int(a)].add(int(b))
        adj[int(b)].add(int(a))
    return adj


def components(nodes: set[int], adj: list[set[int]]) -> list[set[int]]:
    """The connected groups of ``nodes`` in ``adj`` (only edges between ``nodes`` count),
    in order of their smallest node."""
    seen: set[int] = set()
    out = []
    for start in sorted(nodes):
        if start in seen:
            continue
        comp = {start}
        stack = [start]
        while stack:
            n = stack.pop()
            for m in adj[n]:
                if m in nodes and m not in comp:
                    comp.add(m)
                    stack.append(m)
        seen |= comp
        out.append(comp)
    return out
