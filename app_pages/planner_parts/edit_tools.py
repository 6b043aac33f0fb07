"""方案编辑's right-hand column: the problems list, the cell being edited, the edit tools.

Every edit runs with the lock_version this browser saw (``edit``) and re-checks at once.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st

from app_pages import labels
from app_pages.common import run_service, with_session
from app_pages.labels import plans as plan_labels
from app_pages.planner_parts import reads
from app_pages.planner_parts.reads import CONFIRM, FLASH, FOCUS, SEEN
from services import plans


def edit(fn: Any, **kwargs: Any) -> None:
    """Run one edit with the lock_version this browser saw; on success re-check at once."""
    plan_id = kwargs["plan_id"]
    seen = st.session_state[SEEN][plan_id]

    def call(*, session):
        return fn(session=session, expected_lock_version=seen, actor=reads.actor(), **kwargs)

    result = run_service(with_session(call))
    if result is not None:
        st.session_state[SEEN][plan_id] = result.lock_version
        st.session_state[FLASH] = result.message
        st.session_state.pop(CONFIRM, None)
        st.rerun()


# --- the right-hand column: problems, cell picker, edit tools -------------------------------------
def problem_panel(problems: gpd.GeoDataFrame, n_cells: int, key: str) -> None:
    st.subheader(plan_labels.PLAN_PROBLEMS)
    if problems.empty:
        st.success(plan_labels.PLAN_CLEAN.format(cells=labels.fmt_int(n_cells)), icon="✅")
        return
    blocking = int((problems["severity"] == "blocking").sum())
    text = plan_labels.PLAN_PROBLEM_SUMMARY.format(
        blocking=blocking, warnings=len(problems) - blocking, cells=labels.fmt_int(n_cells)
    )
    (st.error if blocking else st.warning)(text)
    icon = problems["severity"].map({"blocking": "⛔ ", "warning": "⚠ "}).fillna("")
    table = pd.DataFrame(
        {"kind_label": icon + problems["kind_label"], "message": problems["message"]}
    )
    event = st.dataframe(
        table,
        hide_index=True,
        height=min(420, 38 + 35 * len(table)),
        on_select="rerun",
        selection_mode="single-row",
        key=key,
        column_config={
            "kind_label": st.column_config.TextColumn(
                plan_labels.PLAN_PROBLEM_FIELDS["kind_label"], width="small"
            ),
            "message": st.column_config.TextColumn(
                plan_labels.PLAN_PROBLEM_FIELDS["message"], width="large"
            ),
        },
    )
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    st.session_state[FOCUS] = rows[0] if rows else None
    st.caption(plan_labels.PLAN_PROBLEM_HINT)


def drawn_shape(output: dict[str, Any] | None) -> shapely.Geometry | None:
    feature = (output or {}).get("last_active_drawing")
    if not feature or not feature.get("geometry"):
        return None
    try:
        return shapely.geometry.shape(feature["geometry"])
    except (ValueError, TypeError, KeyError):
        return None


def _cell_formatter(cells: gpd.GeoDataFrame) -> Any:
    names = dict(zip(cells["cell_code"], cells["community_name"], strict=True))
    hh = dict(zip(cells["cell_code"], cells["households"], strict=True))

    def fmt(code: str) -> str:
        return f"{code} · {names.get(code, '')} · {hh.get(code, 0):,} 户"

    return fmt


def pick_cell(data: plans.PlanGeodata) -> str | None:
    """The cell being edited — chosen *before* the map is built, so the map drawn on is the
    map of the next run too (st_folium keys its value by the map's script)."""
    st.subheader(plan_labels.PLAN_EDIT)
    codes = data.cells["cell_code"].tolist()
    return st.selectbox(
        plan_labels.PLAN_CELL, codes, format_func=_cell_formatter(data.cells), key="planner_cell"
    )


def edit_tools(
    plan: pd.Series, data: plans.PlanGeodata, selected: str, drawn: shapely.Geometry | None
) -> None:
    plan_id = int(plan["id"])
    cells = data.cells
    fmt = _cell_formatter(cells)
    community = cells.loc[cells["cell_code"] == selected, "community_code"].iloc[0]
    same = [
        c for c in cells.loc[cells["community_code"] == community, "cell_code"] if c != selected
    ]
    own_blocks = data.blocks.loc[data.blocks["cell_code"] == selected, "block_key"].tolist()
    # Stateful tabs: a rerun (choosing 全选 in the block picker) stays on the chosen tab.
    tabs = st.tabs(plan_labels.PLAN_TABS, key="planner_tools", on_change="rerun")
    with tabs[0]:
        block = st.selectbox(plan_labels.PLAN_BLOCK, own_blocks, key="planner_move_block")
        if same:
            to = st.selectbox(
                plan_labels.PLAN_TO_CELL, same, format_func=fmt, key="planner_move_to"
            )
            if st.button(plan_labels.PLAN_DO_MOVE, key="planner_move", type="primary"):
                edit(plans.move_block, plan_id=plan_id, block_key=block, to_cell_code=to)
        else:
            st.info(plan_labels.PLAN_NO_SAME_COMMUNITY)
    with tabs[1]:
        if same:
            other = st.selectbox(
                plan_labels.PLAN_MERGE_WITH, same, format_func=fmt, key="planner_merge"
            )
            if st.button(plan_labels.PLAN_DO_MERGE, key="planner_merge_go", type="primary"):
                edit(
                    plans.merge_cells,
                    plan_id=plan_id,
                    keep_cell_code=selected,
                    absorb_cell_code=other,
                )
        else:
            st.info(plan_labels.PLAN_NO_SAME_COMMUNITY)
    with tabs[2]:
        keys = st.multiselect(plan_labels.PLAN_SPLIT_BLOCKS, own_blocks, key="planner_split_blocks")
        if st.button(
            plan_labels.PLAN_DO_SPLIT, key="planner_split", type="primary", disabled=not keys
        ):
            edit(plans.split_cell_by_blocks, plan_id=plan_id, cell_code=selected, block_keys=keys)
    is_line = drawn is not None and drawn.geom_type in ("LineString", "MultiLineString")
    is_poly = drawn is not None and drawn.geom_type in ("Polygon", "MultiPolygon")
    with tabs[3]:
        st.caption(plan_labels.PLAN_DRAW_HINT_LINE)
        _drawn_note(drawn)
        if st.button(
            plan_labels.PLAN_DO_LINE, key="planner_line", type="primary", disabled=not is_line
        ):
            edit(plans.split_cell_by_line, plan_id=plan_id, cell_code=selected, line=drawn)
    with tabs[4]:
        st.caption(plan_labels.PLAN_DRAW_HINT_POLYGON)
        _drawn_note(drawn)
        if st.button(
            plan_labels.PLAN_DO_POLYGON, key="planner_poly", type="primary", disabled=not is_poly
        ):
            edit(plans.replace_cell_geometry, plan_id=plan_id, cell_code=selected, polygon=drawn)
    with tabs[5]:
        leaders = reads.leaders()
        options: list[int | None] = [None] + leaders["id"].astype(int).tolist()
        who = dict(zip(leaders["id"].astype(int), leaders["name"], strict=True))
        current = cells.loc[cells["cell_code"] == selected, "leader_staff_id"].iloc[0]
        index = options.index(int(current)) if pd.notna(current) and int(current) in who else 0
        staff = st.selectbox(
            plan_labels.PLAN_LEADER,
            options,
            index=index,
            format_func=lambda s: plan_labels.PLAN_NO_LEADER if s is None else f"{who[s]}（{s}）",
            key=f"planner_leader_{selected}",
        )
        if st.button(plan_labels.PLAN_DO_LEADER, key="planner_leader_go", type="primary"):
            edit(plans.assign_leader, plan_id=plan_id, cell_code=selected, staff_id=staff)


def _drawn_note(drawn: shapely.Geometry | None) -> None:
    if drawn is None:
        st.caption(plan_labels.PLAN_DRAWN_NONE)
        return
    kind = {"LineString": "线", "Polygon": "面"}.get(drawn.geom_type, drawn.geom_type)
    st.caption(plan_labels.PLAN_DRAWN.format(kind=kind, n=len(shapely.get_coordinates(drawn))))
