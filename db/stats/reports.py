"""The monthly report's reads: a community by name, the cases of a report period."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = ["community_by_name", "community_names_in_order", "period_cases"]


def community_by_name(*, session: Session, name: str) -> tuple[str, str] | None:
    """(code, name) of the community called ``name`` (大北街社区 or 大北街) or coded so."""
    row = session.execute(
        text(
            "SELECT code, name FROM communities WHERE code = :n OR name = :n "
            "OR name = :n || '社区' ORDER BY code LIMIT 1"
        ),
        {"n": name},
    ).first()
    return None if row is None else (row.code, row.name)


def community_names_in_order(*, session: Session) -> list[str]:
    """Every community's name, in code order."""
    return [r.name for r in session.execute(text("SELECT name FROM communities ORDER BY code"))]


def period_cases(
    *, session: Session, lo: dt.datetime, hi: dt.datetime, community_code: str | None
) -> pd.DataFrame:
    """The cases received, due or closed in ``[lo, hi)``, with the report's columns."""
    result = session.execute(
        text(
            """
            SELECT c.case_no, c.kind, c.category, c.channel, c.state,
                   coalesce(m.name, '（未定位）') AS community,
                   coalesce(c.cell_code, '（未定位）') AS cell_code,
                   c.received_at, c.due_at, c.closed_at, c.rework_count, c.satisfaction,
                   c.called_back, c.service_item
            FROM cases c LEFT JOIN communities m ON m.code = c.community_code
            WHERE (CAST(:community AS text) IS NULL OR c.community_code = :community)
              AND ((c.received_at >= :lo AND c.received_at < :hi)
                   OR (c.due_at >= :lo AND c.due_at < :hi)
                   OR (c.closed_at >= :lo AND c.closed_at < :hi))
            """
        ),
        {"lo": lo, "hi": hi, "community": community_code},
    )
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
