"""A case's steps in the database: read it, apply one rule of :mod:`services.cases.flow`, write.

Every change is a ``case_events`` row (who, when, from, to, note), and every write to ``cases``
is guarded by the row's ``version`` (the update bumps it and matches only the version the user
saw; see :func:`db.cases.update_case`).

Zero rows updated means someone else acted first: :class:`~core.errors.ConflictError` names
who and when, and nothing of this action is written (the caller's transaction rolls back).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from core.errors import ConflictError, NotFoundError
from core.vocab import DONE_STATES, OPEN_STATES
from db import cases as queries
from services.calendar import WorkCalendar
from services.cases import flow
from services.cases.flow import ACTIONS
from services.cases.records import CaseRecord, aware, record_from_row

_DEFAULT_CALENDAR: WorkCalendar | None = None


def working_calendar(calendar: WorkCalendar | None) -> WorkCalendar:
    """``calendar``, or the shipped working calendar (loaded once)."""
    global _DEFAULT_CALENDAR
    if calendar is not None:
        return calendar
    if _DEFAULT_CALENDAR is None:
        _DEFAULT_CALENDAR = WorkCalendar()
    return _DEFAULT_CALENDAR


# --------------------------------------------------------------------------------- reading
def get_case(case_no: str, *, session: Session) -> CaseRecord:
    """The case with this number; :class:`NotFoundError` when absent (or not visible)."""
    row = queries.case_row(session, case_no=(case_no or "").strip())
    if row is None:
        raise NotFoundError(f"案件 {case_no} 不存在或无权查看")
    return record_from_row(row)


def allowed_actions_for(record: CaseRecord) -> list[str]:
    """The actions the case allows now (see :func:`services.cases.flow.allowed_actions`)."""
    return flow.allowed_actions(record.snapshot)


def attachments_of(case_no: str, *, session: Session) -> pd.DataFrame:
    """``file_name, content_type, size_bytes, uploaded_by, uploaded_at`` of a case's files."""
    return queries.attachments_of(session, case_no=case_no)


def timeline(case_no: str, *, session: Session) -> pd.DataFrame:
    """Every event of a case in order: ``seq, at, actor, action, action_label, from_state,
    to_state, note, details``. The actor is shown by name when it is a staff number."""
    record = get_case(case_no, session=session)
    df = queries.timeline_rows(session, case_id=record.id)
    labels = {**ACTIONS, "receive": "受理", "callback": "回访"}
    df["action_label"] = [labels.get(a, a) for a in df["action"]] if len(df) else []
    return df


# --------------------------------------------------------------------------------- acting
def _last_change(session: Session, case_id: int) -> tuple[str, dt.datetime | None, int]:
    row = queries.last_change(session, case_id=case_id)
    if row is None:
        return "他人", None, -1
    action = ACTIONS.get(row.action, "受理" if row.action == "receive" else row.action or "")
    who = f"{row.who or '他人'}（{action}）" if action else (row.who or "他人")
    return who, row.at, int(row.version)


def stale_version_error(record: CaseRecord, *, session: Session, expected: int) -> ConflictError:
    """The refusal of a step taken on an old version: who changed the case, when, which versions."""
    """The refusal for a step taken on an old version: who changed the case, when, which versions."""
    who, at, actual = _last_change(session, record.id)
    when = f"于 {aware(at):%Y-%m-%d %H:%M} " if at is not None else ""
    return ConflictError(
        f"案件 {record.case_no} 已被 {who} {when}修改（您看到的是第{expected}版，"
        f"现在是第{actual}版）。您的操作未保存，请刷新后查看最新情况再操作。"
    )


def _resolve_staff(session: Session, who: str) -> int | None:
    ids = queries.staff_ids_matching(session, who=who)
    return ids[0] if len(ids) == 1 else None


def act(
    *,
    session: Session,
    case_no: str,
    action: str,
    expected_version: int,
    actor: str,
    note: str = "",
    at: dt.datetime | None = None,
    calendar: WorkCalendar | None = None,
    rules: Mapping[Any, object] | None = None,
    **details: Any,
) -> CaseRecord:
    """Apply one action to a case and record it, guarded by the version the user saw.

    Parameters
    ----------
    session : Session
        The caller's transaction.
    case_no : str
    action : str
        A key of :data:`services.cases.flow.ACTIONS`.
    expected_version : int
        The version shown on the user's screen.
    actor : str
        Who acts.
    note : str
        Required as the check note for 结案 and as the reason for 退回 / 重办.
    at : datetime, optional
        Default now.
    **details
        Per action, see :func:`services.cases.flow.transition` (``to=``, ``satisfaction=``,
        ``level=``, ``department=``, ``working_days=``). ``dispatch(to=…)`` takes a staff number
        or name (the case then shows in that person's queue) or a department's name.

    Raises
    ------
    ConflictError
        The case changed since ``expected_version`` — names who and when; nothing is written.
    InvalidInputError
        The action is not allowed now (the message says what is), or a note is missing.
    NotFoundError
        No such case.
    """
    record = get_case(case_no, session=session)
    if record.version != expected_version:
        raise stale_version_error(record, session=session, expected=expected_version)
    moment = aware(at)
    new, event = flow.transition(
        record.snapshot,
        action,
        actor=actor,
        at=moment,
        note=note,
        calendar=working_calendar(calendar),
        rules=rules,
        **details,
    )
    handler = record.handler_staff_id
    department = new.department
    if action == "dispatch":
        staff_id = _resolve_staff(session, str(details.get("to", "")).strip())
        if staff_id is not None:
            handler = staff_id
        else:
            department = new.assignee
    changed = queries.update_case(
        session,
        case_id=record.id,
        expected_version=expected_version,
        action=action,
        state=new.state,
        kind=new.kind,
        due_at=new.due_at,
        closed_at=new.closed_at,
        escalation_level=new.escalation_level,
        department=department,
        satisfaction=new.satisfaction,
        rework_count=new.rework_count,
        check_note=new.check_note,
        handler_staff_id=handler,
    )
    if changed == 0:  # someone committed a change between our read and this write
        raise stale_version_error(record, session=session, expected=expected_version)
    queries.insert_event(
        session,
        case_id=record.id,
        seq=None,
        at=event.at,
        actor=event.actor,
        action=event.action,
        from_state=event.from_state,
        to_state=event.to_state,
        note=event.note,
        details=event.details,
    )
    return get_case(case_no, session=session)


# --------------------------------------------------------------------------------- lists
def queue(
    *,
    session: Session,
    staff_id: int | None = None,
    actor: str | None = None,
    community_code: str | None = None,
    states: Sequence[str] = OPEN_STATES,
    overdue_only: bool = False,
    at: dt.datetime | None = None,
    limit: int = 500,
) -> pd.DataFrame:
    """Open cases to work on, most urgent first (overdue, then nearest deadline).

    Parameters
    ----------
    staff_id, actor : optional
        "My queue": cases dispatched to this staff member or received by this person.
        Without either, every case in scope.
    community_code : str, optional
        Community-station mode: only this community's cases.
    states : sequence of str
        Default: the open states.
    overdue_only : bool
    at : datetime, optional
        The moment "overdue" is judged at (default now).

    Returns
    -------
    DataFrame
        ``case_no, received_at, due_at, kind, category, channel, state, description,
        citizen_name, address, community_name, cell_code, handler_name, version, overdue,
        hours_left``.
    """
    moment = aware(at)
    df = queries.queue_rows(
        session,
        states=states,
        done_states=DONE_STATES,
        at=moment,
        staff_id=staff_id,
        actor=actor,
        community_code=community_code,
        limit=limit,
    )
    if overdue_only and not df.empty:
        df = df[df["overdue"].astype(bool)].reset_index(drop=True)
    if not df.empty:
        due = pd.to_datetime(df["due_at"], utc=True)
        df["hours_left"] = ((due - pd.Timestamp(moment)).dt.total_seconds() / 3600).round(1)
    else:
        df["hours_left"] = pd.Series(dtype=float)
    return df
