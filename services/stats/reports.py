"""Period statistics and the monthly report (月报) the office files.

The cases of a period come from SQL (only the columns the rates need, filtered by the period
in PostgreSQL); the rates and counts are computed by the pure :mod:`services.stats.rates`, so the
page, the CLI (``lianxin report``) and the .xlsx show the same numbers.

Figures the case table does not hold directly:

* 接待群众人次 (``visitors``): cases received in person — at the centre's windows, the community
  stations and agents, and on visits — one 人次 per case.
* 上访件 (``petitions_received`` / ``petitions_closed``): cases filed under the centre's 信访
  service item (``service_item = 'petition'``); left out of the paragraph when there are none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from core.clock import BEIJING
from core.errors import InvalidInputError, NotFoundError
from core.vocab import DONE_STATES
from db.stats import reports as report_queries
from services import exports
from services.stats import monthly_figures, rates

__all__ = [
    "COUNT_DIMENSIONS",
    "DEFAULT_UNIT",
    "PeriodReport",
    "build_report",
    "community_code_for",
    "period_cases",
    "report_from_cases",
    "report_json",
    "report_xlsx",
]

DEFAULT_UNIT = "老城街道便民服务中心"
IN_PERSON_CHANNELS = ("window", "station", "agent", "visit")
RATE_ORDER = (
    "completion_rate",
    "on_time_rate",
    "satisfaction_rate",
    "rework_rate",
    "callback_rate",
)
# dimension → (column of the case table, Chinese heading)
COUNT_DIMENSIONS: dict[str, tuple[str, str]] = {
    "kind": ("kind", "办件类型"),
    "category": ("category", "服务类别"),
    "channel": ("channel", "受理渠道"),
    "community": ("community", "社区"),
    "cell": ("cell_code", "网格"),
    "period": ("month", "月份"),
}


def _bound(day: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(day, dt.datetime):
        return day if day.tzinfo else day.replace(tzinfo=BEIJING)
    return dt.datetime.combine(day, dt.time(), tzinfo=BEIJING)


def community_code_for(name: str, *, session: Session) -> tuple[str, str]:
    """(code, name) of a community given its name (大北街社区 or 大北街) or code."""
    wanted = name.strip()
    found = report_queries.community_by_name(session=session, name=wanted)
    if found is None:
        names = report_queries.community_names_in_order(session=session)
        raise NotFoundError(f"找不到社区 {wanted!r}；可选：{'、'.join(names)}")
    return found


def period_cases(
    *,
    session: Session,
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime,
    community_code: str | None = None,
) -> pd.DataFrame:
    """Cases that matter to ``[start, end)``: received, due or closed in it.

    Times are converted to Asia/Shanghai so that months and weeks are the office's own.
    """
    lo, hi = _bound(start), _bound(end)
    if not lo < hi:
        raise InvalidInputError(f"统计区间无效：开始 {lo:%Y-%m-%d} 应早于结束 {hi:%Y-%m-%d}")
    df = report_queries.period_cases(session=session, lo=lo, hi=hi, community_code=community_code)
    for column in ("received_at", "due_at", "closed_at"):
        df[column] = pd.to_datetime(df[column], utc=True).dt.tz_convert(BEIJING)
    df["called_back"] = df["called_back"].fillna(False).astype(bool)
    df["rework_count"] = pd.to_numeric(df["rework_count"]).fillna(0).astype(int)
    return df


@dataclass(frozen=True)
class PeriodReport:
    """Everything one report shows."""

    unit: str
    start: dt.datetime
    end: dt.datetime  # exclusive
    community: str | None
    stats: dict[str, Any]
    rates: dict[str, rates.Rate]
    counts: dict[str, pd.DataFrame]
    paragraph: str
    made_on: dt.date

    @property
    def period_label(self) -> str:
        return str(self.stats["period_label"])


def build_report(
    *,
    session: Session,
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime,
    community: str | None = None,
    unit: str | None = None,
    made_on: dt.date | None = None,
) -> PeriodReport:
    """Rates, counts and the report paragraph for ``[start, end)`` (end exclusive).

    Parameters
    ----------
    community : str, optional
        A community's name or code: its cases only (a station's report).
    unit : str, optional
        The reporting unit for the title; default the service centre (or the community's
        station).
    """
    code, name = community_code_for(community, session=session) if community else (None, None)
    lo, hi = _bound(start), _bound(end)
    df = period_cases(session=session, start=lo, end=hi, community_code=code)
    return report_from_cases(df, start=lo, end=hi, community=name, unit=unit, made_on=made_on)


def report_from_cases(
    df: pd.DataFrame,
    *,
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime,
    community: str | None = None,
    unit: str | None = None,
    made_on: dt.date | None = None,
) -> PeriodReport:
    """The report from a table of cases (as :func:`period_cases` returns); pure pandas."""
    lo, hi = _bound(start), _bound(end)
    received = ((df["received_at"] >= lo) & (df["received_at"] < hi)).fillna(False)
    in_person = received & df["channel"].isin(IN_PERSON_CHANNELS)
    items = df["service_item"] if "service_item" in df.columns else pd.Series(None, index=df.index)
    petitions = received & (items == "petition").fillna(False).astype(bool)
    done = df["state"].isin(DONE_STATES) & (df["closed_at"] < hi).fillna(False)
    extra: dict[str, Any] = {
        "unit": unit or (f"{community}便民服务站" if community else DEFAULT_UNIT),
        "visitors": int(in_person.sum()),
    }
    if int(petitions.sum()):
        extra["petitions_received"] = int(petitions.sum())
        extra["petitions_closed"] = int((petitions & done).sum())
    stats = monthly_figures.report_stats(df, start=lo, end=hi, **extra)
    counts: dict[str, pd.DataFrame] = {}
    for key, (column, _heading) in COUNT_DIMENSIONS.items():
        table = rates.counts_by(df, by=column, start=lo, end=hi)
        if column in ("community", "cell_code"):
            table = table.sort_values(["count", column], ascending=[False, True]).reset_index(
                drop=True
            )
        counts[key] = table
    return PeriodReport(
        unit=str(extra["unit"]),
        start=lo,
        end=hi,
        community=community,
        stats=stats,
        rates=stats["rates"],
        counts=counts,
        paragraph=monthly_figures.monthly_report_paragraph(stats),
        made_on=made_on or dt.datetime.now(BEIJING).date(),
    )


def report_json(report: PeriodReport) -> dict[str, Any]:
    """The report as JSON-ready data: every rate as ``{numerator, denominator, value, …}``."""
    out_rates = {}
    for key in RATE_ORDER:
        rate = report.rates.get(key)
        if rate is None:
            continue
        out_rates[key] = {
            "label": rate.label,
            "numerator": rate.numerator,
            "denominator": rate.denominator,
            "value": None if rate.value is None else round(rate.value, 6),
            "numerator_label": rate.numerator_label,
            "denominator_label": rate.denominator_label,
        }
    counts = {}
    for key, table in report.counts.items():
        column = COUNT_DIMENSIONS[key][0]
        counts[key] = [
            {
                "key": str(r[column]),
                **({"label": str(r["label"])} if "label" in table.columns else {}),
                "count": int(r["count"]),
            }
            for r in table.to_dict("records")
        ]
    figures = {
        k: int(v)
        for k, v in report.stats.items()
        if k not in ("rates", "period_label", "unit") and v is not None
    }
    last = report.end - dt.timedelta(days=1)
    return {
        "unit": report.unit,
        "community": report.community,
        "period": {
            "from": report.start.date().isoformat(),
            "to": last.date().isoformat(),
            "label": report.period_label,
        },
        "made_on": report.made_on.isoformat(),
        "rates": out_rates,
        "figures": figures,
        "counts": counts,
        "paragraph": report.paragraph,
    }


def report_xlsx(report: PeriodReport) -> bytes:
    """The monthly report as the office files it: title row with unit, period and date, the
    paragraph, the rates with numerator and denominator, and the counts."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    # Every cell through services.exports (the paragraph and the labels are free text).
    wb, ws = exports.new_workbook("月报")
    bold = Font(bold=True)
    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="DDE7F0")
    wrap = Alignment(wrap_text=True, vertical="top")

    def header(row: int, values: list[str]) -> None:
        for col, value in enumerate(values, start=1):
            cell = exports.put(ws, row, col, value)
            cell.font = bold
            cell.fill = head_fill
            cell.border = box

    title = f"{report.unit}便民服务工作月报（{report.period_label}）"
    exports.append(ws, [title])
    ws.merge_cells("A1:F1")
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = Alignment(horizontal="center")
    last = report.end - dt.timedelta(days=1)
    exports.append(
        ws,
        [
            f"填报单位：{report.unit}　　统计期间：{report.start:%Y-%m-%d} 至 {last:%Y-%m-%d}"
            f"　　填报日期：{report.made_on:%Y-%m-%d}"
        ],
    )
    ws.merge_cells("A2:F2")
    exports.append(ws, [])
    exports.append(ws, ["一、工作综述"])
    ws["A4"].font = bold
    exports.append(ws, [report.paragraph])
    ws.merge_cells("A5:F5")
    ws["A5"].alignment = wrap
    ws.row_dimensions[5].height = max(60, 18 * (len(report.paragraph) // 40 + 1))
    exports.append(ws, [])
    exports.append(ws, ["二、主要指标"])
    ws.cell(row=ws.max_row, column=1).font = bold
    header(ws.max_row + 1, ["指标", "分子", "分子数", "分母", "分母数", "比率"])
    for key in RATE_ORDER:
        rate = report.rates.get(key)
        if rate is None:
            continue
        exports.append(
            ws,
            [
                rate.label,
                rate.numerator_label,
                rate.numerator,
                rate.denominator_label,
                rate.denominator,
                rate.value,
            ],
        )
        row = ws.max_row
        ws.cell(row=row, column=6).number_format = "0.0%"
        for col in range(1, 7):
            ws.cell(row=row, column=col).border = box
    exports.append(ws, [])
    exports.append(ws, ["三、分类统计（本期受理，件）"])
    ws.cell(row=ws.max_row, column=1).font = bold
    for key in ("kind", "channel", "category", "community"):
        column, heading = COUNT_DIMENSIONS[key]
        table = report.counts[key]
        header(ws.max_row + 1, [heading, "件数"])
        for r in table.to_dict("records"):
            label = r.get("label") or r[column]
            exports.append(ws, [str(label), int(r["count"])])
            for col in (1, 2):
                ws.cell(row=ws.max_row, column=col).border = box
        exports.append(ws, [])
    for letter, width in zip("ABCDEF", (16, 30, 10, 34, 10, 10), strict=True):
        ws.column_dimensions[letter].width = width

    cells = wb.create_sheet("按网格")
    exports.append(cells, [f"{report.unit} 各网格受理件数（{report.period_label}）"])
    exports.append(cells, ["网格编码", "件数"])
    for r in report.counts["cell"].to_dict("records"):
        exports.append(cells, [str(r["cell_code"]), int(r["count"])])
    cells.column_dimensions["A"].width = 20
    periods = wb.create_sheet("按月份")
    exports.append(periods, [f"{report.unit} 各月受理件数"])
    exports.append(periods, ["月份", "件数"])
    for r in report.counts["period"].to_dict("records"):
        exports.append(periods, [str(r["month"]), int(r["count"])])
    return exports.workbook_bytes(wb)
