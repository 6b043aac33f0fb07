"""review: the app may remember a review decision (a street alias, a new door plate)

Revision ID: 0005_review
Revises: 0004

When a person places a household from the 待核实 queue, the decision is remembered so the next
import matches the same address on its own:

- a street written differently from its registered name gets that spelling as an alias
  (``streets.aliases``);
- a door plate that was missing is added (``address_points``).

Until now the app role could only read both tables. This grants exactly those two writes and
puts them behind row-level security, for the roles that work the review queue (grid leader,
grid worker, clerk, admin). Everyone keeps reading both tables. The owner is unaffected
(RLS is ENABLEd, not FORCEd).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_review"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "lianxin_app"
REVIEWERS = "(SELECT lianxin_current_role()) IN ('grid_leader','grid_worker','clerk','admin')"


def upgrade() -> None:
    op.execute(f"GRANT UPDATE (aliases) ON streets TO {APP_ROLE}")
    op.execute(f"GRANT INSERT ON address_points TO {APP_ROLE}")
    op.execute(f"GRANT USAGE ON SEQUENCE address_points_id_seq TO {APP_ROLE}")
    for table in ("streets", "address_points"):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY {table}_read ON {table} AS PERMISSIVE FOR SELECT TO {APP_ROLE} "
            "USING (true)"
        )
    op.execute(
        f"CREATE POLICY streets_alias ON streets AS PERMISSIVE FOR UPDATE TO {APP_ROLE} "
        f"USING ({REVIEWERS}) WITH CHECK ({REVIEWERS})"
    )
    op.execute(
        f"CREATE POLICY address_points_insert ON address_points AS PERMISSIVE FOR INSERT "
        f"TO {APP_ROLE} WITH CHECK ({REVIEWERS})"
    )


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS address_points_insert ON address_points")
    op.execute("DROP POLICY IF EXISTS streets_alias ON streets")
    for table in ("streets", "address_points"):
        op.execute(f"DROP POLICY IF EXISTS {table}_read ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute(f"REVOKE USAGE ON SEQUENCE address_points_id_seq FROM {APP_ROLE}")
    op.execute(f"REVOKE INSERT ON address_points FROM {APP_ROLE}")
    op.execute(f"REVOKE UPDATE (aliases) ON streets FROM {APP_ROLE}")
