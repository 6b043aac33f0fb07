"""方案编辑: pick a plan, see its cells, blocks, streets and problems on one map, edit a draft
(move blocks, merge, split by blocks or by a drawn line, replace by a drawn polygon, name the
grid leader), re-check at once, and publish with a confirmation and the households' diff."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st
from streamlit_folium import st_folium

from app_pages import display, labels
from app_pages.common import acting_person, run_service, with_session
from app_pages.labels import plans as plan_labels
from core.plaintext import plain
from layers.plans import PlanMapText, plan_map
from services import exports, plans

SEEN = "planner_seen"  # plan id → the lock_version this browser last saw
FOCUS = "planner_focus"
CONFIRM = "planner_confirm"
RESULT = "planner_result"
FLASH = "planner_flash"


# --- reads (cached per plan version: every edit bumps lock_version, so edits invalidate) ----
@st.cache_data(ttl=600, show_spinner=False)
def _base():  # type: ignore[no-untyped-def]
    return with_session(lambda *, session: plans.communities_and_streets(session=session))()


@st.cache_data(ttl=600, show_spinner="正在读取方案…")
def _geodata(plan_id: int, lock_version: int) -> plans.PlanGeodata:
    return with_session(lambda *, session: plans.plan_geodata(plan_id, session=session))()


@st.cache_data(ttl=600, show_spinner="正在检查方案…")
def _problems(plan_id: int, lock_version: int) -> gpd.GeoDataFrame:
    data = _geodata(plan_id, lock_version)  # outside the session: sessions never nest
    return with_session(
        lambda *, session: plans.check_plan(plan_id, session=session, geodata=data)
    )()


@st.cache_data(ttl=600, show_spinner=False)
def _leaders() -> pd.DataFrame:
    return with_session(lambda *, session: plans.leader_options(session=session))()


def _plans() -> pd.DataFrame | None:
    return run_service(with_session(lambda *, session: plans.list_plans(session=session)))


def _actor() -> str:
    return str(acting_person().get("name") or "规划员")


def _date(value: Any) -> str:
    return display.date(value)  # Beijing's day; missing → —


def _plan_label(row: pd.Series) -> str:
    state = plan_labels.PLAN_STATE_LABELS.get(row["state"], row["state"])
    if row["state"] == "published":
        when = f"{_date(row['valid_from'])} 起"
    elif row["state"] == "retired":
        when = f"{_date(row['valid_from'])} 至 {_date(row['valid_to'])}"
    else:
        when = f"{_date(row['created_at'])} 创建"
    # No cell count here: with a key the picker keeps the label it was first given, so a
    # count in it goes stale after an edit; the count is shown under it, from the plan's data.
    return f"第{row['version_no']}版 · {state} · {when}"


def _edit(fn: Any, **kwargs: Any) -> None:
    """Run one edit with the lock_version this browser saw; on success re-check at once."""
    plan_id = kwargs["plan_id"]
    seen = st.session_state[SEEN][plan_id]

    def call(*, session):  # type: ignore[no-untyped-def]
        return fn(session=session, expected_lock_version=seen, actor=_actor(), **kwargs)

    result = run_service(with_session(call))
    if result is not None:
        st.session_state[SEEN][plan_id] = result.lock_version
        st.session_state[FLASH] = result.message
        st.session_state.pop(CONFIRM, None)
        st.rerun()


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


# --- panels -------------------------------------------------------------------------------
def _problem_panel(problems: gpd.GeoDataFrame, n_cells: int, key: str) -> None:
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


def _drawn(output: dict[str, Any] | None) -> shapely.Geometry | None:
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


def _pick_cell(data: plans.PlanGeodata) -> str | None:
    """The cell being edited — chosen *before* the map is built, so the map drawn on is the
    map of the next run too (st_folium keys its value by the map's script)."""
    st.subheader(plan_labels.PLAN_EDIT)
    codes = data.cells["cell_code"].tolist()
    return st.selectbox(
        plan_labels.PLAN_CELL, codes, format_func=_cell_formatter(data.cells), key="planner_cell"
    )


def _edit_tools(
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
                _edit(plans.move_block, plan_id=plan_id, block_key=block, to_cell_code=to)
        else:
            st.info(plan_labels.PLAN_NO_SAME_COMMUNITY)
    with tabs[1]:
        if same:
            other = st.selectbox(
                plan_labels.PLAN_MERGE_WITH, same, format_func=fmt, key="planner_merge"
            )
            if st.button(plan_labels.PLAN_DO_MERGE, key="planner_merge_go", type="primary"):
                _edit(
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
            _edit(plans.split_cell_by_blocks, plan_id=plan_id, cell_code=selected, block_keys=keys)
    is_line = drawn is not None and drawn.geom_type in ("LineString", "MultiLineString")
    is_poly = drawn is not None and drawn.geom_type in ("Polygon", "MultiPolygon")
    with tabs[3]:
        st.caption(plan_labels.PLAN_DRAW_HINT_LINE)
        _drawn_note(drawn)
        if st.button(
            plan_labels.PLAN_DO_LINE, key="planner_line", type="primary", disabled=not is_line
        ):
            _edit(plans.split_cell_by_line, plan_id=plan_id, cell_code=selected, line=drawn)
    with tabs[4]:
        st.caption(plan_labels.PLAN_DRAW_HINT_POLYGON)
        _drawn_note(drawn)
        if st.button(
            plan_labels.PLAN_DO_POLYGON, key="planner_poly", type="primary", disabled=not is_poly
        ):
            _edit(plans.replace_cell_geometry, plan_id=plan_id, cell_code=selected, polygon=drawn)
    with tabs[5]:
        leaders = _leaders()
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
            _edit(plans.assign_leader, plan_id=plan_id, cell_code=selected, staff_id=staff)


def _drawn_note(drawn: shapely.Geometry | None) -> None:
    if drawn is None:
        st.caption(plan_labels.PLAN_DRAWN_NONE)
        return
    kind = {"LineString": "线", "Polygon": "面"}.get(drawn.geom_type, drawn.geom_type)
    st.caption(plan_labels.PLAN_DRAWN.format(kind=kind, n=len(shapely.get_coordinates(drawn))))


def _xlsx(table: pd.DataFrame, title: str) -> bytes:
    return exports.table_xlsx(
        table.rename(columns=plan_labels.PLAN_DIFF_FIELDS), title=title, sheet="住户网格变化"
    )


def _publish_panel(plan: pd.Series, problems: gpd.GeoDataFrame, plan_list: pd.DataFrame) -> None:
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

            def call(*, session):  # type: ignore[no-untyped-def]
                return plans.publish(
                    session=session,
                    plan_id=plan_id,
                    note=note,
                    actor=_actor(),
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


def _publish_result(result: plans.PublishResult) -> None:
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
    title = f"{result.plan.name} 住户网格变化（{_date(result.plan.valid_from)}）"
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
                session,
                username=actor.username,
                action=audit.EXPORT,
                target=f"grid_plan_diff:v{version_no}",
                detail={"rows": rows, "names": with_names},
                client=actor.client,
            )
        )
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
    _publish_result(done)
    if st.button(plan_labels.PLAN_DIFF_CLOSE, key="planner_diff_close"):
        st.session_state.pop(RESULT, None)
        st.rerun()

plan_list = _plans()
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
                lambda *, session: plans.create_draft_from_published(_actor(), session=session)
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

    base = run_service(_base)
    data = run_service(lambda: _geodata(int(plan_id), lock))
    problems = run_service(lambda: _problems(int(plan_id), lock))
    if base is not None and data is not None and problems is not None:
        communities, streets = base
        top_left.caption(
            plan_labels.PLAN_PICKED_COUNTS.format(
                cells=labels.fmt_int(len(data.cells)), blocks=labels.fmt_int(len(data.blocks))
            )
        )
        left, right = st.columns([3, 2])
        with right:
            _problem_panel(problems, len(data.cells), key=f"planner_problems_{plan_id}_{lock}")
            selected = _pick_cell(data) if editable else None
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
                _edit_tools(plan, data, selected, _drawn(output))
            _publish_panel(plan, problems, plan_list)
