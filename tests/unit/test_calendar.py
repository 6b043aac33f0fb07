"""Working-day calendar on the real 2026 schedule, the 2027 gap and the office's override file.

The 2026 dates are the State Council's schedule as carried by chinese-calendar 1.11:
National Day Oct 1–7 (Oct 8 is a working Thursday), Mid-Autumn Sep 25–27, make-up working days
Sun Sep 20 and Sat Oct 10; Spring Festival Feb 15–23 with make-up Saturdays Feb 14 and Feb 28.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInputError
from services.calendar import DEFAULT_OVERRIDES_PATH, OVERRIDE_COLUMNS, WorkCalendar

D = dt.date
T = dt.datetime


@pytest.fixture
def empty_file(tmp_path: Path) -> Path:
    path = tmp_path / "workdays_override.csv"
    path.write_text("date,kind,name\n", encoding="utf-8")
    return path


@pytest.fixture
def cal(empty_file: Path) -> WorkCalendar:
    """A calendar with no office overrides, whatever the shipped file holds."""
    return WorkCalendar(empty_file)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


# ------------------------------------------------------------------------- the 2026 schedule
@pytest.mark.parametrize("day", [D(2026, 10, d) for d in range(1, 8)])
def test_national_day_2026_is_off(cal: WorkCalendar, day: dt.date) -> None:
    assert not cal.is_workday(day)


@pytest.mark.parametrize("day", [D(2026, 9, 25), D(2026, 9, 26), D(2026, 9, 27)])
def test_mid_autumn_2026_is_off(cal: WorkCalendar, day: dt.date) -> None:
    assert not cal.is_workday(day)


def test_day_after_national_day_2026_is_a_working_thursday(cal: WorkCalendar) -> None:
    assert cal.is_workday(D(2026, 10, 8))
    assert cal.is_workday(D(2026, 10, 9))


@pytest.mark.parametrize(
    "day",
    [
        D(2026, 1, 4),  # Sunday, for New Year
        D(2026, 2, 14),  # Saturday, for Spring Festival
        D(2026, 2, 28),  # Saturday, for Spring Festival
        D(2026, 5, 9),  # Saturday, for Labour Day
        D(2026, 9, 20),  # Sunday, for National Day
        D(2026, 10, 10),  # Saturday, for National Day
    ],
)
def test_make_up_weekend_days_2026_are_workdays(cal: WorkCalendar, day: dt.date) -> None:
    assert day.weekday() >= 5
    assert cal.is_workday(day)
    assert cal.coverage_warning(day) is None


def test_spring_festival_2026(cal: WorkCalendar) -> None:
    off = [D(2026, 2, d) for d in range(15, 24)]
    assert [cal.is_workday(d) for d in off] == [False] * 9
    assert cal.is_workday(D(2026, 2, 24))
    # Fri 13 Feb + 5 working days: Sat 14 (make-up), then Tue 24 … Fri 27.
    assert cal.add_working_days(T(2026, 2, 13, 9, 0), 5) == T(2026, 2, 27, 9, 0)
    assert cal.working_days_between(D(2026, 2, 13), D(2026, 2, 27)) == 5


def test_deadline_spanning_national_day(cal: WorkCalendar) -> None:
    # Received Wed 30 Sep 10:00, promised in 5 working days:
    # Thu 8, Fri 9, Sat 10 (make-up), Mon 12, Tue 13 October.
    assert cal.add_working_days(T(2026, 9, 30, 10, 0), 5) == T(2026, 10, 13, 10, 0)
    assert cal.add_working_days(T(2026, 9, 30, 10, 0), 1) == T(2026, 10, 8, 10, 0)
    assert cal.working_days_between(D(2026, 9, 30), D(2026, 10, 13)) == 5


def test_zero_days_is_the_same_moment(cal: WorkCalendar) -> None:
    moment = T(2026, 10, 3, 11, 17)  # even on a holiday
    assert cal.add_working_days(moment, 0) == moment


def test_start_on_a_rest_day_counts_from_the_next_working_day(cal: WorkCalendar) -> None:
    assert cal.add_working_days(T(2026, 11, 28, 10, 0), 1) == T(2026, 11, 30, 10, 0)  # Sat → Mon


def test_time_zone_is_kept(cal: WorkCalendar) -> None:
    cst = dt.timezone(dt.timedelta(hours=8))
    assert cal.add_working_days(T(2026, 9, 30, 10, 0, tzinfo=cst), 1) == T(
        2026, 10, 8, 10, 0, tzinfo=cst
    )


@pytest.mark.parametrize("n", [-1, 1.5, True, "3"])
def test_bad_day_counts_are_refused(cal: WorkCalendar, n: object) -> None:
    with pytest.raises(InvalidInputError, match="工作日数"):
        cal.add_working_days(T(2026, 1, 5), n)  # type: ignore[arg-type]


def test_working_days_between_is_signed(cal: WorkCalendar) -> None:
    assert cal.working_days_between(D(2026, 10, 13), D(2026, 9, 30)) == -5
    assert cal.working_days_between(D(2026, 10, 13), D(2026, 10, 13)) == 0


@given(
    start=st.datetimes(min_value=T(2025, 1, 1), max_value=T(2027, 12, 31)),
    n=st.integers(min_value=0, max_value=40),
)
def test_working_days_between_inverts_add_working_days(start: dt.datetime, n: int) -> None:
    cal = WorkCalendar(overrides=[])
    due = cal.add_working_days(start, n)
    assert cal.working_days_between(start, due) == n
    assert due.time() == start.time()
    if n:
        assert cal.is_workday(due)


# ------------------------------------------------------------------------- working hours
@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (T(2026, 11, 30, 9, 0), 0, T(2026, 11, 30, 9, 0)),
        (T(2026, 11, 30, 9, 0), 2, T(2026, 11, 30, 11, 0)),
        (T(2026, 11, 30, 11, 0), 2, T(2026, 11, 30, 15, 30)),  # skips lunch 12:00–14:30
        (T(2026, 11, 30, 13, 0), 1, T(2026, 11, 30, 15, 30)),  # starts during lunch
        (T(2026, 11, 30, 7, 0), 1, T(2026, 11, 30, 9, 30)),  # before opening
        (T(2026, 11, 30, 8, 30), 3.5, T(2026, 11, 30, 12, 0)),  # ends at the period's end
        (T(2026, 11, 30, 20, 0), 1, T(2026, 12, 1, 9, 30)),  # after closing
        (T(2026, 11, 27, 16, 0), 5, T(2026, 11, 30, 12, 0)),  # Friday → Monday ("5 hours")
        (T(2026, 9, 30, 17, 0), 1, T(2026, 10, 8, 9, 0)),  # across National Day
        (T(2026, 2, 13, 17, 0), 1, T(2026, 2, 14, 9, 0)),  # onto the make-up Saturday
    ],
)
def test_add_working_hours(
    cal: WorkCalendar, start: dt.datetime, hours: float, expected: dt.datetime
) -> None:
    assert cal.add_working_hours(start, hours) == expected


def test_office_hours_are_configurable(cal: WorkCalendar) -> None:
    due = cal.add_working_hours(
        T(2026, 11, 30, 16, 0), 2, day_start=dt.time(9, 0), lunch=None, day_end=dt.time(17, 0)
    )
    assert due == T(2026, 12, 1, 10, 0)


def test_bad_office_hours_or_hours_are_refused(cal: WorkCalendar) -> None:
    with pytest.raises(InvalidInputError, match="办公时间"):
        cal.add_working_hours(T(2026, 11, 30, 9), 1, lunch=(dt.time(18, 0), dt.time(19, 0)))
    with pytest.raises(InvalidInputError, match="工作小时数"):
        cal.add_working_hours(T(2026, 11, 30, 9), -1)


def test_end_of_working_day(cal: WorkCalendar) -> None:
    assert cal.end_of_working_day(T(2026, 11, 30, 9, 0)) == T(2026, 11, 30, 17, 30)
    assert cal.end_of_working_day(T(2026, 11, 30, 18, 0)) == T(2026, 12, 1, 17, 30)
    assert cal.end_of_working_day(T(2026, 10, 1, 9, 0)) == T(2026, 10, 8, 17, 30)


# ------------------------------------------------------------------------- beyond the data
def test_2027_falls_back_to_weekends_with_a_warning(cal: WorkCalendar) -> None:
    # On 2026-11-30 a 30-working-day promise runs into January 2027, which nobody knows yet.
    due = cal.add_working_days(T(2026, 11, 30, 10, 0), 30)
    assert due.year == 2027
    warning = cal.coverage_warning(due)
    assert warning is not None
    assert "2027年的法定节假日安排尚未录入" in warning
    assert "按周末计算" in warning
    assert "data/calendar/workdays_override.csv" in warning
    assert cal.is_workday(D(2027, 1, 1))  # a Friday, weekends-only
    assert not cal.is_workday(D(2027, 1, 2))
    assert cal.coverage_warning(D(2026, 12, 31)) is None


@pytest.mark.parametrize("year", [1990, 2003, 2100])
def test_unknown_years_never_crash(cal: WorkCalendar, year: int) -> None:
    assert cal.add_working_days(T(year, 6, 1, 9), 3) > T(year, 6, 1, 9)
    assert cal.add_working_hours(T(year, 6, 1, 9), 10) > T(year, 6, 1, 9)
    assert cal.coverage_warning(D(year, 6, 1)) is not None


def test_override_for_2027_new_year_is_honoured(tmp_path: Path) -> None:
    path = write(
        tmp_path / "o.csv",
        "date,kind,name\n2027-01-01,holiday,元旦\n2027-01-02,holiday,元旦\n",
    )
    cal = WorkCalendar(path)
    assert not cal.is_workday(D(2027, 1, 1))
    assert cal.coverage_warning(D(2027, 1, 15)) is None  # the office entered 2027
    assert cal.add_working_days(T(2026, 12, 31, 10, 0), 1) == T(2027, 1, 4, 10, 0)
    assert cal.coverage_warning(D(2028, 1, 3)) is not None


def test_overrides_win_over_the_package(tmp_path: Path) -> None:
    path = write(
        tmp_path / "o.csv",
        "date,kind,name\n2026-10-08,holiday,办事处调休\n2026-10-03,workday,国庆值班\n",
    )
    cal = WorkCalendar(path)
    assert not cal.is_workday(D(2026, 10, 8))
    assert cal.is_workday(D(2026, 10, 3))


def test_gbk_file_with_chinese_words_and_slashes(tmp_path: Path) -> None:
    path = write(
        tmp_path / "o.csv",
        "date,kind,name\n2027/2/6,休,春节\n2027年2月20日,班,春节调休上班\n\n",
        encoding="gbk",
    )
    cal = WorkCalendar(path)
    assert not cal.is_workday(D(2027, 2, 6))
    assert cal.is_workday(D(2027, 2, 20))  # a Saturday


def test_overrides_given_in_code() -> None:
    cal = WorkCalendar(overrides=[(D(2027, 1, 1), "holiday", "元旦")])
    assert not cal.is_workday(D(2027, 1, 1))


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("date,kind,name\n2027-13-01,holiday,x\n", "第2行 date 列"),
        ("date,kind,name\n2027-01-01,holiday,x\n2027-01-04,dayoff,y\n", "第3行 kind 列"),
        ("day,kind\n2027-01-01,holiday\n", "缺少列 date"),
        ("date,kind,name\n2027-01-01,holiday,x\n2027-01-01,workday,y\n", "前后矛盾"),
    ],
)
def test_bad_override_files_name_the_row(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        WorkCalendar(write(tmp_path / "o.csv", text))


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="找不到"):
        WorkCalendar(tmp_path / "nope.csv")


def test_the_shipped_override_file_is_valid() -> None:
    assert DEFAULT_OVERRIDES_PATH.exists()
    header = DEFAULT_OVERRIDES_PATH.read_text(encoding="utf-8-sig").splitlines()[0]
    assert tuple(header.split(",")) == OVERRIDE_COLUMNS
    cal = WorkCalendar()
    assert cal.overrides_path == DEFAULT_OVERRIDES_PATH
    assert not cal.is_workday(D(2026, 10, 1))
