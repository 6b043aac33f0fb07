"""回访日 (Friday): the cases closed this week that wait for a callback. Tell the citizen what
was done and on what basis, record whether they were reached and how satisfied they are; an
unsatisfied case can go back for rework. Phone-sized, like the visit day."""

from __future__ import annotations

import datetime as dt
from functools import partial
from html import escape

import streamlit as st

from app_pages.common import (
    PHONE_CSS,
    acting_person,
    rows,
    run_service,
    visiting_staff,
    with_session,
)
from app_pages.labels import cases as case_labels
from core.errors import ConflictError, LianxinError
from core.plaintext import plain
from core.vocab import SATISFACTION, SERVICE_CATEGORIES, STAFF_ROLES
from services import cases, masking
from services.households import visits

FLASH = "callback_flash"
# Pages are scripts (importing one runs it), so the phone style is repeated from visit_day.py.


# The login token is part of every cache key: row-level security makes results per-user.
@st.cache_data(ttl=60, show_spinner="正在读取回访名单…")
def _list(day: dt.date, staff_id: int | None, community: str | None, earlier: bool, token: str):
    return with_session(
        lambda *, session: visits.callback_list(
            session=session,
            day=day,
            staff_id=staff_id,
            community_code=community,
            include_earlier=earlier,
        )
    )()


st.markdown(PHONE_CSS, unsafe_allow_html=True)
st.title(case_labels.PAGE_CALLBACK_DAY)
if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH))
me = acting_person()
token = str(me.get("token") or "")
staff_id = me["staff_id"]
if staff_id is None:
    staff = run_service(lambda: visiting_staff(token))
    if staff is None:
        st.stop()
    by_id = {int(r.id): r for r in staff.itertuples()}
    staff_id = st.selectbox(
        case_labels.CALLBACK_WHO,
        [None, *by_id],
        format_func=lambda i: (
            case_labels.CASE_SCOPE_ALL
            if i is None
            else f"{by_id[i].name}（{STAFF_ROLES.get(by_id[i].role, by_id[i].role)}）"
        ),
        key="callback_staff",
    )
    who = by_id[staff_id].name if staff_id is not None else None
else:
    who = me["name"]
actor = str(who or me["name"] or case_labels.CASE_CLERK_DEFAULT)
today = cases.now().date()
friday = visits.week_of(today)[0] + dt.timedelta(days=4)
day = st.date_input(case_labels.VISIT_WEEK, value=friday, key="callback_day")
earlier = st.checkbox(case_labels.CALLBACK_EARLIER, key="callback_earlier")
st.caption(case_labels.CALLBACK_INTRO)
todo = run_service(
    lambda: _list(
        day,
        int(staff_id) if staff_id is not None else None,
        str(me["community_code"]) if me["community_code"] else None,
        earlier,
        token,
    )
)
if todo is None:
    st.stop()
todo = masking.mask_frame(todo, str(me["role"]))
if todo.empty:
    st.info(case_labels.CALLBACK_NONE)
    st.stop()

reached_options = list(case_labels.CALLBACK_REACHED_OPTIONS)
for n, c in enumerate(rows(todo), start=1):
    with st.container(border=True):
        st.markdown(
            f"<p class='lx-name'>{n}. {escape(str(c.citizen_name or '（未留姓名）'))}</p>"
            f"<p class='lx-addr'>{escape(str(c.address or ''))}</p>",
            unsafe_allow_html=True,
        )
        if c.citizen_phone and "*" not in str(c.citizen_phone):
            phone = escape(str(c.citizen_phone), quote=True)
            st.markdown(
                f"<p class='lx-tel'><a href='tel:{phone}'>"
                f"{case_labels.VISIT_CALL.format(phone=phone)}</a></p>",
                unsafe_allow_html=True,
            )
        elif c.citizen_phone:
            st.caption(case_labels.VISIT_CALL.format(phone=plain(c.citizen_phone)))
        st.markdown(
            f"**{c.case_no}** · {SERVICE_CATEGORIES.get(c.category, c.category)}  \n"
            f"{plain(c.description)}  \n"
            f"**{case_labels.CALLBACK_CHECK_NOTE}**：{plain(c.check_note) or '—'}"
        )
        if int(c.attempts):
            st.caption(case_labels.CALLBACK_ATTEMPTS.format(n=int(c.attempts)))
        with st.expander(case_labels.CALLBACK_RECORD, expanded=False):
            with st.form(f"callback_form_{c.case_no}"):
                reached = st.radio(
                    case_labels.CALLBACK_REACHED,
                    reached_options,
                    format_func=case_labels.CALLBACK_REACHED_OPTIONS.__getitem__,
                    horizontal=True,
                    key=f"cb_reached_{c.case_no}",
                )
                satisfaction = st.radio(
                    case_labels.CALLBACK_SATISFACTION,
                    list(SATISFACTION),
                    format_func=SATISFACTION.__getitem__,
                    key=f"cb_sat_{c.case_no}",
                )
                comment = st.text_area(case_labels.CALLBACK_COMMENT, key=f"cb_comment_{c.case_no}")
                reopen = st.checkbox(case_labels.CALLBACK_REOPEN, key=f"cb_reopen_{c.case_no}")
                save = st.form_submit_button(
                    case_labels.CALLBACK_SAVE, type="primary", width="stretch"
                )
            if save:
                is_reached = reached == "yes"
                try:
                    result = with_session(
                        partial(
                            visits.record_callback,
                            case_no=c.case_no,
                            expected_version=int(c.version),
                            actor=actor,
                            reached=is_reached,
                            satisfaction=satisfaction if is_reached else None,
                            comment=comment or "",
                            reopen=bool(reopen and is_reached),
                            staff_id=int(staff_id) if staff_id is not None else None,
                        )
                    )()
                except ConflictError as exc:
                    st.cache_data.clear()
                    st.error(plain(exc))
                except LianxinError as exc:
                    st.error(plain(exc))
                else:
                    st.cache_data.clear()
                    if not is_reached:
                        outcome = case_labels.CALLBACK_REACHED_OPTIONS["no"]
                    else:
                        outcome = SATISFACTION[satisfaction] + (
                            "，已退回重办" if result.reopened else ""
                        )
                    st.session_state[FLASH] = case_labels.CALLBACK_SAVED.format(
                        case_no=c.case_no, result=outcome
                    )
                    st.rerun()
