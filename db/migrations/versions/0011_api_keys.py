"""api keys: client systems (12345 hotline, city platform) on the Open311 API

Revision ID: 0011_api_keys
Revises: 0007_import_scope

A client system gets an **API key**, created with ``lianxin api-keys add``. The key is shown
once; the database keeps only its SHA-256 (like a login token).

How a key acts under row-level security: each key has its own account in ``users`` (a role such
as ``clerk`` for a system that files cases, ``leader`` for one that only reads) and a login
session in ``user_sessions`` whose ``token_hash`` *is* the key's hash. The API opens every
request as ``lianxin_app`` with the key in ``lianxin.session`` (``db.access.acting_session``),
so the policies of migration 0002 see that account's role and scope — no new policy path.
Revoking a key ends that session and marks the key revoked.

- ``api_keys``: name, hash, prefix (for the list), account, channel a case arrives by, rate
  limit, who made it, revoked_at. The app role has no access to the table.
- ``lianxin_current_api_key()``: the acting session's key (id, name, channel, rate, username,
  role) — only for a live, unrevoked key whose session is valid; else no row.
- ``open311_requests``: the GeoReport token of each case posted through the API, the key that
  posted it and its ``media_url``; readable and insertable by the app role where the case is
  visible (the policy follows the case, as ``case_events`` does).
- ``cases.citizen_email``: the requester's e-mail from ``POST requests`` (personal data, masked
  and audited like the phone).
- ``lianxin_next_case_seq`` (0004) replaced, same contract: it found the day's last number with
  ``case_no LIKE 'LC' || to_char(p_day, …) || '-%'``. ``to_char`` is only STABLE, so the
  pattern is not a plan-time constant and no index can serve the LIKE: every intake scanned
  the whole table — 1.0 s per case at 1 M cases (bench/bench_open311.py), on every intake
  path (window, visit, hotline, API). Now the prefix is computed first and compared with the
  pattern operators ``~>=~`` / ``~<~`` on ``ix_cases_case_no_pattern`` (``text_pattern_ops``,
  byte order whatever the database's collation): an index range scan.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_api_keys"
down_revision: str | Sequence[str] | None = "0010_household_members"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "lianxin_app"
SIGNATURE = "lianxin_current_api_key()"

TABLES_SQL = """
CREATE TABLE api_keys (
    id serial PRIMARY KEY,
    name varchar(50) NOT NULL UNIQUE,
    key_hash char(64) NOT NULL UNIQUE,
    key_prefix varchar(12) NOT NULL,
    user_id integer NOT NULL REFERENCES users(id),
    channel varchar(10) NOT NULL,
    rate_per_minute integer NOT NULL DEFAULT 600 CHECK (rate_per_minute > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by varchar(50),
    revoked_at timestamptz,
    district_code varchar(12) NOT NULL DEFAULT '610902'
);
COMMENT ON TABLE api_keys IS
    'Open311 API keys. key_hash = sha256 of the key = user_sessions.token_hash of its session.';

CREATE TABLE open311_requests (
    token uuid PRIMARY KEY,
    case_id bigint NOT NULL UNIQUE REFERENCES cases(id) ON DELETE CASCADE,
    api_key_id integer REFERENCES api_keys(id),
    media_url varchar(500),
    created_at timestamptz NOT NULL DEFAULT now(),
    district_code varchar(12) NOT NULL DEFAULT '610902'
);
ALTER TABLE open311_requests ENABLE ROW LEVEL SECURITY;

ALTER TABLE cases ADD COLUMN citizen_email varchar(100);

CREATE INDEX ix_cases_case_no_pattern ON cases (case_no text_pattern_ops);
"""

NEXT_SEQ_SQL = r"""
CREATE OR REPLACE FUNCTION lianxin_next_case_seq(p_day date) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE existing integer; result integer; prefix text;
BEGIN
    prefix := 'LC' || to_char(p_day, 'YYYYMMDD') || '-';
    -- Cases loaded without the counter (demo, imports) still count.
    SELECT coalesce(max(CAST(split_part(case_no, '-', 2) AS integer)), 0) INTO existing
    FROM cases WHERE case_no ~>=~ prefix AND case_no ~<~ (prefix || '~')
      AND split_part(case_no, '-', 2) ~ '^[0-9]+$';
    INSERT INTO case_counters AS c (day, last_seq) VALUES (p_day, existing + 1)
    ON CONFLICT (day) DO UPDATE SET last_seq = greatest(c.last_seq, existing) + 1
    RETURNING last_seq INTO result;
    RETURN result;
END
$$;
"""

OLD_NEXT_SEQ_SQL = r"""
CREATE OR REPLACE FUNCTION lianxin_next_case_seq(p_day date) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE existing integer; result integer;
BEGIN
    SELECT coalesce(max(CAST(split_part(case_no, '-', 2) AS integer)), 0) INTO existing
    FROM cases WHERE case_no LIKE 'LC' || to_char(p_day, 'YYYYMMDD') || '-%'
      AND split_part(case_no, '-', 2) ~ '^[0-9]+$';
    INSERT INTO case_counters AS c (day, last_seq) VALUES (p_day, existing + 1)
    ON CONFLICT (day) DO UPDATE SET last_seq = greatest(c.last_seq, existing) + 1
    RETURNING last_seq INTO result;
    RETURN result;
END
$$;
"""

FUNCTION_SQL = r"""
CREATE FUNCTION lianxin_current_api_key()
RETURNS TABLE (id integer, name text, channel text, rate_per_minute integer, username text,
               role text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT k.id, k.name::text, k.channel::text, k.rate_per_minute, u.username::text,
           u.role::text
    FROM api_keys k JOIN users u ON u.id = k.user_id
    WHERE k.key_hash = encode(sha256(convert_to(
              coalesce(current_setting('lianxin.session', true), ''), 'UTF8')), 'hex')
      AND k.revoked_at IS NULL
      AND k.user_id = lianxin_session_user_id()
$$;
"""

VIA_CASE = "EXISTS (SELECT 1 FROM cases c WHERE c.id = case_id)"


def upgrade() -> None:
    op.execute(TABLES_SQL)
    op.execute(NEXT_SEQ_SQL)  # CREATE OR REPLACE keeps its owner and its grant to the app
    op.execute(FUNCTION_SQL)
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT ON open311_requests TO {APP_ROLE}")
    op.execute(
        f"CREATE POLICY open311_requests_read ON open311_requests AS PERMISSIVE FOR SELECT "
        f"TO {APP_ROLE} USING ({VIA_CASE})"
    )
    op.execute(
        f"CREATE POLICY open311_requests_insert ON open311_requests AS PERMISSIVE FOR INSERT "
        f"TO {APP_ROLE} WITH CHECK ({VIA_CASE})"
    )


def downgrade() -> None:
    op.execute(OLD_NEXT_SEQ_SQL)
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
    op.execute("DROP TABLE IF EXISTS open311_requests")
    op.execute("DROP TABLE IF EXISTS api_keys")
    op.execute("ALTER TABLE cases DROP COLUMN IF EXISTS citizen_email")
    op.execute("DROP INDEX IF EXISTS ix_cases_case_no_pattern")
