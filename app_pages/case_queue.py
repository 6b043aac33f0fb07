"""我的待办: the open cases to work on (overdue first, in red and labelled 超期), one case's
details and timeline, and the actions it allows now — each with its note, each guarded
against a colleague's change made meanwhile."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from app_pages import display, labels
from app_pages.common import acting_person, run_service, with_session
from app_pages.labels import cases as case_labels
from core import clock
from core.errors import ConflictError, LianxinError
from core.plaintext import plain
from core.vocab import (
    CASE_KINDS,
    CASE_STATES,
    CHANNELS,
    ESCALATION_LEVELS,
    SATISFACTION,
    SERVICE_CATEGORIES,
)
from services import cases
from services.cases.flow import ACTIONS

FLASH = "queue_flash"
OVERDUE_RED = "#b00020"


@st.cache_data(ttl=30, show_spinner=False)
def _queue(actor: str | None, staff_id: int | None, community: str | None, overdue_only: bool):
    return with_session(
        lambda *, session: cases.queue(
            session=session,
            actor=actor,
            staff_id=staff_id,
            community_code=community,
            overdue_only=overdue_only,
        )
    )()


def _load(case_no: str):
    def read(*, session):
        return (
            cases.get_case(case_no, session=session),
            cases.timeline(case_no, session=session),
            cases.attachments_of(case_no, session=session),
        )

    return with_session(read)()


def _t(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return "—"
    if isinstance(value, dt.datetime | pd.Timestamp):
        return f"{pd.Timestamp(value).tz_convert(clock.BEIJING):%Y-%m-%d %H:%M}"
    return str(value)


def _table(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "overdue_label": [
                case_labels.CASE_OVERDUE_BADGE
                if o
                else (case_labels.CASE_DUE_SOON if h < 24 else "")
                for o, h in zip(df["overdue"], df["hours_left"].fillna(1e9), strict=True)
            ],
            "case_no": df["case_no"],
            "state_label": df["state"].map(CASE_STATES),
            "kind_label": df["kind"].map(CASE_KINDS),
            "category_label": df["category"].map(SERVICE_CATEGORIES),
            "due_at": [_t(v) for v in df["due_at"]],
            "time_left": [_time_left(h) for h in df["hours_left"]],
            "citizen_name": df["citizen_name"].fillna(""),
            "address": df["address"].fillna(""),
            "community_name": df["community_name"],
            "handler": df["handler_name"].fillna(df["department"]),
            "description": df["description"],
        }
    )
    return out


def _time_left(hours: float) -> str:
    if pd.isna(hours):
        return ""
    if hours < 0:
        return f"超期 {-hours / 24:.0f} 天" if hours <= -24 else f"超期 {-hours:.0f} 小时"
    return f"剩余 {hours / 24:.0f} 天" if hours >= 24 else f"剩余 {hours:.0f} 小时"


def _red_rows(row: pd.Series) -> list[str]:
    style = (
        f"color: {OVERDUE_RED}; font-weight: 600"
        if row["overdue_label"] == (case_labels.CASE_OVERDUE_BADGE)
        else ""
    )
    return [style] * len(row)


# ----------------------------------------------------------------------------------- page
me = acting_person()
st.title(case_labels.PAGE_QUEUE)
if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH))

station = me["community_code"]
scopes = [
    case_labels.CASE_SCOPE_MINE,
    case_labels.CASE_SCOPE_COMMUNITY if station else case_labels.CASE_SCOPE_ALL,
]
top = st.columns([2, 1, 2])
scope = top[0].radio(case_labels.CASE_SCOPE, scopes, index=1, horizontal=True, key="queue_scope")
overdue_only = top[1].checkbox(case_labels.CASE_ONLY_OVERDUE, key="queue_overdue")
typed = top[2].text_input(
    case_labels.CASE_OPEN_BY_NO, key="queue_open", placeholder="LC20261130-0001"
)
mine = scope == case_labels.CASE_SCOPE_MINE
actor = str(me["name"] or "") if mine else None
staff_id = int(me["staff_id"]) if mine and me["staff_id"] is not None else None
data = run_service(lambda: _queue(actor, staff_id, str(station) if station else None, overdue_only))
if data is None:
    st.stop()
n_overdue = int(data["overdue"].astype(bool).sum()) if len(data) else 0
st.caption(case_labels.CASE_COUNT.format(n=labels.fmt_int(len(data)), overdue=n_overdue))
if data.empty:
    st.info(case_labels.CASE_NONE)
else:
    table = display.frame(_table(data))
    st.dataframe(
        table.style.apply(_red_rows, axis=1),
        hide_index=True,
        height=320,
        width="stretch",
        column_config={
            k: st.column_config.TextColumn(v, width="large" if k == "description" else None)
            for k, v in case_labels.CASE_FIELDS.items()
        },
    )

case_no = (typed or "").strip()
if not case_no and not data.empty:
    case_no = st.selectbox(case_labels.CASE_PICK, list(data["case_no"]), key="queue_pick")
if not case_no:
    st.stop()

loaded = run_service(lambda: _load(case_no))
if loaded is None:
    st.stop()
record, events, files = loaded
snap = record.snapshot
seen_key = f"queue_seen_{case_no}"
seen = int(st.session_state.get(seen_key, record.version))

st.divider()
st.subheader(f"{case_no} · {CASE_STATES[snap.state]} · {CASE_KINDS[snap.kind]}")
if record.is_overdue():
    st.markdown(
        f"<span style='color:{OVERDUE_RED};font-weight:700;font-size:1.1em'>"
        f"{case_labels.CASE_OVERDUE_BADGE}</span>（{case_labels.CASE_DUE_AT} {_t(snap.due_at)}）",
        unsafe_allow_html=True,
    )
info = st.columns(3)
info[0].markdown(
    f"**{case_labels.CASE_CATEGORY}**：{SERVICE_CATEGORIES[snap.category]}  \n"
    f"**{case_labels.CASE_CHANNEL}**：{CHANNELS.get(record.channel, record.channel)}  \n"
    f"**{case_labels.CASE_RECEIVED_AT}**：{_t(snap.received_at)}"
)
info[1].markdown(
    f"**{case_labels.CASE_DUE_AT}**：{_t(snap.due_at)}  \n"
    f"**{case_labels.CASE_CITIZEN}**：{plain(record.citizen_name) or '—'}  \n"
    f"**{case_labels.CASE_LOCATION}**：{plain(record.community_name) or '—'} · "
    f"{plain(record.cell_name or record.cell_code) or case_labels.CASE_NOT_LOCATED}"
)
info[2].markdown(
    f"**上报层级**：{ESCALATION_LEVELS[snap.escalation_level]}"
    f"{('（' + plain(snap.department) + '）') if snap.department else ''}  \n"
    f"**承办**：{plain(snap.assignee) or '—'}  \n"
    f"**版本**：第{record.version}版"
)
# What the citizen and the clerk typed is shown as plain text (core.plaintext).
st.markdown(f"**{case_labels.CASE_DESCRIPTION}**：{plain(record.description)}")
if record.address:
    st.caption(plain(record.address))
if len(files):
    st.caption(
        f"{case_labels.CASE_ATTACHMENT_LIST}：" + "、".join(plain(n) for n in files["file_name"])
    )

# --- actions -------------------------------------------------------------------------------
allowed = cases.allowed_actions_for(record)
if not allowed:
    st.info(case_labels.CASE_NO_ACTIONS)
    st.session_state[seen_key] = record.version
else:
    action = st.selectbox(
        case_labels.CASE_ACTION,
        allowed,
        format_func=ACTIONS.__getitem__,
        key=f"queue_action_{case_no}",
    )
    # Each step's inputs are its own: keyed by case, version and action, so the box that held
    # the 处置反馈 note is a new, empty box at 核查结案 (the service refuses a copied note too).
    step = f"{case_no}_v{record.version}_{action}"
    with st.form(f"queue_form_{case_no}"):
        details: dict[str, Any] = {}  # the action's keyword arguments
        if action == "dispatch":
            details["to"] = st.text_input(case_labels.CASE_DISPATCH_TO, key=f"queue_to_{step}")
        elif action == "escalate":
            levels = list(ESCALATION_LEVELS)
            above = levels[levels.index(snap.escalation_level) + 1 :]
            details["level"] = st.selectbox(
                case_labels.CASE_ESCALATE_LEVEL, above, format_func=ESCALATION_LEVELS.__getitem__
            )
            details["department"] = st.text_input(case_labels.CASE_DEPARTMENT) or None
        elif action == "rate":
            details["satisfaction"] = st.radio(
                case_labels.CALLBACK_SATISFACTION,
                list(SATISFACTION),
                format_func=SATISFACTION.__getitem__,
                horizontal=True,
            )
        elif action == "convert_to_promised":
            details["working_days"] = int(
                st.number_input(case_labels.CASE_WORKING_DAYS, min_value=1, max_value=60, value=5)
            )
        note = st.text_area(case_labels.CASE_NOTE, key=f"queue_note_{step}", height=80)
        submitted = st.form_submit_button(case_labels.CASE_DO, type="primary")
    if submitted:
        try:
            new = with_session(
                lambda *, session: cases.act(
                    session=session,
                    case_no=case_no,
                    action=action,
                    expected_version=seen,
                    actor=str(me["name"] or case_labels.CASE_CLERK_DEFAULT),
                    note=note,
                    **{k: v for k, v in details.items() if v not in (None, "")},
                )
            )()
        except ConflictError as exc:
            st.error(plain(exc))
            if st.button(case_labels.CASE_REFRESH):
                st.rerun()
            st.session_state[seen_key] = record.version
        except LianxinError as exc:
            st.error(plain(exc))
            st.session_state[seen_key] = record.version
        else:
            st.cache_data.clear()
            st.session_state[seen_key] = new.version
            st.session_state[FLASH] = case_labels.CASE_DONE.format(
                action=ACTIONS[action],
                case_no=case_no,
                state=CASE_STATES[new.state],
                version=new.version,
            )
            st.rerun()
    else:
        st.session_state[seen_key] = record.version

# --- timeline ------------------------------------------------------------------------------
st.markdown(f"#### {case_labels.CASE_TIMELINE}")
timeline = events.assign(
    at=[_t(v) for v in events["at"]],
    from_label=events["from_state"].map(lambda s: CASE_STATES.get(s, "") if s else ""),
    to_label=events["to_state"].map(lambda s: CASE_STATES.get(s, s)),
)[list(case_labels.TIMELINE_FIELDS)]
st.dataframe(
    display.frame(timeline),
    hide_index=True,
    width="stretch",
    column_config={
        k: st.column_config.NumberColumn(v, format="%d")
        if k == "seq"
        else st.column_config.TextColumn(v, width="large" if k == "note" else None)
        for k, v in case_labels.TIMELINE_FIELDS.items()
    },
)
