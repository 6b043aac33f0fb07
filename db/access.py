"""The database side of access control: the app's restricted sessions and the auth tables.

Two kinds of connection
- **Pages** read and write through :func:`acting_session`: a session on the app's role
  (``lianxin_app``: LOGIN, NOSUPERUSER, NOBYPASSRLS, owns nothing) that sets the acting
  user's *session token* in the transaction-local setting ``lianxin.session`` at the start of
  every transaction. Row-level security policies (migration 0002) turn the token into a role,
  cells and a community; no valid token → no rows.
- **Authentication** (checking a password, opening a session) and the CLI's user management
  run as the owner through :func:`db.engine.session_scope`: the app role can read neither
  ``users`` (password hashes) nor ``user_sessions`` (token hashes).

Pages and the command line open both kinds through :mod:`services.sessions`.

A token, not a user id, goes into the setting, so hand-written SQL on the app's connection
cannot pretend to be someone else: it would have to know a live token, and only the token's
SHA-256 is stored, in a table the app role cannot read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import pandas as pd
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import DatabaseUnavailableError, PermissionDeniedError
from core.settings import app_url_for, settings
from db.engine import get_engine, how_to_start, unit_of_work

SESSION_SETTING = "lianxin.session"
APP_ROLE = "lianxin_app"


class SessionExpiredError(PermissionDeniedError):
    """The login session ended (idle too long, logged out, or the account was disabled)."""


def token_hash(token: str) -> str:
    """What ``user_sessions.token_hash`` stores: the hex SHA-256 of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def app_url(url: str | None = None) -> str:
    """The app role's URL: settings.app_database_url, or ``url``'s database as lianxin_app."""
    return app_url_for(url) if url else settings.app_database_url


def set_actor(session: Session, token: str | None) -> None:
    """Set the acting token for the current transaction only (``set_config(…, true)``).

    An empty string is set when there is no token, so a stale session-level value someone
    left on a pooled connection never carries over to the next request.
    """
    session.execute(
        text("SELECT set_config(:name, :token, true)"),
        {"name": SESSION_SETTING, "token": token or ""},
    )


@lru_cache(maxsize=4)
def _app_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(url), expire_on_commit=False)


@contextmanager
def acting_session(
    token: str | None, *, url: str | None = None, touch: bool = True
) -> Iterator[Session]:
    """A transaction on the app's role acting as the holder of ``token``.

    Every transaction the session begins sets ``lianxin.session`` first (so a page that commits
    half-way keeps its identity). With ``touch`` the login's idle timer restarts, and a token
    that is no longer valid raises :class:`SessionExpiredError` before any query runs.
    Commits on success, rolls back on error — like :func:`db.engine.session_scope`.

    ``url`` is the *owner's* URL of the database (tests pass the test database); the app
    role's URL is derived from it, or taken from APP_DATABASE_URL when none is given.
    """
    session = _app_factory(app_url(url))()

    @event.listens_for(session, "after_begin")
    def _set_token(sess: Session, transaction: Any, connection: Any) -> None:
        connection.execute(
            text("SELECT set_config(:name, :token, true)"),
            {"name": SESSION_SETTING, "token": token or ""},
        )

    with unit_of_work(session):
        try:
            valid = touch_session(session) if (touch and token) else True
        except OperationalError as exc:
            raise DatabaseUnavailableError(
                f"无法以应用角色 {APP_ROLE} 连接数据库。" + how_to_start()
            ) from exc
        if not valid:
            raise SessionExpiredError("登录已超时或已退出，请重新登录")
        yield session


# --- on the app's connection (SECURITY DEFINER functions of migration 0002) -----------------


def touch_session(session: Session) -> bool:
    return bool(session.execute(text("SELECT lianxin_touch_session()")).scalar())


def end_session(session: Session) -> bool:
    return bool(session.execute(text("SELECT lianxin_end_session()")).scalar())


def whoami(session: Session) -> dict[str, Any] | None:
    row = session.execute(text("SELECT * FROM lianxin_whoami()")).mappings().first()
    return dict(row) if row else None


# --- on the owner's connection: accounts and login sessions ---------------------------------

_USER_COLUMNS = (
    "id, username, display_name, role, staff_id, community_code, password_hash, "
    "failed_logins, locked_until, active, created_at"
)


def find_user(
    session: Session, username: str, *, for_update: bool = False
) -> dict[str, Any] | None:
    """The account row; ``for_update`` locks it until the transaction ends, so concurrent
    wrong passwords are counted one after another (the lock-out cannot be raced)."""
    lock = " FOR UPDATE" if for_update else ""
    row = (
        session.execute(
            text(f"SELECT {_USER_COLUMNS} FROM users WHERE username = :u{lock}"),  # noqa: S608
            {"u": username},
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def insert_user(session: Session, **values: Any) -> int:
    return int(
        session.execute(
            text(
                "INSERT INTO users (username, display_name, role, staff_id, community_code, "
                "password_hash, failed_logins, active) VALUES (:username, :display_name, :role, "
                ":staff_id, :community_code, :password_hash, 0, true) RETURNING id"
            ),
            values,
        ).scalar_one()
    )


def update_user(session: Session, user_id: int, **values: Any) -> None:
    allowed = {
        "display_name",
        "role",
        "staff_id",
        "community_code",
        "password_hash",
        "failed_logins",
        "locked_until",
        "active",
    }
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"unknown user columns: {sorted(unknown)}")
    if not values:
        return
    assignments = ", ".join(f"{k} = :{k}" for k in values)
    session.execute(
        text(f"UPDATE users SET {assignments} WHERE id = :id"),  # noqa: S608 - whitelisted
        {**values, "id": user_id},
    )


def list_users(session: Session) -> pd.DataFrame:
    result = session.execute(
        text(
            "SELECT u.username, u.display_name, u.role, u.community_code, s.cell_code, "
            "s.staff_no, u.active, u.failed_logins, u.locked_until, u.created_at, "
            "(SELECT max(us.last_seen_at) FROM user_sessions us WHERE us.user_id = u.id) "
            "AS last_seen_at "
            "FROM users u LEFT JOIN staff s ON s.id = u.staff_id ORDER BY u.role, u.username"
        )
    )
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def insert_session(
    session: Session,
    *,
    token: str,
    user_id: int,
    idle_seconds: int,
    max_seconds: int,
    client: str | None,
    now: dt.datetime | None = None,
) -> int:
    """Open a login session; returns its id."""
    return session.execute(
        text(
            "INSERT INTO user_sessions (token_hash, user_id, idle_seconds, created_at, "
            "last_seen_at, expires_at, max_expires_at, client) "
            "VALUES (:h, :uid, :idle, coalesce(:now, now()), coalesce(:now, now()), "
            "coalesce(:now, now()) + make_interval(secs => :idle), "
            "coalesce(:now, now()) + make_interval(secs => :max), :client) RETURNING id"
        ),
        {
            "h": token_hash(token),
            "uid": user_id,
            "idle": idle_seconds,
            "max": max_seconds,
            "now": now,
            "client": (client or "")[:100] or None,
        },
    ).scalar_one()


def end_sessions_of(session: Session, user_id: int) -> int:
    """End every open login of a user (after disable, reset or a role change)."""
    result = session.execute(
        text("UPDATE user_sessions SET ended_at = now() WHERE user_id = :u AND ended_at IS NULL"),
        {"u": user_id},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- login back-off per (typed username, client address) (migration 0013) -------------------


def backoff_for_update(session: Session, username: str, client_addr: str) -> dict[str, Any]:
    """The back-off row of this (name, address), created empty if missing and locked until the
    transaction ends: parallel guesses from one address are checked one after another."""
    session.execute(
        text(
            "INSERT INTO login_backoff (username, client_addr) VALUES (:u, :a) "
            "ON CONFLICT (username, client_addr) DO NOTHING"
        ),
        {"u": username, "a": client_addr},
    )
    row = (
        session.execute(
            text(
                "SELECT username, client_addr, failures, last_failure_at, blocked_until "
                "FROM login_backoff WHERE username = :u AND client_addr = :a FOR UPDATE"
            ),
            {"u": username, "a": client_addr},
        )
        .mappings()
        .one()
    )
    return dict(row)


def set_backoff(
    session: Session,
    username: str,
    client_addr: str,
    *,
    failures: int,
    last_failure_at: dt.datetime | None,
    blocked_until: dt.datetime | None,
) -> None:
    session.execute(
        text(
            "UPDATE login_backoff SET failures = :f, last_failure_at = :at, blocked_until = :b "
            "WHERE username = :u AND client_addr = :a"
        ),
        {"u": username, "a": client_addr, "f": failures, "at": last_failure_at, "b": blocked_until},
    )


def clear_backoff(session: Session, username: str, client_addr: str | None = None) -> int:
    """Forget the failures of a name (from one address, or from all); returns rows removed."""
    result = session.execute(
        text(
            "DELETE FROM login_backoff WHERE username = :u "
            "AND (CAST(:a AS text) IS NULL OR client_addr = :a)"
        ),
        {"u": username, "a": client_addr},
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def forget_old_backoff(session: Session, *, before: dt.datetime) -> None:
    """Drop rows whose last failure is older than ``before`` (they no longer slow anyone)."""
    session.execute(
        text(
            "DELETE FROM login_backoff WHERE coalesce(last_failure_at, '-infinity') < :t "
            "AND coalesce(blocked_until, '-infinity') < :t"
        ),
        {"t": before},
    )


def backoff_of(session: Session, username: str) -> pd.DataFrame:
    result = session.execute(
        text(
            "SELECT client_addr, failures, last_failure_at, blocked_until FROM login_backoff "
            "WHERE username = :u AND failures > 0 ORDER BY last_failure_at DESC"
        ),
        {"u": username},
    )
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


# --- one-time codes that hand a login over to the HttpOnly cookie (migration 0013) ----------


def insert_handoff(
    session: Session, *, code_hash: str, session_id: int, sealed: bytes, seconds: int
) -> None:
    session.execute(
        text("DELETE FROM login_handoffs WHERE expires_at < now()"),
    )
    session.execute(
        text(
            "INSERT INTO login_handoffs (code_hash, session_id, sealed_token, expires_at) "
            "VALUES (:h, :sid, :sealed, now() + make_interval(secs => :secs))"
        ),
        {"h": code_hash, "sid": session_id, "sealed": sealed, "secs": seconds},
    )


def take_handoff(session: Session, code_hash: str) -> bytes | None:
    """Use up a hand-off code: its sealed token if the code is valid, unexpired and its login
    still open; the row is deleted either way (single use)."""
    row = session.execute(
        text(
            "DELETE FROM login_handoffs h WHERE h.code_hash = :h "
            "RETURNING h.sealed_token, h.expires_at > now() AS fresh, "
            "EXISTS (SELECT 1 FROM user_sessions s WHERE s.id = h.session_id "
            "AND s.ended_at IS NULL AND s.expires_at > now()) AS open"
        ),
        {"h": code_hash},
    ).first()
    if row is None or not row.fresh or not row.open:
        return None
    return bytes(row.sealed_token)


def staff_by_no(session: Session, staff_no: str) -> dict[str, Any] | None:
    row = (
        session.execute(
            text(
                "SELECT id, staff_no, name, role, community_code, cell_code FROM staff "
                "WHERE staff_no = :n"
            ),
            {"n": staff_no},
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def first_staff(session: Session, *, role: str, with_cell: bool) -> dict[str, Any] | None:
    """A demo account's staff row: the first active one of a role (with a cell if asked)."""
    row = (
        session.execute(
            text(
                "SELECT id, staff_no, name, role, community_code, cell_code FROM staff "
                "WHERE role = :r AND active AND (NOT :c OR cell_code IS NOT NULL) "
                "ORDER BY staff_no LIMIT 1"
            ),
            {"r": role, "c": with_cell},
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def first_station_community(session: Session) -> str | None:
    return session.execute(
        text("SELECT code FROM communities WHERE has_station ORDER BY code LIMIT 1")
    ).scalar()


# --- audit log: written only by the database's functions (migration 0008) --------------------


def insert_audit(session: Session, **row: Any) -> None:
    """Append one row through the database's own function.

    On the app's connection ``lianxin_audit`` takes the user from the session (a different
    ``username`` is refused, and so are login rows); on the owner's connection (login, CLI)
    ``lianxin_audit_trusted`` records the name given, e.g. of a failed login.
    """
    on_app = session.execute(text("SELECT current_user = :app"), {"app": APP_ROLE}).scalar()
    if on_app:
        sql = (
            "SELECT lianxin_audit(:action, :target, CAST(:detail AS jsonb), :client, "
            ":district_code, :username)"
        )
    else:
        sql = (
            "SELECT lianxin_audit_trusted(:username, :action, :target, CAST(:detail AS jsonb), "
            ":client, :district_code)"
        )
    session.execute(text(sql), row)


def search_audit(
    session: Session,
    *,
    username: str | None = None,
    actions: list[str] | None = None,
    target: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 500,
) -> pd.DataFrame:
    """Newest first. ``target`` is a substring (LIKE wildcards in it are escaped)."""
    like = None
    if target:
        like = "%" + target.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    result = session.execute(
        text(
            "SELECT id, at, username, action, target, detail, client FROM audit_log "
            "WHERE (CAST(:u AS text) IS NULL OR username = :u) "
            "AND (CAST(:acts AS text[]) IS NULL OR action = ANY (CAST(:acts AS text[]))) "
            "AND (CAST(:t AS text) IS NULL OR target LIKE :t ESCAPE '\\') "
            "AND (CAST(:since AS timestamptz) IS NULL OR at >= :since) "
            "AND (CAST(:until AS timestamptz) IS NULL OR at < :until) "
            "ORDER BY at DESC, id DESC LIMIT :limit"
        ),
        {
            "u": username,
            "acts": actions or None,
            "t": like,
            "since": since,
            "until": until,
            "limit": limit,
        },
    )
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def household_file(session: Session, household_id: int) -> dict[str, Any] | None:
    """A household and its residents, as RLS lets the acting user see them (or None)."""
    row = (
        session.execute(
            text(
                "SELECT id, district_code, household_key, head_name, sex, id_number, phone, "
                "size, address, community_code, cell_code, categories, special_groups, status "
                "FROM households WHERE id = :id"
            ),
            {"id": household_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    residents = session.execute(
        text(
            "SELECT id, name, relation, id_number, phone FROM residents "
            "WHERE household_id = :id ORDER BY id"
        ),
        {"id": household_id},
    )
    record = dict(row)
    record["residents"] = [dict(r) for r in residents.mappings()]
    return record


def scope_label(session: Session, *, community_code: str | None, cell_code: str | None) -> str:
    """大北街社区 · 第003网格 (names from the published plan), for printing demo accounts."""
    row = session.execute(
        text(
            "SELECT (SELECT name FROM communities WHERE code = :c) AS community, "
            "(SELECT g.name FROM grid_cells g JOIN grid_plans p ON p.id = g.plan_id "
            " AND p.state = 'published' WHERE g.cell_code = :g LIMIT 1) AS cell"
        ),
        {"c": community_code, "g": cell_code},
    ).one()
    return " · ".join(x for x in (row.community, row.cell) if x)
