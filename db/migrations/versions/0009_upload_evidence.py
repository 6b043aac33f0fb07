"""upload evidence: the SHA-256 of every stored case attachment

Revision ID: 0009_upload_evidence
Revises: 0007_import_scope

``case_attachments.sha256``: the hex SHA-256 of the bytes as stored (a photo after its EXIF was
stripped on upload), so a file shown later as evidence can be proved unchanged. Rows stored
before this migration get theirs computed from their content here.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_upload_evidence"
down_revision: str | Sequence[str] | None = "0008_rls_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE case_attachments ADD COLUMN IF NOT EXISTS sha256 char(64)")
    op.execute(
        "UPDATE case_attachments SET sha256 = encode(sha256(content), 'hex') WHERE sha256 IS NULL"
    )
    op.execute("ALTER TABLE case_attachments ALTER COLUMN sha256 SET NOT NULL")


def downgrade() -> None:
    op.execute("ALTER TABLE case_attachments DROP COLUMN IF EXISTS sha256")
