"""Optimistic concurrency: every edit names the ``lock_version`` its editor saw."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from core.clock import BEIJING
from core.errors import ConflictError
from db import plans as queries
from services.plans.reads import get_plan
from services.plans.records import EDITABLE_STATES


def _fmt_time(moment: dt.datetime | None) -> str:
    if moment is None:
        return "刚才"
    local = moment.astimezone(BEIJING)
    return f"{local:%Y-%m-%d %H:%M}"


def bump(
    plan_id: int,
    expected_lock_version: int,
    actor: str | None,
    *,
    session: Session,
    states: Sequence[str] = EDITABLE_STATES,
) -> int:
    """Take the plan for this edit: bump ``lock_version`` iff it is still ``expected``.

    Runs first in every edit, so a conflicting editor's row lock makes the second edit wait
    and then see the new version, instead of both writing.
    """
    new = queries.bump_lock_version(
        session,
        plan_id=plan_id,
        expected_lock_version=expected_lock_version,
        actor=actor,
        states=states,
    )
    if new is not None:
        return new
    plan = get_plan(plan_id, session=session)
    if plan.state not in states:
        raise ConflictError(
            f"方案“{plan.name}”{plan.state_label}，不能再修改；请先由已发布方案生成新草稿"
        )
    who = plan.updated_by or "其他人"
    raise ConflictError(
        f"方案已被 {who} 于 {_fmt_time(plan.updated_at)} 修改（版本 {plan.lock_version}，"
        f"您看到的是版本 {expected_lock_version}），请刷新后再改"
    )
