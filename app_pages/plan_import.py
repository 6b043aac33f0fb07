"""导入街巷: upload streets/lanes (and optionally a boundary) → blocks → cells → a new draft.

The dangles (street ends that meet nothing, lines inside a block, lines outside the boundary)
are shown on a map so the planner can fix the street file before trusting the blocks.
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

from app_pages.common import acting_person, run_service, with_session
from gis.crs import DISPLAY_CRS
from gis.io import read_vector
from layers.base import add_legend, base_map, streets_layer
from lianxin import labels
from services import grid_plans as gp
from services.uploads import GIS_LAYERS, check_upload

DONE = "plan_import_done"
KIND_COLOURS = {"dangle": "#d7191c", "cut_edge": "#fdae61", "outside": "#2b83ba"}


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


def _dangles_map(streets: gpd.GeoDataFrame, dangles: gpd.GeoDataFrame) -> folium.Map:
    m = base_map(streets if len(streets) else dangles)
    shown = streets.assign(
        name=streets["name"] if "name" in streets.columns else "",
        kind=streets["kind"] if "kind" in streets.columns else "street",
    )
    streets_layer(shown).add_to(m)
    data = dangles.to_crs(DISPLAY_CRS).assign(
        label=dangles["kind"].map(labels.PLAN_IMPORT_DANGLE_KINDS).fillna(dangles["kind"])
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
        labels.PLAN_IMPORT_DANGLES,
        [(c, labels.PLAN_IMPORT_DANGLE_KINDS[k]) for k, c in KIND_COLOURS.items()],
    )
    return m


st.title(labels.PAGE_PLAN_IMPORT)
with st.form("plan_import"):
    streets_file = st.file_uploader(
        labels.PLAN_IMPORT_STREETS,
        type=["geojson", "json", "gpkg", "zip"],
        help=labels.PLAN_IMPORT_HELP,
        max_upload_size=20,
    )
    boundary_file = st.file_uploader(
        labels.PLAN_IMPORT_BOUNDARY, type=["geojson", "json", "gpkg", "zip"], max_upload_size=20
    )
    c1, c2, c3 = st.columns(3)
    gcj02 = c1.checkbox(labels.PLAN_IMPORT_GCJ02, value=False)
    snap_m = c2.number_input(
        labels.PLAN_IMPORT_SNAP, min_value=0.0, max_value=50.0, value=2.0, step=0.5
    )
    mode = c3.radio(
        labels.PLAN_IMPORT_MODE,
        list(labels.PLAN_IMPORT_MODES),
        format_func=lambda k: labels.PLAN_IMPORT_MODES[k],
    )
    low, high = st.slider(labels.PLAN_IMPORT_RANGE, 50, 2000, (300, 500), step=10)
    submitted = st.form_submit_button(labels.PLAN_IMPORT_RUN, type="primary")

if submitted:
    if streets_file is None:
        st.error("请先选择街巷文件")
    else:

        def run() -> tuple[gp.ImportResult, gpd.GeoDataFrame]:
            streets = _read(streets_file, what="街巷", expected=("line", "polygon"), gcj02=gcj02)
            boundary = None
            if boundary_file is not None:
                boundary = _read(boundary_file, what="边界", expected="polygon", gcj02=gcj02)

            def call(*, session):  # type: ignore[no-untyped-def]
                return gp.import_streets_into_draft(
                    session,
                    None,
                    streets,
                    boundary,
                    float(snap_m),
                    created_by=str(acting_person().get("name") or "规划员"),
                    propose=mode == "propose",
                    min_households=int(low),
                    max_households=int(high),
                )

            return with_session(call)(), streets

        with st.status(labels.PLAN_IMPORT_PROGRESS, expanded=False) as status:
            out = run_service(run)
            status.update(state="complete" if out is not None else "error")
        if out is not None:
            st.session_state[DONE] = out
            st.cache_data.clear()

done = st.session_state.get(DONE)
if done is not None:
    result, streets = done
    kinds = result.dangles["kind"].value_counts()
    st.success(
        labels.PLAN_IMPORT_DONE.format(
            version=result.plan.version_no,
            blocks=labels.fmt_int(result.blocks),
            cells=labels.fmt_int(result.cells),
            dangles=labels.fmt_int(int(kinds.get("dangle", 0))),
        ),
        icon="✅",
    )
    if st.button(labels.PLAN_IMPORT_OPEN, type="primary"):
        st.session_state["planner_open"] = result.plan.id
        st.switch_page("app_pages/planner.py")
    if len(result.proposal_problems):
        st.subheader(labels.PLAN_IMPORT_PROPOSAL_PROBLEMS)
        st.dataframe(
            result.proposal_problems[["message"]].rename(columns={"message": "说明"}),
            hide_index=True,
        )
    st.subheader(labels.PLAN_IMPORT_DANGLES)
    if len(result.dangles):
        table = pd.DataFrame(
            {
                "类型": result.dangles["kind"].map(labels.PLAN_IMPORT_DANGLE_KINDS),
                "长度（米）": result.dangles["length_m"].round(1),
            }
        )
        left, right = st.columns([3, 1])
        with left:
            st_folium(
                _dangles_map(streets, result.dangles),
                height=520,
                use_container_width=True,
                returned_objects=[],
                key="plan_import_map",
            )
        right.dataframe(table, hide_index=True, height=520)
    else:
        st.info("没有断头线：所有街巷都与其他街巷或边界相接。")
