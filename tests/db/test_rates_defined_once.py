"""The rates are defined once (db/stats/rates.py): every path that counts them agrees.

On the same cases (the demo town) the pandas path (services.stats.rates.compute_rates), the SQL
over the cases (db.stats.rates.rate_counts), the month summaries of migration 0003
(rate_counts_from_summary) and the monthly trend must give the same numerator and denominator
for every rate of RATES, with both ways of counting 基本满意.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import text

from db.stats import cells as cell_queries
from db.stats import rates as rate_queries
from db.stats.rates import COUNTS, RATES
from services.stats import dashboard
from services.stats.rates import compute_rates, rates_from_counts

pytestmark = pytest.mark.db

MONTHS = [(dt.date(2026, m, 1), dt.date(2026, m + 1, 1)) for m in range(6, 11)]


def _cases(session) -> pd.DataFrame:  # noqa: ANN001
    result = session.execute(
        text(
            "SELECT case_no, kind, category, channel, state, community_code, cell_code, "
            "received_at, due_at, closed_at, rework_count, satisfaction, called_back FROM cases"
        )
    )
    rows = result.fetchall()
    return pd.DataFrame({k: [r[i] for r in rows] for i, k in enumerate(result.keys())})


@pytest.fixture
def s(demo_session):
    cell_queries.refresh_summaries(session=demo_session, max_age_s=0)
    return demo_session


def _pairs(rates: dict) -> dict[str, tuple[int, int, str, str, str]]:  # type: ignore[type-arg]
    return {
        k: (r.numerator, r.denominator, r.label, r.numerator_label, r.denominator_label)
        for k, r in rates.items()
    }


@pytest.mark.parametrize("count_basically_satisfied", [True, False])
@pytest.mark.parametrize(("first", "end"), MONTHS)
def test_pandas_sql_and_summaries_give_the_same_rates(s, first, end, count_basically_satisfied):
    start, stop = dashboard.day_start(first), dashboard.day_start(end)
    f = dashboard.CaseFilter(start=start, end=stop)
    cbs = count_basically_satisfied
    pandas = compute_rates(_cases(s), start=start, end=stop, count_basically_satisfied=cbs)
    sql = rates_from_counts(
        rate_queries.rate_counts(
            f, session=s, start=start, end=stop, count_basically_satisfied=cbs
        ),
        count_basically_satisfied=cbs,
    )
    summary = rates_from_counts(
        rate_queries.rate_counts_from_summary(f, session=s, count_basically_satisfied=cbs),
        count_basically_satisfied=cbs,
    )
    assert list(pandas) == [d.key for d in RATES]  # the demo's cases have called_back
    assert _pairs(pandas) == _pairs(sql) == _pairs(summary)
    # a comparison of zeros would prove nothing
    for key in ("completion_rate", "satisfaction_rate", "callback_rate"):
        assert pandas[key].denominator > 0 and pandas[key].numerator > 0, key


@pytest.mark.parametrize("community", [False, True])
def test_the_monthly_trend_counts_each_month_as_the_pandas_path_does(s, community):
    cases = _cases(s)
    codes = tuple(cell_queries.community_names(session=s)["code"]) if community else ()
    f = dashboard.CaseFilter(
        start=dashboard.day_start(MONTHS[0][0]),
        end=dashboard.day_start(MONTHS[-1][1]),
        community_codes=codes,
    )
    trend = rate_queries.monthly_trend(
        f, session=s, first_month=MONTHS[0][0], end_month=MONTHS[-1][1]
    )
    trend = trend.set_index(pd.to_datetime(trend["month"]).dt.date)
    for first, end in MONTHS:
        rates = compute_rates(cases, start=dashboard.day_start(first), end=dashboard.day_start(end))
        row = trend.loc[first]
        for d in RATES:
            if d.numerator not in trend.columns:
                continue  # the trend has no callbacks
            assert (row[d.numerator], row[d.denominator]) == (
                rates[d.key].numerator,
                rates[d.key].denominator,
            ), (first, d.key)


def test_every_rate_is_made_of_defined_counts():
    assert {d.numerator for d in RATES} | {d.denominator for d in RATES} <= set(COUNTS)
    assert len({d.key for d in RATES}) == len(RATES)
