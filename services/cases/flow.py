"""The case loop as a pure state machine: receive → dispatch → handle → check and close → rate.

No database and no UI here. A case is an immutable :class:`CaseSnapshot`; :func:`transition`
applies one action and returns the new snapshot with the :class:`CaseEvent` to store beside it
(who, when, what, why). The database layer loads a snapshot, calls :func:`transition`, checks the
row's version with :func:`check_version` inside its transaction and writes both.

Actions (identifier → 中文), the states they start from and where they lead:

==================== ============ ============================================ ==============
action               中文          from                                         to
==================== ============ ============================================ ==============
dispatch             派遣          received, returned, escalated, reopened      dispatched
start                开始处置       dispatched, escalated, reopened              in_progress
handle               处置反馈       received, in_progress                        handled
close                核查结案       handled                                      closed
rate                 回访评价       closed                                       rated
return_case          退回          dispatched, in_progress, escalated           returned
escalate             上报          received, dispatched, in_progress,           escalated
                                   returned, escalated
reopen               重办          handled, closed, rated                       reopened
close_on_the_spot    当场办结       received (即办件 only)                        closed
convert_to_promised  转为承诺件     received, dispatched, in_progress (即办件)     (unchanged)
==================== ============ ============================================ ==============

Every edge is one of ``core.vocab.CASE_TRANSITIONS`` (a test checks it), except
``convert_to_promised``, which changes the kind and the deadline, not the state.

Required text: ``close`` and ``close_on_the_spot`` need the check note (核查情况) in ``note``;
``return_case`` and ``reopen`` need the reason in ``note``. A required note is the step's own:
it may not be, word for word (ignoring spaces, full-width forms and final punctuation), the note
of the step just before — a 核查结案 that repeats the 处置反馈 note records no check at all. An ``unsatisfied`` rating is followed
by ``reopen`` when the office decides to rework the case; a reopened case counts one rework and
loses its ``closed_at`` and rating until it is closed and rated again.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from core.errors import ConflictError, InvalidInputError
from core.vocab import (
    CASE_KINDS,
    CASE_STATES,
    DONE_STATES,
    ESCALATION_LEVELS,
    SATISFACTION,
    SERVICE_CATEGORIES,
    label_to_key,
)
from services.calendar import WorkCalendar
from services.cases.deadlines import due_at_for

__all__ = [
    "ACTIONS",
    "CaseEvent",
    "CaseSnapshot",
    "allowed_actions",
    "check_version",
    "is_overdue",
    "new_case",
    "transition",
]

# Action identifiers → Chinese labels, in the order buttons are shown.
ACTIONS: dict[str, str] = {
    "dispatch": "派遣",
    "start": "开始处置",
    "handle": "处置反馈",
    "close": "核查结案",
    "close_on_the_spot": "当场办结",
    "rate": "回访评价",
    "return_case": "退回",
    "escalate": "上报",
    "reopen": "重办",
    "convert_to_promised": "转为承诺件",
}

# action → (states it may start from, state it leads to; None = unchanged)
_RULES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "dispatch": (("received", "returned", "escalated", "reopened"), "dispatched"),
    "start": (("dispatched", "escalated", "reopened"), "in_progress"),
    "handle": (("received", "in_progress"), "handled"),
    "close": (("handled",), "closed"),
    "close_on_the_spot": (("received",), "closed"),
    "rate": (("closed",), "rated"),
    "return_case": (("dispatched", "in_progress", "escalated"), "returned"),
    "escalate": (("received", "dispatched", "in_progress", "returned", "escalated"), "escalated"),
    "reopen": (("handled", "closed", "rated"), "reopened"),
    "convert_to_promised": (("received", "dispatched", "in_progress"), None),
}
_IMMEDIATE_ONLY = ("close_on_the_spot", "convert_to_promised")
# The keyword details each action accepts (anything else is a typo and refused).
_DETAILS: dict[str, tuple[str, ...]] = {
    "dispatch": ("to",),
    "rate": ("satisfaction",),
    "escalate": ("level", "department"),
    "convert_to_promised": ("working_days",),
}
_NOTE_REQUIRED: dict[str, str] = {
    "close": "结案必须填写核查情况",
    "close_on_the_spot": "当场办结必须填写办理情况",
    "return_case": "退回必须说明理由",
    "reopen": "重办必须说明原因",
}
_LEVELS = tuple(ESCALATION_LEVELS)


@dataclass(frozen=True)
class CaseSnapshot:
    """The state of one case at one version.

    Attributes
    ----------
    case_no : str
        Case number, see :func:`case_number`.
    kind : str
        Key of ``CASE_KINDS`` (immediate / promised / joint / reply).
    category : str
        Key of ``SERVICE_CATEGORIES``.
    received_at : datetime
        When the case was received (受理).
    due_at : datetime or None
        Deadline (时限), see :func:`due_at_for`.
    state : str
        Key of ``CASE_STATES``.
    closed_at : datetime or None
        When it was checked and closed; cleared by ``reopen``.
    escalation_level : str
        Key of ``ESCALATION_LEVELS``; only goes up.
    department : str or None
        The outside department, once escalated to department level.
    assignee : str or None
        Staff member or department the case was last dispatched to.
    satisfaction : str or None
        Key of ``SATISFACTION`` from the last rating; cleared by ``reopen``.
    check_note : str or None
        The check note (核查情况) of the last close.
    rework_count : int
        Number of ``reopen`` events.
    version : int
        Row version for optimistic concurrency; each transition adds 1.
    last_action, last_note : str or None
        The action and note of the case's latest step (``receive`` for a new case), so a
        required note can be checked to be this step's own (see :func:`transition`).
    """

    case_no: str
    kind: str
    category: str
    received_at: dt.datetime
    due_at: dt.datetime | None
    state: str = "received"
    closed_at: dt.datetime | None = None
    escalation_level: str = "grid"
    department: str | None = None
    assignee: str | None = None
    satisfaction: str | None = None
    check_note: str | None = None
    rework_count: int = 0
    version: int = 1
    last_action: str | None = None
    last_note: str | None = None

    def __post_init__(self) -> None:
        where = f"案件 {self.case_no}"
        _check_key(self.kind, CASE_KINDS, f"{where} 的类型")
        _check_key(self.category, SERVICE_CATEGORIES, f"{where} 的类别")
        _check_key(self.state, CASE_STATES, f"{where} 的状态")
        _check_key(self.escalation_level, ESCALATION_LEVELS, f"{where} 的上报层级")
        if self.satisfaction is not None:
            _check_key(self.satisfaction, SATISFACTION, f"{where} 的满意度")
        if self.rework_count < 0 or self.version < 1:
            raise InvalidInputError(
                f"{where}：重办次数 {self.rework_count} 或版本 {self.version} 不合理"
            )


@dataclass(frozen=True)
class CaseEvent:
    """One transition, as stored in the case's history (who, when, what, why).

    ``details`` holds only JSON-ready values (strings, numbers; datetimes as ISO text), so the
    database can keep it in a ``jsonb`` column.
    """

    case_no: str
    at: dt.datetime
    actor: str
    action: str
    from_state: str
    to_state: str
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def _check_key(value: object, allowed: Mapping[str, str], what: str) -> None:
    if value not in allowed:
        choices = "、".join(f"{k}（{v}）" for k, v in allowed.items())
        raise InvalidInputError(f"{what} {value!r} 无效，可选：{choices}")


def new_case(
    case_no: str,
    kind: str,
    category: str,
    received_at: dt.datetime,
    *,
    calendar: WorkCalendar,
    rules: Mapping[Any, object] | None = None,
    escalation_level: str = "grid",
) -> CaseSnapshot:
    """A freshly received case (version 1) with its deadline computed by :func:`due_at_for`."""
    due = due_at_for(kind, category, received_at, calendar=calendar, rules=rules)
    return CaseSnapshot(
        case_no=case_no,
        kind=kind,
        category=category,
        received_at=received_at,
        due_at=due,
        escalation_level=escalation_level,
    )


def is_overdue(case: CaseSnapshot, now: dt.datetime) -> bool:
    """Whether an open case is past its deadline (超期). Closed and rated cases never are."""
    if case.state in DONE_STATES or case.due_at is None:
        return False
    return _later(now, case.due_at, case.case_no)


def _later(a: dt.datetime, b: dt.datetime, case_no: str) -> bool:
    try:
        return a > b
    except TypeError:  # naive vs aware
        raise InvalidInputError(
            f"案件 {case_no}：时间 {a} 与 {b} 一个带时区一个不带时区，无法比较"
        ) from None


# --------------------------------------------------------------------------------- transitions
def allowed_actions(case: CaseSnapshot) -> list[str]:
    """The actions that may be applied to ``case`` now, in ``ACTIONS`` order."""
    result = []
    for action in ACTIONS:
        sources, _ = _RULES[action]
        if case.state not in sources:
            continue
        if action in _IMMEDIATE_ONLY and case.kind != "immediate":
            continue
        if action == "escalate" and case.escalation_level == _LEVELS[-1]:
            continue
        result.append(action)
    return result


def transition(
    case: CaseSnapshot,
    action: str,
    *,
    actor: str,
    at: dt.datetime,
    note: str = "",
    calendar: WorkCalendar | None = None,
    rules: Mapping[Any, object] | None = None,
    **details: Any,
) -> tuple[CaseSnapshot, CaseEvent]:
    """Apply one action to a case.

    Parameters
    ----------
    case : CaseSnapshot
    action : str
        A key of ``ACTIONS``.
    actor : str
        Who acts (staff name or account); required.
    at : datetime
        When; not before ``case.received_at``.
    note : str
        Free text; required as the check note for ``close``/``close_on_the_spot`` and as the
        reason for ``return_case``/``reopen``.
    calendar, rules
        Needed by ``convert_to_promised`` to recompute the deadline (see :func:`due_at_for`).
    **details
        Per action: ``dispatch(to=…)``; ``rate(satisfaction=…)`` with a key of
        ``SATISFACTION``; ``escalate(level=…, department=…)`` where ``level`` defaults to the
        next level up and ``department`` is required at department level;
        ``convert_to_promised(working_days=…)`` to override the promised limit.

    Returns
    -------
    (CaseSnapshot, CaseEvent)
        The new snapshot (``version + 1``) and the event to store.

    Raises
    ------
    InvalidInputError
        Unknown action or detail, an action not allowed in the current state (the message names
        the case, its state and what is allowed), or missing required text.

    Examples
    --------
    >>> case = CaseSnapshot("LC20261130-0001", "promised", "health",
    ...                     dt.datetime(2026, 11, 30, 9), dt.datetime(2026, 12, 7, 9))
    >>> case, event = transition(case, "dispatch", actor="王敏", at=dt.datetime(2026, 11, 30, 10),
    ...                          to="大北社区网格长梁龙芳")
    >>> case.state, case.version, event.details
    ('dispatched', 2, {'to': '大北社区网格长梁龙芳'})
    """
    if action not in _RULES:
        raise InvalidInputError(
            f"未知操作 {action!r}，可用操作：{'、'.join(f'{k}（{v}）' for k, v in ACTIONS.items())}"
        )
    label = ACTIONS[action]
    if not isinstance(actor, str) or not actor.strip():
        raise InvalidInputError(f"案件 {case.case_no}：{label}必须注明操作人")
    if not isinstance(at, dt.datetime):
        raise InvalidInputError(f"案件 {case.case_no}：操作时间 {at!r} 不是日期时间")
    if _later(case.received_at, at, case.case_no):
        raise InvalidInputError(
            f"案件 {case.case_no}：操作时间 {at:%Y-%m-%d %H:%M} 早于受理时间 "
            f"{case.received_at:%Y-%m-%d %H:%M}"
        )
    unknown = sorted(set(details) - set(_DETAILS.get(action, ())))
    if unknown:
        allowed = "、".join(_DETAILS.get(action, ())) or "无"
        raise InvalidInputError(f"{label}不接受参数 {', '.join(unknown)}；可用参数：{allowed}")

    sources, target = _RULES[action]
    if case.state not in sources or (action in _IMMEDIATE_ONLY and case.kind != "immediate"):
        raise InvalidInputError(_refusal(case, action))
    note = (note or "").strip()
    if action in _NOTE_REQUIRED and not note:
        raise InvalidInputError(f"案件 {case.case_no}：{_NOTE_REQUIRED[action]}")
    if action in _NOTE_REQUIRED and case.last_note and _same_note(note, case.last_note):
        before = ACTIONS.get(case.last_action or "", "上一步")
        raise InvalidInputError(
            f"案件 {case.case_no}：{label}的说明与上一步（{before}）的说明相同。"
            f"每一步的说明各自填写：{_NOTE_REQUIRED[action]}（本步的情况），不能照抄上一步"
        )

    changes: dict[str, Any] = {}
    recorded: dict[str, Any] = {}
    if action == "dispatch":
        to = str(details.get("to") or "").strip()
        if not to:
            raise InvalidInputError(f"案件 {case.case_no}：派遣必须指定承办人或部门（to=…）")
        changes["assignee"] = recorded["to"] = to
    elif action in ("close", "close_on_the_spot"):
        changes.update(closed_at=at, check_note=note)
    elif action == "rate":
        changes["satisfaction"] = recorded["satisfaction"] = _satisfaction_key(
            details.get("satisfaction"), case.case_no
        )
    elif action == "escalate":
        level, department = _escalation(case, details)
        changes.update(escalation_level=level, department=department)
        recorded.update(from_level=case.escalation_level, to_level=level)
        if department:
            recorded["department"] = department
    elif action == "reopen":
        changes.update(closed_at=None, satisfaction=None, rework_count=case.rework_count + 1)
    elif action == "convert_to_promised":
        if calendar is None:
            raise InvalidInputError(
                f"案件 {case.case_no}：转为承诺件需要工作日历（calendar=…）以重新计算时限"
            )
        if details.get("working_days") is not None:
            rules = {"promised": details["working_days"]}
        due = due_at_for(
            "promised", case.category, case.received_at, calendar=calendar, rules=rules
        )
        changes.update(kind="promised", due_at=due)
        recorded.update(
            from_kind=case.kind,
            to_kind="promised",
            old_due_at=case.due_at.isoformat() if case.due_at else None,
            due_at=due.isoformat(),
        )

    new = replace(
        case,
        state=target or case.state,
        version=case.version + 1,
        last_action=action,
        last_note=note or None,
        **changes,
    )
    event = CaseEvent(
        case_no=case.case_no,
        at=at,
        actor=actor.strip(),
        action=action,
        from_state=case.state,
        to_state=new.state,
        note=note,
        details=recorded,
    )
    return new, event


_NOTE_END = "。.!！;；,，"


def _same_note(a: str, b: str) -> bool:
    """Are two notes the same text once spaces, full-width forms (NFKC) and final
    punctuation are set aside?

    >>> _same_note("已修复，居民确认。", " 已修复,居民确认 ")
    True
    >>> _same_note("已修复", "现场核查：已修复")
    False
    """

    def key(text: str) -> str:
        flat = "".join(unicodedata.normalize("NFKC", text).split())
        return flat.rstrip(unicodedata.normalize("NFKC", _NOTE_END))

    return key(a) == key(b)


def _refusal(case: CaseSnapshot, action: str) -> str:
    state = CASE_STATES[case.state]
    kind = CASE_KINDS[case.kind]
    possible = "、".join(ACTIONS[a] for a in allowed_actions(case)) or "无"
    reason = ""
    if action in _IMMEDIATE_ONLY and case.kind != "immediate":
        reason = f"只有即办件可以{ACTIONS[action]}，本案为{kind}；"
    return (
        f"案件 {case.case_no} 当前状态为「{state}」，不能{ACTIONS[action]}；{reason}"
        f"当前可执行：{possible}"
    )


def _satisfaction_key(value: object, case_no: str) -> str:
    if isinstance(value, str):
        key = value if value in SATISFACTION else label_to_key(SATISFACTION, value)
        if key is not None:
            return key
    choices = "、".join(f"{k}（{v}）" for k, v in SATISFACTION.items())
    raise InvalidInputError(f"案件 {case_no}：满意度 {value!r} 无效，可选：{choices}")


def _escalation(case: CaseSnapshot, details: Mapping[str, Any]) -> tuple[str, str | None]:
    current = _LEVELS.index(case.escalation_level)
    if current == len(_LEVELS) - 1:
        raise InvalidInputError(
            f"案件 {case.case_no} 已上报至{ESCALATION_LEVELS[_LEVELS[-1]]}，不能再上报"
        )
    level = details.get("level") or _LEVELS[current + 1]
    if level not in ESCALATION_LEVELS:
        level = label_to_key(ESCALATION_LEVELS, str(level)) or level
    _check_key(level, ESCALATION_LEVELS, f"案件 {case.case_no} 的上报层级")
    if _LEVELS.index(level) <= current:
        raise InvalidInputError(
            f"案件 {case.case_no} 当前在{ESCALATION_LEVELS[case.escalation_level]}层级，"
            f"只能向上报送，不能报到{ESCALATION_LEVELS[level]}"
        )
    department = str(details.get("department") or "").strip() or None
    if level == "department" and department is None:
        raise InvalidInputError(
            f"案件 {case.case_no}：上报至职能部门必须写明部门名称（department=…），如 民政局"
        )
    return level, department


def check_version(expected: int, actual: int, case_no: str) -> None:
    """Refuse a write based on a stale snapshot (optimistic concurrency).

    Parameters
    ----------
    expected : int
        The version the user's screen was showing.
    actual : int
        The version now in the database (read ``FOR UPDATE`` in the same transaction).
    case_no : str

    Raises
    ------
    ConflictError
        When the versions differ.

    Examples
    --------
    >>> check_version(3, 3, "LC20261130-0007")
    >>> check_version(3, 4, "LC20261130-0007")
    Traceback (most recent call last):
    ...
    core.errors.ConflictError: 案件 LC20261130-0007 已被他人修改（您看到的是第3版，现在是第4版），请刷新后重试
    """
    if expected != actual:
        raise ConflictError(
            f"案件 {case_no} 已被他人修改（您看到的是第{expected}版，现在是第{actual}版），"
            "请刷新后重试"
        )
