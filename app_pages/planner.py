"""方案编辑: pick a plan, see its cells, blocks, streets and problems on one map, edit a draft
(move blocks, merge, split by blocks or by a drawn line, replace by a drawn polygon, name the
grid leader), re-check at once, and publish with a confirmation and the households' diff."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app_pages import display, labels
from app_pages.common import run_service, with_session
from app_pages.labels import plans as plan_labels
from app_pages.planner_parts import reads
from app_pages.planner_parts.edit_tools import drawn_shape, edit_tools, pick_cell, problem_panel
from app_pages.planner_parts.publish import publish_panel, publish_result
from app_pages.planner_parts.reads import FLASH, FOCUS, RESULT, SEEN
from layers.plans import PlanMapText, plan_map
from services import plans


def _plan_label(row: pd.Series) -> str:
    state = plan_labels.PLAN_STATE_LABELS.get(row["state"], row["state"])
    if row["state"] == "published":
        when = f"{reads.date(row['valid_from'])} 起"
    elif row["state"] == "retired":
        when = f"{reads.date(row['valid_from'])} 至 {reads.date(row['valid_to'])}"
    else:
        when = f"{reads.date(row['created_at'])} 创建"
    # No cell count here: with a key the picker keeps the label it was first given, so a
    # count in it goes stale after an edit; the count is shown under it, from the plan's data.
    return f"第{row['version_no']}版 · {state} · {when}"


# --- map ----------------------------------------------------------------------------------
_MAP_TEXT = PlanMapText(
    cell_fields=labels.CELL_FIELDS,
    no_leader="（未配）",
    block=plan_labels.PLAN_BLOCK,
    block_legend=plan_labels.PLAN_LEGEND_BLOCK,
    cell=plan_labels.PLAN_CELL,
    problems=plan_labels.PLAN_PROBLEMS,
    severity_labels=plan_labels.PLAN_SEVERITY,
    households_legend=labels.LEGEND_HOUSEHOLDS,
    problem_legend=plan_labels.PLAN_LEGEND_PROBLEM,
    community_legend=labels.LEGEND_COMMUNITY,
    street_legend=labels.LEGEND_STREET,
    lane_legend=labels.LEGEND_LANE,
)


# --- page ---------------------------------------------------------------------------------
st.title(plan_labels.PAGE_PLANNER)
flash = st.session_state.pop(FLASH, None)
if flash:
    st.success(flash, icon="✅")
# The publish result stays until it is closed: its 导出Excel button reruns the page (a download
# with an audit callback), and the diff must still be there afterwards.
done = st.session_state.get(RESULT)
if done is not None:
    publish_result(done)
    if st.button(plan_labels.PLAN_DIFF_CLOSE, key="planner_diff_close"):
        st.session_state.pop(RESULT, None)
        st.rerun()

plan_list = reads.plan_list()
if plan_list is not None:
    st.session_state.setdefault(SEEN, {})
    if plan_list.empty:
        st.info(plan_labels.PLAN_NONE)
        st.stop()
    ids = plan_list["id"].astype(int).tolist()
    by_id = {int(r["id"]): r for _, r in plan_list.iterrows()}
    drafts = plan_list[plan_list["state"].isin(["draft", "validated"])]
    default = int(drafts["id"].iloc[0]) if len(drafts) else ids[0]
    wanted = st.session_state.pop("planner_open", None)
    if wanted in by_id:
        st.session_state["planner_plan"] = wanted
    elif st.session_state.get("planner_plan") not in by_id:
        st.session_state["planner_plan"] = default
    top_left, top_right = st.columns([3, 1])
    plan_id = top_left.selectbox(
        plan_labels.PLAN_PICK,
        ids,
        format_func=lambda i: _plan_label(by_id[i]),
        key="planner_plan",
    )
    if top_right.button(plan_labels.PLAN_NEW_DRAFT, key="planner_new_draft"):
        made = run_service(
            with_session(
                lambda *, session: plans.create_draft_from_published(reads.actor(), session=session)
            )
        )
        if made is not None:
            st.session_state["planner_open"] = made.id
            source = plan_list[plan_list["state"] == "published"]
            st.session_state[FLASH] = plan_labels.PLAN_NEW_DRAFT_DONE.format(
                version=made.version_no,
                cells=int(source["cells"].sum()),
                blocks=int(source["block_count"].sum()),
            )
            st.rerun()
    plan = by_id[int(plan_id)]
    lock = int(plan["lock_version"])
    seen = st.session_state[SEEN].setdefault(int(plan_id), lock)
    editable = plan["state"] in ("draft", "validated")
    if editable and seen != lock:
        st.warning(
            plan_labels.PLAN_STALE.format(
                who=plan["updated_by"] or "其他人",
                when=display.moment(plan["updated_at"]) if pd.notna(plan["updated_at"]) else "刚才",
                now=lock,
                seen=seen,
            )
        )
        if st.button(plan_labels.PLAN_REFRESH, key="planner_refresh", type="primary"):
            st.session_state[SEEN][int(plan_id)] = lock
            st.rerun()
    elif not editable:
        st.info(
            plan_labels.PLAN_READ_ONLY.format(state=plan_labels.PLAN_STATE_LABELS[plan["state"]])
        )

    base = run_service(reads.base)
    data = run_service(lambda: reads.geodata(int(plan_id), lock))
    problems = run_service(lambda: reads.problems(int(plan_id), lock))
    if base is not None and data is not None and problems is not None:
        communities, streets = base
        top_left.caption(
            plan_labels.PLAN_PICKED_COUNTS.format(
                cells=labels.fmt_int(len(data.cells)), blocks=labels.fmt_int(len(data.blocks))
            )
        )
        left, right = st.columns([3, 2])
        with right:
            problem_panel(problems, len(data.cells), key=f"planner_problems_{plan_id}_{lock}")
            selected = pick_cell(data) if editable else None
        with left:
            st.caption(plan_labels.PLAN_MAP_CAPTION)
            m = plan_map(
                data.cells,
                data.blocks,
                problems,
                communities,
                streets,
                selected=selected,
                focus=st.session_state.get(FOCUS),
                draw=editable,
                text=_MAP_TEXT,
            )
            # Only the finished drawing comes back: panning or zooming does not rerun the page.
            output = st_folium(
                m,
                height=620,
                use_container_width=True,
                returned_objects=["last_active_drawing"] if editable else [],
                key=f"planner_map_{plan_id}",
            )
        if editable and selected is not None:
            with right:
                edit_tools(plan, data, selected, drawn_shape(output))
            publish_panel(plan, problems, plan_list)
