"""The leader dashboard's SQL against the demo town in a real PostGIS (rolled back per test).

The SQL aggregates must say exactly what the pure pandas definitions (services/stats/rates.py) and a
plain spatial join say; the month summaries must agree with counting the cases directly.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import text

from core.clock import UTC8
from db.stats import cells as cell_queries
from db.stats import rates as rate_queries
from services.stats import dashboard, workload
from services.stats.rates import compute_rates

pytestmark = pytest.mark.db

AS_OF = dt.datetime(2026, 11, 30, 18, 0, tzinfo=UTC8)
PERIODS = [
    (dt.date(2026, 11, 1), dt.date(2026, 11, 30)),  # one month
    (dt.date(2026, 6, 1), dt.date(2026, 11, 30)),  # six months
    (dt.date(2025, 12, 1), dt.date(2026, 11, 30)),  # the demo's year
]


def _filter(first: dt.date, last: dt.date, **kw: tuple[str, ...]) -> dashboard.CaseFilter:
    start, end = dashboard.month_period(first, last)
    return dashboard.CaseFilter(start=start, end=end, **kw)


def _cases(session) -> pd.DataFrame:  # noqa: ANN001
    result = session.execute(
        text(
            "SELECT case_no, kind, category, channel, state, community_code, cell_code, "
            "received_at, due_at, closed_at, rework_count, satisfaction, called_back, "
            "ST_X(geom) AS lon, ST_Y(geom) AS lat FROM cases"
        )
    )
    rows = result.fetchall()
    return pd.DataFrame({k: [r[i] for r in rows] for i, k in enumerate(result.keys())})


@pytest.fixture
def s(demo_session):
    refreshed = cell_queries.refresh_summaries(session=demo_session, max_age_s=0)
    assert refreshed >= 0
    return demo_session


@pytest.mark.parametrize(("first", "last"), PERIODS)
@pytest.mark.parametrize("use_summaries", [True, False])
def test_rate_cards_match_the_pandas_definitions(s, first, last, use_summaries):
    f = _filter(first, last)
    view = dashboard.dashboard_view(f, session=s, as_of=AS_OF, use_summaries=use_summaries)
    expected = compute_rates(_cases(s), start=f.start, end=f.end)
    for key in ("completion_rate", "on_time_rate", "satisfaction_rate", "rework_rate"):
        got, want = view.rates[key], expected[key]
        assert (got.numerator, got.denominator) == (want.numerator, want.denominator), key
        assert got.label == want.label
        assert got.denominator_label == want.denominator_label
    assert view.rates["completion_rate"].denominator > 0


def test_rate_cards_with_a_category_filter_match_pandas(s):
    f = _filter(*PERIODS[2], categories=("dispute",))
    cases = _cases(s)
    expected = compute_rates(cases[cases["category"] == "dispute"], start=f.start, end=f.end)
    got = dashboard.rate_cards(f, session=s)
    summary = dashboard.dashboard_view(f, session=s, as_of=AS_OF).rates
    for key in ("completion_rate", "on_time_rate", "satisfaction_rate", "rework_rate"):
        want = (expected[key].numerator, expected[key].denominator)
        assert (got[key].numerator, got[key].denominator) == want
        assert (summary[key].numerator, summary[key].denominator) == want


@pytest.mark.parametrize("use_summaries", [True, False])
def test_cell_counts_are_the_cases_of_each_cell(s, use_summaries):
    f = _filter(*PERIODS[1])
    cells = dashboard.dashboard_view(
        f, session=s, as_of=AS_OF, use_summaries=use_summaries
    ).cell_map.cells
    cases = _cases(s)
    received = pd.to_datetime(cases["received_at"], utc=True)
    in_period = cases[(received >= f.start) & (received < f.end)]
    want = in_period.groupby("cell_code").size()
    got = cells.set_index("cell_code")["cases"]
    assert got.sum() == want.reindex(got.index).fillna(0).sum()
    assert (got == want.reindex(got.index).fillna(0).astype(int)).all()
    is_open = ~cases["state"].isin(["closed", "rated"])
    open_want = cases[is_open].groupby("cell_code").size().reindex(got.index).fillna(0)
    assert (cells.set_index("cell_code")["open_cases"] == open_want.astype(int)).all()
    overdue = cells["overdue_cases"] <= cells["open_cases"]
    assert overdue.all()
    per100 = cells["cases"] * 100 / cells["households"]
    assert np.allclose(cells["cases_per_100"], per100.round(1))


def test_filters_narrow_the_counts(s):
    base = dashboard.dashboard_view(_filter(*PERIODS[2]), session=s, as_of=AS_OF).cell_map
    community = base.cells["community_code"].iloc[0]
    for f in (
        _filter(*PERIODS[2], kinds=("promised",)),
        _filter(*PERIODS[2], channels=("hotline",)),
        _filter(*PERIODS[2], states=("rated",)),
        _filter(*PERIODS[2], community_codes=(community,)),
    ):
        part = dashboard.dashboard_view(f, session=s, as_of=AS_OF).cell_map
        assert 0 < part.totals["cases"] < base.totals["cases"], f
    only = dashboard.dashboard_view(
        _filter(*PERIODS[2], community_codes=(community,)), session=s, as_of=AS_OF
    ).cell_map.cells
    assert set(only["community_code"]) == {community}


def test_heat_bins_are_the_squares_of_st_squaregrid(s):
    f = _filter(*PERIODS[2])
    ours = dashboard.heat(f, session=s, zoom=15, lat=32.69)
    size = dashboard.bin_size_deg(15, lat=32.69)
    # the same count by joining every point to ST_SquareGrid's squares in PostGIS
    grid = pd.DataFrame(
        s.execute(
            text(
                """
                SELECT ST_X(ST_Centroid(g.geom)) AS lon, ST_Y(ST_Centroid(g.geom)) AS lat,
                       count(*) AS n
                FROM cases c
                JOIN ST_SquareGrid(:s, (SELECT ST_SetSRID(ST_Extent(geom)::geometry, 4490) FROM cases)
                    ) g ON ST_Intersects(g.geom, c.geom)
                     AND c.geom && g.geom
                     -- a point on a shared edge belongs to the square on its upper right
                     AND ST_X(c.geom) >= ST_XMin(g.geom) AND ST_Y(c.geom) >= ST_YMin(g.geom)
                WHERE c.received_at >= :a AND c.received_at < :b
                GROUP BY g.geom
                """
            ),
            {"s": size, "a": f.start, "b": f.end},
        ).fetchall(),
        columns=["lon", "lat", "n"],
    )
    assert ours["n"].sum() == grid["n"].sum()
    key = lambda d: set(zip(d["lon"].round(7), d["lat"].round(7), d["n"], strict=True))  # noqa: E731
    assert key(ours) == key(grid)


def test_trend_from_the_summaries_matches_counting_the_cases(s):
    f = _filter(*PERIODS[2])
    communities = tuple(cell_queries.community_names(session=s)["code"])
    from_summary = rate_queries.monthly_trend(
        f, session=s, first_month=dt.date(2025, 1, 1), end_month=dt.date(2026, 12, 1)
    )
    live = rate_queries.monthly_trend(  # a community filter (all of them) makes it count the cases
        dashboard.CaseFilter(start=f.start, end=f.end, community_codes=communities),
        session=s,
        first_month=dt.date(2025, 1, 1),
        end_month=dt.date(2026, 12, 1),
    )
    cols = [
        "received",
        "due",
        "done",
        "on_time",
        "closed_here",
        "rated",
        "satisfied_count",
        "reworked",
    ]
    a = from_summary.set_index(pd.to_datetime(from_summary["month"]))[cols]
    b = live.set_index(pd.to_datetime(live["month"]))[cols]
    # cases outside every community (no cell) are only in the summary; the demo has none
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    t = dashboard.trend(f, session=s, as_of=AS_OF.date())
    assert list(t["month"])[-1] == "2026-11" and len(t) == 12
    assert t["received"].sum() > 0


def test_summaries_follow_a_new_case(s):
    f = _filter(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    before = dashboard.dashboard_view(f, session=s, as_of=AS_OF)
    cell = before.cell_map.cells.iloc[0]
    point = shapely.Point(cell["inner_lon"], cell["inner_lat"])
    s.execute(
        text(
            "INSERT INTO cases (district_code, case_no, kind, category, channel, state, "
            "description, community_code, cell_code, geom, received_at, due_at, rework_count, "
            "called_back, version) VALUES ('610902', 'T-DASH-1', 'promised', 'dispute', "
            "'window', 'in_progress', '测试', :cc, :cell, ST_GeomFromText(:wkt, 4490), "
            ":rec, :due, 0, false, 1)"
        ),
        {
            "cc": cell["community_code"],
            "cell": cell["cell_code"],
            "wkt": point.wkt,
            "rec": dt.datetime(2026, 11, 20, 9, tzinfo=UTC8),
            "due": dt.datetime(2026, 11, 27, 17, tzinfo=UTC8),
        },
    )
    after = dashboard.dashboard_view(f, session=s, as_of=AS_OF)  # refreshes the dirty summaries
    one = lambda v: v.cell_map.cells.set_index("cell_code").loc[cell["cell_code"]]  # noqa: E731
    assert one(after)["cases"] == one(before)["cases"] + 1
    assert one(after)["open_cases"] == one(before)["open_cases"] + 1
    assert one(after)["overdue_cases"] == one(before)["overdue_cases"] + 1
    assert after.rates["completion_rate"].denominator == (
        before.rates["completion_rate"].denominator + 1
    )


@pytest.mark.parametrize("first", [dt.date(2026, 11, 1), dt.date(2026, 6, 1)])
def test_workload_has_one_row_per_leader_and_summaries_agree(s, first):
    start, end = dashboard.month_period(first, dt.date(2026, 11, 30))
    table = workload.leader_workload(session=s, start=start, end=end, as_of=AS_OF)
    raw = workload.leader_workload(
        session=s, start=start, end=end, as_of=AS_OF, use_summaries=False
    )
    leaders = s.execute(
        text(
            "SELECT count(DISTINCT leader_staff_id) FROM grid_cells g JOIN grid_plans p "
            "ON p.id = g.plan_id AND p.state = 'published'"
        )
    ).scalar()
    assert len(table) == leaders
    assert table["staff_id"].is_unique
    cols = [
        "households",
        "open_cases",
        "closed_cases",
        "rated",
        "satisfied_count",
        "callbacks_done",
    ]
    pd.testing.assert_frame_equal(table[cols], raw[cols])
    households = s.execute(
        text("SELECT count(*) FROM households WHERE status = 'active' AND cell_code IS NOT NULL")
    ).scalar()
    assert table["households"].sum() == households
    assert (table["visits_planned"] >= 1).all()
    assert table["satisfaction_rate"].dropna().between(0, 1).all()


def test_workload_counts_last_visit_week(s):
    table = workload.leader_workload(
        session=s,
        start=dashboard.day_start(dt.date(2026, 11, 1)),
        end=dashboard.day_start(dt.date(2026, 12, 1)),
        as_of=AS_OF,
    )
    week = workload.last_visit_week(AS_OF.date())
    assert week == dt.date(2026, 11, 23)  # on Monday 30 November: the week of Tuesday the 24th
    done = s.execute(
        text(
            "SELECT count(*) FROM visits v WHERE v.visit_date >= :a AND v.visit_date < :b "
            "AND v.staff_id IN (SELECT leader_staff_id FROM grid_cells)"
        ),
        {"a": week, "b": week + dt.timedelta(days=7)},
    ).scalar()
    assert table["visits_done"].sum() == done > 0


def test_simplified_cells_stay_a_coverage(s):
    shapes = dashboard.cell_shapes(session=s)
    simple, zoom = dashboard.display_shapes(shapes)
    assert 12 <= zoom <= 17
    before = shapely.get_num_coordinates(shapes.geometry.to_numpy()).sum()
    after = shapely.get_num_coordinates(simple.geometry.to_numpy()).sum()
    assert after < before
    assert shapely.coverage_is_valid(simple.to_crs(3857).geometry.to_numpy())
    coarse = dashboard.simplify_cells(shapes, tolerance_m=40)
    assert shapely.coverage_is_valid(coarse.to_crs(3857).geometry.to_numpy())


def test_open_cases_of_a_cell_are_listed_most_overdue_first(s):
    cells = dashboard.dashboard_view(_filter(*PERIODS[0]), session=s, as_of=AS_OF).cell_map.cells
    code = cells.sort_values("open_cases").iloc[-1]["cell_code"]
    listed = dashboard.cell_open_cases(session=s, cell_code=code, as_of=AS_OF)
    assert len(listed) == cells.set_index("cell_code").loc[code, "open_cases"]
    assert listed["due_at"].is_monotonic_increasing
    assert set(listed["state"]) <= {
        "received",
        "dispatched",
        "in_progress",
        "returned",
        "escalated",
        "reopened",
        "handled",
    }


def test_a_bad_cell_code_names_what_is_allowed(s):
    from core.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="15 位数字"):
        dashboard.cell_open_cases(session=s, cell_code="61090", as_of=AS_OF)


def test_workload_exports_to_excel_with_a_title_row(s):
    import io

    from openpyxl import load_workbook

    start, end = dashboard.month_period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    table = workload.leader_workload(session=s, start=start, end=end, as_of=AS_OF)
    data = workload.workload_excel(
        table, unit="老城街道", period_label="2026-11-01 至 2026-11-30", as_of=AS_OF.date()
    )
    ws = load_workbook(io.BytesIO(data)).active
    assert "老城街道" in ws["A1"].value and "2026-11-01" in ws["A1"].value
    assert "2026年11月30日" in ws["A2"].value
    headers = [c.value for c in ws[3]]
    assert headers[:4] == ["网格长", "电话", "社区", "网格编码"]
    assert ws.max_row == 3 + len(table)
    rate_col = headers.index("满意率") + 1
    assert ws.cell(row=4, column=rate_col).number_format == "0.0%"


# --- trends: no data a year ago is not 0; the current month is marked partial (area: trends) ---
def test_trend_leaves_last_year_empty_before_the_data_begins_and_marks_the_partial_month(s):
    first, _last = cell_queries.case_time_range(session=s)
    first_month = pd.Timestamp(first).tz_convert("Asia/Shanghai").strftime("%Y-%m")
    f = _filter(dt.date(2025, 12, 1), dt.date(2026, 11, 30))
    t = dashboard.trend(f, session=s, as_of=dt.date(2026, 11, 12))
    assert t["partial"].tolist() == [False] * 11 + [True]
    for month, last_year in zip(t["month"], t["received_last_year"], strict=True):
        year_ago = f"{int(month[:4]) - 1}{month[4:]}"
        if year_ago < first_month:
            assert pd.isna(last_year), month  # nothing to compare with: not a 0
        else:
            assert not pd.isna(last_year), month
    assert t["received_last_year"].isna().any()  # the demo starts less than two years back
    assert pd.isna(t.loc[t["received_last_year"].isna(), "yoy"]).all()
    done = dashboard.trend(f, session=s, as_of=dt.date(2026, 11, 30))
    assert not done["partial"].any()  # the last day: the month is complete
