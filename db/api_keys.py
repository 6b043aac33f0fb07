"""API keys of client systems (migration 0011_api_keys): SQL only.

Key management runs as the owner (the CLI); a request to the API reads its own key on the
app's connection through ``lianxin_current_api_key()``, which validates the session token
exactly as every row-level-security policy does.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

# --- owner's connection ---------------------------------------------------------------------


def insert_key(
    session: Session,
    *,
    name: str,
    key_hash: str,
    key_prefix: str,
    user_id: int,
    channel: str,
    rate_per_minute: int,
    created_by: str,
) -> int:
    return int(
        session.execute(
            text(
                "INSERT INTO api_keys (name, key_hash, key_prefix, user_id, channel, "
                "rate_per_minute, created_by) VALUES (:name, :h, :p, :uid, :ch, :rate, :by) "
                "RETURNING id"
            ),
            {
                "name": name,
                "h": key_hash,
                "p": key_prefix,
                "uid": user_id,
                "ch": channel,
                "rate": rate_per_minute,
                "by": created_by,
            },
        ).scalar_one()
    )


def find_key(session: Session, name: str) -> dict[str, Any] | None:
    row = (
        session.execute(
            text(
                "SELECT k.id, k.name, k.key_prefix, k.user_id, u.username, u.role, k.channel, "
                "k.rate_per_minute, k.created_at, k.created_by, k.revoked_at "
                "FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.name = :n"
            ),
            {"n": name},
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def list_keys(session: Session) -> pd.DataFrame:
    result = session.execute(
        text(
            "SELECT k.name, k.key_prefix, u.username, u.role, k.channel, k.rate_per_minute, "
            "k.created_at, k.created_by, k.revoked_at, "
            "(SELECT max(s.last_seen_at) FROM user_sessions s WHERE s.token_hash = k.key_hash) "
            "AS last_seen_at "
            "FROM api_keys k JOIN users u ON u.id = k.user_id ORDER BY k.name"
        )
    )
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def revoke_key(session: Session, key_id: int, *, at: dt.datetime | None = None) -> None:
    """Mark the key revoked and end its session (both in the caller's transaction)."""
    session.execute(
        text("UPDATE api_keys SET revoked_at = coalesce(:at, now()) WHERE id = :id"),
        {"id": key_id, "at": at},
    )
    session.execute(
        text(
            "UPDATE user_sessions SET ended_at = coalesce(:at, now()) WHERE ended_at IS NULL "
            "AND token_hash = (SELECT key_hash FROM api_keys WHERE id = :id)"
        ),
        {"id": key_id, "at": at},
    )


# --- app's connection -----------------------------------------------------------------------


def current_key(session: Session) -> dict[str, Any] | None:
    """The acting session's API key, or None (no key, a revoked key, a plain login)."""
    row = session.execute(text("SELECT * FROM lianxin_current_api_key()")).mappings().first()
    return dict(row) if row else None
