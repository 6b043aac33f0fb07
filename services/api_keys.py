"""API keys of client systems: add, list, revoke (owner's connection, from the CLI).

A key is a random 256-bit secret shown once. The database stores only its SHA-256, twice:
``api_keys.key_hash`` and, as the token hash of the key's login session, in
``user_sessions``. That session belongs to an account of the key's own (``api.<name>``) with
the key's role, so a request carrying the key runs under exactly the row-level security of
that role (see migration 0011_api_keys) and its audit rows carry that account's name.

The public reader (anonymous ``GET``s of the Open311 API) is an account of role ``leader``
(reads every case, writes none) whose session token lives only in the API process's memory.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from core.errors import ConflictError, InvalidInputError, NotFoundError
from core.vocab import CHANNELS
from db import access, api_keys
from services import accounts, audit

KEY_ROLES = ("clerk", "leader")  # files cases / reads only
API_CHANNELS = ("hotline", "platform")
PUBLIC_USERNAME = "open311.public"
TEN_YEARS_S = 10 * 365 * 24 * 3600
PUBLIC_SESSION_S = 24 * 3600


@dataclass(frozen=True)
class NewKey:
    name: str
    key: str
    username: str
    role: str
    channel: str
    rate_per_minute: int


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if (
        not name
        or len(name) > 40
        or not all(c.isascii() and (c.isalnum() or c in "-_") for c in name)
    ):
        raise InvalidInputError(
            f"密钥名称 {name!r} 无效：1–40 个英文字母、数字、连字符或下划线（如 hotline-12345）"
        )
    return name


def add_key(
    name: str,
    *,
    session: Session,
    role: str = "clerk",
    channel: str = "hotline",
    rate_per_minute: int = 600,
    display_name: str | None = None,
    by: str = "cli",
) -> NewKey:
    """Create a key, its account and its session; return the key (shown once)."""
    name = _check_name(name)
    if role not in KEY_ROLES:
        raise InvalidInputError(f"角色 {role!r} 不可用于接口密钥；可选：{'、'.join(KEY_ROLES)}")
    if channel not in API_CHANNELS:
        choices = "、".join(f"{c}（{CHANNELS[c]}）" for c in API_CHANNELS)
        raise InvalidInputError(f"受理渠道 {channel!r} 不可用于接口密钥；可选：{choices}")
    if not 1 <= int(rate_per_minute) <= 100_000:
        raise InvalidInputError("限流应为每分钟 1–100000 次")
    if api_keys.find_key(session, name) is not None:
        raise ConflictError(f"密钥名称 {name} 已存在")
    username = f"api.{name}"
    accounts.create_user(
        username,
        session=session,
        role=role,
        display_name=display_name or f"接口：{name}",
        by=by,
    )
    user = access.find_user(session, username)
    assert user is not None
    key = "lx_" + secrets.token_urlsafe(32)
    access.insert_session(
        session,
        token=key,
        user_id=int(user["id"]),
        idle_seconds=TEN_YEARS_S,
        max_seconds=TEN_YEARS_S,
        client=f"api-key:{name}",
    )
    api_keys.insert_key(
        session,
        name=name,
        key_hash=access.token_hash(key),
        key_prefix=key[:8],
        user_id=int(user["id"]),
        channel=channel,
        rate_per_minute=int(rate_per_minute),
        created_by=by,
    )
    audit.record(
        session=session,
        username=by,
        action=audit.PERMISSION_CHANGE,
        target=f"api_key:{name}",
        detail={"change": "add", "role": role, "channel": channel, "rate": rate_per_minute},
    )
    return NewKey(name, key, username, role, channel, int(rate_per_minute))


def list_keys(*, session: Session) -> pd.DataFrame:
    """Every key (never the key itself: its first 8 characters and its account)."""
    return api_keys.list_keys(session)


def revoke_key(name: str, *, session: Session, by: str = "cli") -> None:
    """Revoke a key at once: its session ends and its account is disabled."""
    row = api_keys.find_key(session, (name or "").strip())
    if row is None:
        raise NotFoundError(f"密钥 {name} 不存在")
    if row["revoked_at"] is not None:
        raise ConflictError(f"密钥 {name} 已于 {row['revoked_at']:%Y-%m-%d %H:%M} 吊销")
    api_keys.revoke_key(session, int(row["id"]))
    access.update_user(session, int(row["user_id"]), active=False)
    audit.record(
        session=session,
        username=by,
        action=audit.PERMISSION_CHANGE,
        target=f"api_key:{row['name']}",
        detail={"change": "revoke"},
    )


def public_reader_token(*, session: Session) -> str:
    """A fresh session token for the public reader (account made on first use)."""
    user = access.find_user(session, PUBLIC_USERNAME)
    if user is None:
        accounts.create_user(
            PUBLIC_USERNAME,
            session=session,
            role="leader",
            display_name="Open311 公开查询",
            by="open311",
        )
        user = access.find_user(session, PUBLIC_USERNAME)
        assert user is not None
    token = secrets.token_urlsafe(32)
    access.insert_session(
        session,
        token=token,
        user_id=int(user["id"]),
        idle_seconds=PUBLIC_SESSION_S,
        max_seconds=PUBLIC_SESSION_S,
        client="open311-public",
    )
    return token


# --- for the API (api/app.py calls these; it imports nothing from db/) ----------------------


@contextmanager
def api_session(token: str | None, *, url: str | None = None) -> Iterator[Session]:
    """One request's transaction on the app role, acting as the key (or the public reader).

    ``touch=False``: a key's session never idles out, and a request writes no session row.
    """
    with access.acting_session(token, url=url, touch=False) as session:
        yield session


def current_key(*, session: Session) -> dict[str, Any] | None:
    """The acting API key (id, name, channel, rate_per_minute, username, role), or None."""
    return api_keys.current_key(session)


def new_public_reader_token(*, url: str | None = None) -> str:
    """:func:`public_reader_token` in its own committed transaction (owner's connection)."""
    from db.engine import session_scope

    with session_scope(url) as session:
        return public_reader_token(session=session)
