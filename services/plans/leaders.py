"""Grid leaders of a plan's cells."""

from __future__ import annotations

import pandas as pd
from sqlalchemy.orm import Session

from core.errors import NotFoundError
from db import plan_cells as queries
from services.plans.cells import cell
from services.plans.locking import bump
from services.plans.records import EditResult, atomic


def leader_options(*, session: Session) -> pd.DataFrame:
    """Active grid leaders who could lead a cell: id, name, community_code, staff_no."""
    return queries.grid_leaders(session)


@atomic
def assign_leader(
    *,
    session: Session,
    plan_id: int,
    cell_code: str,
    staff_id: int | None,
    expected_lock_version: int,
    actor: str | None,
) -> EditResult:
    """Name (or, with None, remove) a cell's grid leader."""
    lock = bump(plan_id, expected_lock_version, actor, session=session)
    cell(plan_id, cell_code, session=session)
    name = None
    if staff_id is not None:
        name = queries.active_staff_name(session, staff_id=staff_id)
        if name is None:
            raise NotFoundError(f"找不到在岗人员 {staff_id}")
    queries.set_cell_leader(session, plan_id=plan_id, cell_code=cell_code, staff_id=staff_id)
    msg = f"网格 {cell_code} 的网格长：{name}" if name else f"已取消网格 {cell_code} 的网格长"
    return EditResult(plan_id, lock, msg)
