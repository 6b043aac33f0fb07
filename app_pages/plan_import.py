"""导入街巷: upload streets/lanes (and optionally a boundary) → blocks → cells → a new draft.

The dangles (street ends that meet nothing, lines inside a block, lines outside the boundary)
are shown on a map so the planner can fix the street file before trusting the blocks. A file
that leaves hundreds of dangles is shown first and the draft made only when the planner
confirms; the part of the boundary the streets do not enclose is shown in grey.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app_pages import labels
from app_pages.common import acting_person, run_service, with_session
from app_pages.labels import plans as plan_labels
from gis.crs import DISPLAY_CRS
from gis.io import read_vector
from gis.streets import DEFAULT_HIGHWAYS, HIGHWAY_LABELS
from layers.base import add_legend, base_map, streets_layer
from services import plans
from services.uploads import GIS_LAYERS, check_upload

DONE = "plan_import_done"
ASK = "plan_import_ask"  # (inputs, ImportNeedsConfirmation) while the planner decides
KIND_COLOURS = {"dangle": "#d7191c", "cut_edge": "#fdae61", "outside": "#2b83ba"}
UNENCLOSED_COLOUR = "#636363"


def _read(upload: Any, *, what: str, expected: Any, gcj02: bool) -> gpd.GeoDataFrame:
    """Check the upload (size, type by content, zip bomb: services.uploads), write it to a
    temporary file (GDAL reads files) and read it as a layer."""
    data = check_upload(upload.name, upload, allowed=GIS_LAYERS)
    suffix = "".join(Path(upload.name).suffixes[-2:]) or ".geojson"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        gdf = read_vector(path, gcj02=gcj02, expected=expected, what=what)
    return gdf


def _dangles_map(
    streets: gpd.GeoDataFrame,
    dangles: gpd.GeoDataFrame,
    unenclosed: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    m = base_map(streets if len(streets) else dangles)
    names = streets["name"] if "name" in streets.columns else pd.Series("", index=streets.index)
    shown = streets.assign(
        name=names.astype(object).where(names.notna() & (names.astype(str) != ""), "（无名）"),
        kind=streets["kind"] if "kind" in streets.columns else "street",
    )
    streets_layer(shown).add_to(m)
    if unenclosed is not None and len(unenclosed):
        rest = unenclosed.to_crs(DISPLAY_CRS).assign(
            label=plan_labels.PLAN_IMPORT_UNENCLOSED,
            area=(unenclosed["area_m2"] / 1e6).round(3),
        )
        folium.GeoJson(
            rest[["label", "area", "geometry"]],
            style_function=lambda _f: {
                "color": UNENCLOSED_COLOUR,
                "weight": 1,
                "fillColor": UNENCLOSED_COLOUR,
                "fillOpacity": 0.35,
            },
            tooltip=folium.GeoJsonTooltip(fields=["label", "area"], aliases=["", "平方公里"]),
        ).add_to(m)
    data = dangles.to_crs(DISPLAY_CRS).assign(
        label=dangles["kind"].map(plan_labels.PLAN_IMPORT_DANGLE_KINDS).fillna(dangles["kind"])
    )
    for kind, colour in KIND_COLOURS.items():
        part = data[data["kind"] == kind]
        if part.empty:
            continue
        folium.GeoJson(
            part[["label", "length_m", "geometry"]],
            style_function=lambda _f, c=colour: {"color": c, "weight": 6, "opacity": 0.9},
            tooltip=folium.GeoJsonTooltip(
                fields=["label", "length_m"], aliases=["类型", "长度（米）"]
            ),
        ).add_to(m)
    add_legend(
        m,
        plan_labels.PLAN_IMPORT_DANGLES,
        [(c, plan_labels.PLAN_IMPORT_DANGLE_KINDS[k]) for k, c in KIND_COLOURS.items()]
        + [(UNENCLOSED_COLOUR, plan_labels.PLAN_IMPORT_UNENCLOSED)],
    )
    return m


def _street_lines(streets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    lines = streets[streets.geom_type.isin(["LineString", "MultiLineString"])]
    return lines if len(lines) else streets


def _import(inputs: dict[str, Any], *, confirm: bool) -> Any:
    """The service call; a result that needs the planner's word comes back as the exception."""

    def call(*, session):
        return plans.import_streets_into_draft(
            None,
            inputs["streets"],
            inputs["boundary"],
            inputs["snap_m"],
            session=session,
            created_by=str(acting_person().get("name") or "规划员"),
            propose=inputs["mode"] == "propose",
            min_households=inputs["low"],
            max_households=inputs["high"],
            highways=inputs["highways"],
            confirm=confirm,
        )

    def run() -> Any:
        try:
            return with_session(call)()
        except plans.ImportNeedsConfirmation as ask:
            return ask

    with st.status(plan_labels.PLAN_IMPORT_PROGRESS, expanded=False) as status:
        out = run_service(run)
        status.update(state="complete" if out is not None else "error")
    if isinstance(out, plans.ImportNeedsConfirmation):
        st.session_state[ASK] = (inputs, out)
        st.session_state.pop(DONE, None)
    elif out is not None:
        st.session_state.pop(ASK, None)
        st.session_state[DONE] = (out, inputs["streets"])
        st.cache_data.clear()


st.title(plan_labels.PAGE_PLAN_IMPORT)
with st.form("plan_import"):
    streets_file = st.file_uploader(
        plan_labels.PLAN_IMPORT_STREETS,
        type=["geojson", "json", "gpkg", "zip"],
        help=plan_labels.PLAN_IMPORT_HELP,
        max_upload_size=20,
    )
    boundary_file = st.file_uploader(
        plan_labels.PLAN_IMPORT_BOUNDARY,
        type=["geojson", "json", "gpkg", "zip"],
        max_upload_size=20,
    )
    c1, c2, c3 = st.columns(3)
    gcj02 = c1.checkbox(plan_labels.PLAN_IMPORT_GCJ02, value=False)
    snap_m = c2.number_input(
        plan_labels.PLAN_IMPORT_SNAP, min_value=0.0, max_value=50.0, value=2.0, step=0.5
    )
    mode = c3.radio(
        plan_labels.PLAN_IMPORT_MODE,
        list(plan_labels.PLAN_IMPORT_MODES),
        format_func=lambda k: plan_labels.PLAN_IMPORT_MODES[k],
    )
    low, high = st.slider(plan_labels.PLAN_IMPORT_RANGE, 50, 2000, (300, 500), step=10)
    highways = st.multiselect(
        plan_labels.PLAN_IMPORT_HIGHWAYS,
        list(HIGHWAY_LABELS),
        default=[h for h in HIGHWAY_LABELS if h in DEFAULT_HIGHWAYS],
        format_func=lambda h: HIGHWAY_LABELS[h],  # Chinese only; the OSM tags are in the help
        help=plan_labels.PLAN_IMPORT_HIGHWAYS_HELP,
    )
    submitted = st.form_submit_button(plan_labels.PLAN_IMPORT_RUN, type="primary")

if submitted:
    st.session_state.pop(ASK, None)
    st.session_state.pop(DONE, None)
    if streets_file is None:
        st.error("请先选择街巷文件")
    else:

        def read() -> dict[str, Any]:
            streets = _read(streets_file, what="街巷", expected=("line", "polygon"), gcj02=gcj02)
            boundary = None
            if boundary_file is not None:
                boundary = _read(boundary_file, what="边界", expected="polygon", gcj02=gcj02)
            return {
                "streets": streets,
                "boundary": boundary,
                "snap_m": float(snap_m),
                "mode": mode,
                "low": int(low),
                "high": int(high),
                "highways": list(highways),
            }

        inputs = run_service(read)
        if inputs is not None:
            _import(inputs, confirm=False)

ask = st.session_state.get(ASK)
if ask is not None:
    inputs, question = ask
    st.subheader(plan_labels.PLAN_IMPORT_CONFIRM_TITLE)
    st.warning(str(question), icon="⚠️")
    go, back = st.columns([1, 1])
    if go.button(plan_labels.PLAN_IMPORT_CONFIRM, type="primary"):
        _import(inputs, confirm=True)
        st.rerun()
    elif back.button(plan_labels.PLAN_IMPORT_BACK):
        st.session_state.pop(ASK, None)
        st.rerun()
    else:
        used = question.selection.lines if question.selection is not None else inputs["streets"]
        st.caption(question.selection.summary() if question.selection is not None else "")
        st_folium(
            _dangles_map(_street_lines(used), question.dangles),
            height=520,
            use_container_width=True,
            returned_objects=[],
            key="plan_import_ask_map",
        )

done = st.session_state.get(DONE)
if done is not None:
    result, streets = done
    if result.selection is not None:
        streets = result.selection.lines  # what the blocks were built from
    kinds = result.dangles["kind"].value_counts()
    st.success(
        plan_labels.PLAN_IMPORT_DONE.format(
            version=result.plan.version_no,
            blocks=labels.fmt_int(result.blocks),
            cells=labels.fmt_int(result.cells),
            dangles=labels.fmt_int(int(kinds.get("dangle", 0))),
        ),
        icon="✅",
    )
    if st.button(plan_labels.PLAN_IMPORT_OPEN, type="primary"):
        st.session_state["planner_open"] = result.plan.id
        st.switch_page("app_pages/planner.py")
    if result.selection is not None:
        st.caption(result.selection.summary())
    share = result.enclosed_share
    if share is not None and share < plans.ENCLOSED_SHARE_TO_WARN and result.unenclosed is not None:
        rest_km2 = float(result.unenclosed["area_m2"].sum())
        st.warning(
            plan_labels.PLAN_IMPORT_ENCLOSED.format(
                share=labels.fmt_pct(share),
                rest=labels.fmt_pct(1 - share),
                area=f"{rest_km2 / 1e6:,.2f}",
            ),
            icon="⚠️",
        )
    if len(result.proposal_problems):
        st.subheader(plan_labels.PLAN_IMPORT_PROPOSAL_PROBLEMS)
        st.dataframe(
            result.proposal_problems[["message"]].rename(columns={"message": "说明"}),
            hide_index=True,
        )
    st.subheader(plan_labels.PLAN_IMPORT_DANGLES)
    unenclosed = result.unenclosed if share is not None and share < 0.999 else None
    if len(result.dangles) or unenclosed is not None:
        table = pd.DataFrame(
            {
                "类型": result.dangles["kind"].map(plan_labels.PLAN_IMPORT_DANGLE_KINDS),
                "长度（米）": result.dangles["length_m"].round(1),
            }
        )
        left, right = st.columns([3, 1])
        with left:
            st_folium(
                _dangles_map(_street_lines(streets), result.dangles, unenclosed),
                height=520,
                use_container_width=True,
                returned_objects=[],
                key="plan_import_map",
            )
        right.dataframe(table, hide_index=True, height=520)
    else:
        st.info("没有断头线：所有街巷都与其他街巷或边界相接。")
