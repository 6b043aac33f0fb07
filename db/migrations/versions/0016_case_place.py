"""case place: a case's cell and its community go together, as the published plan says

Revision ID: 0016_case_place
Revises: 0015_refresh_apart

The generic writable-column attack (tests/security/test_writable_columns.py), run over the
whole catalog, found that a community clerk could ``UPDATE cases SET cell_code = <a cell of
another community>`` on a case of their own community. The case stays theirs (its
community_code is unchanged, so the cases_update policy and the clerk's own read policy pass),
but that cell's grid leader now reads the case's events, attachments and callbacks: a clerk
pushing citizens' data into another community's view. Households were closed the same way in
0008 (their policies check the pair); a case's policies stay as they are, because its
lifecycle updates must keep working on cases placed under an older plan, so the pair is
checked by a trigger, and only when the app's connection writes it:

- on INSERT, and on an UPDATE that changes cell_code or community_code, a case with a cell
  must name that cell's community in the published plan (the intake derives both from the
  case's location, so the app never writes anything else);
- the owner's connection (migrations, the demo loader, the CLI) is not checked.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016_case_place"
down_revision: str | Sequence[str] | None = "0015_refresh_apart"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "lianxin_app"

UPGRADE_SQL = f"""
CREATE FUNCTION lianxin_case_place_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    IF current_user = '{APP_ROLE}' AND NEW.cell_code IS NOT NULL
       AND (TG_OP = 'INSERT' OR NEW.cell_code IS DISTINCT FROM OLD.cell_code
            OR NEW.community_code IS DISTINCT FROM OLD.community_code)
       AND NOT EXISTS (
           SELECT 1 FROM grid_cells g
           JOIN grid_plans p ON p.id = g.plan_id AND p.state = 'published'
           WHERE g.cell_code = NEW.cell_code
             AND g.community_code IS NOT DISTINCT FROM NEW.community_code) THEN
        RAISE EXCEPTION '案件的网格 % 不属于社区 %（以已发布的网格方案为准）',
            NEW.cell_code, coalesce(NEW.community_code, '（空）')
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER cases_place_check BEFORE INSERT OR UPDATE OF cell_code, community_code
    ON cases FOR EACH ROW EXECUTE FUNCTION lianxin_case_place_check();
"""


def upgrade() -> None:
    op.execute(UPGRADE_SQL)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS cases_place_check ON cases")
    op.execute("DROP FUNCTION IF EXISTS lianxin_case_place_check()")
