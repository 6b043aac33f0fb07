"""Stable cell codes after a rebalance: a group keeps the old code it holds most of, other
groups get the next free codes of their community (retired codes are never reused)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import shapely

from core.errors import InvalidInputError
from gis.cells.codes import number_cells

__all__ = ["assign_codes", "households_moved"]


def households_moved(old: np.ndarray, new: np.ndarray, households: np.ndarray) -> int:
    """Households whose cell code differs between two assignments of the same units."""
    return int(np.asarray(households)[np.asarray(old) != np.asarray(new)].sum())


def assign_codes(
    old: np.ndarray,
    groups: np.ndarray,
    households: np.ndarray,
    communities: np.ndarray,
    geoms: np.ndarray,
    *,
    retired_codes: Iterable[str] = (),
) -> np.ndarray:
    """Give each final group a code: the old code it holds most of (over half), else a new one.

    Parameters
    ----------
    old : array of str
        Each unit's old cell code.
    groups : array
        Each unit's final group label (any hashable).
    households : array
        Households per unit.
    communities : array of str
        Each unit's community.
    geoms : array of Geometry
        Unit polygons (to number new cells west→east, north→south).
    retired_codes : iterable of str
        Codes never to hand out again.

    Returns
    -------
    numpy.ndarray of str
        The new code of each unit.
    """
    old = np.asarray(old, dtype=object)
    groups = np.asarray(groups, dtype=object)
    hh = np.asarray(households, dtype=float)
    frame = pd.DataFrame({"old": old, "group": groups, "hh": hh, "n": 1.0})
    by_old = frame.groupby("old")[["hh", "n"]].sum()
    pair = frame.groupby(["old", "group"])[["hh", "n"]].sum().reset_index()
    # Empty old cells count by units, the others by households.
    tot_hh = pair["old"].map(by_old["hh"]).to_numpy(float)
    tot_n = pair["old"].map(by_old["n"]).to_numpy(float)
    pair["share"] = np.where(
        tot_hh > 0, pair["hh"].to_numpy(float) / np.maximum(tot_hh, 1e-12), pair["n"] / tot_n
    )
    pair = pair[pair["share"] > 0.5].sort_values(["group", "share"], ascending=[True, False])
    kept: dict[object, str] = {}
    for r in pair.itertuples():
        if r.group not in kept:
            kept[r.group] = str(r.old)
    out = np.array([kept.get(g, "") for g in groups], dtype=object)
    used = {str(c) for c in old} | {str(c) for c in retired_codes}
    for code in pd.unique(communities):
        mask = (np.asarray(communities) == code) & (out == "")
        if not mask.any():
            continue
        fresh = pd.unique(groups[mask])
        cgeoms = np.array(
            [shapely.union_all(geoms[mask & (groups == g)]) for g in fresh], dtype=object
        )
        seq = number_cells(cgeoms)
        community_old = [str(c) for c in pd.unique(old[np.asarray(communities) == code])]
        names = _next_codes(community_old, used, len(fresh), str(code))
        for g, s in zip(fresh, seq, strict=True):
            out[mask & (groups == g)] = names[int(s) - 1]
    return out


def _next_codes(community_old: list[str], used: set[str], n: int, community: str) -> list[str]:
    """``n`` fresh codes for a community: the 15-digit prefix of its cells + next free number."""
    digits = [c for c in community_old if len(c) == 15 and c.isascii() and c.isdigit()]
    if digits:
        prefix = max(
            set(c[:12] for c in digits), key=lambda p: sum(c.startswith(p) for c in digits)
        )
        taken = {
            int(c[12:]) for c in used if len(c) == 15 and c.startswith(prefix) and c[12:].isdigit()
        }
        out: list[str] = []
        s = 1
        while len(out) < n:
            if s not in taken:
                out.append(f"{prefix}{s:03d}")
            s += 1
        if s > 1000:
            raise InvalidInputError(f"社区 {community} 的网格序号已用尽（最多 999 个）")
        return out
    out = []
    s = 1
    while len(out) < n:
        name = f"{community}-{s:03d}"
        if name not in used:
            out.append(name)
        s += 1
    return out
