"""领导驾驶舱's widgets: the filters, the rate cards, one cell's panel, the received-cases chart."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from app_pages import display, labels
from app_pages.common import run_service
from app_pages.dashboard_parts.reads import open_cases
from app_pages.labels import dashboard as dashboard_labels
from core.plaintext import plain
from core.vocab import CASE_KINDS, CASE_STATES, CHANNELS, SERVICE_CATEGORIES
from services.stats import dashboard


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


def received_chart(tr: pd.DataFrame, *, as_of: dt.date):
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


def filters(communities: pd.DataFrame, first: dt.date, last: dt.date) -> dashboard.CaseFilter:
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


def rate_cards(rates) -> None:
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


def cell_panel(cells, code: str, as_of: dt.datetime) -> None:
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
    cases = run_service(lambda: open_cases(code, as_of))
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


def cell_at(cells, lat: float, lon: float) -> str | None:
    import shapely

    hits = cells.sindex.query(shapely.Point(lon, lat), predicate="intersects")
    return str(cells.iloc[hits[0]]["cell_code"]) if len(hits) else None
