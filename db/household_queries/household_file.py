"""Named queries for the household file (户档案): visits, cases, callbacks, history, and the
history row a change writes."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from db.frames import read_frame


def household_visits(session: Session, *, household_id: int) -> pd.DataFrame:
    return read_frame(
        session,
        """
        SELECT v.visit_date, s.name AS staff_name, v.outcome, v.note, c.case_no
        FROM visits v
        LEFT JOIN staff s ON s.id = v.staff_id
        LEFT JOIN cases c ON c.id = v.case_id
        WHERE v.household_id = :id
        ORDER BY v.visit_date DESC, v.id DESC
        """,
        {"id": household_id},
    )


def household_cases(session: Session, *, household_id: int) -> pd.DataFrame:
    return read_frame(
        session,
        """
        SELECT c.id, c.case_no, c.kind, c.category, c.state, c.received_at, c.due_at,
               c.closed_at, c.satisfaction, c.description
        FROM cases c
        WHERE c.household_id = :id
        ORDER BY c.received_at DESC, c.id DESC
        """,
        {"id": household_id},
    )


def household_callbacks(session: Session, *, household_id: int) -> pd.DataFrame:
    return read_frame(
        session,
        """
        SELECT b.called_at, c.case_no, s.name AS staff_name, b.reached, b.satisfaction,
               b.comment
        FROM callbacks b
        JOIN cases c ON c.id = b.case_id
        LEFT JOIN staff s ON s.id = b.staff_id
        WHERE c.household_id = :id
        ORDER BY b.called_at DESC, b.id DESC
        """,
        {"id": household_id},
    )


def household_history(session: Session, *, household_id: int) -> pd.DataFrame:
    return read_frame(
        session,
        """
        SELECT at, actor, change, detail FROM household_changes
        WHERE household_id = :id ORDER BY at DESC, id DESC
        """,
        {"id": household_id},
    )


def insert_household_change(
    session: Session,
    *,
    household_id: int,
    actor: str | None,
    change: str,
    detail: str = "{}",
) -> None:
    """One line of a household file's history; ``detail`` is JSON text."""
    session.execute(
        text(
            "INSERT INTO household_changes (district_code, household_id, actor, change, detail) "
            "SELECT h.district_code, h.id, :actor, :change, CAST(:detail AS jsonb) "
            "FROM households h WHERE h.id = :id"
        ),
        {"id": household_id, "actor": actor, "change": change, "detail": detail},
    )
