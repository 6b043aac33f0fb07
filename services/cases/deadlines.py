"""Numbers and deadlines of cases, pure: the case number, and the deadline a kind and category
get on the working-day calendar (local practice may set its own time limits)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np

from core.errors import InvalidInputError
from core.vocab import CASE_KINDS, DEFAULT_DUE_WORKING_DAYS, SERVICE_CATEGORIES
from services.calendar import DAY_END, WorkCalendar

__all__ = ["case_number", "due_at_for"]


def _check_key(value: object, allowed: Mapping[str, str], what: str) -> None:
    if value not in allowed:
        choices = "、".join(f"{k}（{v}）" for k, v in allowed.items())
        raise InvalidInputError(f"{what} {value!r} 无效，可选：{choices}")


# --------------------------------------------------------------------------------- numbering
def case_number(received_at: dt.date | dt.datetime, seq: int) -> str:
    """The case number: ``LC`` + date received (YYYYMMDD) + ``-`` + daily sequence.

    The sequence starts at 1 each day and has at least four digits (``0007``); it widens past
    9999 rather than failing. Numbers of one day sort in order of receipt.

    Examples
    --------
    >>> case_number(dt.datetime(2026, 11, 30, 9, 15), 7)
    'LC20261130-0007'
    """
    if isinstance(seq, bool) or not isinstance(seq, int | np.integer) or seq < 1:
        raise InvalidInputError(f"案件序号必须是正整数，得到 {seq!r}")
    return f"LC{received_at:%Y%m%d}-{int(seq):04d}"


# --------------------------------------------------------------------------------- deadlines
def _parse_limit(value: object, where: str) -> tuple[str, float]:
    """A time limit → ("days", n) or ("hours", n). Accepts 5, "5", "5d", "5天", "5h", "5小时"."""
    if isinstance(value, bool):
        raise InvalidInputError(f"{where} 的时限 {value!r} 无效")
    if isinstance(value, int | np.integer):
        unit, number = "days", float(value)
    else:
        text = str(value).strip().lower()
        unit = "days"
        for suffix, name in (
            ("小时", "hours"),
            ("h", "hours"),
            ("工作日", "days"),
            ("天", "days"),
            ("d", "days"),
        ):
            if text.endswith(suffix):
                text, unit = text.removesuffix(suffix).strip(), name
                break
        try:
            number = float(text)
        except ValueError:
            raise InvalidInputError(
                f"{where} 的时限 {value!r} 无效，应写成工作日数（5 或 5d）或工作小时数（5h）"
            ) from None
    if not number >= 0 or (unit == "days" and number != int(number)):
        raise InvalidInputError(f"{where} 的时限 {value!r} 无效：工作日数须为不小于0的整数")
    return unit, number


def due_at_for(
    kind: str,
    category: str,
    received_at: dt.datetime,
    *,
    calendar: WorkCalendar,
    rules: Mapping[Any, object] | None = None,
    day_end: dt.time = DAY_END,
) -> dt.datetime:
    """The deadline of a case received at ``received_at``.

    The limit is looked up in ``rules`` by ``(kind, category)``, then by ``category``, then by
    ``kind``, and finally taken from ``DEFAULT_DUE_WORKING_DAYS[kind]``. A limit is a number of
    working days (``5``, ``"5d"``) or of office hours (``"5h"``).

    * ``n`` working days, ``n > 0``: the same time of day ``n`` working days later.
    * 0 working days (即办件, 当日办结): close of office that day, or the next working day when
      received on a rest day or after hours — so a case settled at the window is on time.
    * ``h`` hours: ``h`` office hours later (:meth:`WorkCalendar.add_working_hours`).

    Parameters
    ----------
    kind, category : str
        Keys of ``CASE_KINDS`` and ``SERVICE_CATEGORIES``.
    received_at : datetime
    calendar : WorkCalendar
    rules : mapping, optional
        Local practice, e.g. ``{"dispute": 10, ("promised", "public_facilities"): "5h"}``.
    day_end : time
        Close of office for 0-day limits.

    Examples
    --------
    >>> cal = WorkCalendar()
    >>> due_at_for("promised", "health", dt.datetime(2026, 9, 30, 10, 0), calendar=cal)
    datetime.datetime(2026, 10, 13, 10, 0)
    """
    _check_key(kind, CASE_KINDS, "案件类型")
    _check_key(category, SERVICE_CATEGORIES, "案件类别")
    rules = rules or {}
    for key in ((kind, category), category, kind):
        if key in rules:
            unit, number = _parse_limit(rules[key], f"时限规则 {key!r}")
            break
    else:
        unit, number = "days", float(DEFAULT_DUE_WORKING_DAYS[kind])
    if unit == "hours":
        return calendar.add_working_hours(received_at, number, day_end=day_end)
    if number == 0:
        return calendar.end_of_working_day(received_at, day_end=day_end)
    return calendar.add_working_days(received_at, int(number))
