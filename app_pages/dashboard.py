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
from app_pages.common import run_service, with_session
from app_pages.labels import dashboard as dashboard_labels
from core import clock
from core.plaintext import plain
from core.vocab import CASE_KINDS, CASE_STATES, CHANNELS, SERVICE_CATEGORIES
from layers.base import COMMUNITY_COLOUR
from layers.heatmap import heat_animation_layer, heat_layer
from layers.hotspots import COLD_COLOUR, HOT_COLOUR, dashboard_map
from services import shared_cache
from services.stats import dashboard, hotspots, workload

MAP_HEIGHT = 600
SELECTED = "dash_cell"


# ------------------------------------------------------------------------------ cached reads
@st.cache_data(ttl=600, show_spinner=False)
def _options():  # type: ignore[no-untyped-def]
    return with_session(dashboard.filter_options)()


@st.cache_data(ttl=600, show_spinner="正在读取网格…")
def _shapes(community_codes: tuple[str, ...]):  # type: ignore[no-untyped-def]
    def read(*, session):  # type: ignore[no-untyped-def]
        shapes = dashboard.cell_shapes(session=session, community_codes=community_codes)
        # the map takes the left three fifths of a wide page
        simple, zoom = dashboard.display_shapes(shapes, width_px=640, height_px=600)
        return simple, zoom

    return with_session(read)()


@st.cache_data(ttl=600, show_spinner=False)
def _community_outlines(community_codes: tuple[str, ...]):  # type: ignore[no-untyped-def]
    return with_session(
        lambda *, session: dashboard.community_outlines(
            session=session, community_codes=community_codes
        )
    )()


@st.cache_resource(ttl=600, show_spinner=False)
def _weights(community_codes: tuple[str, ...]):  # type: ignore[no-untyped-def]
    shapes, _ = _shapes(community_codes)
    return hotspots.queen_weights(shapes)


# Aggregates by filter: shared by every viewer of the same row-security scope (leaders share
# one entry), never across scopes — services.shared_cache says why each is safe.
def _scoped(what: str, key: tuple, compute):  # type: ignore[no-untyped-def]
    return shared_cache.dashboard_aggregate(
        what, key, actor=st.session_state.get("actor"), compute=compute
    )


def _view(f: dashboard.CaseFilter, as_of: dt.datetime):  # type: ignore[no-untyped-def]
    def compute():  # type: ignore[no-untyped-def]
        shapes, zoom = _shapes(f.community_codes)
        return with_session(
            lambda *, session: dashboard.dashboard_view(
                f, session=session, as_of=as_of, shapes=shapes, zoom=zoom
            )
        )()

    return _scoped("dashboard_view", (f, as_of), compute)


@st.cache_data(ttl=60, show_spinner="正在准备动画…")
def _frames(f: dashboard.CaseFilter, zoom: int, lat: float, step: str):  # type: ignore[no-untyped-def]
    return with_session(
        lambda *, session: dashboard.heat_animation(
            f, session=session, zoom=zoom, lat=lat, step=step
        )
    )()


def _trend(f: dashboard.CaseFilter, as_of: dt.date):  # type: ignore[no-untyped-def]
    return _scoped(
        "trend",
        (f, as_of),
        with_session(lambda *, session: dashboard.trend(f, session=session, as_of=as_of)),
    )


def _workload(f: dashboard.CaseFilter, as_of: dt.datetime, week_of: dt.date):  # type: ignore[no-untyped-def]
    return _scoped(
        "workload",
        (f, as_of, week_of),
        with_session(
            lambda *, session: workload.leader_workload(
                session=session,
                start=f.start,
                end=f.end,
                as_of=as_of,
                week_of=week_of,
                community_codes=f.community_codes,
            )
        ),
    )


def _open_cases(cell_code: str, as_of: dt.datetime):  # type: ignore[no-untyped-def]
    return _scoped(
        "cell_open_cases",
        (cell_code, as_of),
        with_session(
            lambda *, session: dashboard.cell_open_cases(
                session=session, cell_code=cell_code, as_of=as_of
            )
        ),
    )


def _street_parts() -> dict[str, str]:
    """Not personal: the street layer's GeoJSON, shared across users (services.shared_cache)."""
    return with_session(lambda *, session: shared_cache.district_streets_geojson(session=session))()


# ------------------------------------------------------------------------------ widgets
def _multiselect(label: str, vocab: dict[str, str], key: str) -> tuple[str, ...]:
    chosen = st.multiselect(
        label,
        list(vocab),
        format_func=vocab.__getitem__,
        key=key,
        placeholder=dashboard_labels.DASH_ALL,
    )
    return tuple(chosen)


def _received_chart(tr: pd.DataFrame, *, as_of: dt.date):  # type: ignore[no-untyped-def]
    """Cases received per month, this year and a year earlier.

    Months with no data a year earlier draw nothing for 上年同期 (not 0); the current month,
    not over yet, is a hollow point labelled as partial, not joined to the line: no plunge.
    """
    import altair as alt

    this = dashboard_labels.DASH_TREND_THIS_YEAR
    last = dashboard_labels.DASH_TREND_LAST_YEAR
    partial_name = dashboard_labels.DASH_TREND_PARTIAL.format(day=as_of.day)
    done = tr[~tr["partial"]]
    rows = [
        {"month": m, "series": this, "n": v}
        for m, v in zip(done["month"], done["received"], strict=True)
    ]
    rows += [
        {"month": m, "series": last, "n": v}
        for m, v in zip(tr["month"], tr["received_last_year"], strict=True)
        if pd.notna(v)
    ]
    data = pd.DataFrame(rows, columns=["month", "series", "n"])
    x = alt.X(
        "month:O", title=None, sort=list(tr["month"]), scale=alt.Scale(domain=list(tr["month"]))
    )
    y = alt.Y("n:Q", title="件")
    colour = alt.Color(
        "series:N", title=None, scale=alt.Scale(domain=[this, last], range=["#b22222", "#7f7f7f"])
    )
    chart = alt.Chart(data).mark_line(point=True).encode(x=x, y=y, color=colour)
    now_rows = tr[tr["partial"]]
    if len(now_rows) and len(done):
        seg = pd.DataFrame(
            {
                "month": [done["month"].iloc[-1], now_rows["month"].iloc[0]],
                "n": [done["received"].iloc[-1], now_rows["received"].iloc[0]],
                "label": ["", partial_name],
            }
        )
        point = (
            alt.Chart(seg.iloc[1:])
            .mark_point(filled=False, size=90, color="#b22222")
            .encode(x=x, y=y, tooltip=[alt.Tooltip("label:N", title="说明")])
        )
        text = (
            alt.Chart(seg.iloc[1:])
            .mark_text(align="right", dx=-6, dy=-10, color="#b22222")
            .encode(x=x, y=y, text="label:N")
        )
        chart = chart + point + text
    return chart.properties(height=300)


def _months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    months, m = [], first.replace(day=1)
    while m <= last:
        months.append(m)
        m = (m + dt.timedelta(days=32)).replace(day=1)
    return months


def _filters(communities: pd.DataFrame, first: dt.date, last: dt.date) -> dashboard.CaseFilter:
    months = _months_between(first, last)
    default_lo, _ = dashboard.default_period(last)
    default_lo = max(default_lo, months[0])
    with st.expander(dashboard_labels.DASH_FILTERS, expanded=True):
        lo, hi = st.select_slider(
            dashboard_labels.DASH_PERIOD,
            options=months,
            value=(default_lo, months[-1]),
            format_func=lambda m: f"{m.year}年{m.month}月",
            key="dash_period",
        )
        c1, c2, c3, c4, c5 = st.columns(5)
        with c1:
            categories = _multiselect(
                dashboard_labels.DASH_CATEGORY, SERVICE_CATEGORIES, "dash_cat"
            )
        with c2:
            kinds = _multiselect(dashboard_labels.DASH_KIND, CASE_KINDS, "dash_kind")
        with c3:
            states = _multiselect(dashboard_labels.DASH_STATE, CASE_STATES, "dash_state")
        with c4:
            channels = _multiselect(dashboard_labels.DASH_CHANNEL, CHANNELS, "dash_channel")
        with c5:
            names = dict(zip(communities["code"], communities["name"], strict=True))
            community_codes = _multiselect(dashboard_labels.DASH_COMMUNITY, names, "dash_community")
    start, end = dashboard.month_period(lo, hi)
    return dashboard.CaseFilter(
        start=start,
        end=end,
        categories=categories,
        kinds=kinds,
        states=states,
        channels=channels,
        community_codes=community_codes,
    )


def _rate_cards(rates) -> None:  # type: ignore[no-untyped-def]
    cols = st.columns(4)
    for col, key in zip(
        cols, ("completion_rate", "on_time_rate", "satisfaction_rate", "rework_rate"), strict=True
    ):
        r = rates[key]
        col.metric(r.label, r.percent())
        col.caption(
            dashboard_labels.DASH_RATE_HELP.format(
                num_label=r.numerator_label,
                num=r.numerator,
                den_label=r.denominator_label,
                den=r.denominator,
            )
        )


def _cell_panel(cells, code: str, as_of: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    row = cells[cells["cell_code"] == code]
    if row.empty:
        return
    r = row.iloc[0]
    st.subheader(dashboard_labels.DASH_CELL_TITLE.format(code=code, community=r["community_name"]))
    if isinstance(r["leader_name"], str):
        st.markdown(
            dashboard_labels.DASH_CELL_LEADER.format(
                name=plain(r["leader_name"]), phone=plain(r["leader_phone"]) or "—"
            )
        )
    else:
        st.markdown(dashboard_labels.DASH_CELL_NO_LEADER)
    c1, c2, c3 = st.columns(3)
    c1.metric(labels.CELL_FIELDS["households"], labels.fmt_int(r["households"]))
    c2.metric(labels.CELL_FIELDS["open_cases"], labels.fmt_int(r["open_cases"]))
    c3.metric(labels.CELL_FIELDS["overdue_cases"], labels.fmt_int(r["overdue_cases"]))
    cases = run_service(lambda: _open_cases(code, as_of))
    if cases is None:
        return
    if cases.empty:
        st.info(dashboard_labels.DASH_CELL_NONE_OPEN)
        return
    view = cases.assign(
        category=cases["category"].map(SERVICE_CATEGORIES).fillna(cases["category"]),
        kind=cases["kind"].map(CASE_KINDS).fillna(cases["kind"]),
        state=cases["state"].map(CASE_STATES).fillna(cases["state"]),
        overdue=cases["overdue"].map({True: "⚠ 超期", False: ""}),
        received_at=pd.to_datetime(cases["received_at"]).dt.strftime("%Y-%m-%d %H:%M"),
        due_at=pd.to_datetime(cases["due_at"]).dt.strftime("%Y-%m-%d %H:%M"),
    )[list(dashboard_labels.DASH_CELL_FIELDS)]
    st.dataframe(
        display.frame(view),
        hide_index=True,
        key="dash_cell_cases",
        column_config={
            k: st.column_config.TextColumn(v) for k, v in dashboard_labels.DASH_CELL_FIELDS.items()
        },
    )


def _cell_at(cells, lat: float, lon: float) -> str | None:  # type: ignore[no-untyped-def]
    import shapely

    hits = cells.sindex.query(shapely.Point(lon, lat), predicate="intersects")
    return str(cells.iloc[hits[0]]["cell_code"]) if len(hits) else None


# ------------------------------------------------------------------------------ page
st.title(dashboard_labels.PAGE_DASHBOARD)
st.caption(dashboard_labels.DASH_CAPTION)
# to the minute: "now" is part of the cache keys, so reruns within a minute reuse the results
now = clock.now().replace(second=0, microsecond=0)
options = run_service(_options)
if options is not None:
    communities_df, first_at, last_at, streets = options
    if first_at is None:
        st.info(dashboard_labels.DASH_NO_CASES)
        st.stop()
    first_day = first_at.astimezone(clock.BEIJING).date()
    last_day = max(last_at.astimezone(clock.BEIJING).date(), min(now.date(), dt.date.max))
    f = _filters(communities_df, first_day, last_day)
    view = run_service(lambda: _view(f, now))
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
        _rate_cards(rates)

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
        weights = run_service(lambda: _weights(f.community_codes))
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
                    frames = run_service(lambda: _frames(f, cm.zoom, lat, step))
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
                    communities=run_service(lambda: _community_outlines(f.community_codes)),
                    streets=run_service(_street_parts) if len(streets) < 5000 else None,
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
                    code = _cell_at(cells, clicked["lat"], clicked["lng"])
                    if code and code != selected:
                        st.session_state[SELECTED] = code
                        st.rerun()
            with right:
                if selected is None:
                    st.info(dashboard_labels.DASH_CLICK_HINT)
                else:
                    _cell_panel(cells, selected, now)

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
            wl = run_service(lambda: _workload(f, now, week_of))
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
            tr = run_service(lambda: _trend(f, now.date()))
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
                st.altair_chart(_received_chart(tr, as_of=now.date()), width="stretch")
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
