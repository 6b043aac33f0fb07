"""Accounts, passwords and login sessions.

Passwords are hashed with **Argon2id** (argon2-cffi, its RFC 9106 low-memory profile): it is
memory-hard, so guessing on GPUs/ASICs costs memory as well as time, and it is OWASP's first
choice for password storage. The hash string carries its own parameters, so raising them later
re-hashes each account on its next successful login (``check_needs_rehash``).

Rules (README, "安全 / Security"):
- Wrong passwords slow the guesser, never lock the owner out: they are counted per (typed
  username, client address); after 3 free mistakes each further one makes that address wait
  2 s, 4 s, 8 s … (at most 15 minutes) before it may try that name again. The owner at another
  address is not affected; an admin lifts a back-off with ``lianxin users unlock``.
- An unknown user and a wrong password get the same message and cost the same time (one
  Argon2 verification, against a dummy hash when there is no such account).
- A login lasts 8 hours of idleness (every request restarts the timer) and 24 hours at most.
- Disabling an account, resetting its password or changing its role ends its open logins.
- Every login success and failure, and every permission change, is an audit row.

The pure parts (hashing, lock-out arithmetic, password rules) need no database; the rest
take the owner's session as ``session=`` (the app role cannot read ``users``). Account
management (create, disable, reset, grant, unlock) is services/accounts.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session

from db import access
from services import audit

ROLES = ("planner", "leader", "grid_leader", "grid_worker", "clerk", "admin")
ROLE_NAMES = {
    "planner": "规划员",
    "leader": "领导",
    "grid_leader": "网格长",
    "grid_worker": "网格员",
    "clerk": "窗口工作人员",
    "admin": "管理员",
}
# Back-off per (typed username, client address), not an account lock-out: a guesser is slowed
# down, while the owner, from their own machine, logs in as usual. Rows are keyed by the typed
# name, so an unknown name backs off exactly like a real one (nothing to learn from it).
FREE_FAILURES = 3
BACKOFF_BASE = dt.timedelta(seconds=2)
BACKOFF_MAX = dt.timedelta(minutes=15)
BACKOFF_FORGET = dt.timedelta(hours=24)  # a failure this old no longer counts
IDLE_TIMEOUT = dt.timedelta(hours=8)
MAX_SESSION = dt.timedelta(hours=24)
MIN_PASSWORD_LENGTH = 10
USERNAME_MAX = 50

_hasher = PasswordHasher()
# Verified against when the user does not exist, so both paths cost one Argon2 verification
# and response time does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
_COMMON = {"password", "12345678", "123456789", "1234567890", "qwertyuiop", "admin123456"}

WRONG_CREDENTIALS = "用户名或密码不正确"
TOO_MANY_TRIES = "尝试次数过多，请{wait}后再试；如需立即登录，请联系管理员解除限制"


@dataclass(frozen=True)
class Actor:
    """Who is acting in this request: what the sidebar shows and services log."""

    token: str
    username: str
    display_name: str
    role: str
    community_code: str | None = None
    community_name: str | None = None
    cells: tuple[str, ...] = ()
    cell_names: tuple[str, ...] = ()
    staff_id: int | None = None
    client: str | None = None

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.role, self.role)

    @property
    def scope(self) -> str:
        """大北街社区 · 第003网格 for a grid leader; the community for a clerk; 全街道 else."""
        parts = [p for p in (self.community_name, " / ".join(self.cell_names)) if p]
        if parts:
            return " · ".join(parts)
        if self.role == "clerk":
            return "街道便民服务中心"
        return "全街道"


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    message: str
    actor: Actor | None = None
    handoff: str | None = None  # one-time code the browser exchanges for the login cookie


# --- pure -----------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problem(password: str, *, username: str = "") -> str | None:
    """Why a new password is not acceptable (Chinese), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少{MIN_PASSWORD_LENGTH}位"
    if len(password) > 128:
        return "密码不能超过128位"
    if password.lower() in _COMMON or (username and username.lower() in password.lower()):
        return "密码太常见或包含用户名，请换一个"
    if len(set(password)) < 4:
        return "密码字符种类太少，请换一个"
    return None


def generate_password() -> str:
    """A random 16-character password (for seed-demo and reset-password)."""
    return secrets.token_urlsafe(12)


def backoff_delay(failures: int) -> dt.timedelta | None:
    """How long an address waits before its next try of a name after ``failures`` wrong
    passwords in a row: the first few are free (typos), then 2 s, 4 s, 8 s … up to 15 min."""
    if failures <= FREE_FAILURES:
        return None
    seconds = BACKOFF_BASE.total_seconds() * 2 ** min(failures - FREE_FAILURES - 1, 30)
    return min(dt.timedelta(seconds=seconds), BACKOFF_MAX)


def wait_left(blocked_until: dt.datetime | None, *, now: dt.datetime) -> dt.timedelta | None:
    """How long the back-off still lasts, or None when the next try may go ahead."""
    if blocked_until is None or blocked_until <= now:
        return None
    return blocked_until - now


def _wait_text(delta: dt.timedelta) -> str:
    seconds = max(1, int(-(-delta.total_seconds() // 1)))
    if seconds < 120:
        return f"{seconds}秒"
    return f"{-(-seconds // 60)}分钟"


def client_address(client: str | None) -> str:
    """The address part of an audit ``client`` string ('10.0.0.9 · Mozilla/5.0 …')."""
    addr = (client or "").split(" · ", 1)[0].strip()
    return (addr or "local")[:64]


def session_expired(*, last_seen: dt.datetime, created: dt.datetime, now: dt.datetime) -> bool:
    """The rule the database applies (user_sessions.expires_at), for display and tests."""
    return now >= min(last_seen + IDLE_TIMEOUT, created + MAX_SESSION)


# --- login ----------------------------------------------------------------------------------


def authenticate(
    username: str,
    password: str,
    *,
    session: Session,
    client: str | None = None,
    client_addr: str | None = None,
    now: dt.datetime | None = None,
) -> LoginResult:
    """Check a password; on success open a login session and return its token in the actor.

    Runs on the owner's connection. Writes an audit row either way. ``client_addr`` is the
    address the back-off is counted for (default: the address part of ``client``).

    Whatever the outcome, exactly one Argon2 verification runs (against a dummy hash for an
    unknown or disabled name, and while a back-off lasts), and the database work is the same,
    so neither the message nor the time tells which names exist.
    """
    now = now or dt.datetime.now(dt.UTC)
    name = (username or "").strip()[:USERNAME_MAX]
    addr = (client_addr or client_address(client))[:64]
    if not name:
        verify_password(None, password)
        audit.record(
            session=session,
            username=None,
            action=audit.LOGIN_FAILURE,
            detail={"reason": "empty_username", "client_addr": addr},
            client=client,
        )
        return LoginResult(False, WRONG_CREDENTIALS)
    gate = access.backoff_for_update(session, name, addr)
    user = access.find_user(session, name, for_update=True)
    known = user is not None and bool(user["active"])
    waiting = wait_left(gate["blocked_until"], now=now)
    if waiting is not None:
        verify_password(None, password)  # same cost as a real check; the password is not tried
        audit.record(
            session=session,
            username=name,
            action=audit.LOGIN_FAILURE,
            detail={
                "reason": "backoff",
                "client_addr": addr,
                "wait_seconds": int(waiting.total_seconds()),
            },
            client=client,
        )
        return LoginResult(False, TOO_MANY_TRIES.format(wait=_wait_text(waiting)))
    if not verify_password(user["password_hash"] if known and user else None, password):
        last = gate["last_failure_at"]
        recent = last is not None and now - last < BACKOFF_FORGET
        failures = (int(gate["failures"]) if recent else 0) + 1
        delay = backoff_delay(failures)
        blocked_until = now + delay if delay is not None else None
        access.set_backoff(
            session,
            name,
            addr,
            failures=failures,
            last_failure_at=now,
            blocked_until=blocked_until,
        )
        access.forget_old_backoff(session, before=now - BACKOFF_FORGET)
        audit.record(
            session=session,
            username=name,
            action=audit.LOGIN_FAILURE,
            detail={
                "reason": "password" if known else "unknown_or_disabled",
                "client_addr": addr,
                "failures": failures,
            },
            client=client,
        )
        if delay is None:
            return LoginResult(False, WRONG_CREDENTIALS)
        audit.record(
            session=session,
            username=name,
            action=audit.LOGIN_BACKOFF,
            detail={
                "client_addr": addr,
                "failures": failures,
                "wait_seconds": int(delay.total_seconds()),
                "until": blocked_until.isoformat() if blocked_until else None,
            },
            client=client,
        )
        return LoginResult(
            False, f"{WRONG_CREDENTIALS}；" + TOO_MANY_TRIES.format(wait=_wait_text(delay))
        )
    assert user is not None  # a password verified only against a real, active account
    access.clear_backoff(session, name, addr)

    updates: dict[str, object] = {"failed_logins": 0, "locked_until": None}
    if _hasher.check_needs_rehash(user["password_hash"]):
        updates["password_hash"] = hash_password(password)
    access.update_user(session, user["id"], **updates)
    token = secrets.token_urlsafe(32)
    session_id = access.insert_session(
        session,
        token=token,
        user_id=user["id"],
        idle_seconds=int(IDLE_TIMEOUT.total_seconds()),
        max_seconds=int(MAX_SESSION.total_seconds()),
        client=client,
    )
    audit.record(session=session, username=name, action=audit.LOGIN_SUCCESS, client=client)
    actor = Actor(
        token=token,
        username=name,
        display_name=user["display_name"],
        role=user["role"],
        community_code=user["community_code"],
        staff_id=user["staff_id"],
        client=client,
    )
    handoff = open_handoff(token, session_id=session_id, session=session)
    return LoginResult(True, f"欢迎，{user['display_name']}", actor, handoff)


# --- the login cookie -------------------------------------------------------------------------
# The browser keeps the token in an HttpOnly cookie, which only a server response can set. At
# login a one-time code is made (HANDOFF_SECONDS, single use); the page's script POSTs it to
# /_lianxin/session (app_pages/session_cookie.py), which answers with the Set-Cookie. The code
# itself never grants anything but that one cookie, so the token is never visible to scripts.
# The database keeps only the code's SHA-256 and the token XOR-ed with SHAKE-256(code): a
# one-time pad from a 256-bit secret used once, so the table alone never yields a token. In
# the database, so any worker behind a proxy can redeem the code the login worker made.

HANDOFF_SECONDS = 60


def _pad(code: str, length: int) -> bytes:
    return hashlib.shake_256(b"lianxin-login-handoff:" + code.encode("utf-8")).digest(length)


def open_handoff(token: str, *, session_id: int, session: Session) -> str:
    code = secrets.token_urlsafe(32)
    raw = token.encode("utf-8")
    sealed = bytes(a ^ b for a, b in zip(raw, _pad(code, len(raw)), strict=True))
    access.insert_handoff(
        session,
        code_hash=access.token_hash(code),
        session_id=session_id,
        sealed=sealed,
        seconds=HANDOFF_SECONDS,
    )
    return code


def redeem_handoff(code: str, *, session: Session) -> str | None:
    """The token behind a one-time code (used up now), or None: unknown, used, expired, or its
    login already ended."""
    if not code or len(code) > 100:
        return None
    sealed = access.take_handoff(session, access.token_hash(code))
    if sealed is None:
        return None
    raw = bytes(a ^ b for a, b in zip(sealed, _pad(code, len(sealed)), strict=True))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def end_login(token: str | None, *, client: str | None = None, url: str | None = None) -> bool:
    """End the login behind ``token`` (the cookie's), logging it; False if it was not open."""
    if not token or len(token) > 100:
        return False
    with access.acting_session(token, url=url, touch=False) as s:
        me = access.whoami(s)
        if me is None:
            return False
        audit.record(session=s, username=me["username"], action=audit.LOGOUT, client=client)
        return access.end_session(s)


def current_actor(
    token: str | None, *, url: str | None = None, client: str | None = None
) -> Actor | None:
    """The actor behind a token, validated by the database (restarts the idle timer).

    None when the token is missing, forged, expired, ended, or the account was disabled.
    """
    if not token:
        return None
    try:
        with access.acting_session(token, url=url) as s:
            me = access.whoami(s)
    except access.SessionExpiredError:
        return None
    if me is None:
        return None
    return Actor(
        token=token,
        username=me["username"],
        display_name=me["display_name"],
        role=me["role"],
        community_code=me["community_code"],
        community_name=me["community_name"],
        cells=tuple(me["cells"] or ()),
        cell_names=tuple(me["cell_names"] or ()),
        staff_id=me["staff_id"],
        client=client,
    )


def logout(actor: Actor, *, url: str | None = None) -> None:
    """End the login in the database and log it (on the app's connection)."""
    with access.acting_session(actor.token, url=url, touch=False) as s:
        audit.record(session=s, username=actor.username, action=audit.LOGOUT, client=actor.client)
        access.end_session(s)


def redeem_handoff_in_own_transaction(code: str) -> str | None:
    """:func:`redeem_handoff` in a transaction of its own, on the owner connection
    (``login_handoffs`` is not the app role's): for the cookie route, which has no page session."""
    from db.engine import session_scope

    with session_scope() as session:
        return redeem_handoff(code, session=session)
