"""Rates and counts as the office reports them, from a table of cases; pure pandas.

Input: a DataFrame with one row per case and the columns ``case_no, kind, category, channel,
community, cell_code, state, received_at, due_at, closed_at, rework_count`` (or
``reopened_count``), ``satisfaction`` (None or a key of ``SATISFACTION``) and ``called_back``
(bool). Only the columns a result needs must be present. The data are taken *as they stand now*:
a case reopened since it was closed is not closed any more.

The definitions (written once, in db/stats/rates.py, where the SQL counts them too) for a
period ``[start, end)`` (end exclusive, e.g. 2026-11-01 to 2026-12-01):

应办结 (due to close)
    cases whose deadline ``due_at`` falls in the period. Every case is due in exactly one period,
    so monthly figures add up to the year's.
办结 (closed)
    of those, the cases now closed or rated whose ``closed_at`` is before ``end`` (a case due on
    the 28th and closed on the 2nd of the next month is not closed in this period's report).
按期办结 (closed on time)
    of the closed ones, those with ``closed_at <= due_at``.
本期办结 (closed in the period)
    cases now closed or rated with ``closed_at`` in the period; the base of the satisfaction,
    callback and rework rates.

=================== ============================ ==========================================
rate                numerator                    denominator
=================== ============================ ==========================================
completion_rate     办结                          应办结
on_time_rate        按期办结                       应办结
satisfaction_rate   满意 + 基本满意                 已评价: closed in the period with a rating,
                                                 whether from the Friday callback or on the
                                                 spot (the article's 现场评议满意率)
rework_rate         经重办后办结 (rework_count>0)    本期办结
callback_rate       已回访 (called_back)            本期办结
=================== ============================ ==========================================

满意率 counts 基本满意 as satisfied by default, as 12345 hotlines and most offices do;
``count_basically_satisfied=False`` counts only 满意 (local practice). Every rate carries its
numerator and denominator with Chinese labels so the UI can show "办结 911 / 应办结 972", and its
value is None when the denominator is 0.

The figures of a monthly report and its paragraph are :mod:`services.stats.monthly_figures`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from core.errors import InvalidInputError
from core.vocab import (
    CASE_KINDS,
    CASE_STATES,
    CHANNELS,
    DONE_STATES,
    SATISFACTION,
    SERVICE_CATEGORIES,
)
from db.stats.rates import RATES, satisfied_keys

__all__ = [
    "Rate",
    "compute_rates",
    "counts_by",
    "format_percent",
    "rates_from_counts",
]

_VOCAB_COLUMNS: dict[str, dict[str, str]] = {
    "kind": CASE_KINDS,
    "category": SERVICE_CATEGORIES,
    "channel": CHANNELS,
    "state": CASE_STATES,
}
_PERIOD_KEYS = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}


@dataclass(frozen=True)
class Rate:
    """A rate with what it was computed from.

    Attributes
    ----------
    numerator, denominator : int
        ``0 <= numerator <= denominator``.
    label : str
        The rate's name, e.g. 办结率.
    numerator_label, denominator_label : str
        What is counted above and below the line, e.g. 办结 / 应办结（时限在本期内）.

    Examples
    --------
    >>> r = Rate(911, 972, "办结率", "办结", "应办结")
    >>> round(r.value, 4), r.percent(), r["denominator_label"]
    (0.9372, '93.7%', '应办结')
    """

    numerator: int
    denominator: int
    label: str
    numerator_label: str
    denominator_label: str

    def __post_init__(self) -> None:
        if not 0 <= self.numerator <= self.denominator:
            raise InvalidInputError(
                f"{self.label}：分子 {self.numerator} 应在 0 与分母 {self.denominator} 之间"
            )

    @property
    def value(self) -> float | None:
        """numerator ÷ denominator in [0, 1], or None when nothing was counted."""
        if self.denominator == 0:
            return None
        return self.numerator / self.denominator

    def percent(self, decimals: int = 1) -> str:
        """The value as a percentage text, e.g. ``93.7%``; ``—`` when there is no value."""
        return format_percent(self.value, decimals=decimals)

    def as_dict(self) -> dict[str, Any]:
        """``{"numerator", "denominator", "value", "label", "numerator_label", …}``."""
        return {**asdict(self), "value": self.value}

    def __getitem__(self, key: str) -> Any:
        return self.as_dict()[key]


def format_percent(value: float | None, *, decimals: int = 1) -> str:
    """``0.93724`` → ``'93.7%'``; None → ``'—'``."""
    if value is None:
        return "—"
    return f"{value * 100:.{decimals}f}%"


# --------------------------------------------------------------------------------- helpers
def _bound(value: dt.date | dt.datetime | pd.Timestamp, name: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name} {value!r} 不是日期") from None


def _require(cases: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in cases.columns]
    if missing:
        raise InvalidInputError(
            f"案件表缺少列：{', '.join(missing)}；现有列：{', '.join(map(str, cases.columns))}"
        )


def _times(cases: pd.DataFrame, column: str) -> pd.Series:
    values = cases[column]
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values):
        return values
    try:
        return pd.to_datetime(values, format="mixed")  # text from a CSV may mix formats
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"案件表 {column} 列含有无法识别的时间：{exc}") from None


def _between(times: pd.Series, start: pd.Timestamp, end: pd.Timestamp, column: str) -> pd.Series:
    try:
        return (times >= start) & (times < end)
    except TypeError:
        raise InvalidInputError(
            f"案件表 {column} 列与统计区间 {start}–{end} 一个带时区一个不带时区，无法比较"
        ) from None


def _period(start: object, end: object) -> tuple[pd.Timestamp, pd.Timestamp]:
    lo, hi = _bound(start, "start"), _bound(end, "end")  # type: ignore[arg-type]
    if not lo < hi:
        raise InvalidInputError(f"统计区间无效：开始 {lo} 应早于结束 {hi}")
    return lo, hi


def _done(cases: pd.DataFrame, closed_at: pd.Series, end: pd.Timestamp) -> pd.Series:
    done = closed_at.notna() & (closed_at < end).fillna(False)
    if "state" in cases.columns:
        done &= cases["state"].isin(DONE_STATES)
    return done.astype(bool)


def _satisfaction_keys(values: pd.Series) -> pd.Series:
    by_label = {label: key for key, label in SATISFACTION.items()}
    return values.map(lambda v: by_label.get(v, v) if isinstance(v, str) else None)


# --------------------------------------------------------------------------------- rates
def compute_rates(
    cases: pd.DataFrame,
    *,
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime,
    count_basically_satisfied: bool = True,
) -> dict[str, Rate]:
    """The office's rates for the period ``[start, end)``.

    See the module docstring for the exact definitions.

    Parameters
    ----------
    cases : DataFrame
        Needs ``due_at`` and ``closed_at``; ``state``, ``satisfaction``,
        ``rework_count``/``reopened_count`` and ``called_back`` are used when present.
    start, end : date or datetime
        The period, end exclusive.
    count_basically_satisfied : bool
        Count 基本满意 as satisfied (default) or not.

    Returns
    -------
    dict of str to Rate
        ``completion_rate``, ``on_time_rate``, ``satisfaction_rate``, ``rework_rate`` and, with a
        ``called_back`` column, ``callback_rate``. A rate whose columns are missing has
        denominator 0 (value None) rather than failing.

    Examples
    --------
    >>> cases = pd.DataFrame({
    ...     "due_at": pd.to_datetime(["2026-11-05", "2026-11-20", "2026-11-25", "2026-12-03"]),
    ...     "closed_at": pd.to_datetime(["2026-11-04", "2026-11-24", None, "2026-11-29"]),
    ...     "state": ["rated", "closed", "in_progress", "closed"]})
    >>> r = compute_rates(cases, start=dt.date(2026, 11, 1), end=dt.date(2026, 12, 1))
    >>> r["completion_rate"].as_dict()["numerator"], r["completion_rate"].denominator
    (2, 3)
    >>> r["on_time_rate"].percent()
    '33.3%'
    """
    _require(cases, ["due_at", "closed_at"])
    lo, hi = _period(start, end)
    due_at = _times(cases, "due_at")
    closed_at = _times(cases, "closed_at")
    # one mask per count of db.stats.rates.COUNTS, each the same condition as its SQL
    due = _between(due_at, lo, hi, "due_at").fillna(False).astype(bool)
    done = _done(cases, closed_at, hi)
    closed_in_period = done & _between(closed_at, lo, hi, "closed_at").fillna(False).astype(bool)
    none = pd.Series(False, index=cases.index)
    if "satisfaction" in cases.columns:
        keys = _satisfaction_keys(cases["satisfaction"])
        rated = closed_in_period & keys.isin(list(SATISFACTION))
        satisfied_count = rated & keys.isin(satisfied_keys(count_basically_satisfied))
    else:
        rated = satisfied_count = none
    rework_col = next((c for c in ("rework_count", "reopened_count") if c in cases.columns), None)
    if rework_col is not None:
        reworked = closed_in_period & (
            pd.to_numeric(cases[rework_col], errors="coerce").fillna(0) > 0
        )
    else:
        reworked = none
    has_callbacks = "called_back" in cases.columns
    called = (
        closed_in_period & cases["called_back"].fillna(False).astype(bool)
        if has_callbacks
        else none
    )
    masks = {
        "due": due,
        "done": due & done,
        "on_time": due & done & (closed_at <= due_at).fillna(False).astype(bool),
        "closed_here": closed_in_period,
        "rated": rated,
        "satisfied_count": satisfied_count,
        "reworked": reworked,
        "called": called,
    }
    counts = {name: int(mask.sum()) for name, mask in masks.items()}
    rates = rates_from_counts(counts, count_basically_satisfied=count_basically_satisfied)
    if not has_callbacks:
        del rates["callback_rate"]
    return rates


def rates_from_counts(
    counts: Mapping[str, int], *, count_basically_satisfied: bool = True
) -> dict[str, Rate]:
    """The rates of :data:`db.stats.rates.RATES` from the :data:`~db.stats.rates.COUNTS`.

    Every path — pandas (:func:`compute_rates`), the SQL over the cases and the month
    summaries — ends here, so a rate's numerator, denominator and labels are written once.
    """
    return {
        d.key: Rate(
            counts[d.numerator],
            counts[d.denominator],
            d.label,
            d.numerator_label_for(count_basically_satisfied=count_basically_satisfied),
            d.denominator_label,
        )
        for d in RATES
    }


# --------------------------------------------------------------------------------- counts
def counts_by(
    cases: pd.DataFrame,
    *,
    by: str | Sequence[str],
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime,
) -> pd.DataFrame:
    """Number of cases *received* in ``[start, end)`` per group.

    Parameters
    ----------
    cases : DataFrame
        Needs ``received_at`` and the grouping columns.
    by : str or list of str
        Columns such as ``kind``, ``category``, ``channel``, ``state``, ``community``,
        ``cell_code``, and the derived periods ``day``, ``week`` (Monday–Sunday), ``month``,
        ``quarter``, ``year`` of ``received_at``.
    start, end : date or datetime
        End exclusive.

    Returns
    -------
    DataFrame
        The ``by`` columns and ``count``. Grouped by one vocabulary column (kind, category,
        channel, state) it lists every key in vocabulary order, zeros included, with a Chinese
        ``label`` column; grouped by one period it lists every period of the range.

    Examples
    --------
    >>> cases = pd.DataFrame({"kind": ["promised", "immediate", "promised"],
    ...     "received_at": pd.to_datetime(["2026-11-02", "2026-11-03", "2026-12-01"])})
    >>> counts_by(cases, by="kind", start=dt.date(2026, 11, 1), end=dt.date(2026, 12, 1))
            kind label  count
    0  immediate   即办件      1
    1   promised   承诺件      1
    2      joint   联办件      0
    3      reply   答复件      0
    """
    keys = [by] if isinstance(by, str) else list(by)
    if not keys:
        raise InvalidInputError("counts_by 需要至少一个分组列（by=…）")
    _require(cases, ["received_at", *[k for k in keys if k not in _PERIOD_KEYS]])
    lo, hi = _period(start, end)
    received = _times(cases, "received_at")
    mask = _between(received, lo, hi, "received_at").fillna(False).astype(bool)
    frame = pd.DataFrame(index=cases.index[mask])
    for key in keys:
        if key in _PERIOD_KEYS:
            frame[key] = received[mask].dt.tz_localize(None).dt.to_period(_PERIOD_KEYS[key])
        else:
            frame[key] = cases.loc[mask, key]
    counts = frame.groupby(keys, dropna=False, observed=True).size().rename("count")

    if len(keys) == 1 and keys[0] in _VOCAB_COLUMNS:
        vocab = _VOCAB_COLUMNS[keys[0]]
        extra = [k for k in counts.index if k not in vocab]  # unknown keys stay visible
        full = counts.reindex(list(vocab) + extra, fill_value=0)
        out = pd.DataFrame(
            {
                keys[0]: full.index,
                "label": [vocab.get(k, str(k)) for k in full.index],
                "count": full.to_numpy(),
            }
        )
        return out.reset_index(drop=True)
    if len(keys) == 1 and keys[0] in _PERIOD_KEYS:
        freq = _PERIOD_KEYS[keys[0]]
        last = (hi - pd.Timedelta(1, "ns")).tz_localize(None)
        periods = pd.period_range(lo.tz_localize(None), last, freq=freq)
        full = counts.reindex(periods, fill_value=0)
        return pd.DataFrame({keys[0]: full.index.astype(str), "count": full.to_numpy()})
    out = counts.reset_index()
    for key in keys:
        if key in _PERIOD_KEYS:
            out[key] = out[key].astype(str)
    return out.sort_values(keys, kind="stable").reset_index(drop=True)
