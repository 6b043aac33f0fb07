"""我的网格: the grid leader's cell on a map, its households (searchable), the household file
(一户一档), the category rolls (一类一卷) and the printable notice board (公示牌).

A grid leader or worker sees their own cell(s) — row-level security gives them no other
households — and an admin picks any cell. Personal fields are masked by role
(services.masking); opening a household file and exporting a roll are logged.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app_pages import display, labels
from app_pages.common import acting, deferred, logged_in_actor, rows, run_service
from app_pages.labels import households as household_labels
from core import clock
from core.plaintext import plain
from layers.base import LANE_COLOUR, STREET_COLOUR, add_legend, base_map, streets_layer_geojson
from layers.households import (
    CELL_OUTLINE,
    cell_outline_layer,
    group_of,
    households_layer,
)
from layers.households import legend_entries as household_legend
from services import masking, notice_board, shared_cache
from services.households import files
from services.uploads import clean_search_text

FILE_KEY = "my_cell_file"


@st.cache_data(ttl=300, show_spinner=False)
def _cells(token: str):
    return acting(lambda *, session, actor: files.cells_for(session=session))()


@st.cache_data(ttl=60, show_spinner="正在读取网格住户…")
def _cell(token: str, cell_code: str, role: str):
    """Personal (households, phones, ID numbers): cached per login token, never shared."""
    return acting(
        lambda *, session, actor: files.load_cell(cell_code, session=session, role=role)
    )()


def _streets(cell_code: str) -> dict[str, str]:
    """Not personal: the street layer's GeoJSON, shared across users (services.shared_cache)."""
    return acting(
        lambda *, session, actor: shared_cache.cell_streets_geojson(cell_code, session=session)
    )()


def _household_file(household_id: int):
    """The file, fetched (and logged) once per household opened, not on every rerun."""
    held = st.session_state.get(FILE_KEY)
    if held is not None and held[0] == household_id:
        return held[1]
    record = run_service(
        acting(
            lambda *, session, actor: files.household_file(
                household_id, session=session, actor=actor
            )
        )
    )
    if record is not None:
        st.session_state[FILE_KEY] = (household_id, record)
    return record


def _table(frame, fields: dict[str, str], **kwargs) -> None:
    if frame is None or frame.empty:
        st.caption(household_labels.FILE_EMPTY)
        return
    cols = [c for c in fields if c in frame.columns]
    st.dataframe(
        display.frame(frame[cols]),
        hide_index=True,
        column_config={c: st.column_config.Column(fields[c]) for c in cols},
        **kwargs,
    )


actor = logged_in_actor()
role = actor.role

# --- which cell ---------------------------------------------------------------------------------
if role == "admin":
    cells = run_service(lambda: _cells(actor.token))
    if cells is None or cells.empty:
        st.stop()
    names = {r.cell_code: f"{r.community_name} · {r.name}（{r.cell_code}）" for r in rows(cells)}
    cell_code = st.selectbox(
        household_labels.MY_CELL_PICK,
        list(names),
        format_func=names.__getitem__,
        key="my_cell_code",
    )
else:
    mine = list(actor.cells)
    if not mine:
        st.title(household_labels.PAGE_MY_CELL)
        st.info(household_labels.MY_CELL_NONE)
        st.stop()
    cell_code = (
        mine[0]
        if len(mine) == 1
        else st.sidebar.selectbox(household_labels.MY_CELL_PICK, mine, key="my_cell_code")
    )

view = run_service(lambda: _cell(actor.token, cell_code, role))
street_parts = run_service(lambda: _streets(cell_code))
if view is None or street_parts is None:
    st.stop()
info = view.info
st.title(f"{household_labels.PAGE_MY_CELL} · {plain(info['community_name'])} {plain(info['name'])}")
leader = plain(info.get("leader_name")) or "（待配备）"
st.caption(f"网格编码 {info['cell_code']} · 网格长 {leader} · {labels.DEMO_BADGE}")

households = view.households
active = households[households["status"] == "active"]
cols = st.columns([1, 1, 1, 1, 2])
cols[0].metric(household_labels.MY_CELL_METRICS[0], f"{labels.fmt_int(len(active))} 户")
cols[1].metric(household_labels.MY_CELL_METRICS[1], f"{labels.fmt_int(active['size'].sum())} 人")
if "special_groups" in masking.masked_kinds(role):
    cols[2].metric(
        household_labels.MY_CELL_METRICS[2],
        masking.HIDDEN_GROUPS,
        help="您的角色不显示重点人群标记",
    )
else:
    cols[2].metric(
        household_labels.MY_CELL_METRICS[2],
        f"{labels.fmt_int(sum(1 for g in active['special_groups'] if len(g)))} 户",
    )
cols[3].metric(
    household_labels.MY_CELL_METRICS[3], f"{labels.fmt_int(len(households) - len(active))} 户"
)
with cols[4]:
    st.download_button(
        household_labels.MY_CELL_NOTICE,
        data=deferred(
            lambda *, session, actor: notice_board.export_notice_board(
                cell_code, session=session, actor=actor
            )
        ),
        file_name=f"公示牌_{cell_code}.pdf",
        mime="application/pdf",
        icon="🖨️",
        key="notice_board",
        on_click="ignore",
    )

# --- search ---------------------------------------------------------------------------------------
rolls = files.roll_counts(households)
roll_names = {r.key: f"{r.name}（{r.households}户）" for r in rows(rolls) if r.households > 0}
left, right = st.columns([3, 2])
with right:
    raw_text = st.text_input(household_labels.MY_CELL_SEARCH, max_chars=50, key="my_cell_search")
    roll = st.selectbox(
        household_labels.MY_CELL_ROLL,
        [None, *roll_names],
        format_func=lambda k: household_labels.MY_CELL_ALL if k is None else roll_names[k],
        key="my_cell_roll",
    )
    try:
        text = clean_search_text(raw_text, field="搜索内容")
    except Exception as exc:  # InvalidInputError: say what is wrong, keep the page
        st.error(plain(exc))
        text = ""
    found = files.search_households(households, text, roll=roll)
    shown = masking.mask_frame(found, role)
    shown = shown.assign(status=shown["status"].map(household_labels.HOUSEHOLD_STATUS))
    st.caption(
        f"{household_labels.MY_CELL_LIST}：{labels.fmt_int(len(found))} / {labels.fmt_int(len(households))} 户"
    )
    st.dataframe(
        display.frame(shown[list(household_labels.HOUSEHOLD_FIELDS)]),
        hide_index=True,
        height=430,
        column_config={
            "head_name": st.column_config.TextColumn("户主姓名", width="small"),
            "sex": st.column_config.TextColumn("性别", width=40),
            "id_number": st.column_config.TextColumn("身份证号", width="medium"),
            "phone": st.column_config.TextColumn("联系电话", width="small"),
            "size": st.column_config.NumberColumn("家庭人口", format="%d", width=60),
            "address": st.column_config.TextColumn("地址", width="medium"),
            "groups_label": st.column_config.TextColumn("重点人群"),
            "categories_label": st.column_config.TextColumn("服务类别"),
            "status": st.column_config.TextColumn("状态", width=60),
        },
        key="my_cell_table",
    )
    options = {int(r.id): f"{r.head_name} · {r.address}" for r in rows(shown)}
    picked = st.selectbox(
        household_labels.MY_CELL_PICK_HOUSEHOLD,
        list(options),
        index=None,
        format_func=options.__getitem__,
        placeholder="输入姓名或地址筛选后选择",
        key="my_cell_household",
    )

with left:
    m = base_map(view.cell, prefer_canvas=True)
    streets_layer_geojson(street_parts).add_to(m)
    cell_outline_layer(view.cell).add_to(m)
    masked_all = masking.mask_frame(found, role)
    households_layer(
        masked_all.assign(group_label=[g or "—" for g in masked_all["groups_label"]]),
        tooltip_fields={"head_name": "户主", "address": "地址", "group_label": "重点人群"},
        selected_id=picked,
    ).add_to(m)
    present = sorted({g for g in (group_of(x) for x in found["special_groups"]) if g})
    add_legend(
        m,
        household_labels.MY_CELL_LEGEND,
        household_legend(present),
        lines=[
            (CELL_OUTLINE, "solid", "本网格边界"),
            (STREET_COLOUR, "solid", labels.LEGEND_STREET),
            (LANE_COLOUR, "solid", labels.LEGEND_LANE),
        ],
    )
    # returned_objects=[]: panning or zooming must not rerun the page (UI.md).
    st_folium(m, height=560, use_container_width=True, returned_objects=[], key="my_cell_map")

# --- the household file (一户一档) -----------------------------------------------------------------
if picked is not None:
    record = _household_file(int(picked))
    if record is not None:
        st.subheader(f"{household_labels.MY_CELL_FILE}：{plain(record['head_name'])}")
        status = household_labels.HOUSEHOLD_STATUS.get(record["status"], record["status"])
        st.markdown(
            f"**地址** {plain(record['address'])}　**家庭人口** {record['size']} 人　"
            f"**身份证号** {plain(record['id_number']) or '—'}　**电话** {plain(record['phone']) or '—'}　"
            f"**状态** {status}"
        )
        st.markdown(
            "**类别与标签** "
            + ("、".join(record["rolls"]) if record["rolls"] else household_labels.FILE_EMPTY)
        )
        tabs = st.tabs(list(household_labels.FILE_SECTIONS))
        with tabs[0]:
            members = pd.DataFrame(record["residents"])
            _table(
                members.astype(object).where(members.notna(), "—"), household_labels.RESIDENT_FIELDS
            )
        with tabs[1]:
            visits = record["visits"]
            if not visits.empty:
                visits = visits.assign(
                    outcome=visits["outcome"]
                    .map(household_labels.VISIT_OUTCOMES)
                    .fillna(visits["outcome"])
                )
            _table(
                visits,
                {
                    "visit_date": "走访日期",
                    "staff_name": "走访人员",
                    "outcome": "结果",
                    "note": "情况",
                    "case_no": "带回事项",
                },
            )
        with tabs[2]:
            _table(
                record["cases"],
                {
                    "case_no": "编号",
                    "received_at": "受理时间",
                    "kind": "类型",
                    "category": "类别",
                    "state": "状态",
                    "satisfaction": "满意度",
                    "description": "诉求内容",
                },
            )
        with tabs[3]:
            _table(
                record["callbacks"],
                {
                    "called_at": "回访时间",
                    "case_no": "事件编号",
                    "staff_name": "回访人员",
                    "reached": "接通",
                    "satisfaction": "满意度",
                    "comment": "群众意见",
                },
            )
        with tabs[4]:
            _table(record["history"], {"at": "时间", "actor": "操作人", "change": "变更"})

# --- category rolls (一类一卷) ---------------------------------------------------------------------
st.subheader(household_labels.MY_CELL_ROLLS)
roll_cols = st.columns([2, 1])
all_names = {r.key: f"{r.name}（{r.households}户）" for r in rows(rolls)}
roll_key = roll_cols[0].selectbox(
    "类别 / 重点人群", list(all_names), format_func=all_names.__getitem__, key="my_cell_roll_export"
)
with roll_cols[1]:
    st.download_button(
        household_labels.MY_CELL_ROLL_EXPORT,
        data=deferred(
            lambda *, session, actor, view=view: files.export_roll(  # bound: not None
                view, key=roll_key, actor=actor, session=session, day=clock.today()
            )
        ),
        file_name=f"一类一卷_{files.roll_name(roll_key)}_{cell_code}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon="📥",
        key="roll_export",
        on_click="ignore",
    )
st.dataframe(
    rolls.assign(kind=rolls["kind"].map({"category": "服务类别", "group": "重点人群"}))[
        ["name", "kind", "households"]
    ],
    hide_index=True,
    column_config={
        "name": st.column_config.TextColumn("名称"),
        "kind": st.column_config.TextColumn("种类"),
        "households": st.column_config.NumberColumn("户数", format="%d"),
    },
)
