"""Cell geometry from blocks, and the codes of a plan's cells.

A cell's geometry is always the union of its blocks (:func:`gis.plan_edit.union_of_blocks`),
recomputed after every block edit so shared edges stay exact.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
from sqlalchemy.orm import Session

from core.errors import InvalidInputError, NotFoundError
from db import plan_cells as queries
from gis.cells.codes import cell_code as make_cell_code
from gis.cells.codes import validate_cell_code
from gis.crs import STORAGE_CRS
from gis.plan_edit import union_of_blocks


def insert_blocks(
    plan_id: int, district: str, blocks: gpd.GeoDataFrame, *, session: Session
) -> None:
    """Insert blocks (block_key, community_code, cell_code, geometry in any CRS)."""
    queries.insert_blocks(
        session=session, plan_id=plan_id, district_code=district, blocks=blocks.to_crs(STORAGE_CRS)
    )


def insert_cell(
    plan_id: int, district: str, community: str, code: str, *, session: Session
) -> None:
    """A new, still empty cell ``code`` (named 第NNN网格); its blocks draw it later."""
    validate_cell_code(code)
    queries.insert_empty_cell(
        session,
        plan_id=plan_id,
        district_code=district,
        community_code=community,
        cell_code=code,
        name=f"第{code[-3:]}网格",
    )


def free_code(taken: Iterable[str], district: str, subdistrict_seq: str, community: str) -> str:
    prefix = f"{district}{subdistrict_seq}{community[-3:]}"
    used = {int(c[-3:]) for c in taken if c.startswith(prefix)}
    for n in range(1, 1000):
        if n not in used:
            return make_cell_code(district, subdistrict_seq, community[-3:], n)
    raise InvalidInputError(f"社区 {community} 的网格编号已用完（最多 999 个网格）")


def rebuild_cells(plan_id: int, codes: Iterable[str], *, session: Session) -> list[str]:
    """Recompute the geometry of ``codes`` from their blocks; delete cells left empty.

    Returns the codes of the cells deleted.
    """
    codes = sorted(set(codes))
    if not codes:
        return []
    blocks = queries.blocks_of_cells(session, plan_id=plan_id, cell_codes=codes)
    removed = []
    for code in codes:
        geoms = np.asarray(blocks.loc[blocks["cell_code"] == code].geometry.array)
        if not len(geoms):
            queries.delete_cell(session, plan_id=plan_id, cell_code=code)
            removed.append(code)
            continue
        queries.set_cell_geometry(
            session, plan_id=plan_id, cell_code=code, geometry=union_of_blocks(geoms)
        )
    return removed


def cell(plan_id: int, code: str, *, session: Session) -> dict[str, Any]:
    row = queries.cell_row(session, plan_id=plan_id, cell_code=code)
    if row is None:
        raise NotFoundError(f"方案中没有网格 {code}，请刷新页面")
    return row


def same_community(cell_a: dict[str, Any], cell_b: dict[str, Any]) -> None:
    if cell_a["community_code"] != cell_b["community_code"]:
        raise InvalidInputError(
            f"网格 {cell_a['cell_code']} 与 {cell_b['cell_code']} 属于不同社区"
            f"（{cell_a['community_code']} / {cell_b['community_code']}）：网格不能跨社区"
        )


def new_cell_code(plan_id: int, like: dict[str, Any], *, session: Session) -> str:
    taken = queries.cell_codes(session, plan_id=plan_id)
    parts = validate_cell_code(like["cell_code"])
    return free_code(taken, parts.district, parts.subdistrict, str(like["community_code"]))


def claim_code(plan_id: int, cell: dict[str, Any], wanted: str | None, *, session: Session) -> str:
    if wanted is None:
        return new_cell_code(plan_id, cell, session=session)
    parts = validate_cell_code(wanted)
    if parts.community != str(cell["community_code"])[-3:]:
        raise InvalidInputError(
            f"新网格编码 {wanted} 的社区序号 {parts.community} 与社区 {cell['community_code']} 不符"
        )
    if queries.cell_exists(session, plan_id=plan_id, cell_code=wanted):
        raise InvalidInputError(f"网格编码 {wanted} 已在本方案中使用，请换一个")
    return wanted
