"""The monthly report from a hand-built case table: JSON shape, rates in [0,1], the .xlsx."""

from __future__ import annotations

import datetime as dt
import io
import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from core.clock import BEIJING as TZ
from services import reports

START, END = dt.date(2026, 11, 1), dt.date(2026, 12, 1)


def _t(text: str | None) -> pd.Timestamp:
    return pd.Timestamp(text, tz=TZ) if text else pd.NaT


def _cases() -> pd.DataFrame:
    rows = [
        # case_no, kind, category, channel, state, community, received, due, closed, rework, sat
        (
            "A",
            "immediate",
            "health",
            "window",
            "rated",
            "大北街社区",
            "2026-11-02 09:00",
            "2026-11-02 17:30",
            "2026-11-02 09:10",
            0,
            "satisfied",
        ),
        (
            "B",
            "promised",
            "dispute",
            "station",
            "closed",
            "大北街社区",
            "2026-11-03 10:00",
            "2026-11-10 10:00",
            "2026-11-12 10:00",
            1,
            None,
        ),
        (
            "C",
            "promised",
            "public_facilities",
            "hotline",
            "in_progress",
            "西关社区",
            "2026-11-20 10:00",
            "2026-11-27 10:00",
            None,
            0,
            None,
        ),
        (
            "D",
            "reply",
            "dispute",
            "visit",
            "rated",
            "西关社区",
            "2026-11-24 10:00",
            "2026-11-27 10:00",
            "2026-11-25 10:00",
            0,
            "unsatisfied",
        ),
        (
            "E",
            "joint",
            "health",
            "window",
            "received",
            "西关社区",
            "2026-10-20 10:00",
            "2026-12-03 10:00",
            None,
            0,
            None,
        ),
    ]
    df = pd.DataFrame(
        rows,
        columns=[
            "case_no",
            "kind",
            "category",
            "channel",
            "state",
            "community",
            "received_at",
            "due_at",
            "closed_at",
            "rework_count",
            "satisfaction",
        ],
    )
    for c in ("received_at", "due_at", "closed_at"):
        df[c] = pd.Series([_t(v) for v in df[c]], dtype="datetime64[ns, Asia/Shanghai]")
    df["cell_code"] = ["610902001004001"] * 2 + ["610902001009001"] * 3
    df["called_back"] = df["satisfaction"].notna()
    df["service_item"] = [None, "petition", None, None, None]
    return df


def _report() -> reports.PeriodReport:
    return reports.report_from_cases(_cases(), start=START, end=END, made_on=dt.date(2026, 11, 30))


def test_rates_carry_numerator_and_denominator():
    data = reports.report_json(_report())
    r = data["rates"]
    # due in November: A, B, C, D → closed A, B, D; on time A, D
    assert (r["completion_rate"]["numerator"], r["completion_rate"]["denominator"]) == (3, 4)
    assert r["completion_rate"]["value"] == 0.75
    assert (r["on_time_rate"]["numerator"], r["on_time_rate"]["denominator"]) == (2, 4)
    # rated and closed in November: A (satisfied), D (unsatisfied)
    assert (r["satisfaction_rate"]["numerator"], r["satisfaction_rate"]["denominator"]) == (1, 2)
    assert (r["rework_rate"]["numerator"], r["rework_rate"]["denominator"]) == (1, 3)
    for rate in r.values():
        assert set(rate) >= {"numerator", "denominator", "value"}
    json.dumps(data, ensure_ascii=False)  # JSON-ready


def test_counts_and_figures():
    data = reports.report_json(_report())
    by_kind = {c["key"]: c["count"] for c in data["counts"]["kind"]}
    assert by_kind == {"immediate": 1, "promised": 2, "joint": 0, "reply": 1}
    by_channel = {c["key"]: c["count"] for c in data["counts"]["channel"]}
    assert by_channel["hotline"] == 1 and by_channel["window"] == 1
    by_community = {c["key"]: c["count"] for c in data["counts"]["community"]}
    assert by_community == {"大北街社区": 2, "西关社区": 2}
    assert data["counts"]["period"] == [{"key": "2026-11", "count": 4}]
    f = data["figures"]
    assert f["cases_received"] == 4 and f["handled_directly"] == 1
    assert f["visitors"] == 3  # window, station, visit — not the hotline
    assert f["petitions_received"] == 1 and f["petitions_closed"] == 1
    assert data["period"] == {"from": "2026-11-01", "to": "2026-11-30", "label": "2026年11月"}


def test_paragraph_in_the_articles_style():
    text = _report().paragraph
    assert text.startswith("2026年11月，老城街道便民服务中心开展便民事项4件，直接办理1件")
    assert "接待群众3人次" in text and "办结率为75.0%" in text and "满意率为50.0%" in text


def test_xlsx_has_title_row_with_unit_period_and_date_and_the_rates():
    wb = load_workbook(io.BytesIO(reports.report_xlsx(_report())))
    ws = wb["月报"]
    assert "老城街道便民服务中心" in ws["A1"].value and "2026年11月" in ws["A1"].value
    assert "2026-11-01 至 2026-11-30" in ws["A2"].value and "2026-11-30" in ws["A2"].value
    assert ws["A5"].value.startswith("2026年11月，")
    rows = {r[0]: r for r in ws.iter_rows(values_only=True) if r and r[0]}
    assert rows["办结率"][2:6] == (3, "应办结（时限在本期内）", 4, 0.75)
    assert rows["满意率"][2] == 1 and rows["满意率"][4] == 2
    assert "按网格" in wb.sheetnames


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["received", "in_progress", "handled", "closed", "rated", "reopened"]),
            st.integers(0, 60),  # received: days after 2026-10-15
            st.integers(0, 20),  # due: days after received
            st.one_of(st.none(), st.integers(0, 40)),  # closed: days after received
            st.sampled_from([None, "satisfied", "basically_satisfied", "unsatisfied"]),
            st.integers(0, 2),
        ),
        max_size=30,
    )
)
def test_every_rate_stays_within_zero_and_one(rows):
    base = pd.Timestamp("2026-10-15 09:00", tz=TZ)
    records = []
    for i, (state, rec, due, closed, sat, rework) in enumerate(rows):
        done = state in ("closed", "rated")
        records.append(
            {
                "case_no": f"X{i}",
                "kind": "promised",
                "category": "health",
                "channel": "window",
                "state": state,
                "community": "大北街社区",
                "cell_code": "610902001004001",
                "received_at": base + pd.Timedelta(days=rec),
                "due_at": base + pd.Timedelta(days=rec + due),
                "closed_at": base + pd.Timedelta(days=rec + (closed or 0)) if done else pd.NaT,
                "rework_count": rework,
                "satisfaction": sat if state == "rated" else None,
                "called_back": state == "rated",
                "service_item": None,
            }
        )
    df = pd.DataFrame(
        records,
        columns=[
            "case_no",
            "kind",
            "category",
            "channel",
            "state",
            "community",
            "cell_code",
            "received_at",
            "due_at",
            "closed_at",
            "rework_count",
            "satisfaction",
            "called_back",
            "service_item",
        ],
    )
    for c in ("received_at", "due_at", "closed_at"):
        df[c] = pd.to_datetime(df[c], utc=True).dt.tz_convert(TZ)
    data = reports.report_json(reports.report_from_cases(df, start=START, end=END))
    for rate in data["rates"].values():
        assert 0 <= rate["numerator"] <= rate["denominator"]
        if rate["denominator"]:
            assert 0.0 <= rate["value"] <= 1.0
        else:
            assert rate["value"] is None


@pytest.mark.parametrize("bad", [(END, START), (START, START)])
def test_an_empty_or_reversed_period_is_refused(bad):
    with pytest.raises(ValueError, match="统计区间"):
        reports.report_from_cases(_cases(), start=bad[0], end=bad[1])
