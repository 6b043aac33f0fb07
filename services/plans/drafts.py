"""Drafts: a copy of the published plan, or blocks built from imported streets."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy.orm import Session

from core.errors import GeometryError, InvalidInputError, NotFoundError
from db import plans as queries
from db import repositories
from gis.blocks import blocks_from_streets, working_crs
from gis.cells.codes import cell_code, number_cells
from gis.cells.proposal import propose_cells
from gis.crs import STORAGE_CRS
from gis.streets import DEFAULT_HIGHWAYS, check_extent, select_streets
from services.plans.cells import free_code, insert_blocks, insert_cell, rebuild_cells
from services.plans.locking import bump
from services.plans.reads import community_outlines, get_plan, household_points, subdistrict_outline
from services.plans.records import (
    DANGLES_TO_CONFIRM,
    ImportNeedsConfirmation,
    ImportResult,
    PlanInfo,
    atomic,
)


def insert_plan(
    *, session: Session, district: str, subdistrict: str, name: str | None, created_by: str | None
) -> int:
    """A new draft with the sub-district's next version number; its id."""
    version = queries.next_version_no(session, subdistrict_code=subdistrict)
    sd_name = queries.subdistrict_name(session, code=subdistrict)
    title = name or f"{sd_name or subdistrict}网格方案 第{version}版（草稿）"
    return queries.insert_draft(
        session,
        district_code=district,
        subdistrict_code=subdistrict,
        name=title[:100],
        version_no=version,
        created_by=created_by,
    )


def create_draft_from_published(
    created_by: str | None,
    *,
    session: Session,
    subdistrict_code: str | None = None,
    source_plan_id: int | None = None,
    name: str | None = None,
) -> PlanInfo:
    """Copy a plan's blocks and cells (the published one by default) into a new draft.

    The draft gets the next version number of the sub-district and the same cell codes,
    names, leaders and geometries, so it checks exactly as its source does.
    """
    if source_plan_id is None:
        pub = queries.published_plan(session, subdistrict_code=subdistrict_code)
        if pub is None:
            raise NotFoundError("还没有已发布的网格方案可复制：请先导入街巷生成草稿")
        source_plan_id = int(pub["id"])
    src = get_plan(source_plan_id, session=session)
    plan_id = insert_plan(
        session=session,
        district=src.district_code,
        subdistrict=src.subdistrict_code,
        name=name,
        created_by=created_by,
    )
    queries.copy_plan_contents(session, source_plan_id=source_plan_id, new_plan_id=plan_id)
    return get_plan(plan_id, session=session)


@atomic
def import_streets_into_draft(
    plan_id: int | None,
    streets_gdf: gpd.GeoDataFrame,
    boundary_gdf: gpd.GeoDataFrame | None = None,
    snap_m: float = 2.0,
    *,
    session: Session,
    created_by: str | None = None,
    expected_lock_version: int | None = None,
    propose: bool = True,
    min_households: int = 300,
    max_households: int = 500,
    min_block_width_m: float = 6.0,
    highways: Iterable[str] | None = DEFAULT_HIGHWAYS,
    confirm: bool = False,
) -> ImportResult:
    """Build blocks from imported streets/lanes and put them, grouped into cells, in a draft.

    Parameters
    ----------
    plan_id : int or None
        The draft to fill (its blocks and cells are replaced; needs
        ``expected_lock_version``), or None for a new draft.
    streets_gdf : GeoDataFrame
        Street/lane centrelines or road surfaces, with a CRS (see
        :func:`gis.blocks.blocks_from_streets`).
    boundary_gdf : GeoDataFrame, optional
        The territory; the sub-district's outline from the database by default.
    snap_m : float, default 2.0
        Dangling street ends this close to another street are joined.
    propose : bool, default True
        Group blocks into cells of ``min_households``–``max_households`` households with
        :func:`gis.cells.proposal.propose_cells` (households from the database); False makes one cell
        per block.
    highways : iterable of str or None, default :data:`gis.streets.DEFAULT_HIGHWAYS`
        OSM ``highway`` values used as block outlines (files without a ``highway`` attribute
        are used whole); see :func:`gis.streets.select_streets`.
    confirm : bool, default False
        Make the draft even when the streets leave more than :data:`DANGLES_TO_CONFIRM`
        dangling ends; without it such a result raises :class:`ImportNeedsConfirmation`.

    Returns
    -------
    ImportResult

    Raises
    ------
    core.errors.GeometryError
        The streets do not reach the boundary (one line naming both extents), or enclose
        nothing.
    ImportNeedsConfirmation
        Hundreds of dangles and ``confirm`` is False. Nothing is written.
    """
    if plan_id is None:
        pub = queries.published_plan(session)
        sd = repositories.subdistricts(session)
        if pub is not None:
            subdistrict = str(pub["subdistrict_code"])
        elif len(sd):
            subdistrict = str(sd["code"].iloc[0])
        else:
            raise NotFoundError("数据库里没有街道（subdistricts），无法建立网格方案")
        district = subdistrict[:6]
    else:
        if expected_lock_version is None:
            raise InvalidInputError("向已有草稿导入时必须给出 expected_lock_version")
        target = get_plan(plan_id, session=session)
        subdistrict, district = target.subdistrict_code, target.district_code

    if boundary_gdf is None or len(boundary_gdf) == 0:
        boundary_gdf = subdistrict_outline(subdistrict, session=session)
        if not len(boundary_gdf):
            raise NotFoundError(f"找不到街道 {subdistrict} 的边界，请上传边界文件")
    if streets_gdf.crs is None:
        raise GeometryError("街巷图层没有坐标系")
    selection = select_streets(
        streets_gdf, highways=None if highways is None else frozenset(highways)
    )
    streets = selection.lines.to_crs(STORAGE_CRS)
    boundary = boundary_gdf.to_crs(STORAGE_CRS)
    check_extent(streets, boundary)
    result = blocks_from_streets(
        streets, boundary=boundary, snap_m=snap_m, min_block_width_m=min_block_width_m
    )
    blocks = result.blocks
    if not len(blocks):
        raise GeometryError("由这些街巷没有围出任何街区：请检查街巷是否与边界相交、是否闭合")
    n_dangles = int((result.dangles["kind"] == "dangle").sum())
    if n_dangles > DANGLES_TO_CONFIRM and not confirm:
        raise ImportNeedsConfirmation(
            f"街巷文件留下 {n_dangles:,} 个断头线（端点在 {snap_m:g} 米内不与任何街巷或边界相接），"
            f"由此生成的 {len(blocks):,} 个街区可能有误：请先在地图上查看断头线，"
            "修改街巷文件或加大吸附距离；确认无误再生成草稿",
            dangles=result.dangles.to_crs(STORAGE_CRS),
            blocks=len(blocks),
            selection=selection,
        )
    blocks = blocks.assign(block_key=[f"B{n:04d}" for n in range(1, len(blocks) + 1)])
    communities = community_outlines(subdistrict, session=session)
    blocks["community_code"] = pd.Series(
        _largest_overlap(blocks, communities), index=blocks.index, dtype=object
    )
    outside = blocks["community_code"].isna()
    problems = pd.DataFrame(
        columns=["kind", "community_code", "block_ids", "households", "message"]
    )
    if outside.all():
        raise GeometryError(
            f"生成的 {len(blocks):,} 个街区都不在街道 {subdistrict} 的任何社区内：请检查边界文件"
            "是否就是本街道的边界"
        )
    if outside.any():
        # No 15-digit code exists for a block outside every community: say so, leave it out.
        problems = pd.DataFrame(_outside_community_problems(blocks[outside]))
        blocks = blocks.loc[~outside].copy()
    if propose:
        proposal = propose_cells(
            blocks,
            household_points(session=session),
            community_field="community_code",
            min_households=min_households,
            max_households=max_households,
            district_code=district,
            subdistrict_code=subdistrict[-3:],
            block_id_field="block_key",
        )
        problems = pd.concat(
            [problems, proposal.problems] if len(problems) else [proposal.problems],
            ignore_index=True,
        )
        cell_of = {b: row.cell_code for row in proposal.cells.itertuples() for b in row.block_ids}
    else:
        cell_of = _one_cell_per_block(blocks, district, subdistrict[-3:])
    # Object dtype, whatever the proposal covered: when it took no block, ``map`` alone would
    # give an all-NaN float column that refuses the 15-digit codes assigned below.
    blocks["cell_code"] = pd.Series(
        [cell_of.get(str(k)) for k in blocks["block_key"]], index=blocks.index, dtype=object
    )
    # A block no proposed cell took (too many households, isolated) gets a cell of its own,
    # so the draft still covers the territory; the check then shows its household count.
    loose = blocks["cell_code"].isna()
    if loose.any():
        taken = set(cell_of.values())
        for i in np.flatnonzero(loose.to_numpy()):
            comm = str(blocks["community_code"].iloc[i])
            code = free_code(taken, district, subdistrict[-3:], comm)
            taken.add(code)
            blocks.loc[blocks.index[i], "cell_code"] = code

    if plan_id is None:
        plan_id = insert_plan(
            session=session,
            district=district,
            subdistrict=subdistrict,
            name=None,
            created_by=created_by,
        )
    else:
        assert expected_lock_version is not None
        bump(plan_id, expected_lock_version, created_by, session=session)
        queries.delete_plan_contents(session, plan_id=plan_id)
    insert_blocks(plan_id, district, blocks, session=session)
    codes = sorted(set(blocks["cell_code"]))
    for code in codes:
        comm = str(blocks.loc[blocks["cell_code"] == code, "community_code"].iloc[0])
        insert_cell(plan_id, district, comm, code, session=session)
    rebuild_cells(plan_id, codes, session=session)
    return ImportResult(
        plan=get_plan(plan_id, session=session),
        blocks=len(blocks),
        cells=len(codes),
        dangles=result.dangles,
        proposal_problems=problems,
        enclosed_share=result.enclosed_share,
        unenclosed=result.unenclosed.to_crs(STORAGE_CRS),
        selection=selection,
    )


def _outside_community_problems(blocks: gpd.GeoDataFrame) -> list[dict[str, object]]:
    work = working_crs(blocks.crs, blocks.total_bounds)
    area = shapely.area(np.asarray(blocks.to_crs(work).geometry.array))
    spots = shapely.point_on_surface(np.asarray(blocks.to_crs(STORAGE_CRS).geometry.array))
    return [
        {
            "kind": "outside_community",
            "community_code": None,
            "block_ids": [str(key)],
            "households": np.nan,
            "message": f"街区 {key}（{a:,.0f} 平方米，位于经度 {p.x:.5f}、纬度 {p.y:.5f}）"
            "不在任何社区内，没有可用的网格编码，未编入草稿：请核对边界或社区边界",
        }
        for key, a, p in zip(blocks["block_key"], area, spots, strict=True)
    ]


def _largest_overlap(blocks: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> list[str | None]:
    """The community each block overlaps most; None for a block mostly outside all of them."""
    if not len(communities):
        raise NotFoundError("数据库里没有社区边界，无法判断街区所属社区")
    b = np.asarray(blocks.geometry.array)
    work = working_crs(blocks.crs, shapely.total_bounds(b))
    bw = np.asarray(blocks.to_crs(work).geometry.array)
    cw = np.asarray(communities.to_crs(work).geometry.array)
    left, right = shapely.STRtree(cw).query(bw, predicate="intersects")
    area = shapely.area(shapely.intersection(bw[left], cw[right]))
    best = np.full(len(bw), -1)
    best_area = np.zeros(len(bw))
    for i, j, a in zip(left, right, area, strict=True):
        if a > best_area[i]:
            best[i], best_area[i] = j, a
    codes = communities["community_code"].astype(str).to_numpy()
    # A block mostly outside every community has no community: no nearest-community guess.
    inside = np.zeros(len(bw))
    np.add.at(inside, left, area)
    own = shapely.area(bw)
    return [
        str(codes[j]) if j >= 0 and inside[i] >= 0.5 * own[i] else None for i, j in enumerate(best)
    ]


def _one_cell_per_block(
    blocks: gpd.GeoDataFrame, district: str, subdistrict_seq: str
) -> dict[str, str]:
    out: dict[str, str] = {}
    for comm, part in blocks.groupby("community_code"):
        seq = number_cells(np.asarray(part.geometry.array))
        for key, s in zip(part["block_key"], seq, strict=True):
            out[str(key)] = cell_code(district, subdistrict_seq, str(comm)[-3:], int(s))
    return out
