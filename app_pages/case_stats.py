"""统计与月报: 办结率, 按期办结率, 满意率, 返工率 — each with its numerator and denominator —
counts by kind, category, channel, community, cell and month, the report paragraph, and the
monthly .xlsx the office files."""

from __future__ import annotations

import datetime as dt
import json

import streamlit as st

from app_pages import display, labels
from app_pages.common import acting_person, run_service, with_session
from app_pages.labels import cases as case_labels
from services import cases
from services.stats import reports

RATE_CARDS = ("completion_rate", "on_time_rate", "satisfaction_rate", "rework_rate")


@st.cache_data(ttl=600, show_spinner=False)
def _communities():
    return with_session(lambda *, session: cases.community_options(session=session))()


@st.cache_data(ttl=120, show_spinner="正在统计…")
def _report(start: dt.date, end: dt.date, community: str | None):
    return with_session(
        lambda *, session: reports.build_report(
            session=session, start=start, end=end + dt.timedelta(days=1), community=community
        )
    )()


st.title(case_labels.PAGE_CASE_STATS)
me = acting_person()
today = cases.now().date()
first = today.replace(day=1)
communities = run_service(_communities)
if communities is None:
    st.stop()
top = st.columns([2, 2])
period = top[0].date_input(case_labels.STATS_PERIOD, value=(first, today), key="stats_period")
locked = me["community_code"]
names = dict(zip(communities["code"], communities["name"], strict=True))
if locked:
    community = str(locked)
    top[1].markdown(f"**{case_labels.STATS_COMMUNITY}**：{names.get(community, community)}")
else:
    community = top[1].selectbox(
        case_labels.STATS_COMMUNITY,
        [None, *names],
        format_func=lambda c: case_labels.STATS_ALL if c is None else names[c],
        key="stats_community",
    )
if not isinstance(period, tuple) or len(period) != 2:
    st.info("请选择统计期间的开始和结束日期")
    st.stop()
start, end = period
report = run_service(lambda: _report(start, end, community))
if report is None:
    st.stop()

st.markdown(f"#### {case_labels.STATS_RATES}")
cards = st.columns(len(RATE_CARDS))
for col, key in zip(cards, RATE_CARDS, strict=True):
    rate = report.rates[key]
    col.metric(rate.label, labels.fmt_pct(rate.value))
    # UI.md: every rate shows its numerator and denominator nearby
    col.caption(
        f"{rate.numerator_label} {labels.fmt_int(rate.numerator)} / "
        f"{rate.denominator_label} {labels.fmt_int(rate.denominator)}"
    )

st.markdown(f"#### {case_labels.STATS_PARAGRAPH}")
st.write(report.paragraph)

downloads = st.columns(2)
xlsx = reports.report_xlsx(report)
downloads[0].download_button(
    case_labels.STATS_DOWNLOAD_XLSX,
    xlsx,
    file_name=f"月报_{start:%Y%m%d}-{end:%Y%m%d}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    type="primary",
    width="stretch",
)
downloads[1].download_button(
    case_labels.STATS_DOWNLOAD_JSON,
    json.dumps(reports.report_json(report), ensure_ascii=False, indent=2).encode("utf-8"),
    file_name=f"统计_{start:%Y%m%d}-{end:%Y%m%d}.json",
    mime="application/json",
    width="stretch",
)

st.markdown(f"#### {case_labels.STATS_COUNTS}")
tabs = st.tabs(list(case_labels.STATS_DIMENSIONS.values()))
for tab, key in zip(tabs, case_labels.STATS_DIMENSIONS, strict=True):
    column, heading = reports.COUNT_DIMENSIONS[key]
    table = report.counts[key]
    shown = table.assign(name=table["label"] if "label" in table.columns else table[column])[
        ["name", "count"]
    ]
    with tab:
        left, right = st.columns([2, 3])
        left.dataframe(
            display.frame(shown),
            hide_index=True,
            width="stretch",
            column_config={
                "name": st.column_config.TextColumn(heading),
                "count": st.column_config.NumberColumn(case_labels.STATS_COUNT, format="%d"),
            },
        )
        right.bar_chart(
            shown,
            x="name",
            y="count",
            x_label="",
            y_label=case_labels.STATS_COUNT,
            sort=False,
            horizontal=key in ("category", "community", "cell"),
            height=280,
        )
