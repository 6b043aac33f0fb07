"""What every dashboard query shares: the case filter, the session tuning, the frame reader.

Nothing here returns one row per case except :func:`db.stats.cells.open_cases_in_cell` (one
cell's open list, capped): counts come back per cell, per heat bin, per month or per grid
leader, so what leaves the database — and later the browser — grows with the number of cells
and bins, never with the number of cases. Tuned at 1 M households / 10 k cells / 1 M cases
(bench/RESULTS.md):

- every query runs with ``jit = off``: on these million-row aggregates PostgreSQL's JIT spends
  0.2–0.5 s compiling expressions for a query that runs in 0.1–0.3 s;
- open and overdue counts read the partial index ``ix_cases_open_cell`` (migration 0003), which
  holds only the open cases;
- households per cell come from the ``cell_household_summary`` materialised view, refreshed
  by :func:`db.stats.cells.refresh_summaries` when a trigger has marked it dirty;
- heat bins are the cells of ``ST_SquareGrid(size, …)`` computed arithmetically
  (``i = floor(x / size)``, ``j = floor(y / size)``, as PostGIS numbers its grid), which is one
  pass over the points instead of a spatial join of every point with every square.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.clock import UTC8
from core.vocab import OPEN_STATES


@dataclass(frozen=True)
class CaseFilter:
    """Which cases the dashboard counts: received in ``[start, end)`` and the chosen values.

    An empty tuple means "all". ``community_codes`` also limits the cells shown.
    """

    start: dt.datetime
    end: dt.datetime
    categories: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    community_codes: tuple[str, ...] = field(default=())


#: The open states as an SQL list literal (fixed vocabulary): a literal list, not a parameter,
#: lets the planner use the partial index of open cases (ix_cases_open_cell).
OPEN_STATES_SQL = ", ".join(f"'{s}'" for s in OPEN_STATES)

PUBLISHED_CELLS = """
    SELECT g.cell_code, g.name, g.community_code, g.leader_staff_id, g.geom
    FROM grid_cells g JOIN grid_plans p ON p.id = g.plan_id AND p.state = 'published'
"""


def jit_off(session: Session) -> None:
    """``jit = off`` for this transaction (see the module docstring)."""
    session.execute(text("SET LOCAL jit = off"))


def conditions(
    query: CaseFilter, *, alias: str = "", period: bool = True, states: bool = True
) -> tuple[str, dict[str, Any]]:
    """SQL conditions for the query's filters; only the chosen ones, so indexes stay usable.

    Built from fixed column names only; the values travel as bound parameters.
    """
    a = f"{alias}." if alias else ""
    parts: list[str] = []
    params: dict[str, Any] = {}
    if period:
        parts.append(f"{a}received_at >= :start AND {a}received_at < :end")
        params.update(start=query.start, end=query.end)
    for column, values in (
        ("category", query.categories),
        ("kind", query.kinds),
        ("channel", query.channels),
        ("community_code", query.community_codes),
    ):
        if values:
            parts.append(f"{a}{column} = ANY(:{column}_list)")
            params[f"{column}_list"] = list(values)
    if states and query.states:
        parts.append(f"{a}state = ANY(:state_list)")
        params["state_list"] = list(query.states)
    return (" AND ".join(parts) or "TRUE"), params


def month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def is_month_aligned(start: dt.datetime, end: dt.datetime) -> bool:
    """True when ``[start, end)`` runs from a local month start to a local month start."""
    a, b = start.astimezone(UTC8), end.astimezone(UTC8)
    return all(t.day == 1 and t.time() == dt.time() for t in (a, b))


def months(query: CaseFilter) -> dict[str, dt.date]:
    """``lo, hi``: the query's period as local month-start dates (for the month summaries)."""
    return {"lo": query.start.astimezone(UTC8).date(), "hi": query.end.astimezone(UTC8).date()}
