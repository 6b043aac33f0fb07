"""One demo account per role (``lianxin users seed-demo``, run by ``make run``).

Only for the demo (settings.demo); the CLI refuses otherwise. Passwords are random and new on
every run, printed once: no default password exists anywhere, in the demo or outside it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from db import access, staff_queries
from services import accounts, auth

DEMO_PREFIX = "demo_"


def seed(*, session: Session, by: str = "cli") -> list[dict[str, Any]]:
    """Create or refresh ``demo_<role>`` for every role; return username, password, scope."""
    grid_leader = access.first_staff(session, role="grid_leader", with_cell=True)
    grid_worker = access.first_staff(session, role="grid_worker", with_cell=True) or grid_leader
    clerk = access.first_staff(session, role="clerk", with_cell=False)
    station = (clerk or {}).get("community_code") or access.first_station_community(session)
    plan: dict[str, tuple[dict[str, Any] | None, str | None]] = {
        "planner": (None, None),
        "leader": (None, None),
        "grid_leader": (grid_leader, None),
        "grid_worker": (grid_worker, None),
        "clerk": (None, station),
        "admin": (None, None),
    }
    rows: list[dict[str, Any]] = []
    for role, (staff, community) in plan.items():
        username = f"{DEMO_PREFIX}{role}"
        display = f"示例{auth.ROLE_NAMES[role]}" + (f"·{staff['name']}" if staff else "")
        if role in ("grid_leader", "grid_worker") and staff is None:
            rows.append(
                {
                    "role": role,
                    "role_name": auth.ROLE_NAMES[role],
                    "username": username,
                    "password": "（未创建：人员表中没有网格长，请先载入示例数据）",
                    "scope": "",
                }
            )
            continue
        staff_no = staff["staff_no"] if staff else None
        if access.find_user(session, username) is None:
            password = accounts.create_user(
                username,
                session=session,
                role=role,
                display_name=display,
                staff_no=staff_no,
                community_code=community or (staff or {}).get("community_code"),
                by=by,
            )
        else:
            accounts.grant(
                username,
                session=session,
                role=role,
                community_code=community or (staff or {}).get("community_code") or "",
                staff_no=staff_no,
                by=by,
            )
            existing = access.find_user(session, username) or {}
            access.update_user(session, int(existing["id"]), active=True)
            password = accounts.reset_password(username, session=session, by=by)
        scope = access.scope_label(
            session,
            community_code=community or (staff or {}).get("community_code"),
            cell_code=(staff or {}).get("cell_code"),
        )
        rows.append(
            {
                "role": role,
                "role_name": auth.ROLE_NAMES[role],
                "username": username,
                "password": password,
                "scope": scope or "全街道",
            }
        )
    return rows


def staff_roster(*, session: Session) -> list[dict[str, Any]]:
    """Active staff (number, role, community, cell), for tools that make accounts per person."""
    return staff_queries.active_staff(session)
