"""The figures of a monthly report from a table of cases, and its paragraph in the office's own
reporting style; pure pandas, on the rates and helpers of :mod:`services.stats.rates`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

from services.stats.rates import (
    Rate,
    _between,
    _done,
    _period,
    _require,
    _times,
    compute_rates,
    format_percent,
)

__all__ = ["monthly_report_paragraph", "report_stats"]


def _period_label(lo: pd.Timestamp, hi: pd.Timestamp) -> str:
    if lo == lo.normalize() and lo.day == 1 and hi == lo + pd.DateOffset(months=1):
        return f"{lo.year}年{lo.month}月"
    last = hi - pd.Timedelta(1, "ns")
    return f"{lo.year}年{lo.month}月{lo.day}日至{last.year}年{last.month}月{last.day}日"


def report_stats(
    cases: pd.DataFrame,
    *,
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime,
    **extra: Any,
) -> dict[str, Any]:
    """The figures of a monthly report, ready for :func:`monthly_report_paragraph`.

    Derived from the cases: ``period_label``; ``cases_received`` (开展便民事项: received in the
    period); ``handled_directly`` (直接办理: 即办件 received in the period and closed);
    ``disputes`` and ``disputes_resolved`` (矛盾纠纷 received / of them closed); ``rates``
    (:func:`compute_rates`). Figures the case table does not hold are passed through ``extra``:
    ``unit`` (e.g. 老城街道便民服务中心), ``visitors`` (接待群众人次),
    ``petitions_received`` / ``petitions_closed`` (上访件).
    """
    _require(cases, ["received_at", "kind", "category", "due_at", "closed_at"])
    lo, hi = _period(start, end)
    received = _between(_times(cases, "received_at"), lo, hi, "received_at")
    received = received.fillna(False).astype(bool)
    done = _done(cases, _times(cases, "closed_at"), hi)
    dispute = received & (cases["category"] == "dispute")
    stats: dict[str, Any] = {
        "period_label": _period_label(lo, hi),
        "cases_received": int(received.sum()),
        "handled_directly": int((received & (cases["kind"] == "immediate") & done).sum()),
        "disputes": int(dispute.sum()),
        "disputes_resolved": int((dispute & done).sum()),
        "rates": compute_rates(cases, start=lo, end=hi),
    }
    stats.update(extra)
    return stats


def _num(value: object) -> str:
    return f"{int(value):,}"  # type: ignore[call-overload]


def _rate_parts(rate: Rate | Mapping[str, Any]) -> tuple[int, int, float | None]:
    if isinstance(rate, Rate):
        return rate.numerator, rate.denominator, rate.value
    num, den = int(rate["numerator"]), int(rate["denominator"])
    return num, den, (num / den if den else None)


def monthly_report_paragraph(stats: Mapping[str, Any]) -> str:
    """One paragraph in the office's own reporting style.

    Parts whose figures are absent (or None) are left out; counts get thousands separators and
    percentages one decimal.

    Parameters
    ----------
    stats : mapping
        As returned by :func:`report_stats`; ``rates`` may hold :class:`Rate` objects or dicts
        with ``numerator`` and ``denominator``.

    Examples
    --------
    >>> stats = {"period_label": "2026年11月", "cases_received": 1873, "handled_directly": 2279,
    ...     "visitors": 4537, "rates": {
    ...         "completion_rate": Rate(911, 972, "办结率", "办结", "应办结"),
    ...         "satisfaction_rate": Rate(499, 500, "满意率", "满意", "已评价")}}
    >>> print(monthly_report_paragraph(stats))
    2026年11月，开展便民事项1,873件，直接办理2,279件，接待群众4,537人次。应办结972件，办结911件，办结率为93.7%。服务对象评议满意率为99.8%（已评价500件）。
    """

    def has(key: str) -> bool:
        return stats.get(key) is not None

    opening = f"{stats['period_label']}，" if has("period_label") else ""
    if has("unit"):
        opening += str(stats["unit"])
    parts = []
    if has("cases_received"):
        parts.append(f"开展便民事项{_num(stats['cases_received'])}件")
    if has("handled_directly"):
        parts.append(f"直接办理{_num(stats['handled_directly'])}件")
    if has("visitors"):
        parts.append(f"接待群众{_num(stats['visitors'])}人次")
    if has("petitions_received"):
        text = f"接待群众上访件{_num(stats['petitions_received'])}件"
        if has("petitions_closed"):
            text += f"，办结{_num(stats['petitions_closed'])}件"
        parts.append(text)
    if has("disputes"):
        text = f"矛盾调解纠纷{_num(stats['disputes'])}件"
        if has("disputes_resolved"):
            text += f"，解决{_num(stats['disputes_resolved'])}件"
        parts.append(text)
    sentences = [opening + "，".join(parts) + "。"] if parts else []

    rates: Mapping[str, Any] = stats.get("rates") or {}
    closing = []
    if rates.get("completion_rate") is not None:
        num, den, value = _rate_parts(rates["completion_rate"])
        if value is None:
            closing.append("本期无应办结事项")
        else:
            closing.append(
                f"应办结{_num(den)}件，办结{_num(num)}件，办结率为{format_percent(value)}"
            )
    if rates.get("on_time_rate") is not None:
        num, den, value = _rate_parts(rates["on_time_rate"])
        if value is not None:
            closing.append(f"按期办结{_num(num)}件，按期办结率为{format_percent(value)}")
    if closing:
        sentences.append("，".join(closing) + "。")
    if rates.get("satisfaction_rate") is not None:
        num, den, value = _rate_parts(rates["satisfaction_rate"])
        if value is not None:
            sentences.append(
                f"服务对象评议满意率为{format_percent(value)}（已评价{_num(den)}件）。"
            )
    if rates.get("rework_rate") is not None:
        num, den, value = _rate_parts(rates["rework_rate"])
        if value is not None and num:
            sentences.append(f"经重办后办结{_num(num)}件，返工率为{format_percent(value)}。")
    if not sentences:
        return ""
    if not parts and opening:
        sentences[0] = opening.rstrip("，") + "，" + sentences[0]
    return "".join(sentences)
