"""下访日 (Tuesday): this week's visit list of a cadre or grid leader, made for a phone —
one column, large tap targets, the household's name and address first. A visit is resolved on
the spot or brought back, which receives a case for the office."""

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
from core.plaintext import plain
from core.vocab import SERVICE_CATEGORIES, STAFF_ROLES
from services import cases, masking
from services.households import visits

FLASH = "visit_flash"


# The login token is part of every cache key: what a query returns depends on who asks
# (row-level security), so one user's list must never be served to another.
@st.cache_data(ttl=60, show_spinner="正在生成走访名单…")
def _list(staff_id: int, day: dt.date, token: str):
    return with_session(
        lambda *, session: visits.visit_list(session=session, staff_id=staff_id, day=day)
    )()


st.markdown(PHONE_CSS, unsafe_allow_html=True)
st.title(case_labels.PAGE_VISIT_DAY)
if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH))
me = acting_person()
token = str(me.get("token") or "")
staff = run_service(lambda: visiting_staff(token))
if staff is None:
    st.stop()
staff_id = me["staff_id"]
if staff_id is None:
    by_id = {int(r.id): r for r in staff.itertuples()}
    staff_id = st.selectbox(
        case_labels.VISIT_STAFF,
        list(by_id),
        format_func=lambda i: f"{by_id[i].name}（{STAFF_ROLES.get(by_id[i].role, by_id[i].role)}）",
        key="visit_staff",
    )
today = cases.now().date()
tuesday = visits.week_of(today)[0] + dt.timedelta(days=1)
day = st.date_input(case_labels.VISIT_WEEK, value=tuesday, key="visit_day")
st.caption(case_labels.VISIT_INTRO)
households = run_service(lambda: _list(int(staff_id), day, token))  # type: ignore[arg-type]
if households is None:
    st.stop()
households = masking.mask_frame(households, str(me["role"]))
if "special_groups" in masking.masked_kinds(str(me["role"])):
    households["reason"] = [
        "重点人群（已隐藏）" if str(r).startswith("重点人群") else r for r in households["reason"]
    ]
if households.empty:
    st.info(case_labels.VISIT_NONE)
    st.stop()

categories = list(SERVICE_CATEGORIES)
for n, h in enumerate(rows(households), start=1):
    with st.container(border=True):
        st.markdown(
            f"<p class='lx-name'>{n}. {escape(str(h.head_name))}</p>"
            f"<p class='lx-addr'>{escape(str(h.address))}</p>",
            unsafe_allow_html=True,
        )
        st.caption(("✅ " if h.visited_this_week else "") + plain(h.reason))
        if h.phone and "*" not in str(h.phone):
            phone = escape(str(h.phone), quote=True)
            st.markdown(
                f"<p class='lx-tel'><a href='tel:{phone}'>{case_labels.VISIT_CALL.format(phone=phone)}"
                "</a></p>",
                unsafe_allow_html=True,
            )
        elif h.phone:
            st.caption(case_labels.VISIT_CALL.format(phone=plain(h.phone)))
        with st.expander(case_labels.VISIT_RECORD, expanded=False):
            with st.form(f"visit_form_{h.household_id}"):
                outcome = st.radio(
                    case_labels.VISIT_OUTCOME,
                    list(visits.VISIT_OUTCOMES),
                    format_func=visits.VISIT_OUTCOMES.__getitem__,
                    key=f"visit_outcome_{h.household_id}",
                )
                note = st.text_area(case_labels.VISIT_NOTE, key=f"visit_note_{h.household_id}")
                category = st.selectbox(
                    case_labels.VISIT_CATEGORY,
                    categories,
                    format_func=SERVICE_CATEGORIES.__getitem__,
                    key=f"visit_cat_{h.household_id}",
                )
                save = st.form_submit_button(
                    case_labels.VISIT_SAVE, type="primary", width="stretch"
                )
            if save:
                result = run_service(
                    with_session(
                        partial(
                            visits.record_visit,
                            staff_id=int(staff_id),
                            household_id=int(h.household_id),
                            outcome=outcome,
                            note=note,
                            visit_date=day,
                            category=category if outcome == "brought_back" else None,
                        )
                    )
                )
                if result is not None:
                    st.cache_data.clear()
                    st.session_state[FLASH] = (
                        case_labels.VISIT_SAVED_CASE.format(
                            name=h.head_name, case_no=result.case_no
                        )
                        if result.case_no
                        else case_labels.VISIT_SAVED.format(name=h.head_name)
                    )
                    st.rerun()
