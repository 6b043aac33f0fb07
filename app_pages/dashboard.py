"""领导驾驶舱: where the problems are, which cells have open issues, who carries the load.

Filters → services (counted in PostGIS) → layers → render. The map returns only clicks
(``last_clicked``), so panning and zooming never rerun the page; a click, or a row picked in
the workload table, selects a cell and shows its open cases and grid leader.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from branca.element import MacroElement
from streamlit_folium import st_folium

from app_pages import display, labels
from app_pages.common import run_service
from app_pages.dashboard_parts import reads
from app_pages.dashboard_parts.panels import (
    cell_at,
    cell_panel,
    filters,
    rate_cards,
    received_chart,
)
from app_pages.labels import dashboard as dashboard_labels
from core import clock
from layers.base import COMMUNITY_COLOUR
from layers.heatmap import heat_animation_layer, heat_layer
from layers.hotspots import COLD_COLOUR, HOT_COLOUR, dashboard_map
from services.stats import hotspots, workload

MAP_HEIGHT = 600
SELECTED = "dash_cell"


# ------------------------------------------------------------------------------ page
st.title(dashboard_labels.PAGE_DASHBOARD)
st.caption(dashboard_labels.DASH_CAPTION)
# to the minute: "now" is part of the cache keys, so reruns within a minute reuse the results
now = clock.now().replace(second=0, microsecond=0)
options = run_service(reads.options)
if options is not None:
    communities_df, first_at, last_at, streets = options
    if first_at is None:
        st.info(dashboard_labels.DASH_NO_CASES)
        st.stop()
    first_day = first_at.astimezone(clock.BEIJING).date()
    last_day = max(last_at.astimezone(clock.BEIJING).date(), min(now.date(), dt.date.max))
    f = filters(communities_df, first_day, last_day)
    view = run_service(lambda: reads.view(f, now))
    if view is not None:
        cm, rates = view.cell_map, view.rates
        cells = cm.cells
        t = cm.totals
        m1, m2, m3, m4 = st.columns(4)
        m1.metric(dashboard_labels.DASH_METRIC_CASES, labels.fmt_int(t["cases"]))
        m2.metric(dashboard_labels.DASH_METRIC_OPEN, labels.fmt_int(t["open_cases"]))
        m3.metric(dashboard_labels.DASH_METRIC_OVERDUE, labels.fmt_int(t["overdue_cases"]))
        m4.metric(
            dashboard_labels.DASH_METRIC_CELLS_OPEN, f"{t['cells_with_open']:,} / {t['cells']:,}"
        )
        rate_cards(rates)

        selected = st.session_state.get(SELECTED)
        if selected not in set(cells["cell_code"]):
            selected = None
        lat = (cm.bounds[1] + cm.bounds[3]) / 2

        tab_map, tab_hot, tab_work, tab_trend = st.tabs(
            [
                dashboard_labels.DASH_TAB_MAP,
                dashboard_labels.DASH_TAB_HOTSPOTS,
                dashboard_labels.DASH_TAB_WORKLOAD,
                dashboard_labels.DASH_TAB_TRENDS,
            ]
        )

        # -------- hotspots first: the map draws them too
        c_hot1, c_hot2 = tab_hot.columns([1, 3])
        hot_value = c_hot1.selectbox(
            dashboard_labels.DASH_VALUE,
            ["cases", "cases_per_100", "open_cases", "overdue_cases"],
            format_func=dashboard_labels.DASH_VALUES.__getitem__,
            key="dash_hot_value",
        )
        weights = run_service(lambda: reads.weights(f.community_codes))
        gi = hotspots.getis_ord_hotspots(cells, value_field=hot_value, weights=weights)
        cells = cells.assign(
            z=gi["z"].round(2),
            p=gi["p"],
            hotspot=gi["hotspot"],
            hotspot_label=gi["hotspot"].map(hotspots.CLASS_LABELS),
            value=cells[hot_value],
        )

        # -------- map
        with tab_map:
            c1, c2, c3 = st.columns([2, 2, 1])
            value_field = c1.selectbox(
                dashboard_labels.DASH_VALUE,
                list(dashboard_labels.DASH_VALUES),
                format_func=dashboard_labels.DASH_VALUES.__getitem__,
                key="dash_value",
            )
            mode = c2.radio(
                dashboard_labels.DASH_LAYER,
                [
                    dashboard_labels.DASH_LAYER_HEAT,
                    dashboard_labels.DASH_LAYER_CELLS,
                    dashboard_labels.DASH_LAYER_ANIM,
                ],
                horizontal=True,
                key="dash_mode",
            )
            step = c3.selectbox(
                dashboard_labels.DASH_ANIM_STEP,
                ["month", "week"],
                format_func=dashboard_labels.DASH_STEP.__getitem__,
                key="dash_step",
                disabled=mode != dashboard_labels.DASH_LAYER_ANIM,
            )
            left, right = st.columns([3, 2])
            with left:
                tooltip = {
                    "cell_code": labels.CELL_FIELDS["cell_code"],
                    "community_name": labels.CELL_FIELDS["community_name"],
                    "leader_name": labels.CELL_FIELDS["leader_name"],
                    value_field: dashboard_labels.DASH_VALUES[value_field],
                    "hotspot_label": dashboard_labels.DASH_HOTSPOT_FIELDS["hotspot_label"],
                }
                heat: MacroElement | None = None
                if mode == dashboard_labels.DASH_LAYER_ANIM:
                    frames = run_service(lambda: reads.frames(f, cm.zoom, lat, step))
                    if frames is not None:
                        heat = heat_animation_layer(frames, step=step)
                elif mode == dashboard_labels.DASH_LAYER_HEAT and len(view.heat):
                    heat = heat_layer(view.heat)
                m = dashboard_map(
                    cells,
                    value_field=value_field,
                    value_label=dashboard_labels.DASH_VALUES[value_field],
                    tooltip_fields=tooltip,
                    heat=heat,
                    communities=run_service(lambda: reads.community_outlines(f.community_codes)),
                    streets=run_service(reads.street_parts) if len(streets) < 5000 else None,
                    selected_code=selected,
                    # with a heat layer the cells are a light tint over it
                    fill_opacity=0.6 if heat is None else 0.18,
                    legend_lines=[
                        (HOT_COLOUR, "solid", dashboard_labels.DASH_LEGEND_HOT),
                        (COLD_COLOUR, "dashed", dashboard_labels.DASH_LEGEND_COLD),
                        (COMMUNITY_COLOUR, "dashed", labels.LEGEND_COMMUNITY),
                    ],
                )
                # Only clicks come back: panning or zooming must not rerun the page (UI.md).
                out = st_folium(
                    m,
                    height=MAP_HEIGHT,
                    use_container_width=True,
                    returned_objects=["last_clicked"],
                    key="dash_map",
                )
                clicked = (out or {}).get("last_clicked")
                if clicked and st.session_state.get("dash_last_click") != clicked:
                    st.session_state["dash_last_click"] = clicked
                    code = cell_at(cells, clicked["lat"], clicked["lng"])
                    if code and code != selected:
                        st.session_state[SELECTED] = code
                        st.rerun()
            with right:
                if selected is None:
                    st.info(dashboard_labels.DASH_CLICK_HINT)
                else:
                    cell_panel(cells, selected, now)

        # -------- hotspots table
        with c_hot2:
            st.caption(dashboard_labels.DASH_HOTSPOT_INTRO)
        sig = cells[cells["hotspot"] != "none"].sort_values("z", ascending=False)
        if sig.empty:
            tab_hot.info(dashboard_labels.DASH_HOTSPOT_NONE)
            # still show where the values lean, clearly marked as not significant
            sig = cells.dropna(subset=["z"]).sort_values("z", ascending=False).head(5)
            if len(sig):
                tab_hot.caption(dashboard_labels.DASH_HOTSPOT_TOP)
        if len(sig):
            tab_hot.dataframe(
                sig[list(dashboard_labels.DASH_HOTSPOT_FIELDS)],
                hide_index=True,
                key="dash_hot_table",
                column_config={
                    "z": st.column_config.NumberColumn("Gi* z 值", format="%.2f"),
                    "p": st.column_config.NumberColumn("p 值", format="%.4f"),
                    **{
                        k: st.column_config.TextColumn(v)
                        for k, v in dashboard_labels.DASH_HOTSPOT_FIELDS.items()
                        if k not in ("z", "p")
                    },
                },
            )

        # -------- workload
        with tab_work:
            week_of = st.date_input(
                dashboard_labels.DASH_WORKLOAD_WEEK,
                value=workload.last_visit_week(now.date()),
                key="dash_week",
                format="YYYY-MM-DD",
            )
            policy = workload.VisitPolicy()
            st.caption(
                dashboard_labels.DASH_WORKLOAD_NOTE.format(
                    weeks=policy.special_visit_cycle_weeks, minimum=policy.min_visits_per_week
                )
            )
            wl = run_service(lambda: reads.leader_workload(f, now, week_of))
            if wl is not None:
                cols = list(workload.COLUMNS)
                event = st.dataframe(
                    display.frame(wl[cols]),
                    hide_index=True,
                    key="dash_workload",
                    on_select="rerun",
                    selection_mode="single-row",
                    column_config={
                        c: (
                            st.column_config.NumberColumn(workload.COLUMNS[c], format="percent")
                            if c in ("visit_completion", "satisfaction_rate")
                            else st.column_config.NumberColumn(workload.COLUMNS[c], format="%d")
                            if pd.api.types.is_numeric_dtype(wl[c])
                            else st.column_config.TextColumn(workload.COLUMNS[c])
                        )
                        for c in cols
                    },
                )
                rows = event.selection.rows if event is not None else []
                if rows:
                    code = str(wl.iloc[rows[0]]["cell_code"])
                    if code != st.session_state.get(SELECTED):
                        st.session_state[SELECTED] = code
                        st.rerun()
                period = f"{f.start:%Y-%m-%d} 至 {(f.end - dt.timedelta(days=1)):%Y-%m-%d}"
                st.download_button(
                    dashboard_labels.DASH_EXPORT,
                    data=workload.workload_excel(
                        wl, unit="老城街道", period_label=period, as_of=now.date()
                    ),
                    file_name=f"网格长工作量_{now:%Y%m%d}.xlsx",
                    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    key="dash_export",
                )

        # -------- trends
        with tab_trend:
            tr = run_service(lambda: reads.trend(f, now.date()))
            if tr is not None and len(tr):
                # The current month is not over: compare the last complete month, so an early
                # date does not show a −80 % 环比 against a full month.
                month_done = (now.date() + dt.timedelta(days=1)).month != now.date().month
                last = tr.iloc[-1] if month_done or len(tr) < 2 else tr.iloc[-2]
                if not month_done:
                    st.caption(
                        f"本月尚未结束：同比、环比按 {last['month']}（最近一个完整月份）计算"
                    )
                k1, k2, k3 = st.columns(3)
                k1.metric(f"{last['month']} 受理（件）", labels.fmt_int(last["received"]))
                k2.metric(
                    dashboard_labels.DASH_TREND_YOY,
                    labels.fmt_pct(None if pd.isna(last["yoy"]) else float(last["yoy"])),
                )
                k3.metric(
                    dashboard_labels.DASH_TREND_MOM,
                    labels.fmt_pct(None if pd.isna(last["mom"]) else float(last["mom"])),
                )
                st.markdown(f"**{dashboard_labels.DASH_TREND_RECEIVED}**")
                st.altair_chart(received_chart(tr, as_of=now.date()), width="stretch")
                st.markdown(f"**{dashboard_labels.DASH_TREND_RATES}**（%）")
                rate_names = {
                    "completion_rate": "办结率",
                    "on_time_rate": "按期办结率",
                    "satisfaction_rate": "满意率",
                    "rework_rate": "返工率",
                }
                st.line_chart(
                    (tr.set_index("month")[list(rate_names)] * 100).rename(columns=rate_names)
                )
                st.dataframe(
                    display.frame(tr).assign(
                        **{c: (tr[c] * 100).round(1) for c in [*rate_names, "yoy", "mom"]}
                    ),
                    hide_index=True,
                    key="dash_trend_table",
                    column_config={
                        "month": st.column_config.TextColumn("月份"),
                        "received": st.column_config.NumberColumn("受理（件）", format="%d"),
                        "received_last_year": st.column_config.NumberColumn(
                            dashboard_labels.DASH_TREND_LAST_YEAR + "（件）", format="%d"
                        ),
                        "yoy": st.column_config.NumberColumn("同比（%）", format="%.1f"),
                        "mom": st.column_config.NumberColumn("环比（%）", format="%.1f"),
                        "partial": st.column_config.TextColumn(
                            dashboard_labels.DASH_TREND_PARTIAL_COL
                        ),
                        **{
                            c: st.column_config.NumberColumn(f"{n}（%）", format="%.1f")
                            for c, n in rate_names.items()
                        },
                    },
                )
