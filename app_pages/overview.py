"""总览: the demo town on a map — cells coloured by households — with a table beside it."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from app_pages import display, labels
from app_pages.common import run_service, with_session
from layers.base import (
    COMMUNITY_COLOUR,
    LANE_COLOUR,
    STREET_COLOUR,
    add_legend,
    base_map,
    communities_layer,
    streets_layer,
)
from layers.cells import cells_layer, legend_entries
from services.overview import load_overview


@st.cache_data(ttl=60, show_spinner="正在读取网格数据…")
def _overview():
    return with_session(load_overview)()


st.title(labels.PAGE_OVERVIEW)
data = run_service(_overview)
if data is not None:
    st.caption(f"已发布方案：{data.plan_name} · {labels.DEMO_BADGE}")
    t = data.totals
    cols = st.columns(5)
    cols[0].metric(labels.METRIC_COMMUNITIES, labels.fmt_int(t["communities"]))
    cols[1].metric(labels.METRIC_CELLS, labels.fmt_int(t["cells"]))
    cols[2].metric(labels.METRIC_HOUSEHOLDS, labels.fmt_int(t["households"]))
    cols[3].metric(labels.METRIC_OPEN_CASES, labels.fmt_int(t["open_cases"]))
    cols[4].metric(labels.METRIC_OVERDUE, labels.fmt_int(t["overdue_cases"]))

    left, right = st.columns([3, 2])
    with left:
        m = base_map(data.communities)
        streets_layer(data.streets).add_to(m)
        tooltip = {
            k: labels.CELL_FIELDS[k]
            for k in ("cell_code", "community_name", "leader_name", "households", "open_cases")
        }
        group, breaks = cells_layer(data.cells, value_field="households", tooltip_fields=tooltip)
        group.add_to(m)
        communities_layer(data.communities).add_to(m)
        add_legend(
            m,
            labels.LEGEND_HOUSEHOLDS,
            legend_entries(breaks, unit="户"),
            lines=[
                (COMMUNITY_COLOUR, "dashed", labels.LEGEND_COMMUNITY),
                (STREET_COLOUR, "solid", labels.LEGEND_STREET),
                (LANE_COLOUR, "solid", labels.LEGEND_LANE),
            ],
        )
        # returned_objects=[]: panning or zooming must not rerun the page (UI.md).
        st_folium(m, height=620, use_container_width=True, returned_objects=[], key="overview_map")
    with right:
        table = data.cells.drop(columns="geometry")[
            [
                "cell_code",
                "community_name",
                "leader_name",
                "households",
                "special_households",
                "open_cases",
                "overdue_cases",
            ]
        ]
        st.dataframe(
            display.frame(table),
            hide_index=True,
            height=620,
            column_config={
                k: st.column_config.NumberColumn(v, format="%d")
                if k in ("households", "special_households", "open_cases", "overdue_cases")
                else st.column_config.TextColumn(v)
                for k, v in labels.CELL_FIELDS.items()
                if k in table.columns
            },
        )
