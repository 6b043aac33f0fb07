"""rls hardening: no policy trusts a column the app role can write; staff, audit, key checks

Revision ID: 0008_rls_hardening
Revises: 0007_import_scope

Rule (README, 安全 / Security): a row-level policy or a SECURITY DEFINER function may depend on
a column ``lianxin_app`` can write only if that table's own policies (or a trigger) pin the
column to the acting user. Every policy of 0002..0007 was audited against it:

- ``households_read`` / ``households_update`` trust ``import_batches.imported_by`` (an unplaced
  row stays visible to whoever imported it). ``import_batches`` had no RLS and the app could
  UPDATE any column of it, so ``UPDATE import_batches SET imported_by =
  lianxin_current_username()`` exposed every unplaced household. Now: RLS on import_batches
  (one sees and updates one's own batches, an admin reads all), the app may UPDATE only
  ``counts``, may INSERT only the descriptive columns, and a trigger stamps ``imported_by``,
  ``imported_at`` and ``keys_checked`` on the app's inserts from the session.
- ``lianxin_current_cells`` depends on ``grid_cells.leader_staff_id`` and ``grid_plans.state``,
  writable by planners and admins: designing and publishing the grid is exactly what decides
  who sees what, and those writes are theirs by design (tests/security says so explicitly).
- ``cases.handler_staff_id``, ``visits.staff_id`` / ``household_id`` / ``case_id``,
  ``callbacks.staff_id`` / ``case_id``, ``residents.household_id``,
  ``household_changes.household_id``, ``case_events.case_id``, ``case_attachments.case_id``:
  each grants sight of the row itself only, and each table's WITH CHECK keeps the new value
  inside the writer's scope (or the writer's own staff id); no other row becomes visible.
- ``households`` writes: a clerk could set a household of their community into another
  community's cell (its residents, history and visits then showed to that cell's grid leader;
  found by tests/security). The cell and community written must now agree with the
  published plan, and an unplaced row carries no other community.
- ``staff`` (names, phones) had no RLS: readable with no session at all. Now a valid session
  is needed, and a grid leader/worker sees their own row and their community's colleagues
  (handover, the visit-day picker); clerks (dispatch), leaders (workload), planners (naming
  cell leaders) and admins see every row.
- ``audit_log``: the app could INSERT rows under its own name with any action (a forged
  ``login_success``). The app role loses INSERT; rows come only from ``lianxin_audit(...)``,
  which takes who from the session and when from the database's clock, and refuses the login
  actions (only authentication, on the owner's connection, writes those, through
  ``lianxin_audit_trusted``, which the app cannot execute).
- ``lianxin_household_keys_elsewhere(keys)`` told any grid leader whether any ID number (its
  key) is registered anywhere in the district. Replaced by
  ``lianxin_household_keys_elsewhere(batch, keys)``: only for a roster batch the caller created
  in this very transaction, once per batch, at most as many keys as the batch declared rows
  (and at most 200,000, the roster limit), and each call leaves an audit row (plus a server
  log line, which a rollback cannot take back).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_rls_hardening"
down_revision: str | Sequence[str] | None = "0007_import_scope"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "lianxin_app"
ROLE = "(SELECT lianxin_current_role())"
USERNAME = "(SELECT lianxin_current_username())"
STAFF = "(SELECT lianxin_current_staff_id())"
COMMUNITY = "(SELECT lianxin_current_community())"
IMPORT_ROLES = "('grid_leader','grid_worker','clerk','admin')"
MAX_ROSTER_ROWS = 200_000  # services.households.roster_parse.MAX_ROWS
OLD_KEYS_SIGNATURE = "lianxin_household_keys_elsewhere(text[])"
KEYS_SIGNATURE = "lianxin_household_keys_elsewhere(integer, text[])"
AUDIT_SIGNATURE = "lianxin_audit(text, text, jsonb, text, text, text)"
TRUSTED_AUDIT_SIGNATURE = "lianxin_audit_trusted(text, text, text, jsonb, text, text)"

IMPORT_BATCHES_SQL = rf"""
ALTER TABLE import_batches ADD COLUMN keys_checked integer;
COMMENT ON COLUMN import_batches.keys_checked IS
    'How many keys lianxin_household_keys_elsewhere answered for this batch (once per batch).';

CREATE FUNCTION lianxin_import_batch_stamp() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    -- On the app's connection the batch belongs to the acting user, now; whatever the caller
    -- wrote in these columns is replaced. The owner (CLI, demo loader) names its own batches.
    IF current_user = '{APP_ROLE}' THEN
        NEW.imported_by := lianxin_current_username();
        NEW.imported_at := now();
        NEW.keys_checked := NULL;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER import_batches_stamp BEFORE INSERT ON import_batches
    FOR EACH ROW EXECUTE FUNCTION lianxin_import_batch_stamp();

REVOKE INSERT, UPDATE ON import_batches FROM {APP_ROLE};
GRANT INSERT (district_code, kind, file_name, imported_by, counts) ON import_batches
    TO {APP_ROLE};
GRANT UPDATE (counts) ON import_batches TO {APP_ROLE};
ALTER TABLE import_batches ENABLE ROW LEVEL SECURITY;
CREATE POLICY import_batches_read ON import_batches FOR SELECT TO {APP_ROLE}
    USING (imported_by = {USERNAME} OR {ROLE} = 'admin');
CREATE POLICY import_batches_insert ON import_batches FOR INSERT TO {APP_ROLE}
    WITH CHECK ({USERNAME} IS NOT NULL AND imported_by = {USERNAME}
                AND {ROLE} IN {IMPORT_ROLES});
CREATE POLICY import_batches_update ON import_batches FOR UPDATE TO {APP_ROLE}
    USING (imported_by = {USERNAME}) WITH CHECK (imported_by = {USERNAME});
"""

STAFF_SQL = f"""
ALTER TABLE staff ENABLE ROW LEVEL SECURITY;
CREATE POLICY staff_read ON staff FOR SELECT TO {APP_ROLE} USING (
    {ROLE} IN ('admin', 'leader', 'planner', 'clerk')
    OR id = {STAFF}
    OR ({ROLE} IN ('grid_leader', 'grid_worker') AND community_code = {COMMUNITY})
);
"""

AUDIT_SQL = rf"""
REVOKE INSERT ON audit_log FROM {APP_ROLE};
DO $$ BEGIN EXECUTE format('REVOKE USAGE ON SEQUENCE %s FROM {APP_ROLE}',
    pg_get_serial_sequence('audit_log', 'id')); END $$;
DROP POLICY IF EXISTS audit_log_insert ON audit_log;

-- The app's only way to append: who is the session's user; when is the trigger's now().
CREATE FUNCTION lianxin_audit(p_action text, p_target text, p_detail jsonb, p_client text,
                              p_district_code text, p_username text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE me text := lianxin_current_username();
BEGIN
    IF me IS NULL THEN
        RAISE EXCEPTION '没有有效的登录会话，不能写审计日志'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_username IS NOT NULL AND p_username IS DISTINCT FROM me THEN
        RAISE EXCEPTION 'new row violates row-level security: 审计记录只能记在当前登录用户名下（%）', me
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_action IN ('login_success', 'login_failure') THEN
        RAISE EXCEPTION '登录记录只由登录过程本身写入'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO audit_log (username, action, target, detail, client, district_code)
    VALUES (me, left(p_action, 40), left(p_target, 100), coalesce(p_detail, '{{}}'::jsonb),
            left(p_client, 100), p_district_code);
END
$$;

-- The owner's connection (authentication, CLI account management) names the user itself:
-- a failed login has no session. The app role cannot execute this one.
CREATE FUNCTION lianxin_audit_trusted(p_username text, p_action text, p_target text,
                                      p_detail jsonb, p_client text, p_district_code text)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    INSERT INTO audit_log (username, action, target, detail, client, district_code)
    VALUES (left(p_username, 50), left(p_action, 40), left(p_target, 100),
            coalesce(p_detail, '{{}}'::jsonb), left(p_client, 100), p_district_code)
$$;
REVOKE ALL ON FUNCTION {AUDIT_SIGNATURE} FROM PUBLIC;
GRANT EXECUTE ON FUNCTION {AUDIT_SIGNATURE} TO {APP_ROLE};
REVOKE ALL ON FUNCTION {TRUSTED_AUDIT_SIGNATURE} FROM PUBLIC;
REVOKE ALL ON FUNCTION {TRUSTED_AUDIT_SIGNATURE} FROM {APP_ROLE};
"""

# Household writes: a cell and its community go together as the published plan says, so a
# clerk cannot push a household of their community into another community's cell (and with it
# its residents, history and visits into that cell's grid leader's view), nor a grid leader
# tag one with another community. An unplaced row (no cell) keeps no other community.
GRID_ROLES = "('grid_leader','grid_worker')"
CELLS = "(SELECT lianxin_current_cells())::text[]"
CONSISTENT = (
    "(cell_code IS NULL OR EXISTS (SELECT 1 FROM grid_cells g JOIN grid_plans p "
    "ON p.id = g.plan_id AND p.state = 'published' WHERE g.cell_code = households.cell_code "
    "AND g.community_code IS NOT DISTINCT FROM households.community_code))"
)
HH_WRITE = (
    f"{ROLE} = 'admin'"
    f" OR ({ROLE} IN {GRID_ROLES} AND cell_code = ANY ({CELLS}) AND {CONSISTENT})"
    f" OR ({ROLE} = 'clerk' AND community_code = {COMMUNITY} AND {CONSISTENT})"
    f" OR ({ROLE} IN {IMPORT_ROLES} AND cell_code IS NULL"
    f" AND (community_code IS NULL OR community_code = {COMMUNITY}))"
)
HOUSEHOLDS_SQL = f"""
ALTER POLICY households_insert ON households WITH CHECK ({HH_WRITE});
ALTER POLICY households_update ON households WITH CHECK ({HH_WRITE});
"""

KEYS_SQL = rf"""
DROP FUNCTION IF EXISTS {OLD_KEYS_SIGNATURE};

-- Those of ``keys`` that exist on households the acting session may not read (the
-- households_read policy), for the roster import only (see the module docstring).
CREATE FUNCTION lianxin_household_keys_elsewhere(p_batch integer, keys text[])
RETURNS text[]
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    me_role text := lianxin_current_role();
    me_user text := lianxin_current_username();
    me_cells text[] := lianxin_current_cells();
    me_community text := lianxin_current_community();
    b import_batches%ROWTYPE;
    asked integer := coalesce(cardinality(keys), 0);
    declared integer;
    hits text[];
BEGIN
    IF me_role IS NULL OR me_role NOT IN {IMPORT_ROLES} THEN
        RAISE EXCEPTION '只有导入住户名单的角色可以查询重复住户'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT * INTO b FROM import_batches WHERE id = p_batch FOR UPDATE;
    IF NOT FOUND OR b.kind <> 'roster' OR b.imported_by IS DISTINCT FROM me_user
       OR b.imported_at <> now() THEN
        RAISE EXCEPTION '只能为本次正在导入的名单查询重复住户（批次 %）', p_batch
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF b.keys_checked IS NOT NULL THEN
        RAISE EXCEPTION '批次 % 已查询过重复住户，不能再查', p_batch
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    declared := CASE WHEN b.counts->>'total' ~ '^[0-9]{{1,9}}$'
                     THEN (b.counts->>'total')::integer END;
    IF declared IS NULL OR asked > declared OR asked > {MAX_ROSTER_ROWS}
       OR asked <> (SELECT count(DISTINCT k) FROM unnest(keys) k) THEN
        RAISE EXCEPTION '查询的住户数（%）超过本批名单的行数（%）或有重复', asked, declared
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT coalesce(array_agg(DISTINCT h.household_key::text ORDER BY h.household_key::text),
                    '{{}}'::text[]) INTO hits
    FROM households h
    WHERE h.household_key = ANY (keys)
      AND NOT coalesce(
          me_role = 'admin'
          OR (me_role IN ('grid_leader', 'grid_worker') AND h.cell_code = ANY (me_cells))
          OR (me_role = 'clerk' AND h.community_code = me_community)
          OR (h.cell_code IS NULL AND h.import_batch_id IN (
                SELECT x.id FROM import_batches x WHERE x.imported_by = me_user)),
          false);
    UPDATE import_batches SET keys_checked = asked WHERE id = p_batch;
    INSERT INTO audit_log (username, action, target, detail, district_code)
    VALUES (me_user, 'import_key_check', 'import_batches:' || p_batch,
            jsonb_build_object('file', b.file_name, 'asked', asked,
                               'elsewhere', cardinality(hits)),
            b.district_code);
    -- The server log keeps a line even if the caller rolls the transaction back.
    RAISE LOG 'lianxin: % checked % roster keys (batch %), % elsewhere',
        me_user, asked, p_batch, cardinality(hits);
    RETURN hits;
END
$$;
REVOKE ALL ON FUNCTION {KEYS_SIGNATURE} FROM PUBLIC;
GRANT EXECUTE ON FUNCTION {KEYS_SIGNATURE} TO {APP_ROLE};
"""


def upgrade() -> None:
    op.execute(IMPORT_BATCHES_SQL)
    op.execute(STAFF_SQL)
    op.execute(AUDIT_SQL)
    op.execute(HOUSEHOLDS_SQL)
    op.execute(KEYS_SQL)


def _migration(name: str):  # type: ignore[no-untyped-def]
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(f"_m{name}", Path(__file__).with_name(name))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def downgrade() -> None:
    for sql in _migration("0002_access.py").POLICIES:
        if sql.split()[2] in ("households_insert", "households_update"):
            op.execute(f"DROP POLICY IF EXISTS {sql.split()[2]} ON households")
            op.execute(sql)
    op.execute(f"DROP FUNCTION IF EXISTS {KEYS_SIGNATURE}")
    op.execute(f"DROP FUNCTION IF EXISTS {AUDIT_SIGNATURE}")
    op.execute(f"DROP FUNCTION IF EXISTS {TRUSTED_AUDIT_SIGNATURE}")
    op.execute(
        f"CREATE POLICY audit_log_insert ON audit_log AS PERMISSIVE FOR INSERT TO {APP_ROLE} "
        f"WITH CHECK ({USERNAME} IS NOT NULL AND username = {USERNAME})"
    )
    op.execute(f"GRANT INSERT ON audit_log TO {APP_ROLE}")
    op.execute(
        "DO $$ BEGIN EXECUTE format('GRANT USAGE ON SEQUENCE %s TO "
        f"{APP_ROLE}', pg_get_serial_sequence('audit_log', 'id')); END $$"
    )
    op.execute("DROP POLICY IF EXISTS staff_read ON staff")
    op.execute("ALTER TABLE staff DISABLE ROW LEVEL SECURITY")
    for name in ("import_batches_read", "import_batches_insert", "import_batches_update"):
        op.execute(f"DROP POLICY IF EXISTS {name} ON import_batches")
    op.execute("ALTER TABLE import_batches DISABLE ROW LEVEL SECURITY")
    op.execute("DROP TRIGGER IF EXISTS import_batches_stamp ON import_batches")
    op.execute("DROP FUNCTION IF EXISTS lianxin_import_batch_stamp()")
    op.execute(f"GRANT INSERT, UPDATE ON import_batches TO {APP_ROLE}")
    op.execute("ALTER TABLE import_batches DROP COLUMN IF EXISTS keys_checked")
    # The 0007 function comes back with its own migration's text on a further downgrade.
    op.execute(_migration("0007_import_scope.py").FUNCTION_SQL)
    op.execute(f"REVOKE ALL ON FUNCTION {OLD_KEYS_SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {OLD_KEYS_SIGNATURE} TO {APP_ROLE}")
