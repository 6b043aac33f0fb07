"""cases: intake bookkeeping, hotline ticket numbers, attachments, case numbering

Revision ID: 0004
Revises: 0003

What this adds and why:

- ``cases.external_ref``: the 12345 hotline's own ticket number (工单编号). A partial unique index
  per district and channel makes a re-import of the same export idempotent.
- ``cases.received_by`` (who took the case at the window/station/visit), ``cases.service_item``
  (one of the service centre's 9 items, when taken at the window), ``cases.check_note`` (核查
  情况 of the last close; the event row keeps every one of them).
- ``case_attachments``: files handed in at intake (photos, copies of certificates), kept in the
  same transaction as the case. RLS: visible and insertable with the case.
- ``case_counters`` + ``lianxin_next_case_seq(day)``: the daily sequence of the case number
  (LC20261130-0007). It is SECURITY DEFINER so that a community-station clerk, who sees only the
  cases of their community, still gets a number no other station has used; the upsert takes a
  row lock on the day's counter, so two windows never get the same number.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "lianxin_app"


def _if_app_role(sql: str) -> str:
    """Run ``sql`` only when the app role of migration 0002 exists."""
    escaped = sql.replace("'", "''")
    return (
        f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN "
        f"EXECUTE '{escaped}'; END IF; END $$"
    )


def upgrade() -> None:
    op.execute("ALTER TABLE cases ADD COLUMN IF NOT EXISTS external_ref varchar(40)")
    op.execute("ALTER TABLE cases ADD COLUMN IF NOT EXISTS received_by varchar(50)")
    op.execute("ALTER TABLE cases ADD COLUMN IF NOT EXISTS service_item varchar(30)")
    op.execute("ALTER TABLE cases ADD COLUMN IF NOT EXISTS check_note text")
    op.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS uq_cases_external_ref "
        "ON cases (district_code, channel, external_ref) WHERE external_ref IS NOT NULL"
    )
    op.execute(
        """
        CREATE TABLE case_attachments (
            id bigserial PRIMARY KEY,
            district_code varchar(6) NOT NULL,
            case_id bigint NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
            file_name varchar(255) NOT NULL,
            content_type varchar(100),
            size_bytes integer NOT NULL,
            content bytea NOT NULL,
            uploaded_by varchar(50),
            uploaded_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX ix_case_attachments_case ON case_attachments (case_id)")
    op.execute("CREATE INDEX ix_case_attachments_district ON case_attachments (district_code)")
    op.execute(
        """
        CREATE TABLE case_counters (
            day date PRIMARY KEY,
            last_seq integer NOT NULL
        )
        """
    )
    op.execute(
        """
        CREATE FUNCTION lianxin_next_case_seq(p_day date) RETURNS integer
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE existing integer; result integer;
        BEGIN
            -- Cases loaded without the counter (demo, imports) still count.
            SELECT coalesce(max(CAST(split_part(case_no, '-', 2) AS integer)), 0) INTO existing
            FROM cases WHERE case_no LIKE 'LC' || to_char(p_day, 'YYYYMMDD') || '-%'
              AND split_part(case_no, '-', 2) ~ '^[0-9]+$';
            INSERT INTO case_counters AS c (day, last_seq) VALUES (p_day, existing + 1)
            ON CONFLICT (day) DO UPDATE SET last_seq = greatest(c.last_seq, existing) + 1
            RETURNING last_seq INTO result;
            RETURN result;
        END
        $$
        """
    )
    op.execute(_if_app_role(f"GRANT SELECT, INSERT ON case_attachments TO {APP_ROLE}"))
    op.execute(_if_app_role(f"GRANT USAGE ON SEQUENCE case_attachments_id_seq TO {APP_ROLE}"))
    op.execute(_if_app_role(f"GRANT EXECUTE ON FUNCTION lianxin_next_case_seq(date) TO {APP_ROLE}"))
    op.execute("ALTER TABLE case_attachments ENABLE ROW LEVEL SECURITY")
    via_case = "EXISTS (SELECT 1 FROM cases c WHERE c.id = case_id)"
    op.execute(
        _if_app_role(
            f"CREATE POLICY case_attachments_read ON case_attachments FOR SELECT "
            f"TO {APP_ROLE} USING ({via_case})"
        )
    )
    op.execute(
        _if_app_role(
            f"CREATE POLICY case_attachments_insert ON case_attachments FOR INSERT "
            f"TO {APP_ROLE} WITH CHECK ({via_case})"
        )
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS lianxin_next_case_seq(date)")
    op.execute("DROP TABLE IF EXISTS case_counters")
    op.execute("DROP TABLE IF EXISTS case_attachments")
    op.execute("DROP INDEX IF EXISTS uq_cases_external_ref")
    for column in ("check_note", "service_item", "received_by", "external_ref"):
        op.execute(f"ALTER TABLE cases DROP COLUMN IF EXISTS {column}")
