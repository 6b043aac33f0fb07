"""The audit log: who saw or changed what, when, from where (PIPL: be able to show it).

Append-only in the database (migration 0002): no UPDATE/DELETE privilege for the app, a
trigger that refuses UPDATE, DELETE and TRUNCATE for everyone, the time stamped by the
database, and — on the app's connection — rows only under the acting user's own name.
Only admins can read it through the app.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from core.clock import UTC8
from db import access

LOGIN_SUCCESS = "login_success"
LOGIN_FAILURE = "login_failure"
LOGOUT = "logout"
# login back-off (issue 10): a name/address made to wait, and an admin lifting that
LOGIN_BACKOFF = "login_backoff"
LOGIN_UNLOCK = "login_unlock"
VIEW_HOUSEHOLD = "view_household"
EXPORT = "export"
UNMASK = "unmask"
PERMISSION_CHANGE = "permission_change"
# secapp (issue 10): personal data that leaves the system or enters it in bulk
IMPORT_ROSTER = "import_roster"
PREVIEW_IMPORT = "preview_import"
# a call to the Open311 API (api/app.py), a case packet taken in, a rebalance draft made
API_CALL = "api_call"
EXCHANGE_IMPORT = "exchange_import"
PLAN_REBALANCE_DRAFT = "plan.rebalance_draft"

ACTION_NAMES = {
    LOGIN_SUCCESS: "登录成功",
    LOGIN_FAILURE: "登录失败",
    LOGOUT: "退出登录",
    LOGIN_BACKOFF: "登录限速",
    LOGIN_UNLOCK: "解除登录限速",
    VIEW_HOUSEHOLD: "查看住户档案",
    EXPORT: "导出",
    UNMASK: "查看完整信息",
    PERMISSION_CHANGE: "权限变更",
    IMPORT_ROSTER: "导入住户名单",
    PREVIEW_IMPORT: "预览导入文件",
    API_CALL: "接口调用",
    EXCHANGE_IMPORT: "导入交换数据包",
    PLAN_REBALANCE_DRAFT: "生成动态调整草稿",
}


def record(
    *,
    session: Session,
    username: str | None,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    client: str | None = None,
    district_code: str | None = None,
) -> None:
    """Append one row. The caller's transaction carries it (an export and its row commit
    together, or neither does)."""
    access.insert_audit(
        session,
        username=(username or None) and username[:50],
        action=action[:40],
        target=(target or None) and target[:100],
        detail=json.dumps(detail or {}, ensure_ascii=False, default=str),
        client=(client or None) and client[:100],
        district_code=district_code,
    )


def search(
    *,
    session: Session,
    username: str | None = None,
    actions: list[str] | None = None,
    target: str | None = None,
    since: dt.date | dt.datetime | None = None,
    until: dt.date | dt.datetime | None = None,
    limit: int = 500,
) -> pd.DataFrame:
    """Rows matching every filter given, newest first (at most ``limit``).

    Dates are whole days: ``until=2026-11-30`` includes all of 30 November (Beijing time).
    """
    tz = UTC8

    def _start(d: dt.date | dt.datetime | None, *, next_day: bool) -> dt.datetime | None:
        if d is None or isinstance(d, dt.datetime):
            return d
        day = d + dt.timedelta(days=1) if next_day else d
        return dt.datetime(day.year, day.month, day.day, tzinfo=tz)

    frame = access.search_audit(
        session,
        username=username or None,
        actions=actions or None,
        target=target or None,
        since=_start(since, next_day=False),
        until=_start(until, next_day=True),
        limit=max(1, min(limit, 5000)),
    )
    if not frame.empty:
        frame["action_name"] = frame["action"].map(ACTION_NAMES).fillna(frame["action"])
    return frame
