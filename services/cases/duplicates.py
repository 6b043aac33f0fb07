"""Possible duplicates of a new case, pure: same category, near, recent (in a metric CRS).

The database's version of the same rule is :func:`services.cases.intakes.duplicates_at_intake`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.errors import InvalidInputError
from core.vocab import OPEN_STATES

__all__ = ["possible_duplicates"]


def possible_duplicates(
    new_point_xy_m: Sequence[float],
    category: str,
    open_cases_df: pd.DataFrame,
    *,
    radius_m: float = 50.0,
    days: float = 30,
    now: dt.datetime,
) -> list[str]:
    """Case numbers of open cases that may report the same thing, nearest first.

    A candidate has the same category, lies within ``radius_m`` metres and was received within
    ``days`` days before ``now`` (FixMyStreet's rule of thumb: same category within 50 m).

    Parameters
    ----------
    new_point_xy_m : (x, y)
        The new case's point in a metric CRS (EPSG:4545 around Ankang).
    category : str
    open_cases_df : DataFrame
        Columns ``case_no, category, x_m, y_m, received_at`` in the same metric CRS; a ``state``
        column, when present, limits candidates to open states. Rows without coordinates are
        skipped.
    radius_m, days : float
    now : datetime
        Same time-zone awareness as ``received_at``.

    Examples
    --------
    >>> df = pd.DataFrame({"case_no": ["A", "B", "C"], "category": ["health"] * 3,
    ...     "x_m": [30.0, 10.0, 500.0], "y_m": [0.0, 0.0, 0.0],
    ...     "received_at": [dt.datetime(2026, 11, 20)] * 3})
    >>> possible_duplicates((0.0, 0.0), "health", df, now=dt.datetime(2026, 11, 30))
    ['B', 'A']
    """
    required = ["case_no", "category", "x_m", "y_m", "received_at"]
    missing = [c for c in required if c not in open_cases_df.columns]
    if missing:
        raise InvalidInputError(f"疑似重复检查缺少列：{', '.join(missing)}")
    if radius_m < 0 or days < 0:
        raise InvalidInputError(f"半径 {radius_m} 米、天数 {days} 不能为负")
    x0, y0 = (float(v) for v in new_point_xy_m)
    df = open_cases_df
    if df.empty:
        return []
    mask = (df["category"] == category).to_numpy(dtype=bool)
    if "state" in df.columns:
        mask = mask & df["state"].isin(OPEN_STATES).to_numpy(dtype=bool)
    received = pd.to_datetime(df["received_at"])
    since = pd.Timestamp(now) - pd.Timedelta(days=days)
    try:
        recent = ((received >= since) & (received <= pd.Timestamp(now))).to_numpy(dtype=bool)
    except TypeError:
        raise InvalidInputError(
            "疑似重复检查：now 与 received_at 一个带时区一个不带时区，无法比较"
        ) from None
    x = pd.to_numeric(df["x_m"], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(df["y_m"], errors="coerce").to_numpy(dtype=float)
    distance = np.hypot(x - x0, y - y0)  # NaN for missing coordinates → never within radius
    mask = mask & recent & (distance <= radius_m)
    order = np.argsort(distance[mask], kind="stable")
    return [str(v) for v in df["case_no"].to_numpy()[mask][order]]
