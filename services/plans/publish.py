"""Publishing a plan: refuse blocking problems, retire the old plan, re-assign households
and open cases in the same transaction, and return the diff.

The owner's connection re-assigns directly; the app role's (row-level security) through the
SECURITY DEFINER function ``lianxin_assign_cells`` (planners and admins only). Names in the
diff then appear only where the acting role may read them.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from sqlalchemy.orm import Session

from core.errors import InvalidInputError
from db import plans as queries
from gis.coverage.problems import KIND_LABELS
from services.plans.checks import blocking, check_plan, warnings_of
from services.plans.locking import bump
from services.plans.reads import get_plan
from services.plans.records import PublishResult, atomic

_MAX_LISTED = 8  # blocking problems named in a refusal before "……等 N 个"


def _refusal(problems: gpd.GeoDataFrame) -> str:
    counts = problems["kind"].map(KIND_LABELS).value_counts()
    head = "、".join(f"{k} {v} 处" for k, v in counts.items())
    lines = [f"方案还有 {len(problems)} 个必须修改的问题，不能发布（{head}）："]
    lines += [f"· {m}" for m in problems["message"].head(_MAX_LISTED)]
    if len(problems) > _MAX_LISTED:
        lines.append(f"……等 {len(problems)} 个")
    return "\n".join(lines)


def publish_preview(plan_id: int, *, session: Session) -> pd.DataFrame:
    """Households whose cell would change if ``plan_id`` were published now.

    Columns household_id, old_cell_code, new_cell_code (no names: this is for the
    confirmation step, which counts them).
    """
    df = queries.cells_by_point(session, plan_id=plan_id, source=queries.household_source(session))
    return df[df["old_cell_code"].fillna("") != df["new_cell_code"]].reset_index(drop=True)


@atomic
def publish(
    *,
    session: Session,
    plan_id: int,
    note: str | None,
    actor: str | None,
    expected_lock_version: int,
    min_households: int = 300,
    max_households: int = 500,
) -> PublishResult:
    """Publish a draft: check it, retire the current plan, re-assign households and cases.

    Raises
    ------
    ConflictError
        Someone changed the plan since the caller saw ``expected_lock_version``, or the plan
        is not a draft.
    InvalidInputError
        Blocking problems remain (each one listed), or warnings remain and ``note`` is empty.
    """
    lock = bump(plan_id, expected_lock_version, actor, session=session)  # also row-locks the plan
    plan = get_plan(plan_id, session=session)
    problems = check_plan(
        plan_id, session=session, min_households=min_households, max_households=max_households
    )
    refused = blocking(problems)
    if len(refused):
        raise InvalidInputError(_refusal(refused))
    warnings = warnings_of(problems)
    note = (note or "").strip()
    if len(warnings) and not note:
        counts = "、".join(
            f"{k} {v} 处" for k, v in warnings["kind"].map(KIND_LABELS).value_counts().items()
        )
        raise InvalidInputError(
            f"方案有 {len(warnings)} 个提示性问题（{counts}）：请在“发布说明”中写明为何接受后再发布"
        )

    source = queries.household_source(session)
    before = queries.household_assignments(session, source=source)
    retiring = queries.lock_other_published(
        session, subdistrict_code=plan.subdistrict_code, plan_id=plan_id
    )
    current, retired_version = retiring if retiring is not None else (None, None)
    queries.retire_published(
        session, subdistrict_code=plan.subdistrict_code, plan_id=plan_id, actor=actor
    )
    queries.mark_published(session, plan_id=plan_id, note=note or None, actor=actor)
    n_households, n_cases = queries.assign_to_plan(session, plan_id=plan_id, source=source)
    after = queries.household_assignments(session, source=source)
    diff = before.merge(after, on="household_id", suffixes=("_old", "_new"))
    moved = diff[diff["cell_code_old"].fillna("") != diff["cell_code_new"].fillna("")]
    moved = pd.DataFrame(
        {
            "household_id": moved["household_id"].astype(int),
            "head_name": moved["head_name_new"].where(moved["head_name_new"].notna(), None),
            "old_cell_code": moved["cell_code_old"],
            "new_cell_code": moved["cell_code_new"],
        }
    ).sort_values(["old_cell_code", "new_cell_code", "household_id"], na_position="first")
    moved = moved.reset_index(drop=True)
    by_cell = (
        moved.groupby(["old_cell_code", "new_cell_code"], dropna=False)
        .size()
        .rename("households")
        .reset_index()
        .sort_values("households", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
    summary = {
        "households_assigned": n_households,
        "cases_assigned": n_cases,
        "households_moved": len(moved),
        "warnings_accepted": len(warnings),
        "retired_plan_id": current,
        "retired_version_no": retired_version,
        "lock_version": lock,
    }
    queries.set_publish_summary(session, plan_id=plan_id, summary=summary)
    return PublishResult(
        plan=get_plan(plan_id, session=session),
        retired_plan_id=current,
        households_assigned=n_households,
        cases_assigned=n_cases,
        moved=moved,
        by_cell=by_cell,
        warnings_accepted=len(warnings),
        retired_version_no=retired_version,
    )
