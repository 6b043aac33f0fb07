"""Named queries of visit day (下访日) and callback day (回访日): services.households.visits.

Repositories never commit: the calling service owns the transaction. On the app's connection
row-level security decides which households, cases and callbacks come back.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.vocab import DONE_STATES

DONE = "(" + ",".join(f"'{s}'" for s in DONE_STATES) + ")"


# The cells a grid leader or worker answers for (parameters :cell, their staff row's cell, and
# :staff, the cells they lead on the published plan): the visit list and the callback list.
_MY_CELLS = """
        WITH my_cells AS (
            SELECT CAST(:cell AS text) AS cell_code WHERE :cell IS NOT NULL
            UNION
            SELECT g.cell_code FROM grid_cells g
            JOIN grid_plans p ON p.id = g.plan_id AND p.state = 'published'
            WHERE g.leader_staff_id = :staff
        )"""


def _frame(session: Session, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    result = session.execute(text(sql), params)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def staff_row(session: Session, *, staff_id: int) -> Any:
    """(id, staff_no, name, role, cell_code, community_code, streets) of a staff member, or None."""
    return session.execute(
        text(
            "SELECT id, staff_no, name, role, cell_code, community_code, streets FROM staff "
            "WHERE id = :id"
        ),
        {"id": staff_id},
    ).first()


# Parameters: staff, role, cell, community, streets (text[]), start, end (dates), limit.
_VISIT_LIST = f"""
{_MY_CELLS}, hh AS (
            SELECT h.* FROM households h
            WHERE h.status = 'active' AND (
                (:role IN ('grid_leader','grid_worker')
                    AND h.cell_code IN (SELECT cell_code FROM my_cells))
                OR (:role = 'liaison_cadre' AND cardinality(CAST(:streets AS text[])) > 0
                    AND EXISTS (SELECT 1 FROM unnest(CAST(:streets AS text[])) st
                                WHERE h.address LIKE '%' || st || '%'))
                OR (:role = 'liaison_cadre' AND cardinality(CAST(:streets AS text[])) = 0
                    AND h.community_code = :community))
        ), v AS (
            SELECT household_id, max(visit_date) AS last_visit,
                   bool_or(visit_date >= :start AND visit_date < :end) AS this_week
            FROM visits WHERE household_id IN (SELECT id FROM hh) GROUP BY household_id
        ), oc AS (
            SELECT household_id, count(*) AS open_cases FROM cases
            WHERE household_id IN (SELECT id FROM hh) AND state NOT IN {DONE}
            GROUP BY household_id
        )
        SELECT hh.id AS household_id, hh.head_name, hh.address, hh.phone,
               hh.special_groups, hh.cell_code,
               coalesce(oc.open_cases, 0) AS open_cases, v.last_visit,
               coalesce(v.this_week, false) AS visited_this_week
        FROM hh LEFT JOIN v ON v.household_id = hh.id LEFT JOIN oc ON oc.household_id = hh.id
        ORDER BY coalesce(v.this_week, false),
                 cardinality(hh.special_groups) > 0 DESC,
                 coalesce(oc.open_cases, 0) > 0 DESC,
                 v.last_visit NULLS FIRST, hh.id
        LIMIT :limit
        """  # noqa: S608 - DONE is a code constant


def visit_rows(session: Session, *, params: dict[str, Any]) -> pd.DataFrame:
    """The households a grid leader, grid worker or liaison cadre visits, in visiting order:
    not yet visited this week first, then special groups, open cases, longest unvisited."""
    return _frame(session, _VISIT_LIST, params)


def household_for_visit(session: Session, *, household_id: int) -> Any:
    """(id, head_name, phone, address, cell_code, community_code, lon, lat), or None."""
    return session.execute(
        text(
            "SELECT id, head_name, phone, address, cell_code, community_code, "
            "ST_X(geom) AS lon, ST_Y(geom) AS lat FROM households WHERE id = :id"
        ),
        {"id": household_id},
    ).first()


def insert_visit(session: Session, *, values: dict[str, Any]) -> int:
    """A visits row from (d, date, staff, hh, outcome, note, case); its id."""
    return int(
        session.execute(
            text(
                "INSERT INTO visits (district_code, visit_date, staff_id, household_id, outcome, "
                "note, case_id) VALUES (:d, :date, :staff, :hh, :outcome, :note, :case) "
                "RETURNING id"
            ),
            values,
        ).scalar_one()
    )


# Parameters: start, end (aware datetimes), earlier, community, staff, name, cell.
_CALLBACK_LIST = f"""
{_MY_CELLS}
        SELECT c.case_no, c.version, c.citizen_name, c.citizen_phone, c.address,
               c.description, c.category, c.closed_at, c.check_note,
               count(b.id) AS attempts, max(b.called_at) AS last_attempt
        FROM cases c LEFT JOIN callbacks b ON b.case_id = c.id
        WHERE c.state = 'closed' AND NOT c.called_back
          AND c.closed_at < :end AND (:earlier OR c.closed_at >= :start)
          AND (CAST(:community AS text) IS NULL OR c.community_code = :community)
          AND (CAST(:staff AS integer) IS NULL
               OR c.handler_staff_id = :staff
               OR c.received_by = :name
               OR c.cell_code IN (SELECT cell_code FROM my_cells))
        GROUP BY c.id
        ORDER BY c.closed_at, c.case_no
        """


def callback_rows(session: Session, *, params: dict[str, Any]) -> pd.DataFrame:
    """Closed cases waiting for a callback, oldest closing first, with their attempts."""
    return _frame(session, _CALLBACK_LIST, params)


def insert_callback(session: Session, *, values: dict[str, Any]) -> int:
    """A callbacks row from (d, case, at, staff, reached, sat, comment); its id."""
    return int(
        session.execute(
            text(
                "INSERT INTO callbacks (district_code, case_id, called_at, staff_id, reached, "
                "satisfaction, comment) VALUES (:d, :case, :at, :staff, :reached, :sat, :comment) "
                "RETURNING id"
            ),
            values,
        ).scalar_one()
    )


def visiting_staff(session: Session) -> pd.DataFrame:
    """Active grid leaders, grid workers and liaison cadres, cadres first."""
    return _frame(
        session,
        "SELECT id, staff_no, name, role, cell_code, community_code FROM staff "
        "WHERE active AND role IN ('grid_leader','grid_worker','liaison_cadre') "
        "ORDER BY CASE role WHEN 'liaison_cadre' THEN 0 WHEN 'grid_leader' THEN 1 ELSE 2 END, "
        "staff_no",
        {},
    )
