"""方案历史: every version of the grid plan with its validity dates, and exports of any one."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from app_pages import display
from app_pages.common import run_service, with_session
from app_pages.labels import plans as plan_labels
from services import plans


@st.cache_data(ttl=60, show_spinner=False)
def _export(plan_id: int, lock_version: int, fmt: str) -> bytes:
    return with_session(lambda *, session: plans.export_plan(plan_id, fmt, session=session))()


def _local(value: object) -> object:
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return None
    return display.moment(value)  # Beijing time


st.title(plan_labels.PAGE_PLAN_HISTORY)
plan_list = run_service(with_session(lambda *, session: plans.list_plans(session=session)))
if plan_list is not None:
    if plan_list.empty:
        st.info(plan_labels.PLAN_NONE)
        st.stop()
    table = plan_list[list(plan_labels.PLAN_HISTORY_FIELDS)].copy()
    for col in ("valid_from", "valid_to", "updated_at"):
        table[col] = table[col].map(_local)
    for col in ("valid_from", "valid_to", "updated_at", "updated_by", "published_by", "note"):
        table[col] = table[col].astype(object).where(table[col].notna(), "—")
    st.dataframe(
        display.frame(table),
        hide_index=True,
        column_config={
            k: st.column_config.NumberColumn(v, format="%d")
            if k in ("version_no", "cells", "block_count")
            else st.column_config.TextColumn(v)
            for k, v in plan_labels.PLAN_HISTORY_FIELDS.items()
        },
    )
    st.subheader(plan_labels.PLAN_EXPORT)
    by_id = {int(r["id"]): r for _, r in plan_list.iterrows()}
    plan_id = st.selectbox(
        plan_labels.PLAN_PICK,
        list(by_id),
        format_func=lambda i: (
            f"第{by_id[i]['version_no']}版 · {plan_labels.PLAN_STATE_LABELS[by_id[i]['state']]}"
            f" · {by_id[i]['name']}"
        ),
        key="history_plan",
    )
    row = by_id[int(plan_id)]
    buttons = st.columns(len(plans.EXPORT_FORMATS))
    for button, (fmt, (_suffix, mime)) in zip(buttons, plans.EXPORT_FORMATS.items(), strict=True):
        data = run_service(partial(_export, int(plan_id), int(row["lock_version"]), fmt))
        if data is not None:
            button.download_button(
                f"⬇ {plan_labels.PLAN_EXPORT_FORMATS[fmt]}",
                data,
                file_name=plans.export_filename(
                    int(row["version_no"]), str(row["subdistrict_code"]), fmt
                ),
                mime=mime,
                key=f"history_export_{fmt}",
            )
