"""Working days for the demo: chinese_calendar where it has data, weekends-only beyond it."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import chinese_calendar

OPEN_AM = dt.time(8, 30)
CLOSE_AM = dt.time(12, 0)
OPEN_PM = dt.time(14, 30)
CLOSE_PM = dt.time(18, 0)


@lru_cache(maxsize=4096)
def is_workday(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # no official schedule yet for that year: weekends only
        return day.weekday() < 5


def add_working_days(day: dt.date, n: int) -> dt.date:
    """The n-th working day after *day*; n = 0 → *day* itself if working, else the next one."""
    d = day
    if n == 0:
        while not is_workday(d):
            d += dt.timedelta(days=1)
        return d
    done = 0
    while done < n:
        d += dt.timedelta(days=1)
        if is_workday(d):
            done += 1
    return d


def due_at(received: dt.datetime, working_days: int) -> dt.datetime:
    return dt.datetime.combine(add_working_days(received.date(), working_days), CLOSE_PM)


def to_office(t: dt.datetime) -> dt.datetime:
    """Move *t* forward into office hours on a working day (unchanged if already inside)."""
    while True:
        if not is_workday(t.date()):
            t = dt.datetime.combine(t.date() + dt.timedelta(days=1), OPEN_AM)
            continue
        tm = t.time()
        if tm < OPEN_AM:
            return dt.datetime.combine(t.date(), OPEN_AM)
        if CLOSE_AM <= tm < OPEN_PM:
            return dt.datetime.combine(t.date(), OPEN_PM)
        if tm >= CLOSE_PM:
            t = dt.datetime.combine(t.date() + dt.timedelta(days=1), OPEN_AM)
            continue
        return t


def next_weekday(day: dt.date, weekday: int, *, strictly_after: bool = True) -> dt.date:
    """Next date with the given weekday (Mon=0) that is also a working day."""
    d = day + dt.timedelta(days=1 if strictly_after else 0)
    while d.weekday() != weekday or not is_workday(d):
        d += dt.timedelta(days=1)
    return d
