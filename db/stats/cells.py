"""The dashboard's cells, heat bins, drill-down list, summaries and filter options."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core.clock import TZ_NAME
from core.settings import SRID
from core.vocab import OPEN_STATES
from db.frames import read_frame
from db.stats.filters import (
    OPEN_STATES_SQL,
    PUBLISHED_CELLS,
    CaseFilter,
    conditions,
    jit_off,
    months,
)

__all__ = [
    "case_cell_bins",
    "case_time_range",
    "cell_month_counts",
    "cell_open_counts",
    "community_names",
    "heat_frames",
    "open_cases_in_cell",
    "published_cell_shapes",
    "refresh_summaries",
]


# ------------------------------------------------------------------------------ summaries
def refresh_summaries(*, session: Session, max_age_s: int = 600, in_request: bool = True) -> int:
    """Refresh the dashboard summaries that triggers marked dirty; how many were refreshed.

    ``in_request=True`` (a page view): only while the tables are small, so a demo or one
    sub-district shows a change at once and no page request pays a city-scale refresh
    (migration 0012). ``in_request=False`` (the background job, ``lianxin stats refresh``):
    whatever is dirty and older than ``max_age_s``.

    A page's refresh runs in a transaction of its own that commits at once. Inside the page's
    transaction the view locks (``REFRESH`` takes ACCESS EXCLUSIVE) and the lock on the
    ``dashboard_refresh`` row were held until the page finished drawing, so every other
    dashboard waited, and so did every clerk whose case step fires the dirty trigger: under load
    (bench.load, 30 users) an open of 领导驾驶舱 took 46 s and a case step 10 s. The function is
    SECURITY DEFINER and reads no session, so a separate connection of the same role is enough.
    When the page's own transaction changed cases itself and then reads the dashboard, only
    that transaction sees its change (and holds the row): then the refresh runs inside it, as
    before — after a short lock timeout, so the separate connection never waits for its own
    page.
    """
    sql = text("SELECT dashboard_refresh_if_dirty(make_interval(secs => :s), :r)")
    params = {"s": max_age_s, "r": in_request}
    if in_request:
        if not session.execute(text("SELECT dashboard_summaries_dirty()")).scalar():
            return 0  # nothing to do: no lock taken anywhere
        bind = session.get_bind()
        engine: Engine = bind.engine if isinstance(bind, Connection) else bind
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("SET lock_timeout = '1s'"))
                refreshed = int(conn.execute(sql, params).scalar() or 0)
                if refreshed:
                    return refreshed
                # committed state clean, or another page is refreshing: fall through
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != "55P03":  # lock_not_available
                raise
    return int(session.execute(sql, params).scalar() or 0)


# ------------------------------------------------------------------------------ cells
def published_cell_shapes(
    *, session: Session, community_codes: Sequence[str] = ()
) -> gpd.GeoDataFrame:
    """Cells of every published plan: code, names, leader; geometry in EPSG:4490.

    Geometry does not depend on the case filters, so the service caches it by plan and zoom.
    """
    where = "WHERE g.community_code = ANY(:cc)" if community_codes else ""
    return gpd.read_postgis(
        text(
            f"""
            SELECT g.cell_code, g.name, g.community_code, m.name AS community_name,
                   s.id AS leader_staff_id, s.name AS leader_name, s.phone AS leader_phone,
                   g.geom
            FROM ({PUBLISHED_CELLS}) g
            JOIN communities m ON m.code = g.community_code
            LEFT JOIN staff s ON s.id = g.leader_staff_id
            {where}
            ORDER BY g.cell_code
            """  # noqa: S608 - fixed fragments only
        ),
        session.connection(),
        geom_col="geom",
        params={"cc": list(community_codes)},
        crs=SRID,
    )


def cell_open_counts(query: CaseFilter, *, session: Session, as_of: dt.datetime) -> pd.DataFrame:
    """Per published cell: households, special households, open and overdue cases *now*.

    Open cases match the category, kind, channel and community filters (and the state
    filter, when it names open states); the received-in-period filter does not apply — an
    open case is open whenever it came in. Reads the partial index of open cases and the
    household summary only.
    """
    jit_off(session)
    open_where, params = conditions(query, period=False)
    params.update(as_of=as_of, cc=list(query.community_codes))
    cell_where = "WHERE g.community_code = ANY(:cc)" if query.community_codes else ""
    return read_frame(
        session,
        f"""
        WITH open AS (
            -- partial index ix_cases_open_cell: only open cases are read
            SELECT cell_code, count(*) AS open_cases,
                   count(*) FILTER (WHERE due_at < :as_of) AS overdue_cases
            FROM cases
            WHERE state IN ({OPEN_STATES_SQL}) AND {open_where}
            GROUP BY cell_code
        )
        SELECT g.cell_code,
               coalesce(h.households, 0)::int AS households,
               coalesce(h.special_households, 0)::int AS special_households,
               coalesce(o.open_cases, 0)::int AS open_cases,
               coalesce(o.overdue_cases, 0)::int AS overdue_cases
        FROM ({PUBLISHED_CELLS}) g
        LEFT JOIN cell_household_summary h ON h.cell_code = g.cell_code
        LEFT JOIN open o ON o.cell_code = g.cell_code
        {cell_where}
        ORDER BY g.cell_code
        """,  # noqa: S608 - fragments are built from fixed column names
        params,
    )


def case_cell_bins(query: CaseFilter, *, session: Session, size_deg: float) -> pd.DataFrame:
    """Cases received in the period matching every filter, per cell and heat bin.

    Rows ``cell_code, i, j, n``: summing by cell gives the choropleth, by ``(i, j)`` the heat
    map — one pass for both. ``(i, j)`` is the square of ``ST_SquareGrid(size_deg, …)`` the
    case lies in (NULL without a point).
    """
    jit_off(session)
    session.execute(text("SET LOCAL work_mem = '64MB'"))  # hash the groups, do not sort them
    where, params = conditions(query)
    params["s"] = float(size_deg)
    return read_frame(
        session,
        f"""
        SELECT cell_code COLLATE "C" AS cell_code,
               floor(ST_X(geom) / :s)::int AS i, floor(ST_Y(geom) / :s)::int AS j,
               count(*)::int AS n
        FROM cases WHERE {where}
        GROUP BY 1, 2, 3
        """,  # noqa: S608
        params,
    )


def open_cases_in_cell(
    *, session: Session, cell_code: str, as_of: dt.datetime, limit: int = 500
) -> pd.DataFrame:
    """The open cases of one cell, most overdue first (the drill-down list)."""
    return read_frame(
        session,
        """
        SELECT c.case_no, c.category, c.kind, c.channel, c.state, c.received_at, c.due_at,
               (c.due_at < :as_of) AS overdue, c.address, c.description,
               s.name AS handler_name, c.escalation_level
        FROM cases c LEFT JOIN staff s ON s.id = c.handler_staff_id
        WHERE c.cell_code = :cell AND c.state = ANY(:open_states)
        ORDER BY c.due_at NULLS LAST, c.received_at
        LIMIT :limit
        """,
        {"cell": cell_code, "as_of": as_of, "open_states": list(OPEN_STATES), "limit": limit},
    )


def cell_month_counts(query: CaseFilter, *, session: Session) -> pd.DataFrame:
    """``cell_code, cases``: received in the (month-aligned) period, from ``case_cell_month``.

    Cells of unpublished plans may appear; the caller keeps the published ones (a merge with
    the cell shapes). A community's cells share its 12-digit prefix of the cell code.
    """
    params: dict[str, Any] = {**months(query), "cc": list(query.community_codes)}
    community = "AND left(cell_code, 12) = ANY(:cc)" if query.community_codes else ""
    return read_frame(
        session,
        f"""
        SELECT cell_code, sum(received)::int AS cases
        FROM case_cell_month
        WHERE month >= :lo AND month < :hi AND received > 0 {community}
        GROUP BY 1
        """,  # noqa: S608
        params,
    )


# ------------------------------------------------------------------------------ heat
def heat_frames(
    query: CaseFilter, *, session: Session, size_deg: float, step: str = "month"
) -> pd.DataFrame:
    """Heat bins per week or month of receipt: ``frame, lon, lat, n`` (for the animation)."""
    if step not in ("week", "month"):
        raise ValueError(step)
    jit_off(session)
    where, params = conditions(query)
    params.update(s=float(size_deg), step=step, tz=TZ_NAME)
    return read_frame(
        session,
        f"""
        SELECT frame, (i + 0.5) * :s AS lon, (j + 0.5) * :s AS lat, n FROM (
            SELECT date_trunc(:step, received_at AT TIME ZONE :tz)::date AS frame,
                   floor(ST_X(geom) / :s)::int AS i, floor(ST_Y(geom) / :s)::int AS j,
                   count(*)::int AS n
            FROM cases WHERE geom IS NOT NULL AND {where}
            GROUP BY 1, 2, 3
        ) b
        ORDER BY frame, i, j
        """,  # noqa: S608
        params,
    )


# ------------------------------------------------------------------------------ options
def community_names(*, session: Session) -> pd.DataFrame:
    """``code, name`` of every community with a published cell, in code order."""
    return read_frame(
        session,
        f"""
        SELECT m.code, m.name FROM communities m
        WHERE EXISTS (SELECT 1 FROM ({PUBLISHED_CELLS}) g WHERE g.community_code = m.code)
        ORDER BY m.code
        """,  # noqa: S608
        {},
    )


def case_time_range(*, session: Session) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Earliest and latest ``received_at`` (for the period slider)."""
    row = session.execute(text("SELECT min(received_at), max(received_at) FROM cases")).one()
    return row[0], row[1]
