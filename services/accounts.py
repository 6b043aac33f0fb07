"""Account management: create, disable, reset, grant, unlock (CLI, owner's connection).

The accounts are the ``users`` table, which only the owner role reads; every permission change
here is an audit row, and disabling an account, resetting its password or changing its role ends
its open logins (the rules are in services/auth.py's docstring). Passwords and logins
themselves are services/auth.py.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from core.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from db import access
from services import audit
from services.auth import (
    ROLES,
    USERNAME_MAX,
    generate_password,
    hash_password,
    password_problem,
    verify_password,
)


def _check_username(username: str) -> str:
    name = (username or "").strip()
    if not name or len(name) > USERNAME_MAX:
        raise InvalidInputError(f"用户名应为1–{USERNAME_MAX}个字符")
    if not all(c.isalnum() or c in "._-" for c in name):
        raise InvalidInputError(f"用户名 {name!r} 只能包含字母、数字、点、下划线和连字符")
    return name


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInputError(f"角色 {role!r} 不存在；可选：{', '.join(ROLES)}")
    return role


# --- account management (CLI, owner's connection) -------------------------------------------


def create_user(
    username: str,
    *,
    session: Session,
    role: str,
    display_name: str | None = None,
    password: str | None = None,
    staff_no: str | None = None,
    community_code: str | None = None,
    by: str = "cli",
) -> str:
    """Create an account; return its password (a generated one when none was given)."""
    name = _check_username(username)
    _check_role(role)
    if access.find_user(session, name) is not None:
        raise ConflictError(f"用户名 {name} 已存在")
    password = password or generate_password()
    problem = password_problem(password, username=name)
    if problem:
        raise InvalidInputError(problem)
    staff_id = None
    if staff_no:
        staff = access.staff_by_no(session, staff_no)
        if staff is None:
            raise NotFoundError(f"工号 {staff_no} 不存在")
        staff_id = staff["id"]
        display_name = display_name or staff["name"]
        community_code = community_code or staff["community_code"]
    if role in ("grid_leader", "grid_worker") and staff_id is None:
        raise InvalidInputError("网格长/网格员账号需要 --staff-no（其网格来自人员表）")
    access.insert_user(
        session,
        username=name,
        display_name=(display_name or name)[:50],
        role=role,
        staff_id=staff_id,
        community_code=community_code,
        password_hash=hash_password(password),
    )
    audit.record(
        session=session,
        username=by,
        action=audit.PERMISSION_CHANGE,
        target=f"user:{name}",
        detail={"change": "add", "role": role, "community_code": community_code},
    )
    return password


def _user_or_raise(session: Session, username: str) -> dict[str, Any]:
    user = access.find_user(session, username)
    if user is None:
        raise NotFoundError(f"用户 {username} 不存在")
    return user


def disable_user(username: str, *, session: Session, by: str = "cli") -> None:
    user = _user_or_raise(session, username)
    access.update_user(session, int(user["id"]), active=False)
    access.end_sessions_of(session, int(user["id"]))
    audit.record(
        session=session,
        username=by,
        action=audit.PERMISSION_CHANGE,
        target=f"user:{username}",
        detail={"change": "disable"},
    )


def reset_password(
    username: str, *, session: Session, password: str | None = None, by: str = "cli"
) -> str:
    """Set a new password (generated when none is given), unlock, end open logins."""
    user = _user_or_raise(session, username)
    password = password or generate_password()
    problem = password_problem(password, username=username)
    if problem:
        raise InvalidInputError(problem)
    uid = int(user["id"])
    access.update_user(
        session, uid, password_hash=hash_password(password), failed_logins=0, locked_until=None
    )
    access.clear_backoff(session, username)
    access.end_sessions_of(session, uid)
    audit.record(
        session=session,
        username=by,
        action=audit.PERMISSION_CHANGE,
        target=f"user:{username}",
        detail={"change": "reset_password"},
    )
    return password


def list_users(*, session: Session) -> pd.DataFrame:
    """Every account with its scope, state and last activity (``lianxin users list``)."""
    return access.list_users(session)


def login_backoff(username: str, *, session: Session) -> pd.DataFrame:
    """The name's login back-offs still counting (one row per address, newest first)."""
    return access.backoff_of(session, username)


def unlock(
    username: str, *, session: Session, client_addr: str | None = None, by: str = "cli"
) -> int:
    """Lift the login back-off of a name (from one address, or from every address).

    Returns how many (name, address) back-offs were lifted; the change is an audit row.
    """
    name = (username or "").strip()[:USERNAME_MAX]
    if not name:
        raise InvalidInputError("请给出用户名")
    lifted = access.clear_backoff(session, name, client_addr)
    audit.record(
        session=session,
        username=by,
        action=audit.LOGIN_UNLOCK,
        target=f"user:{name}",
        detail={"client_addr": client_addr, "lifted": lifted},
    )
    return lifted


def change_password(
    username: str, old: str, new: str, *, session: Session, client: str | None = None
) -> None:
    """A user changes their own password (the old one is required)."""
    user = _user_or_raise(session, username)
    if not verify_password(user["password_hash"], old):
        raise PermissionDeniedError("原密码不正确")
    problem = password_problem(new, username=username)
    if problem:
        raise InvalidInputError(problem)
    access.update_user(session, int(user["id"]), password_hash=hash_password(new))
    audit.record(
        session=session,
        username=username,
        action=audit.PERMISSION_CHANGE,
        target=f"user:{username}",
        detail={"change": "change_password"},
        client=client,
    )


def grant(
    username: str,
    *,
    session: Session,
    role: str,
    community_code: str | None = None,
    staff_no: str | None = None,
    by: str = "cli",
) -> None:
    """Change an account's role (and scope); its open logins end so the change applies now."""
    user = _user_or_raise(session, username)
    _check_role(role)
    updates: dict[str, object] = {"role": role}
    if community_code is not None:
        updates["community_code"] = community_code or None
    if staff_no:
        staff = access.staff_by_no(session, staff_no)
        if staff is None:
            raise NotFoundError(f"工号 {staff_no} 不存在")
        updates["staff_id"] = staff["id"]
    if role in ("grid_leader", "grid_worker") and not (updates.get("staff_id") or user["staff_id"]):
        raise InvalidInputError("网格长/网格员账号需要 --staff-no（其网格来自人员表）")
    uid = int(user["id"])
    access.update_user(session, uid, **updates)
    access.end_sessions_of(session, uid)
    audit.record(
        session=session,
        username=by,
        action=audit.PERMISSION_CHANGE,
        target=f"user:{username}",
        detail={"change": "grant", "from": user["role"], **{k: v for k, v in updates.items()}},
    )
