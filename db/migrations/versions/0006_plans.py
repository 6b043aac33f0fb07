"""plans: who last changed a grid plan and when, and what publishing it changed

Revision ID: 0006_plans
Revises: 0005_review

Two planners may edit the same draft. Every edit bumps ``grid_plans.lock_version`` with
``UPDATE … WHERE lock_version = :expected``; the one whose expected version has moved on is
told *who* changed the plan and *when* ("方案已被 张规划 于 2026-11-30 10:12 修改，请刷新"),
which needs the last editor and time on the plan itself:

- ``updated_by`` / ``updated_at``: the last edit (the creator and creation time until then);
- ``published_by``: who published the plan (``valid_from`` says when);
- ``publish_summary``: the counts the publish step reported (households and open cases
  re-assigned, households that changed cell), so the plan history can show them later.

The app role already holds UPDATE on grid_plans (migration 0002), which covers new columns.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_plans"
down_revision: str | Sequence[str] | None = "0005_review"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE grid_plans ADD COLUMN updated_by varchar(50)")
    op.execute("ALTER TABLE grid_plans ADD COLUMN updated_at timestamptz")
    op.execute("ALTER TABLE grid_plans ADD COLUMN published_by varchar(50)")
    op.execute("ALTER TABLE grid_plans ADD COLUMN publish_summary jsonb NOT NULL DEFAULT '{}'")
    op.execute("UPDATE grid_plans SET updated_by = created_by, updated_at = created_at")


def downgrade() -> None:
    for column in ("publish_summary", "published_by", "updated_at", "updated_by"):
        op.execute(f"ALTER TABLE grid_plans DROP COLUMN IF EXISTS {column}")
