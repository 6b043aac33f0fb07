"""Visit day (下访日, Tuesday) and callback day (回访日, Friday).

Visit list: the households a cadre or grid leader should call on this week — special-group
households first, then households with open cases, then those not visited for longest. A grid
leader's/worker's households are those of their cells; a liaison cadre's (包联干部) those on the
streets and lanes they cover (or their community when no street is recorded).

Callback list: the cases closed this week that still wait for a callback; recording a reached
callback rates the case (回访评价), and an unsatisfied one can reopen it (重办).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from core.errors import InvalidInputError, NotFoundError
from core.settings import DISTRICT_CODE
from core.vocab import SATISFACTION, SPECIAL_GROUPS, label_to_key
from db import visit_queries
from services import cases
from services.calendar import WorkCalendar

__all__ = [
    "VISIT_OUTCOMES",
    "CallbackResult",
    "VisitResult",
    "callback_list",
    "record_callback",
    "record_visit",
    "visit_list",
    "visiting_staff",
    "week_of",
]

VISIT_OUTCOMES = {"resolved": "当场解决", "brought_back": "带回办理"}


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """Monday and the following Monday (end exclusive) of the week containing ``day``.

    Examples
    --------
    >>> week_of(dt.date(2026, 12, 1))
    (datetime.date(2026, 11, 30), datetime.date(2026, 12, 7))
    """
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=7)


def _staff(session: Session, staff_id: int) -> Any:
    row = visit_queries.staff_row(session, staff_id=staff_id)
    if row is None:
        raise NotFoundError(f"工作人员 {staff_id} 不存在")
    return row


# --------------------------------------------------------------------------------- visits
def visit_list(*, session: Session, staff_id: int, day: dt.date, limit: int = 30) -> pd.DataFrame:
    """The week's visit list of one cadre or grid leader, in visiting order.

    Parameters
    ----------
    staff_id : int
        ``staff.id`` of a grid leader, grid worker or liaison cadre.
    day : date
        Any day of the week (normally the Tuesday).
    limit : int
        At most this many households (the ones already visited this week go last).

    Returns
    -------
    DataFrame
        ``household_id, head_name, address, phone, special_groups, special_labels, cell_code,
        open_cases, last_visit, visited_this_week, reason`` in visiting order.
    """
    me = _staff(session, staff_id)
    start, end = week_of(day)
    df = visit_queries.visit_rows(
        session,
        params={
            "staff": me.id,
            "role": me.role,
            "cell": me.cell_code,
            "community": me.community_code,
            "streets": list(me.streets or []),
            "start": start,
            "end": end,
            "limit": int(limit),
        },
    )
    if df.empty:
        df["special_labels"] = pd.Series(dtype=object)
        df["reason"] = pd.Series(dtype=object)
        return df
    df["special_labels"] = [
        "、".join(SPECIAL_GROUPS.get(g, g) for g in (groups or []))
        for groups in df["special_groups"]
    ]
    df["reason"] = [_reason(r) for r in df.itertuples()]
    return df


def _reason(r: Any) -> str:
    if r.visited_this_week:
        return "本周已走访"
    if r.special_labels:
        return f"重点人群：{r.special_labels}"
    if r.open_cases:
        return f"有在办事件 {int(r.open_cases)} 件"
    if r.last_visit is None or pd.isna(r.last_visit):
        return "从未走访"
    return f"上次走访 {r.last_visit:%Y-%m-%d}"


@dataclass(frozen=True)
class VisitResult:
    visit_id: int
    outcome: str
    case_no: str | None = None


def record_visit(
    *,
    session: Session,
    staff_id: int,
    household_id: int,
    outcome: str,
    note: str,
    visit_date: dt.date,
    category: str | None = None,
    kind: str = "promised",
    calendar: WorkCalendar | None = None,
) -> VisitResult:
    """Record one door-to-door visit.

    ``resolved`` (当场解决): the visit only. ``brought_back`` (带回办理): a case is received
    through the ``visit`` channel at the household's point and cell, and linked to the visit.
    """
    if outcome not in VISIT_OUTCOMES:
        raise InvalidInputError(
            f"走访结果 {outcome!r} 无效，可选：resolved（当场解决）、brought_back（带回办理）"
        )
    note = (note or "").strip()
    if not note:
        raise InvalidInputError("请填写走访情况（群众反映了什么、怎么答复的）")
    me = _staff(session, staff_id)
    hh = visit_queries.household_for_visit(session, household_id=household_id)
    if hh is None:
        raise NotFoundError(f"住户 {household_id} 不存在或无权查看")
    case_no = None
    case_id = None
    if outcome == "brought_back":
        if not category:
            raise InvalidInputError("带回办理需要选择事项类别")
        at = dt.datetime.combine(visit_date, cases.now().timetz())
        if visit_date != cases.now().date():
            at = dt.datetime.combine(visit_date, dt.time(10, 0), tzinfo=cases.TZ)
        located = cases.Located(hh.lon, hh.lat, hh.cell_code, hh.community_code, "household")
        rec = cases.intake(
            session=session,
            category=category,
            kind=kind,
            channel="visit",
            description=note,
            received_by=me.name,
            citizen_name=hh.head_name,
            citizen_phone=hh.phone,
            household_id=hh.id,
            address=hh.address,
            received_at=at,
            calendar=calendar,
            located=located,
        )
        case_no, case_id = rec.case_no, rec.id
    visit_id = visit_queries.insert_visit(
        session,
        values={
            "d": DISTRICT_CODE,
            "date": visit_date,
            "staff": me.id,
            "hh": hh.id,
            "outcome": outcome,
            "note": note,
            "case": case_id,
        },
    )
    return VisitResult(int(visit_id), outcome, case_no)


# --------------------------------------------------------------------------------- callbacks
def callback_list(
    *,
    session: Session,
    day: dt.date,
    staff_id: int | None = None,
    community_code: str | None = None,
    include_earlier: bool = False,
) -> pd.DataFrame:
    """Cases closed this week (or earlier, with ``include_earlier``) waiting for a callback.

    Parameters
    ----------
    day : date
        Any day of the week (normally the Friday).
    staff_id : int, optional
        A grid leader/worker: the cases of their cells, or dispatched to them; other staff:
        the cases they received or handled. None: every case in scope.
    community_code : str, optional
        A community station's cases only.

    Returns
    -------
    DataFrame
        ``case_no, version, citizen_name, citizen_phone, address, description, category,
        closed_at, check_note, attempts, last_attempt``, oldest closing first.
    """
    start, end = week_of(day)
    me = _staff(session, staff_id) if staff_id is not None else None
    return visit_queries.callback_rows(
        session,
        params={
            "start": dt.datetime.combine(start, dt.time(), tzinfo=cases.TZ),
            "end": dt.datetime.combine(end, dt.time(), tzinfo=cases.TZ),
            "earlier": include_earlier,
            "community": community_code,
            "staff": me.id if me is not None else None,
            "name": me.name if me is not None else None,
            "cell": me.cell_code
            if me is not None and me.role in ("grid_leader", "grid_worker")
            else None,
        },
    )


@dataclass(frozen=True)
class CallbackResult:
    callback_id: int
    case_no: str
    state: str
    version: int
    reopened: bool = False


def record_callback(
    *,
    session: Session,
    case_no: str,
    expected_version: int,
    actor: str,
    reached: bool,
    satisfaction: str | None = None,
    comment: str = "",
    reopen: bool = False,
    staff_id: int | None = None,
    at: dt.datetime | None = None,
) -> CallbackResult:
    """Record one callback to the citizen.

    Reached: ``satisfaction`` (满意 / 基本满意 / 不满意, or its key) is required and rates the
    case; with ``reopen`` an unsatisfied case goes back for rework (重办) with ``comment`` as the
    reason. Not reached: the attempt is kept and the case stays on the list.
    """
    moment = cases.aware(at)
    record = cases.get_case(case_no, session=session)
    key = None
    if reached:
        if satisfaction is None or not str(satisfaction).strip():
            raise InvalidInputError(f"案件 {case_no}：已接通的回访必须选择满意度")
        key = (
            satisfaction
            if satisfaction in SATISFACTION
            else label_to_key(SATISFACTION, str(satisfaction))
        )
        if key is None:
            raise InvalidInputError(
                f"满意度 {satisfaction!r} 无效，可选：{'、'.join(SATISFACTION.values())}"
            )
    if reopen and key != "unsatisfied":
        raise InvalidInputError("只有回访不满意的案件才能在回访时重办")
    state, version, reopened = record.state, record.version, False
    if reached:
        rec = cases.act(
            session=session,
            case_no=case_no,
            action="rate",
            expected_version=expected_version,
            actor=actor,
            note=comment,
            at=moment,
            satisfaction=key,
        )
        if reopen:
            rec = cases.act(
                session=session,
                case_no=case_no,
                action="reopen",
                expected_version=rec.version,
                actor=actor,
                note=f"回访不满意：{comment.strip() or '群众不满意'}",
                at=moment,
            )
            reopened = True
        state, version = rec.state, rec.version
    elif record.version != expected_version:
        raise cases.stale_version_error(record, session=session, expected=expected_version)
    callback_id = visit_queries.insert_callback(
        session,
        values={
            "d": DISTRICT_CODE,
            "case": record.id,
            "at": moment,
            "staff": staff_id,
            "reached": reached,
            "sat": key,
            "comment": comment.strip() or None,
        },
    )
    return CallbackResult(int(callback_id), case_no, state, version, reopened)


def visiting_staff(*, session: Session) -> pd.DataFrame:
    """Grid leaders, grid workers and liaison cadres: ``id, staff_no, name, role, cell_code,
    community_code``, for the visit-day and callback-day pickers."""
    return visit_queries.visiting_staff(session)
