"""Workload of each grid leader (网格长工作量): who carries the load.

One row per grid leader of a published cell: households and special-group households in their
cells, open and overdue cases now, cases closed in the period, this week's visits done against
the visits planned, callbacks done, and the satisfaction rate of their cells' closed cases
(the ``satisfied_count`` ÷ ``rated`` counts of db/stats/rates.py: 满意 + 基本满意 ÷ rated, among cases
closed in the period). Counted in PostGIS (db/stats/workload.py).

Visits planned (local practice, configurable): the schema holds no visit plan, so the week's
plan follows the office's rule — every special-group household is visited once per
``special_visit_cycle_weeks`` weeks, and every leader makes at least
``min_visits_per_week`` visits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from db.stats import workload as workload_queries
from services import exports

__all__ = [
    "COLUMNS",
    "VisitPolicy",
    "leader_workload",
    "last_visit_week",
    "week_start",
    "workload_excel",
]


@dataclass(frozen=True)
class VisitPolicy:
    """How many visits a leader should make in a week (local practice)."""

    special_visit_cycle_weeks: int = 12
    min_visits_per_week: int = 1

    def planned(self, special_households: pd.Series) -> pd.Series:
        weeks = max(self.special_visit_cycle_weeks, 1)
        planned = np.ceil(special_households.to_numpy(dtype=float) / weeks)
        return pd.Series(
            np.maximum(planned, self.min_visits_per_week).astype(int),
            index=special_households.index,
        )


# Column → Chinese header, in display order (the page and the Excel export share it).
COLUMNS: dict[str, str] = {
    "leader_name": "网格长",
    "leader_phone": "电话",
    "community_name": "社区",
    "cell_code": "网格编码",
    "households": "户数",
    "special_households": "重点户",
    "open_cases": "在办事件",
    "overdue_cases": "超期事件",
    "closed_cases": "本期办结",
    "visits_done": "本周走访",
    "visits_planned": "本周应走访",
    "visit_completion": "走访完成率",
    "callbacks_done": "本期回访",
    "satisfaction_rate": "满意率",
    "rated": "已评价",
}


def week_start(d: dt.date) -> dt.date:
    """Monday of the week holding ``d`` (visit day is the Tuesday of that week)."""
    return d - dt.timedelta(days=d.weekday())


def last_visit_week(d: dt.date) -> dt.date:
    """Monday of the week of the last visit day (Tuesday) on or before ``d``.

    On a Monday this week's visit day has not come yet, so the table shows last week's.
    """
    tuesday = d - dt.timedelta(days=(d.weekday() - 1) % 7)
    return week_start(tuesday)


def leader_workload(
    *,
    session: Session,
    start: dt.datetime,
    end: dt.datetime,
    as_of: dt.datetime,
    week_of: dt.date | None = None,
    community_codes: tuple[str, ...] = (),
    policy: VisitPolicy = VisitPolicy(),
    use_summaries: bool = True,
) -> pd.DataFrame:
    """The workload table, one row per grid leader, sorted by cell code.

    Parameters
    ----------
    start, end : datetime
        The period for cases closed, callbacks and satisfaction (end exclusive).
    as_of : datetime
        "Now" for open and overdue cases.
    week_of : date, optional
        Any day of the visit week (default: :func:`last_visit_week` of ``as_of``).
    community_codes : tuple of str
        Limit to these communities (empty = all).
    policy : VisitPolicy
        How the week's planned visits are set.
    use_summaries : bool
        Read whole-month periods from the month summaries (default); False counts the raw
        cases and callbacks (the benchmark's comparison).

    Returns
    -------
    DataFrame
        The columns of :data:`COLUMNS` plus ``staff_id``, ``cell_codes`` and
        ``callbacks_reached``; ``satisfaction_rate`` and ``visit_completion`` are fractions
        (NaN without a denominator).
    """
    monday = week_start(week_of) if week_of else last_visit_week(as_of.date())
    frame = workload_queries.leader_workload(
        session=session,
        start=start,
        end=end,
        week_start=monday,
        as_of=as_of,
        community_codes=community_codes,
        use_summaries=use_summaries,
    )
    if frame.empty:
        return frame.assign(visits_planned=[], visit_completion=[], satisfaction_rate=[])
    frame["visits_planned"] = policy.planned(frame["special_households"])
    frame["visit_completion"] = (
        frame["visits_done"] / frame["visits_planned"].where(frame["visits_planned"] > 0)
    ).astype(float)
    frame["satisfaction_rate"] = (
        frame["satisfied_count"] / frame["rated"].where(frame["rated"] > 0)
    ).astype(float)
    return frame


def workload_excel(frame: pd.DataFrame, *, unit: str, period_label: str, as_of: dt.date) -> bytes:
    """The workload table as .xlsx with a title row (unit, period, date), Chinese headers.

    Rates are written as numbers with a percent format so they stay sortable in Excel.
    """
    cols = [c for c in COLUMNS if c in frame.columns]
    return exports.table_xlsx(
        frame[cols].rename(columns=COLUMNS),
        title=f"{unit} 网格长工作量统计（{period_label}）",
        subtitles=[f"统计日期：{as_of.year}年{as_of.month}月{as_of.day}日"],
        sheet="网格长工作量",
        widths=[max(10, len(COLUMNS[c]) * 2 + 2) for c in cols],
        number_formats={COLUMNS[c]: "0.0%" for c in ("visit_completion", "satisfaction_rate")},
        freeze=True,
    )
