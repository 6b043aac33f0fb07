"""The office's clock: Beijing time, defined once.

Every date the office sees (deadlines, months of the dashboard, weeks of visits) is a date in
Asia/Shanghai; the database session uses the same zone (db/engine.py).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TZ_NAME = "Asia/Shanghai"
BEIJING = ZoneInfo(TZ_NAME)
#: Fixed UTC+8 offset (China has no daylight saving time): for code that needs a dt.timezone.
UTC8 = dt.timezone(dt.timedelta(hours=8))


def now() -> dt.datetime:
    """The current moment, aware, in Beijing time."""
    return dt.datetime.now(BEIJING)


def today() -> dt.date:
    """Today's date in Beijing (not the server's zone)."""
    return now().date()
