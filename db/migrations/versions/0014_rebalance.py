"""rebalance: the household facts a planner needs to rebalance a plan, without names

Revision ID: 0014_rebalance
Revises: 0013_login_backoff

动态调整 (issue 13) counts active, placed households per block, splits a large compound by
building (楼栋) and balances the special-group load (低保, 残疾, 独居老人 … from 一类一卷). Row-level
security hides every household row from a planner; ``household_points`` (migration 0002) gives
them locations only. This view adds, for the same roles, two facts and nothing more:

- ``door``: the address with its last room number cut off (``…1栋2单元501`` → ``…1栋2单元``),
  enough to read the building from the door plate, not which flat;
- ``weight``: how many special groups the household belongs to (a count, not which ones).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014_rebalance"
down_revision: str | Sequence[str] | None = "0013_login_backoff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "lianxin_app"

VIEW_SQL = r"""
CREATE VIEW household_rebalance_points AS
    SELECT h.id, h.district_code, h.community_code, h.cell_code, h.status, h.geom,
           regexp_replace(h.address, '[-—]?[0-9]+(室|号房)?$', '') AS door,
           cardinality(h.special_groups) AS weight
    FROM households h
    WHERE (SELECT lianxin_current_role()) IN ('planner', 'admin');
"""


def upgrade() -> None:
    op.execute(VIEW_SQL)
    op.execute(f"GRANT SELECT ON household_rebalance_points TO {APP_ROLE}")


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS household_rebalance_points")
