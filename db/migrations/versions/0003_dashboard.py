"""Leader dashboard: indexes for the case aggregates and a per-cell household summary.

Why each piece is here (measured at 1 M households / 10 k cells / 1 M cases, bench/RESULTS.md):

- ``ix_cases_open_cell``: a partial index over the open cases only (a few per cent of all
  cases), so "open / overdue per cell" never scans the closed history.
- ``ix_cases_due_at`` / ``ix_cases_closed_at``: the rate denominators select by deadline and
  by closing date (services/rates.py definitions).
- ``ix_cases_{category,kind,channel}_received``: a filtered map (one category, kind or
  channel over a year) reads that value's cases in the period, not the whole period.
- ``ix_callbacks_staff_called`` / ``ix_visits_staff_date`` / ``ix_grid_cells_plan_leader``:
  the workload table groups callbacks and visits by staff and joins cells to their leader.
- month-grain summaries (``SUMMARIES`` below): per month × category × kind × channel
  (received, closed, rated, satisfied, reworked, called back), per deadline month × closing
  month (应办结/办结/按期), per cell × month (received, closed, satisfied) and per staff × month
  (callbacks). At a million cases every period count otherwise reads half a million rows;
  the dashboard's period is whole months, so these answer in milliseconds. Marked dirty by
  triggers on ``cases``/``callbacks`` and refreshed on read at most every ``max_age`` on a
  large table (at once on a small one). Open and overdue counts are always live.
- ``cell_household_summary``: households and special-group households per cell. Counting them
  live means reading every household row (the special groups are an array column), about
  0.3 s at city scale on every page view; the summary answers in milliseconds. It is kept
  fresh by statement-level triggers on ``households`` that mark it dirty, and the dashboard
  calls ``dashboard_refresh_if_dirty()`` before reading ("a materialised summary refreshed on
  change"). Both functions are SECURITY DEFINER so a restricted role's write or read works.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "lianxin_app"  # the role pages connect as (migration 0002)
ATTRIBUTE_FILTERS = ("category", "kind", "channel")
TZ = "Asia/Shanghai"
DONE = "('closed','rated')"
RATED = "('satisfied','basically_satisfied','unsatisfied')"
OPEN = "('received','dispatched','in_progress','returned','escalated','reopened','handled')"


def _month(column: str) -> str:
    return f"date_trunc('month', {column} AT TIME ZONE '{TZ}')::date"


# Month-grain summaries of cases and callbacks (all kept fresh together, see module docstring).
SUMMARIES = {
    # trends and the rate cards' "closed in the period" side, by category/kind/channel
    "case_month_summary": f"""
        CREATE MATERIALIZED VIEW case_month_summary AS
        SELECT month, category, kind, channel,
               sum(received)::int AS received, sum(closed_here)::int AS closed_here,
               sum(rated)::int AS rated, sum(satisfied)::int AS satisfied,
               sum(basically)::int AS basically, sum(reworked)::int AS reworked,
               sum(called)::int AS called
        FROM (
            SELECT {_month("received_at")} AS month, category, kind, channel, 1 AS received,
                   0 AS closed_here, 0 AS rated, 0 AS satisfied, 0 AS basically,
                   0 AS reworked, 0 AS called
            FROM cases
            UNION ALL
            SELECT {_month("closed_at")}, category, kind, channel, 0, 1,
                   (satisfaction IN {RATED})::int, (satisfaction = 'satisfied')::int,
                   (satisfaction = 'basically_satisfied')::int, (rework_count > 0)::int,
                   called_back::int
            FROM cases WHERE state IN {DONE} AND closed_at IS NOT NULL
        ) u
        GROUP BY 1, 2, 3, 4
    """,
    # the "due in the period" side: 应办结 by deadline month, with when (and whether in time)
    # each was closed, so a period of several months counts a case closed later in it
    "case_due_summary": f"""
        CREATE MATERIALIZED VIEW case_due_summary AS
        SELECT {_month("due_at")} AS due_month,
               CASE WHEN state IN {DONE} THEN {_month("closed_at")} END AS closed_month,
               category, kind, channel,
               coalesce(state IN {DONE} AND closed_at <= due_at, false) AS on_time,
               count(*)::int AS n
        FROM cases WHERE due_at IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6
    """,
    # per cell and month: the choropleth's period counts and the workload's closed/satisfied
    "case_cell_month": f"""
        CREATE MATERIALIZED VIEW case_cell_month AS
        SELECT cell_code, month, sum(received)::int AS received,
               sum(closed_here)::int AS closed_here, sum(rated)::int AS rated,
               sum(satisfied)::int AS satisfied, sum(basically)::int AS basically
        FROM (
            SELECT coalesce(cell_code, '') AS cell_code, {_month("received_at")} AS month,
                   1 AS received, 0 AS closed_here, 0 AS rated, 0 AS satisfied, 0 AS basically
            FROM cases
            UNION ALL
            SELECT coalesce(cell_code, ''), {_month("closed_at")}, 0, 1,
                   (satisfaction IN {RATED})::int, (satisfaction = 'satisfied')::int,
                   (satisfaction = 'basically_satisfied')::int
            FROM cases WHERE state IN {DONE} AND closed_at IS NOT NULL
        ) u
        GROUP BY 1, 2
    """,
    # callbacks made per staff member and month (workload)
    "callback_staff_month": f"""
        CREATE MATERIALIZED VIEW callback_staff_month AS
        SELECT coalesce(staff_id, 0) AS staff_id, {_month("called_at")} AS month,
               count(*)::int AS done, count(*) FILTER (WHERE reached)::int AS reached
        FROM callbacks GROUP BY 1, 2
    """,
}
SUMMARY_INDEXES = (
    "CREATE UNIQUE INDEX uq_case_month_summary "
    "ON case_month_summary (month, category, kind, channel)",
    "CREATE INDEX ix_case_due_summary ON case_due_summary (due_month)",
    "CREATE UNIQUE INDEX uq_case_cell_month ON case_cell_month (month, cell_code)",
    "CREATE UNIQUE INDEX uq_callback_staff_month ON callback_staff_month (month, staff_id)",
)


def _if_app_role(sql: str) -> str:
    """Run ``sql`` only when the app role of migration 0002 exists."""
    escaped = sql.replace("'", "''")
    return (
        f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN "
        f"EXECUTE '{escaped}'; END IF; END $$"
    )


def upgrade() -> None:
    op.execute(
        f"CREATE INDEX IF NOT EXISTS ix_cases_open_cell ON cases (cell_code) INCLUDE (due_at) "
        f"WHERE state IN {OPEN}"
    )
    op.execute("CREATE INDEX IF NOT EXISTS ix_cases_due_at ON cases (due_at)")
    for column in ATTRIBUTE_FILTERS:
        op.execute(
            f"CREATE INDEX IF NOT EXISTS ix_cases_{column}_received ON cases ({column}, received_at)"
        )
    op.execute("CREATE INDEX IF NOT EXISTS ix_cases_closed_at ON cases (closed_at)")
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_callbacks_staff_called ON callbacks (staff_id, called_at)"
    )
    op.execute("CREATE INDEX IF NOT EXISTS ix_visits_staff_date ON visits (staff_id, visit_date)")
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_grid_cells_plan_leader "
        "ON grid_cells (plan_id, leader_staff_id)"
    )
    op.execute(
        """
        CREATE MATERIALIZED VIEW cell_household_summary AS
        SELECT coalesce(cell_code, '') AS cell_code,
               count(*) AS households,
               count(*) FILTER (WHERE cardinality(special_groups) > 0) AS special_households
        FROM households
        WHERE status = 'active'
        GROUP BY 1
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_cell_household_summary ON cell_household_summary (cell_code)"
    )
    for sql in SUMMARIES.values():
        op.execute(sql)
    for index in SUMMARY_INDEXES:
        op.execute(index)
    op.execute(
        """
        CREATE TABLE dashboard_refresh (
            name text PRIMARY KEY,
            dirty boolean NOT NULL DEFAULT true,
            refreshed_at timestamptz
        )
        """
    )
    op.execute(
        "INSERT INTO dashboard_refresh (name, dirty, refreshed_at) "
        "VALUES ('cell_household_summary', false, now()), ('case_summaries', false, now())"
    )
    op.execute(
        """
        CREATE FUNCTION dashboard_mark_dirty() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
        BEGIN
            UPDATE dashboard_refresh SET dirty = true
            WHERE name = TG_ARGV[0] AND NOT dirty;
            RETURN NULL;
        END $$
        """
    )
    for table, summary in (
        ("households", "cell_household_summary"),
        ("cases", "case_summaries"),
        ("callbacks", "case_summaries"),
    ):
        op.execute(
            f"CREATE TRIGGER {table}_dashboard_dirty AFTER INSERT OR UPDATE OR DELETE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION dashboard_mark_dirty('{summary}')"
        )
        op.execute(
            f"CREATE TRIGGER {table}_dashboard_dirty_truncate AFTER TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION dashboard_mark_dirty('{summary}')"
        )
    op.execute(
        """
        CREATE FUNCTION dashboard_refresh_if_dirty(max_age interval DEFAULT '10 minutes')
        RETURNS integer
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
        DECLARE
            refreshed integer := 0;
        BEGIN
            -- One refresher at a time; the others read the summaries as they stand.
            IF NOT pg_try_advisory_xact_lock(hashtext('lianxin_dashboard_refresh')) THEN
                RETURN 0;
            END IF;
            IF (SELECT dirty FROM dashboard_refresh WHERE name = 'cell_household_summary') THEN
                REFRESH MATERIALIZED VIEW cell_household_summary;
                UPDATE dashboard_refresh SET dirty = false, refreshed_at = clock_timestamp()
                WHERE name = 'cell_household_summary';
                refreshed := refreshed + 1;
            END IF;
            -- Small tables (a demo, one sub-district) are refreshed at once; a city's at most
            -- every max_age, as the refresh reads every case.
            IF (SELECT dirty AND (refreshed_at IS NULL OR refreshed_at < now() - max_age
                    OR (SELECT reltuples FROM pg_class WHERE oid = 'cases'::regclass) < 200000)
                FROM dashboard_refresh WHERE name = 'case_summaries') THEN
                REFRESH MATERIALIZED VIEW case_month_summary;
                REFRESH MATERIALIZED VIEW case_due_summary;
                REFRESH MATERIALIZED VIEW case_cell_month;
                REFRESH MATERIALIZED VIEW callback_staff_month;
                UPDATE dashboard_refresh SET dirty = false, refreshed_at = clock_timestamp()
                WHERE name = 'case_summaries';
                refreshed := refreshed + 1;
            END IF;
            RETURN refreshed;
        END $$
        """
    )
    # Counts only, no personal rows: leaders may read it like 0002's aggregate views.
    op.execute(_if_app_role(f"GRANT SELECT ON cell_household_summary TO {APP_ROLE}"))
    for name in SUMMARIES:
        op.execute(_if_app_role(f"GRANT SELECT ON {name} TO {APP_ROLE}"))
    op.execute(
        _if_app_role(
            f"GRANT EXECUTE ON FUNCTION dashboard_refresh_if_dirty(interval) TO {APP_ROLE}"
        )
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS dashboard_refresh_if_dirty(interval)")
    op.execute("DROP FUNCTION IF EXISTS dashboard_refresh_if_dirty()")  # early draft
    for table in ("households", "cases", "callbacks"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_dashboard_dirty_truncate ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_dashboard_dirty ON {table}")
    op.execute("DROP FUNCTION IF EXISTS dashboard_mark_dirty()")
    op.execute("DROP TABLE IF EXISTS dashboard_refresh")
    op.execute("DROP MATERIALIZED VIEW IF EXISTS cell_household_summary")
    for name in SUMMARIES:
        op.execute(f"DROP MATERIALIZED VIEW IF EXISTS {name}")
    for column in ATTRIBUTE_FILTERS:
        op.execute(f"DROP INDEX IF EXISTS ix_cases_{column}_received")
    for name in (
        "ix_grid_cells_plan_leader",
        "ix_visits_staff_date",
        "ix_callbacks_staff_called",
        "ix_cases_closed_at",
        "ix_cases_due_at",
        "ix_cases_open_cell",
    ):
        op.execute(f"DROP INDEX IF EXISTS {name}")
