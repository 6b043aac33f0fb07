"""方案编辑 → 动态调整: rebalance the published plan into a draft, and show the diff.

Reads widgets → calls services.rebalance → hands the frames to layers.rebalance → renders.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app_pages import labels
from app_pages.common import run_service, with_session
from app_pages.labels import plans as plan_labels
from layers.base import base_map
from layers.rebalance import diff_cells_layer, moved_units_layer
from services import plans
from services.plans import rebalance

_KEY = "rebalance_proposal"

st.title(plan_labels.PAGE_PLAN_REBALANCE)
st.caption(plan_labels.REBALANCE_INTRO)

plan_list = run_service(with_session(lambda *, session: plans.list_plans(session=session)))
if plan_list is None:
    st.stop()
published = plan_list[plan_list["state"] == "published"]
if published.empty:
    st.info(plan_labels.REBALANCE_NO_PUBLISHED)
    st.stop()
by_id = {int(r["id"]): r for _, r in published.iterrows()}
plan_id = int(
    st.selectbox(
        plan_labels.PLAN_PICK,
        list(by_id),
        format_func=lambda i: f"第{by_id[i]['version_no']}版 · {by_id[i]['name']}",
        key="rebalance_plan",
    )
)

cols = st.columns(3)
lo = int(cols[0].number_input(plan_labels.REBALANCE_MIN, 1, 5000, 300, step=10, key="rb_min"))
hi = int(cols[1].number_input(plan_labels.REBALANCE_MAX, 1, 5000, 500, step=10, key="rb_max"))
share = int(cols[2].number_input(plan_labels.REBALANCE_SHARE, 0, 500, 50, step=5, key="rb_share"))

geo = run_service(with_session(lambda *, session: plans.plan_geodata(plan_id, session=session)))
if geo is None:
    st.stop()
communities = (
    geo.cells[["community_code", "community_name"]].drop_duplicates().reset_index(drop=True)
)
with st.expander(plan_labels.REBALANCE_LIMITS):
    edited = st.data_editor(
        communities.assign(min_households=lo, max_households=hi),
        hide_index=True,
        disabled=["community_code", "community_name"],
        column_config={
            k: st.column_config.NumberColumn(v, min_value=1, step=10)
            if k.endswith("households")
            else st.column_config.TextColumn(v)
            for k, v in plan_labels.REBALANCE_LIMIT_FIELDS.items()
        },
        key=f"rb_limits_{lo}_{hi}",
    )
limits = {
    str(r.community_code): (int(r.min_households), int(r.max_households))
    for r in edited.itertuples()
}

if st.button(plan_labels.REBALANCE_RUN, type="primary", key="rb_run"):
    with st.spinner(plan_labels.REBALANCE_WORKING):
        st.session_state[_KEY] = run_service(
            with_session(
                lambda *, session: rebalance.propose_rebalance(
                    session=session,
                    plan_id=plan_id,
                    min_households=lo,
                    max_households=hi,
                    limits=limits,
                    max_weight_excess=share / 100,
                )
            )
        )

proposal: rebalance.RebalanceProposal | None = st.session_state.get(_KEY)
if proposal is None or proposal.plan_id != plan_id:
    st.stop()

result = proposal.result
s = result.summary
m = st.columns(4)
m[0].metric(
    plan_labels.REBALANCE_METRICS["households_moved"],
    labels.fmt_int(s["households_moved"]),  # type: ignore[arg-type]
)
m[1].metric(
    plan_labels.REBALANCE_METRICS["cells"],
    labels.fmt_int(s["cells_after"]),  # type: ignore[arg-type]
    delta=int(s["cells_after"]) - int(s["cells_before"]),  # type: ignore[call-overload]
)
m[2].metric(
    plan_labels.REBALANCE_METRICS["out_of_range"],
    f"{s['out_of_range_before']} → {s['out_of_range_after']}",
)
m[3].metric(
    plan_labels.REBALANCE_METRICS["share"],
    f"{s['max_weight_share_before']:.2f} → {s['max_weight_share']:.2f}",
)
st.caption(
    plan_labels.REBALANCE_CODES.format(
        kept=len(s["kept_codes"]),  # type: ignore[arg-type]
        new="、".join(s["new_codes"]) or "无",  # type: ignore[arg-type]
        retired="、".join(s["retired_codes"]) or "无",  # type: ignore[arg-type]
    )
)
if proposal.households_outside:
    st.caption(plan_labels.REBALANCE_OUTSIDE.format(n=labels.fmt_int(proposal.households_outside)))
for message in result.problems["message"]:
    st.warning(message)
if not len(result.moves):
    st.success(plan_labels.REBALANCE_NOTHING)
    st.stop()

changed = set(result.moves["from_cell"]) | set(result.moves["to_cell"])
left, right = st.columns(2)
with left:
    st.subheader(plan_labels.REBALANCE_MAP_BEFORE)
    before = base_map(proposal.before)
    diff_cells_layer(
        proposal.before,
        changed=changed,
        tooltip_fields={"cell_code": "网格", "leader_name": "网格长", "households": "户数"},
        name=plan_labels.REBALANCE_MAP_BEFORE,
    ).add_to(before)
    st_folium(before, height=460, use_container_width=True, returned_objects=[], key="rb_before")
with right:
    st.subheader(plan_labels.REBALANCE_MAP_AFTER)
    after = base_map(proposal.before)
    diff_cells_layer(
        proposal.after,
        changed=changed,
        tooltip_fields={"cell_code": "网格", "households": "户数"},
        name=plan_labels.REBALANCE_MAP_AFTER,
    ).add_to(after)
    moved_units_layer(result.moves).add_to(after)
    st_folium(after, height=460, use_container_width=True, returned_objects=[], key="rb_after")

st.subheader(plan_labels.REBALANCE_MOVES)
st.dataframe(
    result.moves[list(plan_labels.REBALANCE_MOVE_FIELDS)].rename(
        columns=plan_labels.REBALANCE_MOVE_FIELDS
    ),
    hide_index=True,
    key="rb_moves",
)
st.subheader(plan_labels.REBALANCE_LEADERS)
changes = rebalance.leader_changes(proposal)
changes["change"] = changes["change"].map(plan_labels.REBALANCE_CHANGE)
st.dataframe(
    changes[list(plan_labels.REBALANCE_LEADER_FIELDS)].rename(
        columns=plan_labels.REBALANCE_LEADER_FIELDS
    ),
    hide_index=True,
    key="rb_leaders",
)
st.subheader(plan_labels.REBALANCE_CELLS)
cells = result.cells.copy()
cells["status"] = cells["status"].map(plan_labels.REBALANCE_STATUS)
cells = cells[pd.Series(cells["cell_code"]).isin(changed) | (cells["status"] != "保留")]
st.dataframe(
    cells[list(plan_labels.REBALANCE_CELL_FIELDS)].rename(
        columns=plan_labels.REBALANCE_CELL_FIELDS
    ),
    hide_index=True,
    key="rb_cells",
)

if st.button(plan_labels.REBALANCE_SAVE, key="rb_save"):
    shown = proposal  # not None past the st.stop() above, also inside the callback
    actor = st.session_state.get("actor")
    draft = run_service(
        with_session(
            lambda *, session: rebalance.create_rebalance_draft(
                session=session,
                proposal=shown,
                created_by=getattr(actor, "username", None),
            )
        )
    )
    if draft is not None:
        st.session_state.pop(_KEY, None)
        st.success(plan_labels.REBALANCE_SAVED.format(name=draft.name, version=draft.version_no))
