"""Reads of the dashboard benchmark (bench/bench_dashboard.py): the city's size, and the naive
path it compares the dashboard with — every case of a period pulled into pandas."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.vocab import DONE_STATES

__all__ = [
    "city_size",
    "closed_case_count",
    "community_count",
    "first_community_code",
    "period_case_rows",
]


def city_size(*, session: Session) -> dict[str, int]:
    """``households, cells, cases``: how many rows each of the big tables holds."""
    rows = session.execute(
        text(
            "SELECT 'households', count(*) FROM households UNION ALL "
            "SELECT 'cells', count(*) FROM grid_cells UNION ALL "
            "SELECT 'cases', count(*) FROM cases"
        )
    ).all()
    return {str(name): int(n) for name, n in rows}


def first_community_code(*, session: Session) -> str:
    return str(session.execute(text("SELECT min(code) FROM communities")).scalar())


def community_count(*, session: Session) -> int:
    return int(session.execute(text("SELECT count(*) FROM communities")).scalar() or 0)


def closed_case_count(*, session: Session) -> int:
    """Cases now closed or rated."""
    return int(
        session.execute(
            text("SELECT count(*) FROM cases WHERE state = ANY(:d)"), {"d": list(DONE_STATES)}
        ).scalar()
        or 0
    )


def period_case_rows(*, session: Session, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """Every case received, due or closed in ``[start, end)``, one row each, with its point."""
    return pd.read_sql(
        text(
            "SELECT case_no, kind, category, channel, state, community_code, cell_code, "
            "received_at, due_at, closed_at, rework_count, satisfaction, called_back, "
            "ST_X(geom) AS lon, ST_Y(geom) AS lat FROM cases "
            "WHERE (received_at >= :a AND received_at < :b) OR (due_at >= :a AND due_at < :b) "
            "OR (closed_at >= :a AND closed_at < :b)"
        ),
        session.connection(),
        params={"a": start, "b": end},
    )
