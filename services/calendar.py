"""Working-day calendar for deadlines (时限) counted in working days and working hours.

Official holidays and make-up working days (调休上班) come from the `chinese-calendar` package:
it is maintained, tracks the State Council's published holiday schedules (国务院办公厅关于节假日
安排的通知) including the weekend days that become working days, and has no network access at
run time. It only knows the years whose schedule has been published (up to 2026 in version 1.11);
the State Council publishes next year's schedule late each year. For a year it does not know the
calendar falls back to *weekends only* and :meth:`WorkCalendar.coverage_warning` returns a visible
warning, until either the package is upgraded or the office enters the new year's days in the
override file.

The override file (``data/calendar/workdays_override.csv``, UTF-8 or GBK, editable in Excel) has
the columns ``date, kind, name``:

======== =============================================================
date     ``2027-01-01`` (also ``2027/1/1``)
kind     ``holiday`` (or 休 / 放假) or ``workday`` (or 班 / 上班)
name     free text, e.g. 元旦
======== =============================================================

Overrides win over `chinese-calendar`. A year with at least one override row counts as entered
by the office, so the warning disappears for it: enter the whole published schedule at once.

Examples
--------
>>> from datetime import datetime
>>> cal = WorkCalendar()
>>> cal.add_working_days(datetime(2026, 9, 30, 10, 0), 1)  # National Day: Oct 1-7 off
datetime.datetime(2026, 10, 8, 10, 0)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import chinese_calendar

from core.errors import InvalidInputError
from core.text_files import decode_office_text

__all__ = ["DEFAULT_OVERRIDES_PATH", "OVERRIDE_COLUMNS", "WorkCalendar"]

DEFAULT_OVERRIDES_PATH = Path(__file__).resolve().parents[1] / "data/calendar/workdays_override.csv"
OVERRIDE_COLUMNS = ("date", "kind", "name")

_HOLIDAY_WORDS = {"holiday", "休", "放假", "假", "休息"}
_WORKDAY_WORDS = {"workday", "班", "上班", "工作日", "补班"}

# Office hours: local practice (Ankang offices keep a long lunch break); every method that uses
# them takes them as keyword options.
DAY_START = dt.time(8, 30)
LUNCH = (dt.time(12, 0), dt.time(14, 30))
DAY_END = dt.time(17, 30)


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise InvalidInputError(f"需要日期，得到 {value!r}（{type(value).__name__}）")


def _parse_date(text: str) -> dt.date:
    text = text.strip().removesuffix("日")
    for sep in ("/", ".", "年", "月"):
        text = text.replace(sep, "-")
    year, month, day = (int(part) for part in text.split("-"))
    return dt.date(year, month, day)


@lru_cache(maxsize=4096)
def _package_workday(day: dt.date) -> bool | None:
    """The package's answer, or None for a year it has no schedule for."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # "no available data for year …"
        return None


def _read_text(path: Path) -> str:
    return decode_office_text(path.read_bytes(), where=path.name)


class WorkCalendar:
    """Working days and working hours for one office.

    Parameters
    ----------
    overrides_path : str or Path, optional
        CSV of office-entered days (columns ``date, kind, name``). ``None`` reads the project's
        ``data/calendar/workdays_override.csv`` when it exists. A missing explicit path or a bad
        row raises :class:`~core.errors.InvalidInputError` naming the file, row and column.
    overrides : iterable of (date, kind, name), optional
        Extra override rows given in code (tests, settings); applied after the file.

    Notes
    -----
    The calendar never raises for a year nobody knows: it counts Monday–Friday as working days and
    :meth:`coverage_warning` says so.
    """

    def __init__(
        self,
        overrides_path: str | Path | None = None,
        *,
        overrides: Iterable[tuple[dt.date, str, str]] | None = None,
    ) -> None:
        self._overrides: dict[dt.date, tuple[bool, str]] = {}
        if overrides_path is None:
            path = DEFAULT_OVERRIDES_PATH
            self.overrides_path: Path | None = path if path.exists() else None
        else:
            path = Path(overrides_path)
            if not path.exists():
                raise InvalidInputError(f"找不到节假日补充文件 {path}")
            self.overrides_path = path
        if self.overrides_path is not None:
            self._load_csv(self.overrides_path)
        for row_no, (day, kind, name) in enumerate(overrides or (), start=1):
            self._add_override(_as_date(day), kind, name, where=f"overrides 第{row_no}项")
        self._override_years = frozenset(day.year for day in self._overrides)

    # ----------------------------------------------------------------------------- loading
    def _load_csv(self, path: Path) -> None:
        reader = csv.DictReader(io.StringIO(_read_text(path)))
        fields = [f.strip().lower() for f in reader.fieldnames or []]
        missing = [c for c in ("date", "kind") if c not in fields]
        if missing:
            raise InvalidInputError(
                f"{path}: 缺少列 {', '.join(missing)}；需要的列为 {', '.join(OVERRIDE_COLUMNS)}"
            )
        for row_no, row in enumerate(reader, start=2):  # row 1 is the header
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
            if not any(row.values()):
                continue
            where = f"{path} 第{row_no}行"
            try:
                day = _parse_date(row.get("date", ""))
            except ValueError:
                raise InvalidInputError(
                    f"{where} date 列：{row.get('date')!r} 不是日期，应写成 2027-01-01"
                ) from None
            self._add_override(day, row.get("kind", ""), row.get("name", ""), where=where)

    def _add_override(self, day: dt.date, kind: str, name: str, *, where: str) -> None:
        word = kind.strip().lower()
        if word in _HOLIDAY_WORDS:
            is_work = False
        elif word in _WORKDAY_WORDS:
            is_work = True
        else:
            raise InvalidInputError(
                f"{where} kind 列：{kind!r} 无法识别，应为 holiday（休）或 workday（班）"
            )
        previous = self._overrides.get(day)
        if previous is not None and previous[0] != is_work:
            raise InvalidInputError(f"{where}：{day.isoformat()} 重复出现且前后矛盾（休/班）")
        self._overrides[day] = (is_work, name.strip())

    # ----------------------------------------------------------------------------- days
    def is_workday(self, day: dt.date | dt.datetime) -> bool:
        """Whether the office works on this day.

        Office overrides first, then the official schedule, then Monday–Friday for years
        without data.

        Examples
        --------
        >>> cal = WorkCalendar()
        >>> cal.is_workday(dt.date(2026, 10, 8)), cal.is_workday(dt.date(2026, 10, 10))
        (True, True)
        """
        day = _as_date(day)
        override = self._overrides.get(day)
        if override is not None:
            return override[0]
        known = _package_workday(day)
        if known is not None:
            return known
        return day.weekday() < 5

    def is_covered(self, day: dt.date | dt.datetime) -> bool:
        """Whether the holiday schedule of the day's year is known (package or office file)."""
        day = _as_date(day)
        return day.year in self._override_years or _package_workday(day) is not None

    def coverage_warning(self, day: dt.date | dt.datetime) -> str | None:
        """A Chinese warning when the day's year has no holiday schedule, else None.

        Show it next to any deadline computed for that year.

        Examples
        --------
        >>> WorkCalendar(overrides=[]).coverage_warning(dt.date(2026, 5, 1)) is None
        True
        """
        day = _as_date(day)
        if self.is_covered(day):
            return None
        return (
            f"{day.year}年的法定节假日安排尚未录入，按周末计算；"
            "请在 data/calendar/workdays_override.csv 中补充"
        )

    def add_working_days(self, start: dt.datetime, n: int) -> dt.datetime:
        """The moment ``n`` working days after ``start``, at the same time of day.

        Days are counted from the day after ``start``; ``n = 0`` returns ``start`` itself. A
        start on a rest day counts from the next working day (Saturday + 1 → Monday).

        Parameters
        ----------
        start : datetime
            Naive or aware; the time zone is kept.
        n : int
            Number of working days, at least 0.

        Examples
        --------
        >>> cal = WorkCalendar()
        >>> cal.add_working_days(dt.datetime(2026, 2, 13, 9, 0), 1)  # Sat 14 Feb is a make-up day
        datetime.datetime(2026, 2, 14, 9, 0)
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InvalidInputError(f"工作日数必须是不小于0的整数，得到 {n!r}")
        if not isinstance(start, dt.datetime):
            start = dt.datetime.combine(_as_date(start), dt.time())
        day = start.date()
        remaining = n
        while remaining:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return dt.datetime.combine(day, start.timetz())

    def working_days_between(self, a: dt.date | dt.datetime, b: dt.date | dt.datetime) -> int:
        """Working days ``d`` with ``a < d <= b`` (by date); negative when ``b`` is before ``a``.

        This is the inverse of :meth:`add_working_days`:
        ``working_days_between(t, add_working_days(t, n)) == n``.

        Examples
        --------
        >>> WorkCalendar().working_days_between(dt.date(2026, 9, 30), dt.date(2026, 10, 8))
        1
        """
        start, end = _as_date(a), _as_date(b)
        sign = 1
        if end < start:
            start, end, sign = end, start, -1
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_workday(day)
        return sign * count

    def next_workday(self, day: dt.date | dt.datetime) -> dt.date:
        """The first working day on or after ``day``."""
        day = _as_date(day)
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day

    # ----------------------------------------------------------------------------- hours
    def end_of_working_day(self, moment: dt.datetime, *, day_end: dt.time = DAY_END) -> dt.datetime:
        """Close of office on ``moment``'s day, or on the next working day when ``moment`` is on
        a rest day or after closing time. This is what 当日办结 (a 0-day promise) means.

        Examples
        --------
        >>> WorkCalendar().end_of_working_day(dt.datetime(2026, 10, 1, 9, 0))
        datetime.datetime(2026, 10, 8, 17, 30)
        """
        day = moment.date()
        if not self.is_workday(day) or moment.time() >= day_end:
            day = self.next_workday(day + dt.timedelta(days=1))
        return dt.datetime.combine(day, day_end, tzinfo=moment.tzinfo)

    def add_working_hours(
        self,
        start: dt.datetime,
        hours: float,
        *,
        day_start: dt.time = DAY_START,
        lunch: tuple[dt.time, dt.time] | None = LUNCH,
        day_end: dt.time = DAY_END,
    ) -> dt.datetime:
        """The moment ``hours`` office hours after ``start``.

        Time outside office hours (nights, lunch, rest days) does not count. A deadline that
        uses up a period exactly ends at that period's end (e.g. 12:00, not 14:30).

        Parameters
        ----------
        start : datetime
        hours : float
            At least 0; ``0`` returns ``start``.
        day_start, day_end : time
            Office hours (local practice).
        lunch : (time, time) or None
            Lunch break, or None for none.

        Examples
        --------
        >>> WorkCalendar().add_working_hours(dt.datetime(2026, 11, 27, 16, 0), 5)  # a Friday
        datetime.datetime(2026, 11, 30, 12, 0)
        """
        if isinstance(hours, bool) or not isinstance(hours, int | float) or not hours >= 0:
            raise InvalidInputError(f"工作小时数必须是不小于0的数，得到 {hours!r}")
        periods = _office_periods(day_start, lunch, day_end)
        remaining = dt.timedelta(hours=hours)
        if not remaining:
            return start
        tz = start.tzinfo
        cur = start
        while True:
            day = cur.date()
            if self.is_workday(day):
                for begin, finish in periods:
                    p_start = dt.datetime.combine(day, begin, tzinfo=tz)
                    p_end = dt.datetime.combine(day, finish, tzinfo=tz)
                    if cur >= p_end:
                        continue
                    cur = max(cur, p_start)
                    available = p_end - cur
                    if remaining <= available:
                        return cur + remaining
                    remaining -= available
                    cur = p_end
            cur = dt.datetime.combine(self.next_workday(day + dt.timedelta(days=1)), day_start, tz)


def _office_periods(
    day_start: dt.time, lunch: tuple[dt.time, dt.time] | None, day_end: dt.time
) -> list[tuple[dt.time, dt.time]]:
    if lunch is None:
        if not day_start < day_end:
            raise InvalidInputError(f"办公时间不合理：{day_start}–{day_end}")
        return [(day_start, day_end)]
    lunch_start, lunch_end = lunch
    if not day_start < lunch_start <= lunch_end < day_end:
        raise InvalidInputError(
            f"办公时间不合理：上班 {day_start}，午休 {lunch_start}–{lunch_end}，下班 {day_end}"
        )
    return [(day_start, lunch_start), (lunch_end, day_end)]
