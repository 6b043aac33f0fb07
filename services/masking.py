"""Masking of personal data by role, and the logged actions that reveal or export it.

Row-level security (migration 0002) decides *which rows* a user gets; this module decides
*which fields* of those rows are shown in full. Who needs what (README, "安全 / Security"):

============== ======== ======== ========= ======== ======== ========
field          网格长    网格员    窗口人员    管理员    领导      规划员
============== ======== ======== ========= ======== ======== ========
姓名            ✓        ✓        ✓         ✓        masked   masked
电话            ✓        ✓        ✓         masked   masked   masked
身份证号         masked   masked   masked    masked   masked   masked
重点人群标记      ✓        masked   masked    masked   masked   masked
============== ======== ======== ========= ======== ======== ========

A masked field of a single record can be revealed by 网格长, 网格员, 窗口人员 and 管理员 with
:func:`unmask` — an explicit action that writes an audit row. Leaders and planners cannot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from core.errors import NotFoundError, PermissionDeniedError
from core.personal import mask_id_number, mask_phone
from db import access
from services import audit
from services.auth import Actor

HIDDEN_GROUPS = "已隐藏"

# column name → kind of personal field
FIELD_KINDS = {
    "id_number": "id_number",
    "phone": "phone",
    "citizen_phone": "phone",
    "special_groups": "special_groups",
    "head_name": "name",
    "citizen_name": "name",
    "name": "name",
}
# role → kinds shown in full
PLAIN: dict[str, frozenset[str]] = {
    "grid_leader": frozenset({"name", "phone", "special_groups"}),
    "grid_worker": frozenset({"name", "phone"}),
    "clerk": frozenset({"name", "phone"}),
    "admin": frozenset({"name"}),
    "leader": frozenset(),
    "planner": frozenset(),
}
UNMASK_ROLES = frozenset({"grid_leader", "grid_worker", "clerk", "admin"})


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, (list, tuple)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def mask_name(value: str | None) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***."""
    if not value:
        return ""
    text = str(value)
    return text[0] + "*" * max(1, len(text) - 1)


def mask_value(kind: str, value: Any) -> Any:
    if _missing(value):
        return value
    if kind == "id_number":
        return mask_id_number(str(value))
    if kind == "phone":
        return mask_phone(str(value))
    if kind == "name":
        return mask_name(str(value))
    if kind == "special_groups":
        groups = list(value) if isinstance(value, (list, tuple)) else [value]
        return [HIDDEN_GROUPS] if any(groups) else []
    return value


def masked_kinds(role: str | None) -> frozenset[str]:
    """The kinds of field a role sees masked (an unknown role: all of them)."""
    everything = frozenset(FIELD_KINDS.values())
    return everything - PLAIN.get(role or "", frozenset())


def mask_frame(frame: pd.DataFrame, role: str | None) -> pd.DataFrame:
    """A copy of ``frame`` with the personal columns masked for ``role``; same index."""
    hidden = masked_kinds(role)
    out = frame.copy()
    for column in out.columns:
        kind = FIELD_KINDS.get(str(column))
        if kind in hidden:
            out[column] = [mask_value(kind, v) for v in out[column]]
    return out


# An 18- or 15-digit ID number, or an 11-digit mobile, inside free text (a rejection reason,
# an unlabelled column of a file being previewed).
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")


def mask_text(value: Any, role: str | None) -> Any:
    """Free text with the ID numbers and mobiles in it masked for ``role``.

    >>> mask_text("「身份证号」610902198001010011：校验位错误", "clerk")
    '「身份证号」610902********0011：校验位错误'
    """
    if not isinstance(value, str):
        return value
    hidden = masked_kinds(role)
    if "id_number" in hidden:
        value = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), value)
    if "phone" in hidden:
        value = _MOBILE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), value)
    return value


def mask_unlabelled(
    frame: pd.DataFrame, role: str | None, *, kinds: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """A file's rows before its columns are named (the import preview): columns whose kind is
    known (``kinds``: column → field) are masked as such, and every other cell has the ID
    numbers and mobiles in it masked, so an unrecognised 「证件」 column shows no full ID."""
    hidden = masked_kinds(role)
    out = frame.copy()
    for column in out.columns:
        kind = FIELD_KINDS.get((kinds or {}).get(str(column), ""))
        if kind in hidden:
            out[column] = [mask_value(kind, v) for v in out[column]]
        else:
            out[column] = [mask_text(v, role) for v in out[column]]
    return out


def mask_record(record: Mapping[str, Any], role: str | None) -> dict[str, Any]:
    """A copy of one record (and its ``residents``) masked for ``role``."""
    hidden = masked_kinds(role)
    out: dict[str, Any] = {}
    for key, value in record.items():
        kind = FIELD_KINDS.get(key)
        if key == "residents" and isinstance(value, list):
            out[key] = [mask_record(r, role) for r in value]
        elif kind in hidden:
            out[key] = mask_value(kind, value)
        else:
            out[key] = value
    return out


def read_household_file(household_id: int, *, actor: Actor, session: Session) -> dict[str, Any]:
    """One household file (一户一档) as the actor may see it, masked; logs the view.

    ``session`` is an :func:`db.access.acting_session` of the actor, so RLS decides whether
    the household exists for them at all.
    """
    record = access.household_file(session, household_id)
    if record is None:
        raise NotFoundError(f"住户 {household_id} 不存在或不在您的权限范围内")
    audit.record(
        session=session,
        username=actor.username,
        action=audit.VIEW_HOUSEHOLD,
        target=f"household:{household_id}",
        detail={"cell_code": record.get("cell_code")},
        client=actor.client,
        district_code=record.get("district_code"),
    )
    return mask_record(record, actor.role)


def unmask(
    record: Mapping[str, Any],
    *,
    actor: Actor,
    session: Session,
    target: str,
    fields: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Reveal the masked fields of one record for an allowed role; logs which ones.

    ``record`` is the unmasked row as the database returned it to the actor (RLS already
    applied); the result is ``record`` masked for the role except ``fields`` (default: every
    masked field present).
    """
    if actor.role not in UNMASK_ROLES:
        raise PermissionDeniedError(f"{actor.role_name}无权查看完整的个人信息")
    hidden = masked_kinds(actor.role)
    present = [k for k in record if FIELD_KINDS.get(k) in hidden]
    wanted = [f for f in (fields or present) if f in present]
    audit.record(
        session=session,
        username=actor.username,
        action=audit.UNMASK,
        target=target,
        detail={"fields": wanted},
        client=actor.client,
        district_code=record.get("district_code"),
    )
    out = mask_record(record, actor.role)
    for key in wanted:
        out[key] = record[key]
    if "residents" in record and ("id_number" in wanted or "phone" in wanted):
        out["residents"] = [
            {**mask_record(r, actor.role), **{k: r[k] for k in wanted if k in r}}
            for r in record["residents"]
        ]
    return out


def unmask_household(
    household_id: int, *, actor: Actor, session: Session, fields: Iterable[str] | None = None
) -> dict[str, Any]:
    """The household file with its masked fields revealed (logged as an unmask)."""
    if actor.role not in UNMASK_ROLES:
        raise PermissionDeniedError(f"{actor.role_name}无权查看完整的个人信息")
    record = access.household_file(session, household_id)
    if record is None:
        raise NotFoundError(f"住户 {household_id} 不存在或不在您的权限范围内")
    return unmask(
        record, actor=actor, session=session, target=f"household:{household_id}", fields=fields
    )


def export_frame(
    frame: pd.DataFrame,
    *,
    actor: Actor,
    session: Session,
    what: str,
    detail: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """The frame masked for the actor's role, with an audit row for the export.

    Call it in the same transaction that reads the data, just before writing the file.
    """
    audit.record(
        session=session,
        username=actor.username,
        action=audit.EXPORT,
        target=what,
        detail={"rows": len(frame), "columns": [str(c) for c in frame.columns], **(detail or {})},
        client=actor.client,
    )
    return mask_frame(frame, actor.role)
