"""How values look on screen: one place for every table and page (UI.md, Numbers, dates, text).

Services return what the database holds — enum keys (``satisfied``), timezone-aware
timestamps (``2026-10-20 09:00:00+08:00``), ``None`` — and a page that hands them to
``st.dataframe`` or an f-string shows them raw. Pages pass their frames through :func:`frame`
and their single values through :func:`value` / :func:`moment` instead:

>>> import datetime as dt
>>> moment(dt.datetime(2026, 10, 20, 1, 0, tzinfo=dt.timezone.utc))
'2026-10-20 09:00'
>>> moment(dt.datetime(2026, 10, 20, 1, 0, tzinfo=dt.timezone.utc), style="prose")
'2026年10月20日 09:00'
>>> moment(dt.datetime(2026, 10, 20, 1, 0, tzinfo=dt.timezone.utc), style="dense")
'10-20 09:00'
>>> value("satisfied", column="satisfaction"), value(None), value(True)
('满意', '—', '是')
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, Literal

import pandas as pd

from core import clock, vocab

TZ = clock.TZ_NAME  # Beijing time, defined once (core.clock)
EMPTY = "—"
Style = Literal["table", "dense", "prose", "date"]

# Column name → the vocabulary its values come from. A column of another name whose values
# are all keys of one vocabulary is translated too (see _guess_vocabulary).
COLUMN_VOCABULARIES: dict[str, Mapping[str, str]] = {
    "satisfaction": vocab.SATISFACTION,
    "state": vocab.CASE_STATES,
    "case_state": vocab.CASE_STATES,
    "from_state": vocab.CASE_STATES,
    "to_state": vocab.CASE_STATES,
    "kind": vocab.CASE_KINDS,
    "case_kind": vocab.CASE_KINDS,
    "category": vocab.SERVICE_CATEGORIES,
    "service_category": vocab.SERVICE_CATEGORIES,
    "channel": vocab.CHANNELS,
    "escalation_level": vocab.ESCALATION_LEVELS,
    "level": vocab.ESCALATION_LEVELS,
    "role": vocab.STAFF_ROLES,
    "staff_role": vocab.STAFF_ROLES,
    "match_type": vocab.GEOCODE_MATCH_TYPES,
    "plan_state": vocab.PLAN_STATES,
    "special_group": vocab.SPECIAL_GROUPS,
    "special_groups": vocab.SPECIAL_GROUPS,
    "street_kind": vocab.STREET_KINDS,
}
# Login roles: the staff roles plus the administrator (services.auth.ROLE_NAMES, without
# importing services into lianxin).
ROLE_LABELS: dict[str, str] = {**vocab.STAFF_ROLES, "admin": "管理员"}
COLUMN_VOCABULARIES["role"] = ROLE_LABELS
# Keys of the small dictionaries some rows carry (an audit row's detail): shown in Chinese.
DETAIL_KEYS: dict[str, str] = {
    "role": "角色",
    "change": "变更",
    "community_code": "社区编码",
    "staff_no": "工号",
    "rows": "行数",
    "names": "含姓名",
    "count": "数量",
    "reason": "原因",
    "file": "文件",
    "active": "启用",
    "cell_code": "网格编码",
    "case_no": "事件编号",
    "household_id": "住户编号",
}
CHANGE_LABELS: dict[str, str] = {"add": "新增", "remove": "撤销", "update": "修改"}
COLUMN_VOCABULARIES["change"] = CHANGE_LABELS
ALL_VOCABULARIES: tuple[Mapping[str, str], ...] = (
    vocab.SERVICE_CATEGORIES,
    vocab.CASE_KINDS,
    vocab.CHANNELS,
    vocab.CASE_STATES,
    vocab.ESCALATION_LEVELS,
    vocab.SATISFACTION,
    vocab.SPECIAL_GROUPS,
    vocab.STAFF_ROLES,
    vocab.GEOCODE_MATCH_TYPES,
    vocab.PLAN_STATES,
)

# A timestamp as Python or PostgreSQL print it: 2026-10-20 09:00:00+08:00, 2026-10-20T09:00,
# 2026-10-20 09:00:00.123456.
ISO_MOMENT = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_FORMATS = {
    "table": "%Y-%m-%d %H:%M",
    "dense": "%m-%d %H:%M",
    "prose": "%Y年%m月%d日 %H:%M",
    "date": "%Y-%m-%d",
}


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NaT:
        return True
    try:
        return bool(pd.isna(v)) if not isinstance(v, list | tuple | dict | set) else False
    except (TypeError, ValueError):
        return False


def moment(v: Any, *, style: Style = "table") -> str:
    """A point in time in Beijing time: ``2026-10-20 09:00`` (table), ``10-20 09:00`` (dense),
    ``2026年10月20日 09:00`` (prose), ``2026-10-20`` (date); missing → ``—``.

    A naive value is taken as Beijing time already; a date without a time shows the date only.
    """
    if _is_missing(v):
        return EMPTY
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return date(v, style=style)
    if isinstance(v, str):
        if not ISO_MOMENT.match(v.strip()):
            return v
        v = v.strip()
    stamp = pd.Timestamp(v)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(TZ)
    text = stamp.strftime(_FORMATS[style])
    if style == "prose":  # 2026年10月20日, not 2026年10月05日 → 5日
        text = f"{stamp.year}年{stamp.month}月{stamp.day}日 {stamp:%H:%M}"
    return text


def date(v: Any, *, style: Style = "table") -> str:
    """A day: ``2026-10-20`` in tables, ``10-20`` dense, ``2026年10月20日`` in prose."""
    if _is_missing(v):
        return EMPTY
    if isinstance(v, dt.datetime | pd.Timestamp):
        stamp = pd.Timestamp(v)
        v = (stamp.tz_convert(TZ) if stamp.tzinfo is not None else stamp).date()
    if isinstance(v, str):
        try:
            v = dt.date.fromisoformat(v.strip()[:10])
        except ValueError:
            return v
    if style == "prose":
        return f"{v.year}年{v.month}月{v.day}日"
    return f"{v:%m-%d}" if style == "dense" else f"{v:%Y-%m-%d}"


def value(v: Any, *, column: str | None = None, style: Style = "table") -> str:
    """One value as text for the screen: enum keys in Chinese, times in Beijing time,
    ``True``/``False`` as 是/否, lists joined with 、, missing as ``—``."""
    if isinstance(v, list | tuple | set):
        return "、".join(value(x, column=column, style=style) for x in v) or EMPTY
    if isinstance(v, dict):
        parts = [
            f"{DETAIL_KEYS.get(str(k), str(k))}：{value(x, column=str(k), style=style)}"
            for k, x in v.items()
        ]
        return "；".join(parts) or EMPTY
    if _is_missing(v):
        return EMPTY
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, dt.datetime | pd.Timestamp):
        return moment(v, style=style)
    if isinstance(v, dt.date):
        return date(v, style=style)
    if isinstance(v, str):
        words = COLUMN_VOCABULARIES.get(column or "")
        if words is not None and v in words:
            return words[v]
        if ISO_MOMENT.match(v.strip()):
            return moment(v, style=style)
        return v
    return str(v)


def _guess_vocabulary(values: pd.Series) -> Mapping[str, str] | None:
    """The one vocabulary whose keys are every distinct (text) value of the column."""
    texts = [v for v in values if isinstance(v, str)]
    if not texts or len(texts) < values.notna().sum():  # mixed content: not an enum column
        return None
    distinct = set(texts)
    if not distinct:
        return None
    for words in ALL_VOCABULARIES:
        if distinct <= set(words):
            return words
    return None


def frame(df: pd.DataFrame, *, style: Style = "table") -> pd.DataFrame:
    """A copy of ``df`` ready for ``st.dataframe``: every value a person can read.

    Numbers stay numbers (sorting and column formats keep working); booleans, timestamps,
    enum keys, lists and missing values in text columns become text.
    """
    out = df.copy()
    if isinstance(out, pd.DataFrame) and hasattr(out, "geometry") and "geometry" in out:
        out = pd.DataFrame(out.drop(columns="geometry"))
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s):
            out[col] = s.map({True: "是", False: "否"})
        elif pd.api.types.is_datetime64_any_dtype(s):
            out[col] = [moment(v, style=style) for v in s]
        elif pd.api.types.is_numeric_dtype(s):
            continue
        else:
            name = str(col)
            words = COLUMN_VOCABULARIES.get(name) or _guess_vocabulary(s)
            out[col] = [
                words[v]
                if words is not None and isinstance(v, str) and v in words
                else value(v, column=name, style=style)
                for v in s
            ]
    return out
