"""import scope: which roster keys already belong to households the importer cannot see

Revision ID: 0007_import_scope
Revises: 0006_plans

A grid leader (or a community clerk) importing a roster through the app writes households
under row-level security. A row whose ``household_key`` already exists on a household outside
the importer's scope (another cell, another community) would make PostgreSQL refuse the
``INSERT … ON CONFLICT DO UPDATE`` and with it the whole import. The importer cannot find
those keys by a SELECT (RLS hides the rows), so this asks the database, as the owner:

``lianxin_household_keys_elsewhere(keys text[]) RETURNS text[]``: those of ``keys`` that exist
in ``households`` but that the acting session may not read or update (the ``households_read``
policy of migration 0002: a grid leader/worker their cells, a clerk their community, admin
all, plus the importer's own unplaced rows). Only for a valid login of a role that imports
rosters (grid_leader, grid_worker, clerk, admin); anything else gets an empty array. Keys are
SHA-256 hashes (of an ID number, or of name + address), and only keys the caller already holds
come back, so no personal data leaves the function.

Like every function of migration 0002 it is created by, and so owned by, the owner role that
runs the migrations (``lianxin``), and runs with ``search_path = public, pg_temp``.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_import_scope"
down_revision: str | Sequence[str] | None = "0006_plans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "lianxin_app"
SIGNATURE = "lianxin_household_keys_elsewhere(text[])"

FUNCTION_SQL = r"""
CREATE FUNCTION lianxin_household_keys_elsewhere(keys text[]) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH me AS (
        SELECT lianxin_current_role() AS role,
               lianxin_current_cells() AS cells,
               lianxin_current_community() AS community,
               lianxin_current_username() AS username
    )
    SELECT coalesce(array_agg(DISTINCT h.household_key::text ORDER BY h.household_key::text),
                    '{}'::text[])
    FROM households h CROSS JOIN me
    WHERE me.role IN ('grid_leader', 'grid_worker', 'clerk', 'admin')
      AND h.household_key = ANY (keys)
      -- NOT (the households_read policy); NULL counts as "not visible", as in a policy.
      AND NOT coalesce(
          me.role = 'admin'
          OR (me.role IN ('grid_leader', 'grid_worker') AND h.cell_code = ANY (me.cells))
          OR (me.role = 'clerk' AND h.community_code = me.community)
          OR (h.cell_code IS NULL AND h.import_batch_id IN (
                SELECT b.id FROM import_batches b WHERE b.imported_by = me.username)),
          false)
$$;
"""


def upgrade() -> None:
    op.execute(FUNCTION_SQL)
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
