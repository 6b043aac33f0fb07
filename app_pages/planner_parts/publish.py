"""方案编辑's publishing: the checks and confirmation before, the households' diff after."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st

from app_pages import display, labels
from app_pages.common import run_service, with_session
from app_pages.labels import plans as plan_labels
from app_pages.planner_parts import reads
from app_pages.planner_parts.reads import CONFIRM, RESULT, SEEN
from core.plaintext import plain
from services import exports, plans


def _xlsx(table: pd.DataFrame, title: str) -> bytes:
    return exports.table_xlsx(
        table.rename(columns=plan_labels.PLAN_DIFF_FIELDS), title=title, sheet="住户网格变化"
    )


def publish_panel(plan: pd.Series, problems: gpd.GeoDataFrame, plan_list: pd.DataFrame) -> None:
    plan_id = int(plan["id"])
    st.subheader(plan_labels.PLAN_PUBLISH)
    blocking = problems[problems["severity"] == "blocking"]
    warnings = problems[problems["severity"] == "warning"]
    if len(blocking):
        kinds = "、".join(blocking["kind_label"].value_counts().index)
        st.error(plan_labels.PLAN_PUBLISH_BLOCKED.format(n=len(blocking), kinds=kinds))
        return
    note = st.text_area(
        plan_labels.PLAN_NOTE, help=plan_labels.PLAN_NOTE_HELP, key=f"planner_note_{plan_id}"
    )
    if len(warnings) and not note.strip():
        st.warning(plan_labels.PLAN_NOTE_REQUIRED.format(n=len(warnings)))
    if st.button(plan_labels.PLAN_PUBLISH_ASK, key="planner_publish_ask"):
        if len(warnings) and not note.strip():
            st.error(plan_labels.PLAN_NOTE_REQUIRED.format(n=len(warnings)))
        else:
            preview = run_service(
                with_session(lambda *, session: plans.publish_preview(plan_id, session=session))
            )
            if preview is not None:
                st.session_state[CONFIRM] = {"plan_id": plan_id, "preview": preview}
    pending = st.session_state.get(CONFIRM)
    if not pending or pending["plan_id"] != plan_id:
        return
    old = _retiring_label(plan, plan_list)
    preview = pending["preview"]
    with st.container(border=True):
        st.markdown(f"**{plan_labels.PLAN_CONFIRM_TITLE}**")
        st.markdown(
            plan_labels.PLAN_CONFIRM_TEXT.format(
                new=f"第{plan['version_no']}版", old=old, moved=labels.fmt_int(len(preview))
            )
        )
        if len(preview):
            summary = (
                preview.groupby(["old_cell_code", "new_cell_code"], dropna=False)
                .size()
                .rename("households")
                .reset_index()
            )
            st.dataframe(
                display.frame(summary).rename(columns=plan_labels.PLAN_DIFF_FIELDS),
                hide_index=True,
                height=180,
            )
        left, right = st.columns(2)
        if left.button(plan_labels.PLAN_CONFIRM, key="planner_publish_go", type="primary"):
            seen = st.session_state[SEEN][plan_id]

            def call(*, session):
                return plans.publish(
                    session=session,
                    plan_id=plan_id,
                    note=note,
                    actor=reads.actor(),
                    expected_lock_version=seen,
                )

            with st.status("正在发布方案并重新归属住户…", expanded=False) as status:
                result = run_service(with_session(call))
                status.update(state="complete" if result is not None else "error")
            st.session_state.pop(CONFIRM, None)
            if result is not None:
                st.session_state[RESULT] = result
                st.session_state[SEEN][plan_id] = result.plan.lock_version
                st.cache_data.clear()
                st.rerun()
        if right.button(plan_labels.PLAN_CANCEL, key="planner_publish_cancel"):
            st.session_state.pop(CONFIRM, None)
            st.rerun()


def _retiring_label(plan: pd.Series, plan_list: pd.DataFrame) -> str:
    """The plan publishing ``plan`` retires: the published one of its sub-district."""
    current = plan_list[
        (plan_list["state"] == "published")
        & (plan_list["subdistrict_code"] == plan["subdistrict_code"])
        & (plan_list["id"] != plan["id"])
    ]
    if current.empty:
        return "（无）"
    row = current.iloc[0]
    return f"第{row['version_no']}版（{row['name']}）"


def publish_result(result: plans.PublishResult) -> None:
    retired = (
        plan_labels.PLAN_RETIRED_NOTE.format(version=result.retired_version_no)
        if result.retired_version_no is not None
        else ""
    )
    st.success(
        plan_labels.PLAN_PUBLISHED.format(
            name=f"第{result.plan.version_no}版（{plain(result.plan.name)}）",
            households=labels.fmt_int(result.households_assigned),
            cases=labels.fmt_int(result.cases_assigned),
            moved=labels.fmt_int(result.households_moved),
            retired=retired,
        ),
        icon="✅",
    )
    st.subheader(plan_labels.PLAN_DIFF_TITLE)
    if result.moved.empty:
        st.info(plan_labels.PLAN_DIFF_NONE)
        return
    moved = result.moved
    if moved["head_name"].isna().all():  # the acting role may not read names (RLS)
        moved = moved.drop(columns="head_name")
        st.caption(plan_labels.PLAN_DIFF_NO_NAMES)
    left, right = st.columns([2, 3])
    with left:
        st.markdown(f"**{plan_labels.PLAN_DIFF_BY_CELL}**")
        st.dataframe(
            display.frame(result.by_cell),
            hide_index=True,
            column_config={
                k: st.column_config.TextColumn(v)
                if k != "households"
                else st.column_config.NumberColumn(v, format="%d")
                for k, v in plan_labels.PLAN_DIFF_FIELDS.items()
                if k in result.by_cell.columns
            },
        )
    with right:
        st.dataframe(
            display.frame(moved),
            hide_index=True,
            height=320,
            column_config={
                k: st.column_config.TextColumn(v)
                if k != "household_id"
                else st.column_config.NumberColumn(v, format="%d")
                for k, v in plan_labels.PLAN_DIFF_FIELDS.items()
                if k in moved.columns
            },
        )
    title = f"{result.plan.name} 住户网格变化（{reads.date(result.plan.valid_from)}）"
    st.download_button(
        plan_labels.PLAN_DIFF_DOWNLOAD,
        _xlsx(moved, title),
        file_name=f"住户网格变化_第{result.plan.version_no}版.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="planner_diff_xlsx",
        on_click=_log_diff_export,
        args=(result.plan.version_no, len(moved), "head_name" in moved.columns),
    )


def _log_diff_export(version_no: int, rows: int, with_names: bool) -> None:
    """An export of household names is personal data leaving the system: one audit row."""
    from services import audit

    actor = st.session_state.get("actor")
    if actor is None:
        return
    run_service(
        with_session(
            lambda *, session: audit.record(
                session=session,
                username=actor.username,
                action=audit.EXPORT,
                target=f"grid_plan_diff:v{version_no}",
                detail={"rows": rows, "names": with_names},
                client=actor.client,
            )
        )
    )
