"""household handover: a grid leader confirms a household's spot in another cell

Revision ID: 0010_household_members
Revises: 0007_import_scope

In 待核实 a grid leader confirms where a household is. When the confirmed spot lies in a cell
that is not theirs, row-level security rightly refuses them writing a household into another
cell (``households_update`` WITH CHECK). Instead of refusing the whole task, the household is
**handed over**: it moves to that cell, still in review, and the other cell's leader is told.

What this adds:

- ``household_handovers``: one row per handover (household, from cell, to cell, by whom, when,
  the spot's text, and when the receiving cell resolved it). RLS: grid leaders/workers read the
  rows from or to their cells and may mark those *to* their cells resolved; admins read all.
  The app role cannot INSERT or DELETE rows: only the function below writes them.
- ``lianxin_hand_over_household(household_id, lon, lat, matched)`` — SECURITY DEFINER, acting
  user from the session token (``lianxin.session``) like every policy. It allows exactly this:
  the acting user is a grid leader or worker; the household is one their ``households_read``
  policy shows them (a cell of theirs, or an unplaced row they imported); the point (EPSG:4490)
  lies in a cell of the published plan that is *not* theirs. Then it sets the household's point
  and that cell (and its community), keeps it in review with a reason naming the sender, and
  writes the handover row and a ``household_changes`` row. Anything else raises, and nothing is
  written. It cannot place a household *active* in another cell, nor touch one the user cannot
  see. Owned by the migration owner, ``search_path = public, pg_temp``.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_household_members"
down_revision: str | Sequence[str] | None = "0009_upload_evidence"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "lianxin_app"
SIGNATURE = "lianxin_hand_over_household(bigint, float8, float8, text)"

TABLE_SQL = """
CREATE TABLE household_handovers (
    id bigserial PRIMARY KEY,
    district_code varchar(6) NOT NULL,
    household_id bigint NOT NULL REFERENCES households(id) ON DELETE CASCADE,
    from_cell varchar(15),
    to_cell varchar(15) NOT NULL,
    by_username varchar(50) NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    matched text,
    resolved_at timestamptz
);
CREATE INDEX ix_household_handovers_to_cell ON household_handovers (to_cell)
    WHERE resolved_at IS NULL;
ALTER TABLE household_handovers ENABLE ROW LEVEL SECURITY;
"""

FUNCTION_SQL = r"""
CREATE FUNCTION lianxin_hand_over_household(p_household bigint, p_lon float8, p_lat float8,
                                            p_matched text)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_role text := lianxin_current_role();
    v_cells text[] := coalesce(lianxin_current_cells(), '{}'::text[]);
    v_user text := lianxin_current_username();
    v_hh record;
    v_to record;
    v_point geometry;
BEGIN
    IF v_role IS NULL OR v_role NOT IN ('grid_leader', 'grid_worker') THEN
        RAISE EXCEPTION '只有网格长或网格员可以移交住户' USING ERRCODE = '42501';
    END IF;
    IF p_lon IS NULL OR p_lat IS NULL OR p_lon <> p_lon OR p_lat <> p_lat THEN
        RAISE EXCEPTION '移交需要确认的位置' USING ERRCODE = '22023';
    END IF;
    SELECT h.id, h.district_code, h.cell_code, h.status INTO v_hh FROM households h
    WHERE h.id = p_household
      AND (h.cell_code = ANY (v_cells)
           OR (h.cell_code IS NULL AND h.import_batch_id IN (
                 SELECT b.id FROM import_batches b WHERE b.imported_by = v_user)))
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION '住户 % 不存在或不在您的权限范围内', p_household USING ERRCODE = '42501';
    END IF;
    v_point := ST_SetSRID(ST_MakePoint(p_lon, p_lat), 4490);
    SELECT c.cell_code, c.community_code, c.name INTO v_to
    FROM grid_cells c JOIN grid_plans p ON p.id = c.plan_id AND p.state = 'published'
    WHERE ST_Intersects(c.geom, v_point) ORDER BY c.cell_code LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION '所选位置不在已发布方案的任何网格内' USING ERRCODE = '22023';
    END IF;
    IF v_to.cell_code = ANY (v_cells) THEN
        RAISE EXCEPTION '所选位置在您负责的网格内，无需移交' USING ERRCODE = '22023';
    END IF;
    UPDATE households SET geom = v_point, cell_code = v_to.cell_code,
           community_code = v_to.community_code, status = 'review',
           review_reason = '由网格 ' || coalesce(v_hh.cell_code, '（未定位）') || ' 的 '
                           || v_user || ' 核实定位于本网格，请确认',
           matched_text = coalesce(nullif(p_matched, ''), '人工定位'), updated_at = now()
    WHERE id = p_household;
    INSERT INTO household_handovers (district_code, household_id, from_cell, to_cell,
                                     by_username, matched)
    VALUES (v_hh.district_code, p_household, v_hh.cell_code, v_to.cell_code, v_user, p_matched);
    INSERT INTO household_changes (district_code, household_id, actor, change, detail)
    VALUES (v_hh.district_code, p_household, v_user, '移交网格',
            jsonb_build_object('from_cell', v_hh.cell_code, 'to_cell', v_to.cell_code,
                               'lon', p_lon, 'lat', p_lat));
    RETURN v_to.cell_code;
END
$$;
"""

CELLS = "(SELECT lianxin_current_cells())::text[]"
ROLE = "(SELECT lianxin_current_role())"


def upgrade() -> None:
    op.execute(TABLE_SQL)
    op.execute(f"GRANT SELECT ON household_handovers TO {APP_ROLE}")
    op.execute(f"GRANT UPDATE (resolved_at) ON household_handovers TO {APP_ROLE}")
    grid = f"{ROLE} IN ('grid_leader', 'grid_worker')"
    op.execute(
        f"CREATE POLICY household_handovers_read ON household_handovers FOR SELECT "
        f"TO {APP_ROLE} USING ({ROLE} = 'admin' OR ({grid} AND "
        f"(to_cell = ANY ({CELLS}) OR from_cell = ANY ({CELLS}))))"
    )
    op.execute(
        f"CREATE POLICY household_handovers_resolve ON household_handovers FOR UPDATE "
        f"TO {APP_ROLE} USING ({grid} AND to_cell = ANY ({CELLS})) "
        f"WITH CHECK ({grid} AND to_cell = ANY ({CELLS}))"
    )
    op.execute(FUNCTION_SQL)
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO {APP_ROLE}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
    op.execute("DROP TABLE IF EXISTS household_handovers")
