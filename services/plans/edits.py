"""Edits of a draft: move a block, merge, split (by blocks or along a line), redraw a cell.

Every edit names the ``lock_version`` the editor saw (:func:`services.plans.locking.bump`)
and runs in a savepoint; the cut/snap geometry is :mod:`gis.plan_edit`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import pyproj
import shapely
from sqlalchemy.orm import Session

from core.errors import GeometryError, InvalidInputError, NotFoundError
from db import plan_cells as queries
from gis.crs import STORAGE_CRS
from gis.plan_edit import snap_to_vertices, split_blocks_by_line
from services.plans.cells import (
    cell,
    claim_code,
    insert_blocks,
    insert_cell,
    new_cell_code,
    rebuild_cells,
    same_community,
)
from services.plans.locking import bump
from services.plans.records import EditResult, atomic


@atomic
def move_block(
    *,
    session: Session,
    plan_id: int,
    block_key: str,
    to_cell_code: str,
    expected_lock_version: int,
    actor: str | None,
) -> EditResult:
    """Move one block to another cell of the same community; both cells are re-drawn."""
    lock = bump(plan_id, expected_lock_version, actor, session=session)
    row = queries.block_row(session, plan_id=plan_id, block_key=block_key)
    if row is None:
        raise NotFoundError(f"方案中没有街区 {block_key}，请刷新页面")
    target = cell(plan_id, to_cell_code, session=session)
    if row["cell_code"] == to_cell_code:
        raise InvalidInputError(f"街区 {block_key} 已经在网格 {to_cell_code} 中")
    if row["community_code"] != target["community_code"]:
        raise InvalidInputError(
            f"街区 {block_key} 属于社区 {row['community_code']}，网格 {to_cell_code} 属于社区 "
            f"{target['community_code']}：网格不能跨社区"
        )
    queries.move_blocks(session, plan_id=plan_id, block_keys=[block_key], to_cell_code=to_cell_code)
    removed = rebuild_cells(plan_id, [row["cell_code"], to_cell_code], session=session)
    msg = f"已把街区 {block_key} 从网格 {row['cell_code']} 移到网格 {to_cell_code}"
    if removed:
        msg += f"；网格 {'、'.join(removed)} 已没有街区，已删除"
    return EditResult(plan_id, lock, msg)


@atomic
def merge_cells(
    *,
    session: Session,
    plan_id: int,
    keep_cell_code: str,
    absorb_cell_code: str,
    expected_lock_version: int,
    actor: str | None,
) -> EditResult:
    """Merge ``absorb_cell_code`` into ``keep_cell_code`` (same community); the code of the
    absorbed cell is retired in this plan."""
    if keep_cell_code == absorb_cell_code:
        raise InvalidInputError("请选择两个不同的网格进行合并")
    lock = bump(plan_id, expected_lock_version, actor, session=session)
    keep = cell(plan_id, keep_cell_code, session=session)
    gone = cell(plan_id, absorb_cell_code, session=session)
    same_community(keep, gone)
    n = queries.move_cell_blocks(
        session, plan_id=plan_id, from_cell_code=absorb_cell_code, to_cell_code=keep_cell_code
    )
    queries.delete_cell(session, plan_id=plan_id, cell_code=absorb_cell_code)
    rebuild_cells(plan_id, [keep_cell_code], session=session)
    return EditResult(
        plan_id,
        lock,
        f"已把网格 {absorb_cell_code}（{n} 个街区）并入网格 {keep_cell_code}",
    )


@atomic
def split_cell_by_blocks(
    *,
    session: Session,
    plan_id: int,
    cell_code: str,
    block_keys: Sequence[str],
    expected_lock_version: int,
    actor: str | None,
    new_cell_code: str | None = None,
) -> EditResult:
    """Split a cell: ``block_keys`` (some of its blocks, not all) become a new cell.

    The new cell gets the next free code of the community unless ``new_cell_code`` is given;
    it has no grid leader until one is assigned.
    """
    keys = sorted(set(block_keys))
    if not keys:
        raise InvalidInputError("请选择要分出去的街区")
    lock = bump(plan_id, expected_lock_version, actor, session=session)
    old = cell(plan_id, cell_code, session=session)
    have = set(queries.cell_blocks(session, plan_id=plan_id, cell_code=cell_code)["block_key"])
    foreign = [k for k in keys if k not in have]
    if foreign:
        raise InvalidInputError(f"街区 {'、'.join(foreign)} 不在网格 {cell_code} 中")
    if set(keys) == have:
        raise InvalidInputError(f"不能把网格 {cell_code} 的全部街区都分出去：至少留下一个")
    new = claim_code(plan_id, old, new_cell_code, session=session)
    insert_cell(plan_id, old["district_code"], old["community_code"], new, session=session)
    queries.move_blocks(
        session, plan_id=plan_id, block_keys=keys, to_cell_code=new, from_cell_code=cell_code
    )
    rebuild_cells(plan_id, [cell_code, new], session=session)
    return EditResult(
        plan_id, lock, f"已从网格 {cell_code} 分出 {len(keys)} 个街区，组成新网格 {new}"
    )


@atomic
def split_cell_by_line(
    *,
    session: Session,
    plan_id: int,
    cell_code: str,
    line: shapely.Geometry,
    expected_lock_version: int,
    actor: str | None,
    line_crs: Any = "EPSG:4326",
) -> EditResult:
    """Split a cell along a drawn line into two cells.

    Blocks the line crosses are cut in two (keys ``<key>-1``, ``<key>-2``); the part of the
    cell on the side with the smaller area becomes a new cell. The line must cross the cell
    completely and cut it into exactly two parts. Cutting happens in the storage CRS so every
    vertex the cut does not create stays bit-for-bit as it was; the new vertices are snapped
    onto the neighbouring blocks' edges so the blocks still form an exact coverage.
    """
    if line is None or shapely.get_type_id(line) not in (1, 5) or line.is_empty:
        raise GeometryError("分割线必须是一条线（在地图上用“画线”工具绘制）")
    if pyproj.CRS.from_user_input(line_crs) != pyproj.CRS.from_user_input(STORAGE_CRS):
        # EPSG:4326 and 4490 differ by centimetres; treat the drawn line as CGCS2000 lon/lat.
        if not pyproj.CRS.from_user_input(line_crs).is_geographic:
            line = gpd.GeoSeries([line], crs=line_crs).to_crs(STORAGE_CRS).iloc[0]
    lock = bump(plan_id, expected_lock_version, actor, session=session)
    old = cell(plan_id, cell_code, session=session)
    whole = queries.cell_outline(session, plan_id=plan_id, cell_code=cell_code)
    if whole is None:
        raise GeometryError(f"网格 {cell_code} 没有几何图形，无法分割")
    blocks = queries.cell_blocks(session, plan_id=plan_id, cell_code=cell_code)
    cut = split_blocks_by_line(
        whole,
        line,
        block_ids=blocks["id"].tolist(),
        block_keys=blocks["block_key"].tolist(),
        block_geoms=list(blocks.geometry),
        cell_code=cell_code,
    )
    new = new_cell_code(plan_id, old, session=session)
    insert_cell(plan_id, old["district_code"], old["community_code"], new, session=session)
    if cut.cut_ids:
        queries.delete_blocks_by_id(session, block_ids=cut.cut_ids)
        frame = gpd.GeoDataFrame(
            {
                "block_key": cut.cut_keys,
                "community_code": [old["community_code"]] * len(cut.cut_keys),
                "cell_code": [new if to_new else cell_code for to_new in cut.cut_to_new],
            },
            geometry=cut.cut_pieces,
            crs=STORAGE_CRS,
        )
        insert_blocks(plan_id, old["district_code"], frame, session=session)
    if cut.whole_to_new:
        queries.move_blocks(session, plan_id=plan_id, block_keys=cut.whole_to_new, to_cell_code=new)
    _snap_neighbours(session, plan_id, line, cut.vertices)
    touched = queries.cells_crossing(session, plan_id=plan_id, geometry=line)
    rebuild_cells(plan_id, touched | {cell_code, new}, session=session)
    return EditResult(
        plan_id,
        lock,
        f"已沿分割线把网格 {cell_code} 分成两格（新网格 {new}）；切开了 {len(cut.cut_ids)} 个街区",
    )


def _snap_neighbours(
    session: Session, plan_id: int, line: shapely.Geometry, ref: shapely.Geometry
) -> None:
    """Insert the cut's new vertices into any block whose edge they lie on (neighbours)."""
    near = queries.blocks_crossing(session, plan_id=plan_id, geometry=line)
    for row in near.itertuples():
        snapped = snap_to_vertices(row.geometry, ref)
        if not snapped.equals_exact(row.geometry, 0):
            queries.set_block_geometry(session, block_id=int(row.id), geometry=snapped)


@atomic
def replace_cell_geometry(
    *,
    session: Session,
    plan_id: int,
    cell_code: str,
    polygon: shapely.Geometry,
    expected_lock_version: int,
    actor: str | None,
    polygon_crs: Any = "EPSG:4326",
) -> EditResult:
    """Replace a cell's outline by a drawn polygon.

    The cell's blocks are replaced by one drawn block (key ``D<cell_code>``) so the rule
    "a cell is the union of its blocks" still holds. Nothing is clipped: the check then shows
    what the new outline broke (a gap where it fell short, an overlap where it reached into a
    neighbour, a cell outside its community).
    """
    if polygon is None or polygon.is_empty or shapely.get_type_id(polygon) not in (3, 6):
        raise GeometryError("请在地图上画一个面（多边形或矩形）作为网格的新范围")
    crs = pyproj.CRS.from_user_input(polygon_crs)
    if not crs.is_geographic:
        polygon = gpd.GeoSeries([polygon], crs=crs).to_crs(STORAGE_CRS).iloc[0]
    if not polygon.is_valid:
        raise GeometryError(
            f"画的面无效（{shapely.is_valid_reason(polygon)}）：边界不能自相交，请重画"
        )
    if shapely.get_type_id(polygon) == 6:
        polygon = max(shapely.get_parts(polygon), key=lambda g: g.area)
    lock = bump(plan_id, expected_lock_version, actor, session=session)
    old = cell(plan_id, cell_code, session=session)
    n = queries.delete_cell_blocks(session, plan_id=plan_id, cell_code=cell_code)
    frame = gpd.GeoDataFrame(
        {
            "block_key": [f"D{cell_code}"],
            "community_code": [old["community_code"]],
            "cell_code": [cell_code],
        },
        geometry=[polygon],
        crs=STORAGE_CRS,
    )
    insert_blocks(plan_id, old["district_code"], frame, session=session)
    rebuild_cells(plan_id, [cell_code], session=session)
    return EditResult(plan_id, lock, f"已用所画的面替换网格 {cell_code} 的范围（原有 {n} 个街区）")
