"""The coverage check of a grid plan: :func:`check_coverage`.

Screened by GEOS's coverage validator, then validity, multipart cells, overlaps, gaps, cells
outside the boundary or their community, slivers, households and attributes, in that order.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from core.errors import InvalidInputError
from gis.blocks import working_crs
from gis.coverage.membership import _check_communities, _check_households
from gis.coverage.problems import _Context, _names, _num
from gis.coverage.shapes import _POLY_TYPES, _holes, _polygon_in, _polygonal, _widths

__all__ = ["check_coverage"]

_REASONS = {
    "Ring Self-intersection": "边界环自相交",
    "Self-intersection": "自相交",
    "Too few points": "点数太少",
    "Hole lies outside shell": "洞在外环之外",
    "Nested holes": "洞相互嵌套",
    "Interior is disconnected": "内部被洞分割为不连通的几块",
    "Nested shells": "外环相互嵌套",
    "Duplicate Rings": "重复的环",
    "Invalid Coordinate": "坐标无效",
    "Ring is not closed": "环未闭合",
}
_LOCATION = re.compile(r"\[\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)")


def check_coverage(
    cells: gpd.GeoDataFrame,
    *,
    boundary: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry | None = None,
    households: gpd.GeoDataFrame | None = None,
    id_field: str | None = "cell_id",
    community_field: str | None = None,
    communities: gpd.GeoDataFrame | None = None,
    code_field: str | None = None,
    leader_field: str | None = None,
    min_households: int = 300,
    max_households: int = 500,
    gap_width_m: float = 1.0,
    sliver_width_m: float = 5.0,
    area_tolerance_m2: float = 0.01,
) -> gpd.GeoDataFrame:
    """Check that grid cells cover the territory once, and report every problem found.

    Parameters
    ----------
    cells : GeoDataFrame
        The cells (Polygon/MultiPolygon), with a CRS.
    boundary : GeoDataFrame, GeoSeries or shapely geometry, optional
        The territory the cells must cover exactly. A bare geometry is in the cells' CRS.
        Without it, gaps are holes between cells and notches narrower than ``gap_width_m``.
    households : GeoDataFrame, optional
        Household points; counted per cell (point in polygon). A ``household_id`` column
        names them in messages, else the index.
    id_field : str or None, default "cell_id"
        Column naming cells in messages; ``None`` uses the index. Its values must be unique
        (two cells with one id are reported as ``duplicate_code``, by row).
    community_field : str, optional
        Column of the cells (and of ``communities``) holding the community code.
    communities : GeoDataFrame, optional
        Community polygons; each cell must lie inside its own community (by
        ``community_field``, or the community it overlaps most when the cells lack it).
    code_field : str, optional
        Column holding the cell code, which must be unique.
    leader_field : str, optional
        Column naming the grid leader, which must not be empty.
    min_households, max_households : int, default 300, 500
        Allowed households per cell.
    gap_width_m : float, default 1.0
        Gaps and notches narrower than this are found even where they are not enclosed.
    sliver_width_m : float, default 5.0
        A cell, or a part of one, narrower than this (diameter of the largest inscribed
        circle) is a sliver.
    area_tolerance_m2 : float, default 0.01
        Overlaps, gaps and overhangs smaller than this are rounding noise and ignored.

    Returns
    -------
    GeoDataFrame
        One row per problem with columns ``kind``, ``cell_ids`` (list of str), ``area_m2``,
        ``width_m`` (NaN where it does not apply), ``message`` (Chinese), ``severity``
        (``"blocking"`` or ``"warning"``) and ``geometry`` in the cells' CRS. Empty when the
        plan is clean. Kinds are listed in :data:`BLOCKING_KINDS` and :data:`WARNING_KINDS`.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> boxes = [shapely.box(x, y, x + 100, y + 100) for x in (0, 100) for y in (0, 100)]
    >>> cells = gpd.GeoDataFrame({"cell_id": list("ABCD")}, geometry=boxes, crs="EPSG:4545")
    >>> len(check_coverage(cells))
    0
    """
    if not isinstance(cells, gpd.GeoDataFrame):
        raise InvalidInputError("cells 必须是 GeoDataFrame")
    if cells.crs is None:
        raise InvalidInputError("网格图层没有坐标系，无法按米检查")
    if min_households > max_households:
        raise InvalidInputError(f"户数下限 {min_households} 大于上限 {max_households}，请检查参数")
    for name in (community_field, code_field, leader_field):
        if name is not None and name not in cells.columns and name != community_field:
            raise InvalidInputError(
                f"网格图层没有字段 {name}，可用字段：{', '.join(map(str, cells.columns))}"
            )
    ids = _cell_ids(cells, id_field)
    raw = np.asarray(cells.geometry.array)
    present = ~(pd.isna(raw) | shapely.is_empty(raw))
    work = working_crs(cells.crs, shapely.total_bounds(raw[present]) if present.any() else None)
    geoms = raw.copy()
    if work != pyproj.CRS.from_user_input(cells.crs) and present.any():
        geoms[present] = np.asarray(gpd.GeoSeries(raw[present], crs=cells.crs).to_crs(work).array)
    ctx = _Context(ids=ids, crs=cells.crs, work=work, tol=area_tolerance_m2)

    # --- validity -------------------------------------------------------------------------
    ptype = np.isin(shapely.get_type_id(geoms), _POLY_TYPES)
    valid = np.zeros(len(geoms), dtype=bool)
    valid[present] = shapely.is_valid(geoms[present])
    usable = present & ptype
    fixed = geoms.copy()
    fixed[~usable] = None
    for n in np.flatnonzero(~present):
        ctx.add("invalid", [n], message=f"网格 {ids[n]} 没有几何图形")
    for n in np.flatnonzero(present & ~ptype):
        ctx.add(
            "invalid",
            [n],
            geometry=geoms[n],
            message=f"网格 {ids[n]} 不是面，而是{shapely.get_type_id(geoms[n]) in (0, 4) and '点' or '线'}",
        )
    bad = np.flatnonzero(usable & ~valid)
    if len(bad):
        reasons = shapely.is_valid_reason(geoms[bad])
        repaired = shapely.make_valid(geoms[bad])
        for n, reason, rep in zip(bad, reasons, repaired, strict=True):
            fixed[n] = _polygonal(rep)
            where = _LOCATION.search(reason)
            loc = None
            if where:
                loc = shapely.Point(float(where.group(1)), float(where.group(2)))
            label = next((v for k, v in _REASONS.items() if reason.startswith(k)), reason)
            at = f"，位置 {ctx.format_point(loc)}" if loc is not None else ""
            ctx.add(
                "invalid",
                [n],
                geometry=loc if loc is not None else geoms[n],
                message=f"网格 {ids[n]} 的几何无效：{label}{at}",
            )
    ok = np.flatnonzero(usable)  # cells with a (repaired) polygonal geometry
    checkable = usable & valid  # cells not already reported invalid

    # --- multipart ------------------------------------------------------------------------
    nparts = np.zeros(len(geoms), dtype=int)
    nparts[ok] = shapely.get_num_geometries(fixed[ok])
    for n in np.flatnonzero(checkable & (nparts > 1)):
        areas = shapely.area(shapely.get_parts(fixed[n]))
        sizes = "、".join(_num(a) for a in sorted(areas, reverse=True)[:5])
        ctx.add(
            "multipart",
            [n],
            geometry=fixed[n],
            area=float(areas.sum()),
            message=f"网格 {ids[n]} 由 {nparts[n]} 块互不相连的部分组成（面积 {sizes} 平方米）",
        )

    # --- overlaps (screened by the coverage validator) -------------------------------------
    sub = fixed[ok]
    flagged = np.zeros(len(geoms), dtype=bool)
    if len(ok):
        edges = shapely.coverage_invalid_edges(sub, gap_width=gap_width_m)
        flagged[ok] = ~shapely.is_empty(edges)
    tree = shapely.STRtree(sub)
    sus = np.flatnonzero(flagged[ok])
    if len(sus):
        k, j = tree.query(sub[sus], predicate="intersects")
        a, b = ok[sus[k]], ok[j]
        pairs = np.unique(np.sort(np.c_[a, b], axis=1), axis=0)
        pairs = pairs[pairs[:, 0] != pairs[:, 1]]
        if len(pairs):
            inter = shapely.intersection(fixed[pairs[:, 0]], fixed[pairs[:, 1]])
            inter = np.asarray([_polygonal(g) for g in inter], dtype=object)
            area = shapely.area(inter)
            hit = area > area_tolerance_m2
            widths = _widths(inter[hit])
            for (p, q), g, ar, w in zip(pairs[hit], inter[hit], area[hit], widths, strict=True):
                ctx.add(
                    "overlap",
                    [p, q],
                    geometry=g,
                    area=ar,
                    width=w,
                    message=f"网格 {ids[p]} 与 {ids[q]} 重叠，面积 {_num(ar)} 平方米，宽 {_num(w)} 米",
                )

    # --- gaps -----------------------------------------------------------------------------
    region = _polygon_in(boundary, cells.crs, work, what="边界")
    clean = ok[~flagged[ok]]
    dirty = ok[flagged[ok]]
    union = shapely.coverage_union_all(fixed[clean]) if len(clean) else shapely.Polygon()
    if len(dirty):
        union = shapely.union(union, shapely.union_all(fixed[dirty]))
    if region is not None:
        gap = shapely.difference(region, union)
    else:
        gap = _holes(union)
        if gap_width_m > 0 and not shapely.is_empty(union):
            r = gap_width_m / 2.0
            closed = shapely.buffer(
                shapely.buffer(union, r, join_style="mitre", mitre_limit=10.0),
                -r,
                join_style="mitre",
                mitre_limit=10.0,
            )
            gap = shapely.union(gap, shapely.difference(closed, union))
    gaps = np.asarray([_polygonal(g) for g in shapely.get_parts(gap)], dtype=object)
    gaps = gaps[shapely.area(gaps) > area_tolerance_m2] if len(gaps) else gaps
    if len(gaps):
        widths = _widths(gaps)
        gk, gj = tree.query(gaps, predicate="intersects")
        # Neighbours share an edge with the gap; cells touching it at a corner are not named.
        shared = shapely.length(shapely.intersection(shapely.boundary(gaps[gk]), sub[gj]))
        gk, gj = gk[shared > 1e-6], gj[shared > 1e-6]
        outline = shapely.boundary(region) if region is not None else None
        for gi, (g, w) in enumerate(zip(gaps, widths, strict=True)):
            touching = sorted(set(ok[gj[gk == gi]].tolist()), key=lambda c: ids[c])
            names = _names([ids[c] for c in touching])
            ar = shapely.area(g)
            size = f"{_num(w)} 米宽的缝隙，面积 {_num(ar)} 平方米"
            on_edge = outline is not None and shapely.intersects(outline, g)
            if not touching:
                msg = (
                    f"边界内有一块未被任何网格覆盖的区域（{_num(w)} 米宽，面积 {_num(ar)} 平方米）"
                )
            elif len(touching) == 1:
                side = " 与街道边界之间" if on_edge else "内部"
                msg = f"网格 {names}{side}有 {size}"
            else:
                edge = "（及街道边界）" if on_edge else ""
                msg = f"网格 {names}{edge} 之间有 {size}"
            ctx.add("gap", touching, geometry=g, area=ar, width=w, message=msg)

    # --- outside the boundary or the community ---------------------------------------------
    if region is not None and len(ok):
        shapely.prepare(region)  # prepared geometry speeds up the predicate's first argument
        out = ok[~shapely.covers(region, fixed[ok])]
        if len(out):
            extra = shapely.difference(fixed[out], region)
            area = shapely.area(extra)
            for n, g, ar in zip(out, extra, area, strict=True):
                if ar > area_tolerance_m2:
                    ctx.add(
                        "outside",
                        [n],
                        geometry=g,
                        area=ar,
                        message=f"网格 {ids[n]} 有 {_num(ar)} 平方米超出街道边界",
                    )
    if communities is not None and len(ok):
        _check_communities(ctx, cells, fixed, ok, communities, community_field)

    # --- slivers --------------------------------------------------------------------------
    if sliver_width_m > 0:
        live = np.flatnonzero(checkable)
        parts, owner = shapely.get_parts(fixed[live], return_index=True)
        owner = live[owner]
        area = shapely.area(parts)
        r = sliver_width_m / 2.0
        # Every point of a polygon is within its inscribed radius r of the boundary, so
        # area <= 2 r perimeter + pi r^2; parts failing that bound cannot be slivers, which
        # spares the costly inscribed-circle search on normal cells.
        cand = np.flatnonzero(area < 2 * r * shapely.length(parts) + np.pi * r * r)
        if len(cand):
            w = _widths(parts[cand], tolerance_m=sliver_width_m / 100.0)
            for c, wc in zip(cand[w < sliver_width_m], w[w < sliver_width_m], strict=True):
                n = owner[c]
                what = "过于狭长" if nparts[n] == 1 else "有一块狭长碎片"
                ctx.add(
                    "sliver",
                    [n],
                    geometry=parts[c],
                    area=area[c],
                    width=wc,
                    message=f"网格 {ids[n]} {what}，最宽处仅 {_num(wc)} 米，面积 {_num(area[c])} 平方米",
                )

    # --- households -----------------------------------------------------------------------
    if households is not None:
        _check_households(ctx, households, fixed, ok, tree, min_households, max_households)

    # --- attributes -----------------------------------------------------------------------
    if leader_field is not None:
        leader = cells[leader_field]
        empty = leader.isna().to_numpy() | (leader.astype(str).str.strip() == "").to_numpy()
        for n in np.flatnonzero(empty):
            ctx.add("no_leader", [n], geometry=fixed[n], message=f"网格 {ids[n]} 没有网格长")
    if code_field is not None:
        codes = cells[code_field].astype("string").str.strip()
        dup = codes.notna().to_numpy() & codes.duplicated(keep=False).to_numpy()
        for code in sorted(set(codes[dup])):
            members = np.flatnonzero((codes == code).fillna(False).to_numpy())
            g = shapely.union_all(fixed[members][~pd.isna(fixed[members])])
            ctx.add(
                "duplicate_code",
                list(members),
                geometry=g,
                area=shapely.area(g),
                message=f"网格编码 {code} 重复：网格 {_names([ids[m] for m in members])} 使用同一编码",
            )
    if id_field is not None and id_field != code_field and id_field in cells.columns:
        # The file's own id names each cell in every message: two cells with one id are as
        # ambiguous as two with one code, so they are reported the same way, by row.
        own = cells[id_field].astype("string").str.strip()
        dup = own.notna().to_numpy() & (own != "").fillna(False).to_numpy()
        dup &= own.duplicated(keep=False).to_numpy()
        for code in sorted(set(own[dup])):
            members = np.flatnonzero((own == code).fillna(False).to_numpy())
            g = shapely.union_all(fixed[members][~pd.isna(fixed[members])])
            rows = "、".join(f"第 {m + 1} 个" for m in members[:6])
            ctx.add(
                "duplicate_code",
                list(members),
                geometry=g,
                area=shapely.area(g),
                message=f"网格编号 {code} 重复（字段 {id_field}）：{rows}网格使用同一编号，"
                f"共 {len(members)} 个",
            )
    return ctx.frame()


def _cell_ids(cells: gpd.GeoDataFrame, id_field: str | None) -> list[str]:
    if id_field is None:
        values = pd.Series(cells.index)
    elif id_field in cells.columns:
        values = cells[id_field].reset_index(drop=True)
    else:
        raise InvalidInputError(
            f"网格图层没有字段 {id_field}，可用字段：{', '.join(map(str, cells.columns))}"
        )
    out = values.astype("string")
    return [
        v if isinstance(v, str) and v.strip() else f"第{n + 1}行"
        for n, v in enumerate(out.tolist())
    ]
