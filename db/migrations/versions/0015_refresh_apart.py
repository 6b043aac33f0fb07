"""a page asks whether the summaries are dirty before refreshing them on a connection apart

Revision ID: 0015_refresh_apart
Revises: 0014_rebalance

A page's refresh now runs on a separate, autocommitted connection (db/stats/cells.py
``refresh_summaries``), so that the view locks are not held until the page has drawn. To know
whether there is anything to refresh — and whether the dirty mark is the page's own
uncommitted change, which only its own transaction can see — the page asks
``dashboard_summaries_dirty()``. The app role still cannot read or write ``dashboard_refresh``
itself; the function answers only a yes or no.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015_refresh_apart"
down_revision: str | Sequence[str] | None = "0014_rebalance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "lianxin_app"


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION dashboard_summaries_dirty() RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT coalesce(bool_or(dirty), false) FROM dashboard_refresh
        $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION dashboard_summaries_dirty() FROM PUBLIC")
    op.execute(
        f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN "
        f"GRANT EXECUTE ON FUNCTION dashboard_summaries_dirty() TO {APP_ROLE}; END IF; END $$"
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS dashboard_summaries_dirty()")
