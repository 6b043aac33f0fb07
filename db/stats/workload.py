"""The grid leaders' workload table (网格长工作量), counted in PostGIS."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from sqlalchemy.orm import Session

from core.clock import UTC8
from core.vocab import DONE_STATES, SATISFACTION
from db.frames import read_frame
from db.stats.filters import OPEN_STATES_SQL, PUBLISHED_CELLS, is_month_aligned, jit_off
from db.stats.rates import COUNTS, satisfied_keys, summary_happy_column

__all__ = ["leader_workload"]


def leader_workload(
    *,
    session: Session,
    start: dt.datetime,
    end: dt.datetime,
    week_start: dt.date,
    as_of: dt.datetime,
    community_codes: Sequence[str] = (),
    count_basically_satisfied: bool = True,
    use_summaries: bool = True,
) -> pd.DataFrame:
    """One row per grid leader of a published cell, with the figures of the workload table.

    Columns: ``staff_id, staff_no, leader_name, leader_phone, community_code, community_name,
    cell_code (first cell), cell_codes, households, special_households, open_cases,
    overdue_cases, closed_cases (in the period), rated, satisfied_count (for 满意率), visits_done (in the
    week from ``week_start``), callbacks_done, callbacks_reached (in the period)``.
    ``closed_cases``, ``rated`` and ``satisfied_count`` are the ``closed_here``, ``rated`` and ``satisfied_count``
    counts of :data:`db.stats.rates.COUNTS` per leader.
    """
    jit_off(session)
    cell_where = "AND g.community_code = ANY(:cc)" if community_codes else ""
    if use_summaries and is_month_aligned(start, end):
        # whole months: the per-cell and per-staff month summaries (migration 0003)
        satisfied_count = summary_happy_column(count_basically_satisfied)
        closed_sql = f"""
            SELECT cell_code, sum(closed_here) AS closed_cases, sum(rated) AS rated,
                   sum({satisfied_count}) AS satisfied_count
            FROM case_cell_month WHERE month >= :lo AND month < :hi GROUP BY cell_code"""
        callbacks_sql = """
            SELECT staff_id, sum(done) AS callbacks_done, sum(reached) AS callbacks_reached
            FROM callback_staff_month WHERE month >= :lo AND month < :hi GROUP BY staff_id"""
    else:
        # the closed_here, rated and satisfied_count counts of COUNTS, per cell
        closed_sql = f"""
            SELECT cell_code, count(*) FILTER (WHERE {COUNTS["closed_here"]}) AS closed_cases,
                   count(*) FILTER (WHERE {COUNTS["rated"]}) AS rated,
                   count(*) FILTER (WHERE {COUNTS["satisfied_count"]}) AS satisfied_count
            FROM (
                SELECT cell_code, satisfaction, TRUE AS closed_in_period FROM cases
                WHERE closed_at >= :start AND closed_at < :end AND state = ANY(:done_states)
            ) c
            GROUP BY cell_code"""  # noqa: S608 - fixed fragments only
        callbacks_sql = """
            SELECT b.staff_id, count(*) AS callbacks_done,
                   count(*) FILTER (WHERE b.reached) AS callbacks_reached
            FROM callbacks b
            WHERE b.called_at >= :start AND b.called_at < :end
            GROUP BY b.staff_id"""
    return read_frame(
        session,
        f"""
        WITH cells AS (
            SELECT g.cell_code, g.community_code, g.leader_staff_id
            FROM ({PUBLISHED_CELLS}) g
            WHERE g.leader_staff_id IS NOT NULL {cell_where}
        ), open AS (
            SELECT cell_code, count(*) AS open_cases,
                   count(*) FILTER (WHERE due_at < :as_of) AS overdue_cases
            FROM cases
            WHERE state IN ({OPEN_STATES_SQL})
            GROUP BY cell_code
        ), closed AS ({closed_sql}
        ), per_cell AS (
            SELECT c.leader_staff_id, c.cell_code, c.community_code,
                   coalesce(h.households, 0) AS households,
                   coalesce(h.special_households, 0) AS special_households,
                   coalesce(o.open_cases, 0) AS open_cases,
                   coalesce(o.overdue_cases, 0) AS overdue_cases,
                   coalesce(d.closed_cases, 0) AS closed_cases,
                   coalesce(d.rated, 0) AS rated, coalesce(d.satisfied_count, 0) AS satisfied_count
            FROM cells c
            LEFT JOIN cell_household_summary h ON h.cell_code = c.cell_code
            LEFT JOIN open o ON o.cell_code = c.cell_code
            LEFT JOIN closed d ON d.cell_code = c.cell_code
        ), per_leader AS (
            SELECT leader_staff_id, min(cell_code) AS cell_code,
                   string_agg(cell_code, ',' ORDER BY cell_code) AS cell_codes,
                   min(community_code) AS community_code,
                   sum(households)::int AS households,
                   sum(special_households)::int AS special_households,
                   sum(open_cases)::int AS open_cases, sum(overdue_cases)::int AS overdue_cases,
                   sum(closed_cases)::int AS closed_cases, sum(rated)::int AS rated,
                   sum(satisfied_count)::int AS satisfied_count
            FROM per_cell GROUP BY leader_staff_id
        ), visits_done AS (
            SELECT v.staff_id, count(*) AS visits_done FROM visits v
            WHERE v.visit_date >= :ws AND v.visit_date < :we
              AND v.staff_id IN (SELECT leader_staff_id FROM per_leader)
            GROUP BY v.staff_id
        ), callbacks_done AS ({callbacks_sql}
        )
        SELECT s.id AS staff_id, s.staff_no, s.name AS leader_name, s.phone AS leader_phone,
               l.community_code, m.name AS community_name, l.cell_code, l.cell_codes,
               l.households, l.special_households, l.open_cases, l.overdue_cases,
               l.closed_cases, l.rated, l.satisfied_count,
               coalesce(v.visits_done, 0)::int AS visits_done,
               coalesce(b.callbacks_done, 0)::int AS callbacks_done,
               coalesce(b.callbacks_reached, 0)::int AS callbacks_reached
        FROM per_leader l
        JOIN staff s ON s.id = l.leader_staff_id
        LEFT JOIN communities m ON m.code = l.community_code
        LEFT JOIN visits_done v ON v.staff_id = l.leader_staff_id
        LEFT JOIN callbacks_done b ON b.staff_id = l.leader_staff_id
        ORDER BY l.cell_code
        """,  # noqa: S608
        {
            "start": start,
            "end": end,
            "ws": week_start,
            "we": week_start + dt.timedelta(days=7),
            "as_of": as_of,
            "cc": list(community_codes),
            "rated": list(SATISFACTION),
            "good": satisfied_keys(count_basically_satisfied),
            "done_states": list(DONE_STATES),
            "lo": start.astimezone(UTC8).date(),
            "hi": end.astimezone(UTC8).date(),
        },
    )
