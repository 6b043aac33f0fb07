"""login back-off per (account, client address); one-time hand-off codes for the login cookie

Revision ID: 0013_login_backoff
Revises: 0007_import_scope

``login_backoff``: wrong passwords counted per (username as typed, client address). After a few
free mistakes each further failure makes that address wait longer (exponentially, capped)
before it may try that name again. It replaces the account-wide lock-out (``users.locked_until``,
5 failures → 15 minutes), which let anyone lock anyone out, the admin included. The row is
keyed by the typed name, not the account id, so an unknown name backs off exactly like a real
one and the back-off reveals nothing about which accounts exist. ``users.failed_logins`` and
``users.locked_until`` stay (another migration owns ``users``) but are no longer written.

``login_handoffs``: the browser's login cookie is HttpOnly, so it can only be set by the server
in a response. At login the app makes a one-time code (valid 60 s, single use) and the page's
script exchanges it at ``POST /_lianxin/session`` for the ``Set-Cookie``. Only the SHA-256 of
the code is stored, and the session token is stored sealed with a key derived from the code
(XOR with SHAKE-256 of the code), so the table alone never yields a token.

Both tables belong to the owner; the app role has no privilege on them (like ``users`` and
``user_sessions``): authentication runs on the owner's connection.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_login_backoff"
down_revision: str | Sequence[str] | None = "0012_background_refresh"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "lianxin_app"

TABLES_SQL = """
CREATE TABLE login_backoff (
    username varchar(50) NOT NULL,
    client_addr varchar(64) NOT NULL,
    failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    last_failure_at timestamptz,
    blocked_until timestamptz,
    PRIMARY KEY (username, client_addr)
);
COMMENT ON TABLE login_backoff IS
    'Wrong passwords per (typed username, client address) and the wait before the next try.';

CREATE TABLE login_handoffs (
    code_hash char(64) PRIMARY KEY,
    session_id bigint NOT NULL REFERENCES user_sessions(id) ON DELETE CASCADE,
    sealed_token bytea NOT NULL,
    expires_at timestamptz NOT NULL
);
COMMENT ON TABLE login_handoffs IS
    'One-time codes (sha256) exchanged once for the HttpOnly login cookie; token sealed by the code.';
"""


def upgrade() -> None:
    op.execute(TABLES_SQL)
    op.execute("REVOKE ALL ON login_backoff, login_handoffs FROM PUBLIC")
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '"
        + APP_ROLE
        + "') THEN EXECUTE 'REVOKE ALL ON login_backoff, login_handoffs FROM "
        + APP_ROLE
        + "'; END IF; END $$"
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS login_handoffs")
    op.execute("DROP TABLE IF EXISTS login_backoff")
