"""The case receipt (受理回执) as a standalone printable page: what 窗口受理 hands over.

Not a page of the app: a helper of ``app_pages/window.py``, kept apart so the printed form can
be tested without running the page. ``r`` is the receipt dict the window page builds
(``case_no``, ``unit``, ``rows``, ``missing``, ``phone``, ``clerk``).
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from app_pages import labels
from app_pages.labels import cases as case_labels
from core import clock


def fmt_prose(moment: dt.datetime | None) -> str:
    """2026年11月30日 09:05 (prose, 24-hour), as the receipt prints times."""
    if moment is None:
        return "—"
    local = moment.astimezone(clock.BEIJING)
    return f"{labels.fmt_date_prose(local)} {local:%H:%M}"


_PRINT_CSS = (
    "body{font-family:'Noto Sans CJK SC','Noto Sans SC',sans-serif;font-size:16px;"
    "max-width:40em;margin:1.5em auto;color:#000}"
    "h2{text-align:center;margin:0 0 .3em}.no{text-align:center;font-size:1.3em;"
    "font-weight:700;letter-spacing:.05em;margin:.2em 0 1em}"
    "table{border-collapse:collapse;width:100%}th,td{border:1px solid #444;padding:.35em .6em;"
    "text-align:left;vertical-align:top}th{width:8em;background:#f2f2f2}"
    ".sign{margin-top:2.5em;display:flex;justify-content:space-between}"
    "@page{size:A5 portrait;margin:12mm}"
    "@media print{body{margin:0;max-width:none}button{display:none}}"
)


def missing_title(missing: list[str]) -> str:
    if not missing:
        return f"{case_labels.CASE_MATERIALS_TITLE}（{case_labels.CASE_MATERIALS_COMPLETE}）"
    return f"{case_labels.CASE_MATERIALS_TITLE}（{case_labels.CASE_MATERIALS_MISSING} {len(missing)} 项）"


def receipt_html(r: dict[str, Any]) -> str:
    """The receipt as a standalone page that prints itself (A5, no app around it)."""
    missing = r.get("missing") or []
    items = (
        "".join(f"<li>{html.escape(m)}</li>" for m in missing)
        if missing
        else f"<li>{case_labels.CASE_MATERIALS_COMPLETE}</li>"
    )
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in r["rows"]
    )
    no = html.escape(r["case_no"])
    query = case_labels.CASE_RECEIPT_QUERY.format(case_no=r["case_no"], phone=r["phone"])
    return (
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<title>{case_labels.CASE_RECEIPT_TITLE} {no}</title><style>{_PRINT_CSS}</style></head>"
        f"<body><h2>{html.escape(r['unit'])} {case_labels.CASE_RECEIPT_TITLE}</h2>"
        f"<p class='no'>{case_labels.CASE_NO}：{no}</p>"
        f"<table>{rows}</table><h3>{missing_title(missing)}</h3><ol>{items}</ol>"
        f"<p>{html.escape(query)}</p>"
        f"<div class='sign'><span>{case_labels.CASE_CLERK}：{html.escape(r['clerk'])}</span>"
        f"<span>{case_labels.CASE_RECEIPT_CITIZEN_SIGN}：＿＿＿＿＿＿</span></div>"
        f"<p><button onclick='window.print()'>{case_labels.CASE_RECEIPT_PRINT}</button></p>"
        "<script>window.addEventListener('load',function(){window.print()})</script>"
        "</body></html>"
    )
