"""Rates on a hand-built table with known answers, counts, the report paragraph, and a property
test over case tables produced by random runs of the state machine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InvalidInputError
from core.vocab import CASE_KINDS, SATISFACTION, SERVICE_CATEGORIES
from services.calendar import WorkCalendar
from services.cases.flow import ACTIONS, CaseSnapshot, transition
from services.stats.monthly_figures import monthly_report_paragraph, report_stats
from services.stats.rates import Rate, compute_rates, counts_by, format_percent

T = dt.datetime
NOV, DEC = dt.date(2026, 11, 1), dt.date(2026, 12, 1)


def bulletin_table() -> pd.DataFrame:
    """November 2026, built so that the published bulletin's figures come out:
    972 due, 911 closed (737 on time, 174 late), 61 not closed — of which 5 were closed only in
    December and 3 were closed but reopened since. Plus 40 cases due in December (20 of them
    already closed in November) and 2 without a deadline. Of the 931 closed in November, 500
    were rated (450 满意, 40 基本满意, 10 不满意), 600 called back, and 31 had been reworked."""
    rows: list[dict[str, Any]] = []

    def add(due: T | None, closed: T | None, state: str, **kw: object) -> None:
        rows.append(
            {
                "case_no": f"LC-{len(rows):05d}",
                "kind": kw.get("kind", "promised"),
                "category": kw.get("category", "health"),
                "channel": "window",
                "community": kw.get("community", "大北社区"),
                "cell_code": "610902001001001",
                "state": state,
                "received_at": T(2026, 11, 2, 9),
                "due_at": due,
                "closed_at": closed,
                "rework_count": kw.get("rework", 0),
                "satisfaction": kw.get("satisfaction"),
                "called_back": kw.get("called_back", False),
            }
        )

    due = T(2026, 11, 20, 9)
    for _ in range(737):
        add(due, T(2026, 11, 19, 9), "closed")
    for _ in range(174):
        add(due, T(2026, 11, 25, 9), "closed")
    for _ in range(53):
        add(due, None, "in_progress")
    for _ in range(5):
        add(due, T(2026, 12, 2, 9), "closed")  # closed after the period
    for _ in range(3):
        add(due, T(2026, 11, 18, 9), "reopened", rework=1)  # closed once, reopened since
    for _ in range(20):
        add(T(2026, 12, 3, 9), T(2026, 11, 28, 9), "closed")  # closed early, due in December
    for _ in range(20):
        add(T(2026, 12, 3, 9), None, "dispatched")
    for _ in range(2):
        add(None, None, "received")
    df = pd.DataFrame(rows)
    closed_in_nov = df.index[
        (df["state"] == "closed") & (df["closed_at"] < T(2026, 12, 1))
    ].to_list()
    assert len(closed_in_nov) == 931
    ratings = ["satisfied"] * 450 + ["basically_satisfied"] * 40 + ["unsatisfied"] * 10
    df.loc[closed_in_nov[:500], "satisfaction"] = ratings
    df.loc[closed_in_nov[:600], "called_back"] = True
    df.loc[closed_in_nov[-31:], "rework_count"] = 2
    return df


@pytest.fixture(scope="module")
def rates() -> dict[str, Rate]:
    return compute_rates(bulletin_table(), start=NOV, end=DEC)


def test_completion_rate_matches_the_bulletin(rates: dict[str, Rate]) -> None:
    r = rates["completion_rate"]
    assert (r.numerator, r.denominator) == (911, 972)
    assert round(r.value * 100, 2) == 93.72  # type: ignore[operator]
    assert r.percent() == "93.7%"
    assert r.label == "办结率" and "应办结" in r.denominator_label


def test_on_time_rate_matches_the_bulletin(rates: dict[str, Rate]) -> None:
    r = rates["on_time_rate"]
    assert (r.numerator, r.denominator) == (737, 972)
    assert round(r.value * 100, 2) == 75.82  # type: ignore[operator]


def test_satisfaction_rate_names_its_denominator(rates: dict[str, Rate]) -> None:
    r = rates["satisfaction_rate"]
    assert (r.numerator, r.denominator) == (490, 500)
    assert r.percent() == "98.0%"
    assert r.denominator_label.startswith("已评价")
    strict = compute_rates(bulletin_table(), start=NOV, end=DEC, count_basically_satisfied=False)
    assert strict["satisfaction_rate"].numerator == 450


def test_rework_and_callback_rates(rates: dict[str, Rate]) -> None:
    assert (rates["rework_rate"].numerator, rates["rework_rate"].denominator) == (31, 931)
    assert (rates["callback_rate"].numerator, rates["callback_rate"].denominator) == (600, 931)


def test_rate_as_dict_has_the_documented_keys(rates: dict[str, Rate]) -> None:
    d = rates["completion_rate"].as_dict()
    assert {"numerator", "denominator", "value", "label", "denominator_label"} <= set(d)
    assert rates["completion_rate"]["value"] == d["value"]


def test_reopened_count_column_and_chinese_satisfaction_labels_are_accepted() -> None:
    df = bulletin_table().rename(columns={"rework_count": "reopened_count"})
    df["satisfaction"] = df["satisfaction"].map(lambda v: SATISFACTION.get(v) if v else None)
    r = compute_rates(df, start=NOV, end=DEC)
    assert r["rework_rate"].numerator == 31
    assert r["satisfaction_rate"].numerator == 490


def test_empty_period_has_no_values_and_no_division_by_zero() -> None:
    r = compute_rates(bulletin_table(), start=dt.date(2025, 1, 1), end=dt.date(2025, 2, 1))
    assert all(rate.denominator == 0 and rate.value is None for rate in r.values())
    assert r["completion_rate"].percent() == "—"
    empty = compute_rates(bulletin_table().iloc[:0], start=NOV, end=DEC)
    assert empty["completion_rate"].value is None


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="缺少列"):
        compute_rates(pd.DataFrame({"due_at": []}), start=NOV, end=DEC)
    with pytest.raises(InvalidInputError, match="统计区间"):
        compute_rates(bulletin_table(), start=DEC, end=NOV)
    aware = bulletin_table()
    aware["due_at"] = pd.to_datetime(aware["due_at"]).dt.tz_localize("Asia/Shanghai")
    with pytest.raises(InvalidInputError, match="时区"):
        compute_rates(aware, start=NOV, end=DEC)
    with pytest.raises(InvalidInputError, match="分子"):
        Rate(5, 4, "办结率", "办结", "应办结")


def test_aware_columns_with_aware_bounds() -> None:
    df = bulletin_table()
    for col in ("due_at", "closed_at", "received_at"):
        df[col] = pd.to_datetime(df[col]).dt.tz_localize("Asia/Shanghai")
    start = pd.Timestamp("2026-11-01", tz="Asia/Shanghai")
    end = pd.Timestamp("2026-12-01", tz="Asia/Shanghai")
    assert compute_rates(df, start=start, end=end)["completion_rate"].numerator == 911
    months = counts_by(df, by="month", start=start, end=end)
    assert months.to_dict("records") == [{"month": "2026-11", "count": len(df)}]


# ------------------------------------------------------------------------- counts
def test_counts_by_kind_lists_every_kind_in_order() -> None:
    df = bulletin_table()
    df.loc[:9, "kind"] = "immediate"
    out = counts_by(df, by="kind", start=NOV, end=DEC)
    assert out["kind"].to_list() == list(CASE_KINDS)
    assert out["label"].to_list() == list(CASE_KINDS.values())
    assert out["count"].to_list() == [10, len(df) - 10, 0, 0]


def test_counts_by_category_keeps_unknown_values_visible() -> None:
    df = bulletin_table()
    df.loc[0, "category"] = "roads"
    out = counts_by(df, by="category", start=NOV, end=DEC)
    assert out["category"].to_list() == [*SERVICE_CATEGORIES, "roads"]
    assert int(out["count"].sum()) == len(df)


def test_counts_by_period_fills_empty_periods() -> None:
    df = pd.DataFrame(
        {"received_at": ["2026-01-15", "2026-03-02", "2026-03-31 23:59"]}  # text, as from a CSV
    )
    out = counts_by(df, by="month", start=dt.date(2026, 1, 1), end=dt.date(2026, 4, 1))
    assert out.to_dict("records") == [
        {"month": "2026-01", "count": 1},
        {"month": "2026-02", "count": 0},
        {"month": "2026-03", "count": 2},
    ]
    weeks = counts_by(df, by="week", start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 16))
    assert weeks["count"].to_list() == [1, 0]  # weeks run Monday–Sunday


def test_counts_by_community_and_several_columns() -> None:
    df = bulletin_table()
    df.loc[:99, "community"] = "新城社区"
    out = counts_by(df, by="community", start=NOV, end=DEC)
    assert dict(zip(out["community"], out["count"], strict=True)) == {
        "大北社区": len(df) - 100,
        "新城社区": 100,
    }
    two = counts_by(df, by=["community", "state"], start=NOV, end=DEC)
    assert int(two["count"].sum()) == len(df)
    assert list(two.columns) == ["community", "state", "count"]
    with pytest.raises(InvalidInputError, match="缺少列"):
        counts_by(df, by="street", start=NOV, end=DEC)


# ------------------------------------------------------------------------- report
def test_monthly_paragraph_in_the_article_style() -> None:
    stats = report_stats(
        bulletin_table(),
        start=NOV,
        end=DEC,
        unit="老城街道便民服务中心",
        visitors=4537,
        petitions_received=107,
        petitions_closed=107,
    )
    text = monthly_report_paragraph(stats)
    assert text.startswith("2026年11月，老城街道便民服务中心开展便民事项1,014件，")
    assert "接待群众4,537人次" in text
    assert "接待群众上访件107件，办结107件" in text
    assert "应办结972件，办结911件，办结率为93.7%" in text
    assert "按期办结737件，按期办结率为75.8%" in text
    assert "满意率为98.0%（已评价500件）" in text
    assert "返工率为3.3%" in text
    assert "None" not in text and "nan" not in text


def test_monthly_paragraph_without_due_cases() -> None:
    stats = report_stats(bulletin_table(), start=dt.date(2025, 1, 1), end=dt.date(2025, 2, 1))
    text = monthly_report_paragraph(stats)
    assert text.startswith("2025年1月，开展便民事项0件")
    assert "本期无应办结事项" in text
    assert "%" not in text


def test_paragraph_accepts_plain_dicts_and_odd_periods() -> None:
    stats = {
        "rates": {
            "completion_rate": {"numerator": 107, "denominator": 107},
            "satisfaction_rate": {"numerator": 998, "denominator": 1000},
        }
    }
    assert monthly_report_paragraph(stats) == (
        "应办结107件，办结107件，办结率为100.0%。服务对象评议满意率为99.8%（已评价1,000件）。"
    )
    week = report_stats(bulletin_table(), start=dt.date(2026, 11, 2), end=dt.date(2026, 11, 9))
    assert week["period_label"] == "2026年11月2日至2026年11月8日"
    assert format_percent(None) == "—"


# ------------------------------------------------------------------------- property test
@st.composite
def case_tables(draw: st.DrawFn) -> pd.DataFrame:
    cal = WorkCalendar(overrides=[])
    rows: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, 25))):
        received = T(2026, 10, 1, 9) + dt.timedelta(hours=draw(st.integers(0, 24 * 80)))
        case = CaseSnapshot(
            case_no=f"LC-{i}",
            kind=draw(st.sampled_from(list(CASE_KINDS))),
            category=draw(st.sampled_from(list(SERVICE_CATEGORIES))),
            received_at=received,
            due_at=received + dt.timedelta(days=draw(st.integers(0, 15))),
        )
        called_back = False
        for j in range(draw(st.integers(0, 15))):
            action = draw(st.sampled_from(list(ACTIONS)))
            details: dict[str, Any] = {}
            if action == "dispatch":
                details["to"] = "网格长"
            elif action == "rate":
                details["satisfaction"] = draw(st.sampled_from(list(SATISFACTION)))
            elif action == "escalate":
                details["department"] = "区民政局"
            try:
                case, _ = transition(
                    case,
                    action,
                    actor="测试员",
                    at=received + dt.timedelta(hours=draw(st.integers(1, 300)) + j),
                    note="核查",
                    calendar=cal,
                    **details,
                )
            except InvalidInputError:
                continue
            called_back |= action == "rate"
        rows.append(
            {
                "case_no": case.case_no,
                "state": case.state,
                "received_at": case.received_at,
                "due_at": case.due_at,
                "closed_at": case.closed_at,
                "rework_count": case.rework_count,
                "satisfaction": case.satisfaction,
                "called_back": called_back,
            }
        )
    columns = ["case_no", "state", "received_at", "due_at", "closed_at", "rework_count",
               "satisfaction", "called_back"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


@settings(max_examples=150, deadline=None)
@given(
    cases=case_tables(),
    start_day=st.integers(0, 90),
    length=st.integers(1, 60),
    basic=st.booleans(),
)
def test_every_rate_stays_between_zero_and_one(
    cases: pd.DataFrame, start_day: int, length: int, basic: bool
) -> None:
    start = dt.date(2026, 9, 15) + dt.timedelta(days=start_day)
    end = start + dt.timedelta(days=length)
    rates = compute_rates(cases, start=start, end=end, count_basically_satisfied=basic)
    assert {"completion_rate", "on_time_rate", "satisfaction_rate", "rework_rate"} <= set(rates)
    for rate in rates.values():
        assert 0 <= rate.numerator <= rate.denominator
        if rate.denominator == 0:
            assert rate.value is None
        else:
            assert rate.value is not None and 0.0 <= rate.value <= 1.0
    assert rates["on_time_rate"].numerator <= rates["completion_rate"].numerator
    assert rates["on_time_rate"].denominator == rates["completion_rate"].denominator
