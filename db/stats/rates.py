"""The office's rates, defined once: :data:`COUNTS` says what is counted, :data:`RATES` which
count is above and which below the line.

For a period ``[start, end)`` (end exclusive):

=============== ==============================================================================
count           cases counted
=============== ==============================================================================
due             应办结: ``due_at`` in the period
done            办结: due, and now closed or rated with ``closed_at`` before ``end``
on_time         按期办结: done, with ``closed_at <= due_at``
closed_here     本期办结: now closed or rated with ``closed_at`` in the period
rated           已评价: closed here with a satisfaction rating
satisfied_count 满意 (+ 基本满意 unless ``count_basically_satisfied=False``): rated and satisfied
reworked        经重办后办结: closed here with ``rework_count > 0``
called          已回访: closed here and ``called_back``
=============== ==============================================================================

Counted from the cases, the FILTER clauses of :func:`rate_counts`, of :func:`monthly_trend`
with a community filter and of ``db.stats.workload.leader_workload`` without the summaries are
built from :data:`COUNTS`. Whole months without a community filter are read from the month
summaries of migration 0003 (per due month and per closing month; their refresh is in 0012):
:func:`rate_counts_from_summary` and :func:`monthly_trend`. ``services.stats.rates`` counts the
same in pandas from a table of cases. Every path builds its rates from :data:`RATES`, and
tests/db/test_rates_defined_once.py keeps them all agreeing on the demo town.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.clock import TZ_NAME, UTC8
from core.vocab import DONE_STATES, SATISFACTION
from db.frames import read_frame
from db.stats.filters import CaseFilter, conditions, jit_off, months

__all__ = [
    "COUNTS",
    "RATES",
    "RateDefinition",
    "monthly_trend",
    "rate_counts",
    "rate_counts_from_summary",
    "satisfied_keys",
    "summary_happy_column",
]

DUE_LABEL = "应办结（时限在本期内）"
CLOSED_IN_PERIOD = "本期办结"

#: count → its condition over one case row of :func:`rate_counts` (``due``, ``done`` and
#: ``closed_in_period`` are that query's per-case flags: due in, done by the end of, closed in
#: the period).
COUNTS: dict[str, str] = {
    "due": "due",
    "done": "due AND done",
    "on_time": "due AND done AND closed_at <= due_at",
    "closed_here": "closed_in_period",
    "rated": "closed_in_period AND satisfaction = ANY(:rated)",
    "satisfied_count": "closed_in_period AND satisfaction = ANY(:good)",
    "reworked": "closed_in_period AND rework_count > 0",
    "called": "closed_in_period AND called_back",
}

#: The counts of the monthly trend (it shows no callback rate).
TREND_COUNTS = ("due", "done", "on_time", "closed_here", "rated", "satisfied_count", "reworked")


@dataclass(frozen=True)
class RateDefinition:
    """One rate: which count of :data:`COUNTS` is its numerator and which its denominator."""

    key: str
    label: str
    numerator: str
    denominator: str
    numerator_label: str
    denominator_label: str
    #: the numerator's label when 基本满意 is not counted as satisfied
    strict_numerator_label: str | None = None

    def numerator_label_for(self, *, count_basically_satisfied: bool) -> str:
        if not count_basically_satisfied and self.strict_numerator_label:
            return self.strict_numerator_label
        return self.numerator_label


#: The rates, in the order the office reports them.
RATES: tuple[RateDefinition, ...] = (
    RateDefinition("completion_rate", "办结率", "done", "due", "办结", DUE_LABEL),
    RateDefinition("on_time_rate", "按期办结率", "on_time", "due", "按期办结", DUE_LABEL),
    RateDefinition(
        "satisfaction_rate",
        "满意率",
        "satisfied_count",
        "rated",
        "满意及基本满意",
        "已评价（本期办结并经回访或现场评议）",
        strict_numerator_label="满意",
    ),
    RateDefinition(
        "rework_rate", "返工率", "reworked", "closed_here", "经重办后办结", CLOSED_IN_PERIOD
    ),
    RateDefinition("callback_rate", "回访率", "called", "closed_here", "已回访", CLOSED_IN_PERIOD),
)


def satisfied_keys(count_basically_satisfied: bool) -> list[str]:
    """The satisfaction keys counted as satisfied (``satisfied_count``)."""
    return ["satisfied", "basically_satisfied"] if count_basically_satisfied else ["satisfied"]


def summary_happy_column(count_basically_satisfied: bool) -> str:
    """The month summaries' column sum that is the ``satisfied_count`` count."""
    return "satisfied + basically" if count_basically_satisfied else "satisfied"


def rate_counts(
    query: CaseFilter,
    *,
    session: Session,
    start: dt.datetime,
    end: dt.datetime,
    count_basically_satisfied: bool = True,
) -> dict[str, int]:
    """The :data:`COUNTS` for ``[start, end)``, counted from the cases.

    The category/kind/channel/community filters apply, the received-in-period and state
    filters do not (a rate has its own period and is about states by definition).
    """
    jit_off(session)
    where, params = conditions(query, period=False, states=False)
    params.update(
        start=start,
        end=end,
        done_states=list(DONE_STATES),
        rated=list(SATISFACTION),
        good=satisfied_keys(count_basically_satisfied),
    )
    counted = ",\n".join(
        f"count(*) FILTER (WHERE {cond}) AS {name}" for name, cond in COUNTS.items()
    )
    row = (
        session.execute(
            text(
                f"""
                SELECT {counted}
                FROM (
                    SELECT due_at, closed_at, satisfaction, rework_count, called_back,
                           (due_at >= :start AND due_at < :end) AS due,
                           (state = ANY(:done_states) AND closed_at < :end) AS done,
                           (state = ANY(:done_states) AND closed_at >= :start
                               AND closed_at < :end) AS closed_in_period
                    FROM cases
                    WHERE ((due_at >= :start AND due_at < :end)
                           OR (closed_at >= :start AND closed_at < :end))
                      AND {where}
                ) c
                """  # noqa: S608 - fixed fragments only
            ),
            params,
        )
        .mappings()
        .one()
    )
    return {k: int(v or 0) for k, v in row.items()}


def rate_counts_from_summary(
    query: CaseFilter, *, session: Session, count_basically_satisfied: bool = True
) -> dict[str, int]:
    """:func:`rate_counts` for a month-aligned period from the summaries (no community filter).

    应办结 = due in the period's months; 办结 = of those, closed in a month before the period's
    end; 按期 = of those, closed by the deadline; the rest by closing month.
    """
    if query.community_codes:
        raise ValueError("the summaries have no community; use rate_counts")
    where, params = conditions(query, period=False, states=False)
    params.update(months(query))
    satisfied_count = summary_happy_column(count_basically_satisfied)
    due = (
        session.execute(
            text(
                f"""
                SELECT coalesce(sum(n), 0) AS due,
                       coalesce(sum(n) FILTER (WHERE closed_month < :hi), 0) AS done,
                       coalesce(sum(n) FILTER (WHERE closed_month < :hi AND on_time), 0)
                           AS on_time
                FROM case_due_summary
                WHERE due_month >= :lo AND due_month < :hi AND {where}
                """  # noqa: S608
            ),
            params,
        )
        .mappings()
        .one()
    )
    closed = (
        session.execute(
            text(
                f"""
                SELECT coalesce(sum(closed_here), 0) AS closed_here,
                       coalesce(sum(rated), 0) AS rated, coalesce(sum({satisfied_count}), 0) AS satisfied_count,
                       coalesce(sum(reworked), 0) AS reworked, coalesce(sum(called), 0) AS called
                FROM case_month_summary
                WHERE month >= :lo AND month < :hi AND {where}
                """  # noqa: S608
            ),
            params,
        )
        .mappings()
        .one()
    )
    return {k: int(v) for k, v in {**due, **closed}.items()}


def monthly_trend(
    query: CaseFilter,
    *,
    session: Session,
    first_month: dt.date,
    end_month: dt.date,
    count_basically_satisfied: bool = True,
) -> pd.DataFrame:
    """Per month in ``[first_month, end_month)``: cases received and the rate counts.

    Columns ``month, received, due, done, on_time, closed_here, rated, satisfied_count, reworked``.
    Each case counts in the month it was received, the month it was due and the month it was
    closed. Without a community filter the answer comes from ``case_month_summary``
    (refreshed by ``db.stats.cells.refresh_summaries``); with one, from the community's cases.
    """
    jit_off(session)
    if not query.community_codes:
        return _monthly_from_summary(
            query,
            session=session,
            first_month=first_month,
            end_month=end_month,
            count_basically_satisfied=count_basically_satisfied,
        )
    where, params = conditions(query, period=False, states=False)
    params.update(
        lo=dt.datetime.combine(first_month, dt.time(), tzinfo=UTC8),
        hi=dt.datetime.combine(end_month, dt.time(), tzinfo=UTC8),
        tz=TZ_NAME,
        done_states=list(DONE_STATES),
        rated=list(SATISFACTION),
        good=satisfied_keys(count_basically_satisfied),
    )
    # Each case is seen from up to three months: received in one, due in one (``due``, with
    # ``done`` = closed before that month's end) and closed in one (``closed_in_period``); the
    # counts are then the FILTER clauses of COUNTS, as in rate_counts.
    counted = ",\n".join(
        f"count(*) FILTER (WHERE {COUNTS[name]})::int AS {name}" for name in TREND_COUNTS
    )
    return read_frame(
        session,
        f"""
        WITH c AS (
            SELECT received_at, due_at, closed_at, satisfaction, rework_count, called_back,
                   state = ANY(:done_states) AS is_done
            FROM cases
            WHERE ((received_at >= :lo AND received_at < :hi)
                   OR (due_at >= :lo AND due_at < :hi)
                   OR (closed_at >= :lo AND closed_at < :hi))
              AND {where}
        ), u AS (
            SELECT date_trunc('month', received_at AT TIME ZONE :tz) AS month,
                   TRUE AS received, FALSE AS due, FALSE AS done, FALSE AS closed_in_period,
                   due_at, closed_at, satisfaction, rework_count, called_back
            FROM c WHERE received_at >= :lo AND received_at < :hi
            UNION ALL
            SELECT date_trunc('month', due_at AT TIME ZONE :tz), FALSE, TRUE,
                   is_done AND closed_at AT TIME ZONE :tz
                       < date_trunc('month', due_at AT TIME ZONE :tz) + interval '1 month',
                   FALSE, due_at, closed_at, satisfaction, rework_count, called_back
            FROM c WHERE due_at >= :lo AND due_at < :hi
            UNION ALL
            SELECT date_trunc('month', closed_at AT TIME ZONE :tz), FALSE, FALSE, FALSE, TRUE,
                   due_at, closed_at, satisfaction, rework_count, called_back
            FROM c WHERE is_done AND closed_at >= :lo AND closed_at < :hi
        )
        SELECT month::date AS month, count(*) FILTER (WHERE received)::int AS received,
               {counted}
        FROM u GROUP BY 1 ORDER BY 1
        """,  # noqa: S608
        params,
    )


def _monthly_from_summary(
    query: CaseFilter,
    *,
    session: Session,
    first_month: dt.date,
    end_month: dt.date,
    count_basically_satisfied: bool,
) -> pd.DataFrame:
    where, params = conditions(query, period=False, states=False)
    params.update(lo=first_month, hi=end_month)
    satisfied_count = summary_happy_column(count_basically_satisfied)
    return read_frame(
        session,
        f"""
        WITH closed AS (
            SELECT month, sum(received) AS received, sum(closed_here) AS closed_here,
                   sum(rated) AS rated, sum({satisfied_count}) AS satisfied_count, sum(reworked) AS reworked
            FROM case_month_summary
            WHERE month >= :lo AND month < :hi AND {where} GROUP BY 1
        ), due AS (
            SELECT due_month AS month, sum(n) AS due,
                   sum(n) FILTER (WHERE closed_month <= due_month) AS done,
                   sum(n) FILTER (WHERE closed_month <= due_month AND on_time) AS on_time
            FROM case_due_summary
            WHERE due_month >= :lo AND due_month < :hi AND {where} GROUP BY 1
        )
        SELECT coalesce(c.month, d.month) AS month,
               coalesce(c.received, 0)::int AS received, coalesce(d.due, 0)::int AS due,
               coalesce(d.done, 0)::int AS done, coalesce(d.on_time, 0)::int AS on_time,
               coalesce(c.closed_here, 0)::int AS closed_here, coalesce(c.rated, 0)::int AS rated,
               coalesce(c.satisfied_count, 0)::int AS satisfied_count, coalesce(c.reworked, 0)::int AS reworked
        FROM closed c FULL JOIN due d ON d.month = c.month
        ORDER BY 1
        """,  # noqa: S608
        params,
    )
