"""dashboard summaries refreshed outside page requests at city scale

Revision ID: 0012_background_refresh
Revises: 0007_import_scope (relinked at merge)

Migration 0003 refreshes the month summaries on read, at most every ``max_age`` on a large
table. At city scale (1 M cases) that refresh takes about 15 s, and the page request that
happens to come first pays it. This adds ``in_request``: a page asks with ``in_request =>
true`` and then refreshes only while the tables are small (a demo or one sub-district, where a
refresh costs milliseconds and the page should show the change at once); on large tables the
background job (``lianxin stats refresh --every N``, started by ``lianxin serve``) refreshes
with ``in_request => false``. The old one-argument form is kept for callers that still use it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_background_refresh"
down_revision: str | Sequence[str] | None = "0011_api_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "lianxin_app"
SMALL = 200000  # rows; below this a refresh costs milliseconds (bench/RESULTS.md)


def _if_app_role(sql: str) -> str:
    escaped = sql.replace("'", "''")
    return (
        f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN "
        f"EXECUTE '{escaped}'; END IF; END $$"
    )


def upgrade() -> None:
    op.execute(
        f"""
        CREATE FUNCTION dashboard_refresh_if_dirty(max_age interval, in_request boolean)
        RETURNS integer
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE
            refreshed integer := 0;
            small_households boolean := (
                SELECT reltuples < {SMALL} FROM pg_class WHERE oid = 'households'::regclass);
            small_cases boolean := (
                SELECT reltuples < {SMALL} FROM pg_class WHERE oid = 'cases'::regclass);
        BEGIN
            -- One refresher at a time; the others read the summaries as they stand.
            IF NOT pg_try_advisory_xact_lock(hashtext('lianxin_dashboard_refresh')) THEN
                RETURN 0;
            END IF;
            IF (SELECT dirty FROM dashboard_refresh WHERE name = 'cell_household_summary')
               AND (NOT in_request OR small_households) THEN
                REFRESH MATERIALIZED VIEW cell_household_summary;
                UPDATE dashboard_refresh SET dirty = false, refreshed_at = clock_timestamp()
                WHERE name = 'cell_household_summary';
                refreshed := refreshed + 1;
            END IF;
            IF (SELECT dirty AND (
                    (in_request AND small_cases)
                    OR (NOT in_request AND (refreshed_at IS NULL
                                            OR refreshed_at < clock_timestamp() - max_age)))
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
    op.execute(
        _if_app_role(
            f"GRANT EXECUTE ON FUNCTION dashboard_refresh_if_dirty(interval, boolean) TO {APP_ROLE}"
        )
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS dashboard_refresh_if_dirty(interval, boolean)")
