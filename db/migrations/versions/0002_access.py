"""access: app role, login sessions, row-level security, append-only audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 12:00:00

What this adds (README.md, "安全 / Security", is the user-facing description):

- ``lianxin_app``: the role the app's pages connect as. LOGIN, NOSUPERUSER, NOBYPASSRLS, owns
  no table, and holds only the grants below. The owner ``lianxin`` keeps full access
  (migrations, demo load, CLI admin commands) because RLS is ENABLEd, not FORCEd.
- ``user_sessions``: one row per login. Only the SHA-256 of the token is stored, and the app
  role cannot read the table at all, so hand-written SQL on the app's connection can neither
  list live tokens nor impersonate a user id.
- ``lianxin.session``: the transaction-local setting each request sets to its token
  (``set_config('lianxin.session', :token, true)``). SECURITY DEFINER functions turn it into
  the acting user's role, cells and community; no valid token → no rows.
- Policies on households, residents, household_changes, cases, case_events, visits,
  callbacks (rows), grid_plans / grid_cells / blocks (writes), audit_log (admin reads, inserts
  under one's own name).
- Aggregate views (``household_counts_by_cell``, ``case_counts_by_cell``, ``household_points``)
  for leaders and planners, who get no personal rows.
- ``audit_log`` is append-only for everyone: no UPDATE/DELETE grant, and a trigger that raises
  on UPDATE, DELETE and TRUNCATE even for the owner.

Policy expressions wrap the session functions in ``(SELECT …)`` so PostgreSQL evaluates them
once per statement (an InitPlan), not once per row.
"""

from typing import Sequence, Union

from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

APP_ROLE = "lianxin_app"

ROLE = "(SELECT lianxin_current_role())"
CELLS = "(SELECT lianxin_current_cells())::text[]"
COMMUNITY = "(SELECT lianxin_current_community())"
STAFF = "(SELECT lianxin_current_staff_id())"
GRID_ROLES = "('grid_leader','grid_worker')"


def _scope(cell: str, community: str, *, centre_sees_all: bool = False) -> str:
    """Rows a grid leader/worker (their cells), a clerk (their community) or an admin may touch."""
    centre = f" OR {COMMUNITY} IS NULL" if centre_sees_all else ""
    return (
        f"({ROLE} = 'admin'"
        f" OR ({ROLE} IN {GRID_ROLES} AND {cell} = ANY ({CELLS}))"
        f" OR ({ROLE} = 'clerk' AND ({community} = {COMMUNITY}{centre})))"
    )


HOUSEHOLD_SCOPE = _scope("cell_code", "community_code")
# A roster row the geocoder could not place (cell_code NULL, status 'review') stays visible to
# whoever imported it, so a grid leader can work their review queue.
OWN_REVIEW_ROWS = (
    "(cell_code IS NULL AND import_batch_id IN (SELECT b.id FROM import_batches b "
    "WHERE b.imported_by = (SELECT lianxin_current_username())))"
)
CASE_SCOPE = (
    _scope("cell_code", "community_code", centre_sees_all=True)
    + f" OR handler_staff_id = {STAFF}"
)
INTAKE_ROLES = "('grid_leader','grid_worker','clerk','admin')"

SESSION_SQL = """
CREATE TABLE user_sessions (
    id bigserial PRIMARY KEY,
    token_hash char(64) NOT NULL UNIQUE,
    user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    idle_seconds integer NOT NULL DEFAULT 28800 CHECK (idle_seconds > 0),
    expires_at timestamptz NOT NULL,
    max_expires_at timestamptz NOT NULL,
    ended_at timestamptz,
    client varchar(100)
);
CREATE INDEX ix_user_sessions_user ON user_sessions (user_id);
COMMENT ON TABLE user_sessions IS
    'Login sessions. token_hash = sha256 of the token in lianxin.session; the app role has no access.';
"""

FUNCTIONS_SQL = r"""
CREATE FUNCTION lianxin_session_user_id() RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT s.user_id
    FROM user_sessions s JOIN users u ON u.id = s.user_id
    WHERE s.token_hash = encode(sha256(convert_to(
              coalesce(current_setting('lianxin.session', true), ''), 'UTF8')), 'hex')
      AND coalesce(current_setting('lianxin.session', true), '') <> ''
      AND s.ended_at IS NULL
      AND s.expires_at > now()
      AND u.active
$$;

CREATE FUNCTION lianxin_current_role() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT u.role::text FROM users u WHERE u.id = lianxin_session_user_id()
$$;

CREATE FUNCTION lianxin_current_username() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT u.username::text FROM users u WHERE u.id = lianxin_session_user_id()
$$;

CREATE FUNCTION lianxin_current_staff_id() RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT u.staff_id FROM users u WHERE u.id = lianxin_session_user_id()
$$;

-- A grid leader's/worker's cells: staff.cell_code, plus any cell of the published plan that
-- names them as its leader. Other roles: none.
CREATE FUNCTION lianxin_current_cells() RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH me AS (
        SELECT u.staff_id FROM users u
        WHERE u.id = lianxin_session_user_id() AND u.role IN ('grid_leader', 'grid_worker')
    )
    SELECT coalesce(array_agg(DISTINCT x.cell_code::text), '{}'::text[]) FROM (
        SELECT s.cell_code FROM staff s JOIN me ON me.staff_id = s.id
        WHERE s.cell_code IS NOT NULL AND s.active
        UNION
        SELECT g.cell_code FROM grid_cells g
        JOIN grid_plans p ON p.id = g.plan_id AND p.state = 'published'
        JOIN me ON me.staff_id = g.leader_staff_id
    ) x
$$;

-- A clerk's (or anyone's) community: the account's own, else their staff row's.
CREATE FUNCTION lianxin_current_community() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce(u.community_code, s.community_code)::text
    FROM users u LEFT JOIN staff s ON s.id = u.staff_id
    WHERE u.id = lianxin_session_user_id()
$$;

-- Who is acting, for the sidebar: validates the token like every policy does.
CREATE FUNCTION lianxin_whoami()
RETURNS TABLE (username text, display_name text, role text, staff_id integer,
               community_code text, community_name text, cells text[], cell_names text[],
               expires_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT u.username, u.display_name, u.role, u.staff_id,
           lianxin_current_community(),
           (SELECT c.name FROM communities c WHERE c.code = lianxin_current_community()),
           lianxin_current_cells(),
           coalesce((SELECT array_agg(DISTINCT g.name ORDER BY g.name) FROM grid_cells g
                     JOIN grid_plans p ON p.id = g.plan_id AND p.state = 'published'
                     WHERE g.cell_code = ANY (lianxin_current_cells())), '{}'::text[]),
           (SELECT s.expires_at FROM user_sessions s
            WHERE s.token_hash = encode(sha256(convert_to(
                      current_setting('lianxin.session', true), 'UTF8')), 'hex'))
    FROM users u WHERE u.id = lianxin_session_user_id()
$$;

-- Sliding idle expiry: each request pushes expires_at forward, never past max_expires_at.
CREATE FUNCTION lianxin_touch_session() RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH hit AS (
        UPDATE user_sessions s
        SET last_seen_at = now(),
            expires_at = least(now() + make_interval(secs => s.idle_seconds), s.max_expires_at)
        WHERE s.id = (SELECT s2.id FROM user_sessions s2
                      WHERE s2.user_id = lianxin_session_user_id()
                        AND s2.token_hash = encode(sha256(convert_to(
                            current_setting('lianxin.session', true), 'UTF8')), 'hex'))
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM hit)
$$;

CREATE FUNCTION lianxin_end_session() RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH hit AS (
        UPDATE user_sessions s SET ended_at = now()
        WHERE s.ended_at IS NULL
          AND s.token_hash = encode(sha256(convert_to(
              coalesce(current_setting('lianxin.session', true), ''), 'UTF8')), 'hex')
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM hit)
$$;

-- Publishing a plan re-assigns households and open cases to the new cells. A planner has no
-- household rows, so this runs as the owner, for planners and admins only.
CREATE FUNCTION lianxin_assign_cells(p_plan_id integer)
RETURNS TABLE (households bigint, cases bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n_h bigint; n_c bigint;
BEGIN
    IF lianxin_current_role() IS DISTINCT FROM 'planner'
       AND lianxin_current_role() IS DISTINCT FROM 'admin' THEN
        RAISE EXCEPTION '只有规划员或管理员可以按方案重新分配网格'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    UPDATE households t SET cell_code = hit.cell_code, community_code = hit.community_code
    FROM (SELECT DISTINCT ON (x.id) x.id, c.cell_code, c.community_code
          FROM households x JOIN grid_cells c
            ON c.plan_id = p_plan_id AND ST_Intersects(c.geom, x.geom)
          WHERE x.geom IS NOT NULL ORDER BY x.id, c.cell_code) hit
    WHERE t.id = hit.id;
    GET DIAGNOSTICS n_h = ROW_COUNT;
    UPDATE cases t SET cell_code = hit.cell_code, community_code = hit.community_code
    FROM (SELECT DISTINCT ON (x.id) x.id, c.cell_code, c.community_code
          FROM cases x JOIN grid_cells c
            ON c.plan_id = p_plan_id AND ST_Intersects(c.geom, x.geom)
          WHERE x.geom IS NOT NULL AND x.state NOT IN ('closed', 'rated')
          ORDER BY x.id, c.cell_code) hit
    WHERE t.id = hit.id;
    GET DIAGNOSTICS n_c = ROW_COUNT;
    RETURN QUERY SELECT n_h, n_c;
END
$$;

-- audit_log is append-only, for everyone (owner included).
CREATE FUNCTION lianxin_audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    RAISE EXCEPTION '审计日志只能追加，不能修改或删除（%）', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE FUNCTION lianxin_audit_log_stamp() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    NEW.at := now();  -- the database's clock, not the caller's
    RETURN NEW;
END
$$;
"""

VIEWS_SQL = """
-- Aggregates for every logged-in role (leaders and planners get no household rows).
-- Owned by lianxin (security_invoker off), so they count rows RLS would hide, but only
-- counts leave them, and only for a valid session.
CREATE VIEW household_counts_by_cell AS
    SELECT h.cell_code, h.community_code, count(*) AS households,
           count(*) FILTER (WHERE cardinality(h.special_groups) > 0) AS special_households,
           count(*) FILTER (WHERE h.status = 'review') AS in_review
    FROM households h
    WHERE (SELECT lianxin_current_role()) IS NOT NULL
    GROUP BY h.cell_code, h.community_code;

CREATE VIEW case_counts_by_cell AS
    SELECT c.cell_code, c.community_code, count(*) AS cases,
           count(*) FILTER (WHERE c.state NOT IN ('closed', 'rated')) AS open_cases,
           count(*) FILTER (WHERE c.state NOT IN ('closed', 'rated') AND c.due_at < now())
               AS overdue_cases
    FROM cases c
    WHERE (SELECT lianxin_current_role()) IS NOT NULL
    GROUP BY c.cell_code, c.community_code;

-- Anonymous household locations for planners (coverage checks, cell proposals): no name,
-- no ID, no phone, no special group.
CREATE VIEW household_points AS
    SELECT h.id, h.district_code, h.community_code, h.cell_code, h.status, h.geom
    FROM households h
    WHERE (SELECT lianxin_current_role()) IN ('planner', 'leader', 'admin');
"""

FUNCTION_NAMES = (
    "lianxin_session_user_id()",
    "lianxin_current_role()",
    "lianxin_current_username()",
    "lianxin_current_staff_id()",
    "lianxin_current_cells()",
    "lianxin_current_community()",
    "lianxin_whoami()",
    "lianxin_touch_session()",
    "lianxin_end_session()",
    "lianxin_assign_cells(integer)",
)

RLS_TABLES = (
    "households",
    "residents",
    "household_changes",
    "cases",
    "case_events",
    "visits",
    "callbacks",
    "grid_plans",
    "grid_cells",
    "blocks",
    "audit_log",
)

# table → privileges for the app role (SELECT everywhere listed; users/user_sessions absent).
GRANTS = {
    "districts": "SELECT",
    "subdistricts": "SELECT",
    "communities": "SELECT",
    "streets": "SELECT",
    "address_points": "SELECT",
    "compounds": "SELECT",
    "staff": "SELECT",
    "spatial_ref_sys": "SELECT",
    "grid_plans": "SELECT, INSERT, UPDATE, DELETE",
    "grid_cells": "SELECT, INSERT, UPDATE, DELETE",
    "blocks": "SELECT, INSERT, UPDATE, DELETE",
    "import_batches": "SELECT, INSERT, UPDATE",
    "households": "SELECT, INSERT, UPDATE, DELETE",
    "residents": "SELECT, INSERT, UPDATE, DELETE",
    "household_changes": "SELECT, INSERT",
    "cases": "SELECT, INSERT, UPDATE",
    "case_events": "SELECT, INSERT",
    "visits": "SELECT, INSERT, UPDATE",
    "callbacks": "SELECT, INSERT, UPDATE",
    "audit_log": "SELECT, INSERT",
    "household_counts_by_cell": "SELECT",
    "case_counts_by_cell": "SELECT",
    "household_points": "SELECT",
}
SEQUENCE_TABLES = (
    "grid_plans",
    "grid_cells",
    "blocks",
    "import_batches",
    "households",
    "residents",
    "household_changes",
    "cases",
    "case_events",
    "visits",
    "callbacks",
    "audit_log",
)


def _policies() -> list[str]:
    p: list[str] = []

    def add(table: str, name: str, command: str, using: str | None, check: str | None) -> None:
        sql = f"CREATE POLICY {name} ON {table} AS PERMISSIVE FOR {command} TO {APP_ROLE}"
        if using is not None:
            sql += f" USING ({using})"
        if check is not None:
            sql += f" WITH CHECK ({check})"
        p.append(sql)

    # households: a grid leader/worker their cells, a clerk their community, admin all.
    # Leaders and planners: none (aggregates through the views above).
    hh_read = f"{HOUSEHOLD_SCOPE} OR {OWN_REVIEW_ROWS}"
    hh_write = f"{HOUSEHOLD_SCOPE} OR ({ROLE} IN {INTAKE_ROLES} AND cell_code IS NULL)"
    add("households", "households_read", "SELECT", hh_read, None)
    add("households", "households_insert", "INSERT", None, hh_write)
    add("households", "households_update", "UPDATE", hh_read, hh_write)
    add("households", "households_delete", "DELETE", HOUSEHOLD_SCOPE, None)

    # residents and a household's history follow their household (RLS applies inside).
    via_household = "EXISTS (SELECT 1 FROM households h WHERE h.id = household_id)"
    add("residents", "residents_all", "ALL", via_household, via_household)
    add("household_changes", "household_changes_read", "SELECT", via_household, None)
    add("household_changes", "household_changes_insert", "INSERT", None, via_household)

    # cases: scope as households, except a clerk at the centre (no community) sees every case
    # (intake is sub-district-wide), a leader reads every case (dashboards), and whoever a case
    # is dispatched to sees it.
    add("cases", "cases_read", "SELECT", f"{CASE_SCOPE} OR {ROLE} = 'leader'", None)
    add("cases", "cases_insert", "INSERT", None, f"{ROLE} IN {INTAKE_ROLES}")
    add("cases", "cases_update", "UPDATE", CASE_SCOPE, f"{ROLE} IN {INTAKE_ROLES}")
    via_case = "EXISTS (SELECT 1 FROM cases c WHERE c.id = case_id)"
    add("case_events", "case_events_read", "SELECT", via_case, None)
    add("case_events", "case_events_insert", "INSERT", None, via_case)

    # visits: one's own, or of a visible household or case; leaders read all (workload).
    visit_read = (
        f"{ROLE} IN ('admin','leader') OR staff_id = {STAFF}"
        " OR EXISTS (SELECT 1 FROM households h WHERE h.id = household_id)"
        " OR EXISTS (SELECT 1 FROM cases c WHERE c.id = case_id)"
    )
    visit_write = f"{ROLE} = 'admin' OR staff_id = {STAFF}"
    add("visits", "visits_read", "SELECT", visit_read, None)
    add("visits", "visits_insert", "INSERT", None, visit_write)
    add("visits", "visits_update", "UPDATE", visit_write, visit_write)

    callback_read = f"{ROLE} IN ('admin','leader') OR staff_id = {STAFF} OR {via_case}"
    callback_write = f"{ROLE} IN {INTAKE_ROLES} AND {via_case}"
    add("callbacks", "callbacks_read", "SELECT", callback_read, None)
    add("callbacks", "callbacks_insert", "INSERT", None, callback_write)
    add("callbacks", "callbacks_update", "UPDATE", callback_write, callback_write)

    # Grid plans: everyone reads the map; planners and admins edit it.
    for table in ("grid_plans", "grid_cells", "blocks"):
        add(table, f"{table}_read", "SELECT", "true", None)
        editor = f"{ROLE} IN ('planner','admin')"
        add(table, f"{table}_insert", "INSERT", None, editor)
        add(table, f"{table}_update", "UPDATE", editor, editor)
        add(table, f"{table}_delete", "DELETE", editor, None)

    # audit_log: admins search it; anyone logged in appends under their own name only.
    add("audit_log", "audit_log_read", "SELECT", f"{ROLE} = 'admin'", None)
    add(
        "audit_log",
        "audit_log_insert",
        "INSERT",
        None,
        "(SELECT lianxin_current_username()) IS NOT NULL"
        " AND username = (SELECT lianxin_current_username())",
    )
    return p


POLICIES = _policies()


def upgrade() -> None:
    # The role is cluster-wide (shared by lianxin and lianxin_test), hence IF NOT EXISTS.
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
            END IF;
            -- A role made by hand with more power would silently defeat every policy.
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}'
                       AND (rolsuper OR rolbypassrls OR NOT rolcanlogin)) THEN
                RAISE EXCEPTION 'role {APP_ROLE} must be LOGIN NOSUPERUSER NOBYPASSRLS';
            END IF;
            -- The owner may SET ROLE {APP_ROLE} (the tests use it to run as the app inside a
            -- rolled-back transaction); this gives the owner nothing it did not have.
            BEGIN
                EXECUTE 'GRANT {APP_ROLE} TO ' || quote_ident(current_user);
            EXCEPTION WHEN insufficient_privilege THEN
                RAISE NOTICE 'cannot grant {APP_ROLE} to %', current_user;
            END;
        END
        $$;
        """
    )
    op.execute(SESSION_SQL)
    op.execute(FUNCTIONS_SQL)
    op.execute(VIEWS_SQL)
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION lianxin_audit_log_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION lianxin_audit_log_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_stamp BEFORE INSERT ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION lianxin_audit_log_stamp()"
    )

    # Privileges: nothing by default, then the minimum.
    op.execute(
        "DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO "
        f"{APP_ROLE}', current_database()); END $$"
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute("REVOKE ALL ON users, user_sessions FROM PUBLIC")
    op.execute(f"REVOKE ALL ON users, user_sessions, alembic_version FROM {APP_ROLE}")
    for table, privileges in GRANTS.items():
        op.execute(f"GRANT {privileges} ON {table} TO {APP_ROLE}")
    for table in SEQUENCE_TABLES:
        op.execute(
            "DO $$ BEGIN EXECUTE format('GRANT USAGE ON SEQUENCE %s TO "
            f"{APP_ROLE}', pg_get_serial_sequence('{table}', 'id')); END $$"
        )
    for fn in FUNCTION_NAMES:
        op.execute(f"REVOKE ALL ON FUNCTION {fn} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {fn} TO {APP_ROLE}")
    op.execute("REVOKE ALL ON FUNCTION lianxin_audit_log_append_only() FROM PUBLIC")
    op.execute("REVOKE ALL ON FUNCTION lianxin_audit_log_stamp() FROM PUBLIC")

    for table in RLS_TABLES:
        # ENABLE, not FORCE: the owner (migrations, demo loader, CLI) is not subject to it.
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    for sql in POLICIES:
        op.execute(sql)


def downgrade() -> None:
    for sql in POLICIES:
        name, table = sql.split()[2], sql.split()[4]
        op.execute(f"DROP POLICY IF EXISTS {name} ON {table}")
    for table in RLS_TABLES:
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    op.execute("DROP TRIGGER IF EXISTS audit_log_stamp ON audit_log")
    op.execute("DROP VIEW IF EXISTS household_points, case_counts_by_cell, household_counts_by_cell")
    for fn in reversed(FUNCTION_NAMES):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.execute("DROP FUNCTION IF EXISTS lianxin_audit_log_append_only()")
    op.execute("DROP FUNCTION IF EXISTS lianxin_audit_log_stamp()")
    op.execute("DROP TABLE IF EXISTS user_sessions")
    # The role is shared by every database of the cluster: revoke here, never drop.
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
        f"'{APP_ROLE}') THEN EXECUTE 'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "
        f"{APP_ROLE}'; EXECUTE 'REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {APP_ROLE}'; "
        f"EXECUTE 'REVOKE USAGE ON SCHEMA public FROM {APP_ROLE}'; END IF; END $$"
    )
