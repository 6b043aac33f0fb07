"""Coverage checks of membership: each cell inside its community, each household in a cell."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.coverage.problems import _Context, _num


def _check_communities(
    ctx: _Context,
    cells: gpd.GeoDataFrame,
    fixed: np.ndarray,
    ok: np.ndarray,
    communities: gpd.GeoDataFrame,
    community_field: str | None,
) -> None:
    comm = communities
    if comm.crs is None:
        comm = comm.set_crs(ctx.crs)
    comm = comm.to_crs(ctx.work)
    if community_field is not None and community_field in comm.columns:
        codes = comm[community_field].astype("string").to_numpy()
    else:
        codes = pd.Series(comm.index).astype("string").to_numpy()
    frame = gpd.GeoDataFrame({"code": codes}, geometry=comm.geometry.to_numpy(), crs=ctx.work)
    frame = frame.dissolve("code", as_index=False)
    cgeom = np.asarray(frame.geometry.array)
    ccode = frame["code"].astype(str).to_numpy()
    ids = ctx.ids
    if community_field is not None and community_field in cells.columns:
        own = cells[community_field].astype("string").to_numpy()[ok]
        lookup = {c: n for n, c in enumerate(ccode)}
        idx = np.array([lookup.get(str(c), -1) if not pd.isna(c) else -1 for c in own])
        for n, c in zip(ok[idx < 0], own[idx < 0], strict=True):
            ctx.add(
                "outside",
                [n],
                geometry=fixed[n],
                area=shapely.area(fixed[n]),
                message=f"网格 {ids[n]} 所属社区 {c} 不在社区图层中",
            )
        has = idx >= 0
        cells_ok, idx = ok[has], idx[has]
        if len(cells_ok):
            inside = shapely.covered_by(fixed[cells_ok], cgeom[idx])
            cells_ok, idx = cells_ok[~inside], idx[~inside]
        if len(cells_ok):
            extra = shapely.difference(fixed[cells_ok], cgeom[idx])
            area = shapely.area(extra)
            for n, i, g, ar in zip(cells_ok, idx, extra, area, strict=True):
                if ar > ctx.tol:
                    ctx.add(
                        "outside",
                        [n],
                        geometry=g,
                        area=ar,
                        message=f"网格 {ids[n]} 有 {_num(ar)} 平方米超出所属社区 {ccode[i]}",
                    )
        return
    # No community column on the cells: each cell must lie in one community.
    k, j = shapely.STRtree(cgeom).query(fixed[ok], predicate="intersects")
    if not len(k):
        return
    inter = shapely.area(shapely.intersection(fixed[ok[k]], cgeom[j]))
    df = pd.DataFrame({"k": k, "j": j, "a": inter})
    df = df[df["a"] > ctx.tol]
    for _, grp in df.groupby("k"):
        if len(grp) < 2:
            continue
        n = ok[int(grp["k"].iloc[0])]
        grp = grp.sort_values("a", ascending=False)
        spill = float(grp["a"].iloc[1:].sum())
        names = "、".join(ccode[grp["j"]])
        ctx.add(
            "outside",
            [n],
            geometry=shapely.difference(fixed[n], cgeom[int(grp["j"].iloc[0])]),
            area=spill,
            message=f"网格 {ids[n]} 跨越社区 {names}，有 {_num(spill)} 平方米不在主要社区 {ccode[int(grp['j'].iloc[0])]} 内",
        )


def _check_households(
    ctx: _Context,
    households: gpd.GeoDataFrame,
    fixed: np.ndarray,
    ok: np.ndarray,
    tree: shapely.STRtree,
    min_households: int,
    max_households: int,
) -> None:
    hh = households
    if hh.crs is None:
        hh = hh.set_crs(ctx.crs)
    pts = np.asarray(hh.to_crs(ctx.work).geometry.array)
    hid = (
        hh["household_id"].astype("string").tolist()
        if "household_id" in hh.columns
        else [str(i) for i in hh.index]
    )
    # Query with the cells as input: shapely prepares the input geometries, which makes
    # point-in-polygon tests far cheaper than querying a cell tree with each point.
    c, p = shapely.STRtree(pts).query(fixed[ok], predicate="intersects")
    order = np.lexsort((c, p))
    p, c = p[order], c[order]
    # A point exactly on a shared edge is counted once, in the first cell found.
    p, first = np.unique(p, return_index=True)
    cell = ok[c[first]]
    counts = np.bincount(cell, minlength=len(fixed))
    missing = np.setdiff1d(np.arange(len(pts)), p)
    missing = missing[~(pd.isna(pts[missing]) | shapely.is_empty(pts[missing]))]
    if len(missing):
        mk, mj = tree.query_nearest(pts[missing], return_distance=False, all_matches=False)
        nearest = np.full(len(missing), -1)
        nearest[mk] = ok[mj]
        dist = shapely.distance(
            pts[missing], np.where(nearest >= 0, fixed[np.maximum(nearest, 0)], None)
        )
        for m, near, d in zip(missing, nearest, dist, strict=True):
            hint = f"（最近的网格 {ctx.ids[near]}，相距 {_num(d)} 米）" if near >= 0 else ""
            ctx.add(
                "unassigned_household",
                [],
                geometry=pts[m],
                message=f"住户 {hid[m]} 不在任何网格内{hint}",
            )
    out = ok[(counts[ok] < min_households) | (counts[ok] > max_households)]
    for n in out:
        h = int(counts[n])
        if True:
            side = "不足下限" if h < min_households else "超过上限"
            ctx.add(
                "households_out_of_range",
                [n],
                geometry=fixed[n],
                area=shapely.area(fixed[n]),
                message=f"网格 {ctx.ids[n]} 有 {h} 户，{side}（应为 {min_households}–{max_households} 户）",
            )
