"""Named queries of the leader dashboard (领导驾驶舱), aggregated in PostGIS.

Nothing here returns one row per case except :func:`open_cases_in_cell` (one cell's open list,
capped): counts come back per cell, per heat bin, per month or per grid leader, so what leaves
the database — and later the browser — grows with the number of cells and bins, never with
the number of cases. Tuned at 1 M households / 10 k cells / 1 M cases (bench/RESULTS.md):

- every query runs with ``jit = off``: on these million-row aggregates PostgreSQL's JIT spends
  0.2–0.5 s compiling expressions for a query that runs in 0.1–0.3 s;
- open and overdue counts read the partial index ``ix_cases_open_cell`` (migration 0003), which
  holds only the open cases;
- households per cell come from the ``cell_household_summary`` materialised view, refreshed
  by :func:`refresh_summaries` when a trigger has marked it dirty;
- heat bins are the cells of ``ST_SquareGrid(size, …)`` computed arithmetically
  (``i = floor(x / size)``, ``j = floor(y / size)``, as PostGIS numbers its grid), which is one
  pass over the points instead of a spatial join of every point with every square.

Rate definitions follow services/rates.py exactly (应办结 by ``due_at`` in the period, 办结 =
closed or rated with ``closed_at`` before the period's end, 按期 = ``closed_at <= due_at``, and
the satisfaction/rework/callback bases = closed in the period).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core.vocab import DONE_STATES, OPEN_STATES, SATISFACTION

SRID = 4490
LOCAL_TZ = "Asia/Shanghai"


@dataclass(frozen=True)
class CaseQuery:
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


def _tune(session: Session) -> None:
    session.execute(text("SET LOCAL jit = off"))


def _df(session: Session, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    result = session.execute(text(sql), params)
    names = list(result.keys())
    rows = result.fetchall()
    # Column by column: building a frame from tens of thousands of Row objects costs pandas
    # about a second (type inference per cell); from columns it is milliseconds.
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    return pd.DataFrame({n: list(c) for n, c in zip(names, columns, strict=True)}, columns=names)


def _attrs(
    q: CaseQuery, *, alias: str = "", period: bool = True, states: bool = True
) -> tuple[str, dict[str, Any]]:
    """SQL conditions for the query's filters; only the chosen ones, so indexes stay usable."""
    a = f"{alias}." if alias else ""
    parts: list[str] = []
    params: dict[str, Any] = {}
    if period:
        parts.append(f"{a}received_at >= :start AND {a}received_at < :end")
        params.update(start=q.start, end=q.end)
    for column, values in (
        ("category", q.categories),
        ("kind", q.kinds),
        ("channel", q.channels),
        ("community_code", q.community_codes),
    ):
        if values:
            parts.append(f"{a}{column} = ANY(:{column}_list)")
            params[f"{column}_list"] = list(values)
    if states and q.states:
        parts.append(f"{a}state = ANY(:state_list)")
        params["state_list"] = list(q.states)
    return (" AND ".join(parts) or "TRUE"), params


_PUBLISHED_CELLS = """
    SELECT g.cell_code, g.name, g.community_code, g.leader_staff_id, g.geom
    FROM grid_cells g JOIN grid_plans p ON p.id = g.plan_id AND p.state = 'published'
"""


# ------------------------------------------------------------------------------ summaries
def refresh_summaries(session: Session, *, max_age_s: int = 600, in_request: bool = True) -> int:
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
    session: Session, *, community_codes: Sequence[str] = ()
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
            FROM ({_PUBLISHED_CELLS}) g
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


def cell_open_counts(session: Session, q: CaseQuery, *, as_of: dt.datetime) -> pd.DataFrame:
    """Per published cell: households, special households, open and overdue cases *now*.

    Open cases match the category, kind, channel and community filters (and the state
    filter, when it names open states); the received-in-period filter does not apply — an
    open case is open whenever it came in. Reads the partial index of open cases and the
    household summary only.
    """
    _tune(session)
    open_where, params = _attrs(q, period=False)
    params.update(as_of=as_of, cc=list(q.community_codes))
    cell_where = "WHERE g.community_code = ANY(:cc)" if q.community_codes else ""
    return _df(
        session,
        f"""
        WITH open AS (
            -- partial index ix_cases_open_cell: only open cases are read
            SELECT cell_code, count(*) AS open_cases,
                   count(*) FILTER (WHERE due_at < :as_of) AS overdue_cases
            FROM cases
            WHERE state IN ({", ".join(f"'{s}'" for s in OPEN_STATES)}) AND {open_where}
            GROUP BY cell_code
        )
        SELECT g.cell_code,
               coalesce(h.households, 0)::int AS households,
               coalesce(h.special_households, 0)::int AS special_households,
               coalesce(o.open_cases, 0)::int AS open_cases,
               coalesce(o.overdue_cases, 0)::int AS overdue_cases
        FROM ({_PUBLISHED_CELLS}) g
        LEFT JOIN cell_household_summary h ON h.cell_code = g.cell_code
        LEFT JOIN open o ON o.cell_code = g.cell_code
        {cell_where}
        ORDER BY g.cell_code
        """,  # noqa: S608 - fragments are built from fixed column names
        params,
    )


def case_cell_bins(session: Session, q: CaseQuery, *, size_deg: float) -> pd.DataFrame:
    """Cases received in the period matching every filter, per cell and heat bin.

    Rows ``cell_code, i, j, n``: summing by cell gives the choropleth, by ``(i, j)`` the heat
    map — one pass for both. ``(i, j)`` is the square of ``ST_SquareGrid(size_deg, …)`` the
    case lies in (NULL without a point).
    """
    _tune(session)
    session.execute(text("SET LOCAL work_mem = '64MB'"))  # hash the groups, do not sort them
    where, params = _attrs(q)
    params["s"] = float(size_deg)
    return _df(
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
    session: Session, *, cell_code: str, as_of: dt.datetime, limit: int = 500
) -> pd.DataFrame:
    """The open cases of one cell, most overdue first (the drill-down list)."""
    return _df(
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


# ------------------------------------------------------------------------------ heat
def heat_frames(
    session: Session, q: CaseQuery, *, size_deg: float, step: str = "month"
) -> pd.DataFrame:
    """Heat bins per week or month of receipt: ``frame, lon, lat, n`` (for the animation)."""
    if step not in ("week", "month"):
        raise ValueError(step)
    _tune(session)
    where, params = _attrs(q)
    params.update(s=float(size_deg), step=step, tz=LOCAL_TZ)
    return _df(
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


# ------------------------------------------------------------------------------ rates
def _good(count_basically_satisfied: bool) -> list[str]:
    return ["satisfied", "basically_satisfied"] if count_basically_satisfied else ["satisfied"]


def rate_counts(
    session: Session,
    q: CaseQuery,
    *,
    start: dt.datetime,
    end: dt.datetime,
    count_basically_satisfied: bool = True,
) -> dict[str, int]:
    """Numerators and denominators of the office's rates for ``[start, end)``.

    Same definitions as ``services.rates.compute_rates``; the category/kind/channel/community
    filters apply, the received-in-period and state filters do not (a rate has its own period
    and is about states by definition). Keys: ``due, done, on_time, closed_here, rated, happy,
    reworked, called``.
    """
    _tune(session)
    where, params = _attrs(q, period=False, states=False)
    params.update(
        start=start,
        end=end,
        done_states=list(DONE_STATES),
        rated=list(SATISFACTION),
        good=_good(count_basically_satisfied),
    )
    row = (
        session.execute(
            text(
                f"""
                SELECT
                  count(*) FILTER (WHERE due) AS due,
                  count(*) FILTER (WHERE due AND done) AS done,
                  count(*) FILTER (WHERE due AND done AND closed_at <= due_at) AS on_time,
                  count(*) FILTER (WHERE here) AS closed_here,
                  count(*) FILTER (WHERE here AND satisfaction = ANY(:rated)) AS rated,
                  count(*) FILTER (WHERE here AND satisfaction = ANY(:good)) AS happy,
                  count(*) FILTER (WHERE here AND rework_count > 0) AS reworked,
                  count(*) FILTER (WHERE here AND called_back) AS called
                FROM (
                    SELECT due_at, closed_at, satisfaction, rework_count, called_back,
                           (due_at >= :start AND due_at < :end) AS due,
                           (state = ANY(:done_states) AND closed_at < :end) AS done,
                           (state = ANY(:done_states) AND closed_at >= :start
                               AND closed_at < :end) AS here
                    FROM cases
                    WHERE ((due_at >= :start AND due_at < :end)
                           OR (closed_at >= :start AND closed_at < :end))
                      AND {where}
                ) c
                """  # noqa: S608
            ),
            params,
        )
        .mappings()
        .one()
    )
    return {k: int(v or 0) for k, v in row.items()}


def monthly_trend(
    session: Session,
    q: CaseQuery,
    *,
    first_month: dt.date,
    end_month: dt.date,
    count_basically_satisfied: bool = True,
) -> pd.DataFrame:
    """Per month in ``[first_month, end_month)``: cases received and the rate counts.

    Columns ``month, received, due, done, on_time, closed_here, rated, happy, reworked``.
    Each case counts in the month it was received, the month it was due and the month it was
    closed. Without a community filter the answer comes from ``case_month_summary``
    (refreshed by :func:`refresh_summaries`); with one, from the community's cases directly.
    """
    _tune(session)
    if not q.community_codes:
        return _monthly_from_summary(
            session,
            q,
            first_month=first_month,
            end_month=end_month,
            count_basically_satisfied=count_basically_satisfied,
        )
    where, params = _attrs(q, period=False, states=False)
    params.update(
        lo=dt.datetime.combine(first_month, dt.time(), tzinfo=_tz()),
        hi=dt.datetime.combine(end_month, dt.time(), tzinfo=_tz()),
        tz=LOCAL_TZ,
        done_states=list(DONE_STATES),
        rated=list(SATISFACTION),
        good=_good(count_basically_satisfied),
    )
    return _df(
        session,
        f"""
        WITH c AS (
            SELECT received_at, due_at, closed_at, satisfaction, rework_count,
                   state = ANY(:done_states) AS is_done
            FROM cases
            WHERE ((received_at >= :lo AND received_at < :hi)
                   OR (due_at >= :lo AND due_at < :hi)
                   OR (closed_at >= :lo AND closed_at < :hi))
              AND {where}
        ), u AS (
            SELECT date_trunc('month', received_at AT TIME ZONE :tz) AS month,
                   1 AS received, 0 AS due, 0 AS done, 0 AS on_time,
                   0 AS here, 0 AS rated, 0 AS happy, 0 AS reworked
            FROM c WHERE received_at >= :lo AND received_at < :hi
            UNION ALL
            SELECT date_trunc('month', due_at AT TIME ZONE :tz), 0, 1,
                   (is_done AND closed_at AT TIME ZONE :tz
                       < date_trunc('month', due_at AT TIME ZONE :tz) + interval '1 month')::int,
                   (is_done AND closed_at <= due_at AND closed_at AT TIME ZONE :tz
                       < date_trunc('month', due_at AT TIME ZONE :tz) + interval '1 month')::int,
                   0, 0, 0, 0
            FROM c WHERE due_at >= :lo AND due_at < :hi
            UNION ALL
            SELECT date_trunc('month', closed_at AT TIME ZONE :tz), 0, 0, 0, 0, 1,
                   (satisfaction = ANY(:rated))::int, (satisfaction = ANY(:good))::int,
                   (rework_count > 0)::int
            FROM c WHERE is_done AND closed_at >= :lo AND closed_at < :hi
        )
        SELECT month::date AS month, sum(received)::int AS received, sum(due)::int AS due,
               sum(done)::int AS done, sum(on_time)::int AS on_time,
               sum(here)::int AS closed_here, sum(rated)::int AS rated,
               sum(happy)::int AS happy, sum(reworked)::int AS reworked
        FROM u GROUP BY 1 ORDER BY 1
        """,  # noqa: S608
        params,
    )


def _monthly_from_summary(
    session: Session,
    q: CaseQuery,
    *,
    first_month: dt.date,
    end_month: dt.date,
    count_basically_satisfied: bool,
) -> pd.DataFrame:
    where, params = _attrs(q, period=False, states=False)
    params.update(lo=first_month, hi=end_month)
    happy = "satisfied + basically" if count_basically_satisfied else "satisfied"
    return _df(
        session,
        f"""
        WITH closed AS (
            SELECT month, sum(received) AS received, sum(closed_here) AS closed_here,
                   sum(rated) AS rated, sum({happy}) AS happy, sum(reworked) AS reworked
            FROM case_month_summary
            WHERE month >= :lo AND month < :hi AND {where} GROUP BY 1
        ), due AS (
            SELECT due_month AS month, sum(n) AS due,
                   sum(n) FILTER (WHERE closed_month <= due_month) AS done,
                   sum(n) FILTER (WHERE closed_month <= due_month AND on_time) AS on_time
            FROM case_due_summary
            WHERE due_month >= :lo AND due_month < :hi AND {where} GROUP BY 1
        )
        SELECT coalesce(c.month, d.month) AS month,
               coalesce(c.received, 0)::int AS received, coalesce(d.due, 0)::int AS due,
               coalesce(d.done, 0)::int AS done, coalesce(d.on_time, 0)::int AS on_time,
               coalesce(c.closed_here, 0)::int AS closed_here, coalesce(c.rated, 0)::int AS rated,
               coalesce(c.happy, 0)::int AS happy, coalesce(c.reworked, 0)::int AS reworked
        FROM closed c FULL JOIN due d ON d.month = c.month
        ORDER BY 1
        """,  # noqa: S608
        params,
    )


def _tz() -> dt.tzinfo:
    return dt.timezone(dt.timedelta(hours=8))


# ------------------------------------------------------------------------------ summaries
def month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def is_month_aligned(start: dt.datetime, end: dt.datetime) -> bool:
    """True when ``[start, end)`` runs from a local month start to a local month start."""
    a, b = start.astimezone(_tz()), end.astimezone(_tz())
    return all(t.day == 1 and t.time() == dt.time() for t in (a, b))


def _months(q: CaseQuery) -> dict[str, dt.date]:
    return {"lo": q.start.astimezone(_tz()).date(), "hi": q.end.astimezone(_tz()).date()}


def cell_month_counts(session: Session, q: CaseQuery) -> pd.DataFrame:
    """``cell_code, cases``: received in the (month-aligned) period, from ``case_cell_month``.

    Cells of unpublished plans may appear; the caller keeps the published ones (a merge with
    the cell shapes). A community's cells share its 12-digit prefix of the cell code.
    """
    params: dict[str, Any] = {**_months(q), "cc": list(q.community_codes)}
    community = "AND left(cell_code, 12) = ANY(:cc)" if q.community_codes else ""
    return _df(
        session,
        f"""
        SELECT cell_code, sum(received)::int AS cases
        FROM case_cell_month
        WHERE month >= :lo AND month < :hi AND received > 0 {community}
        GROUP BY 1
        """,  # noqa: S608
        params,
    )


def rate_counts_from_summary(
    session: Session, q: CaseQuery, *, count_basically_satisfied: bool = True
) -> dict[str, int]:
    """:func:`rate_counts` for a month-aligned period from the summaries (no community filter).

    应办结 = due in the period's months; 办结 = of those, closed in a month before the period's
    end; 按期 = of those, closed by the deadline; the rest by closing month.
    """
    if q.community_codes:
        raise ValueError("the summaries have no community; use rate_counts")
    where, params = _attrs(q, period=False, states=False)
    params.update(_months(q))
    happy = "satisfied + basically" if count_basically_satisfied else "satisfied"
    due = (
        session.execute(
            text(
                f"""
                SELECT coalesce(sum(n), 0) AS due,
                       coalesce(sum(n) FILTER (WHERE closed_month < :hi), 0) AS done,
                       coalesce(sum(n) FILTER (WHERE closed_month < :hi AND on_time), 0)
                           AS on_time
                FROM case_due_summary
                WHERE due_month >= :lo AND due_month < :hi AND {where}
                """  # noqa: S608
            ),
            params,
        )
        .mappings()
        .one()
    )
    closed = (
        session.execute(
            text(
                f"""
                SELECT coalesce(sum(closed_here), 0) AS closed_here,
                       coalesce(sum(rated), 0) AS rated, coalesce(sum({happy}), 0) AS happy,
                       coalesce(sum(reworked), 0) AS reworked, coalesce(sum(called), 0) AS called
                FROM case_month_summary
                WHERE month >= :lo AND month < :hi AND {where}
                """  # noqa: S608
            ),
            params,
        )
        .mappings()
        .one()
    )
    return {k: int(v) for k, v in {**due, **closed}.items()}


# ------------------------------------------------------------------------------ workload
def leader_workload(
    session: Session,
    *,
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
    overdue_cases, closed_cases (in the period), rated, happy (for 满意率), visits_done (in the
    week from ``week_start``), callbacks_done, callbacks_reached (in the period)``.
    """
    _tune(session)
    cell_where = "AND g.community_code = ANY(:cc)" if community_codes else ""
    if use_summaries and is_month_aligned(start, end):
        # whole months: the per-cell and per-staff month summaries (migration 0003)
        happy = "satisfied + basically" if count_basically_satisfied else "satisfied"
        closed_sql = f"""
            SELECT cell_code, sum(closed_here) AS closed_cases, sum(rated) AS rated,
                   sum({happy}) AS happy
            FROM case_cell_month WHERE month >= :lo AND month < :hi GROUP BY cell_code"""
        callbacks_sql = """
            SELECT staff_id, sum(done) AS callbacks_done, sum(reached) AS callbacks_reached
            FROM callback_staff_month WHERE month >= :lo AND month < :hi GROUP BY staff_id"""
    else:
        closed_sql = """
            SELECT cell_code, count(*) AS closed_cases,
                   count(*) FILTER (WHERE satisfaction = ANY(:rated)) AS rated,
                   count(*) FILTER (WHERE satisfaction = ANY(:good)) AS happy
            FROM cases
            WHERE closed_at >= :start AND closed_at < :end AND state = ANY(:done_states)
            GROUP BY cell_code"""
        callbacks_sql = """
            SELECT b.staff_id, count(*) AS callbacks_done,
                   count(*) FILTER (WHERE b.reached) AS callbacks_reached
            FROM callbacks b
            WHERE b.called_at >= :start AND b.called_at < :end
            GROUP BY b.staff_id"""
    return _df(
        session,
        f"""
        WITH cells AS (
            SELECT g.cell_code, g.community_code, g.leader_staff_id
            FROM ({_PUBLISHED_CELLS}) g
            WHERE g.leader_staff_id IS NOT NULL {cell_where}
        ), open AS (
            SELECT cell_code, count(*) AS open_cases,
                   count(*) FILTER (WHERE due_at < :as_of) AS overdue_cases
            FROM cases
            WHERE state IN ({", ".join(f"'{s}'" for s in OPEN_STATES)})
            GROUP BY cell_code
        ), closed AS ({closed_sql}
        ), per_cell AS (
            SELECT c.leader_staff_id, c.cell_code, c.community_code,
                   coalesce(h.households, 0) AS households,
                   coalesce(h.special_households, 0) AS special_households,
                   coalesce(o.open_cases, 0) AS open_cases,
                   coalesce(o.overdue_cases, 0) AS overdue_cases,
                   coalesce(d.closed_cases, 0) AS closed_cases,
                   coalesce(d.rated, 0) AS rated, coalesce(d.happy, 0) AS happy
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
                   sum(happy)::int AS happy
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
               l.closed_cases, l.rated, l.happy,
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
            "good": _good(count_basically_satisfied),
            "done_states": list(DONE_STATES),
            "lo": start.astimezone(_tz()).date(),
            "hi": end.astimezone(_tz()).date(),
        },
    )


# ------------------------------------------------------------------------------ options
def community_names(session: Session) -> pd.DataFrame:
    """``code, name`` of every community with a published cell, in code order."""
    return _df(
        session,
        f"""
        SELECT m.code, m.name FROM communities m
        WHERE EXISTS (SELECT 1 FROM ({_PUBLISHED_CELLS}) g WHERE g.community_code = m.code)
        ORDER BY m.code
        """,  # noqa: S608
        {},
    )


def case_time_range(session: Session) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Earliest and latest ``received_at`` (for the period slider)."""
    row = session.execute(text("SELECT min(received_at), max(received_at) FROM cases")).one()
    return row[0], row[1]
