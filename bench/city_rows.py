"""The benchmark city's rows, all decided by one ``numpy.random.Generator``: households spread
over the cells, cases (at a door or in planted clusters), callbacks, Tuesday visits."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import shapely

from bench.city_cells import DISTRICT, SPACING_M, City, _locate, _points_ewkb
from core.clock import UTC8
from core.vocab import CASE_KINDS, CHANNELS, SERVICE_CATEGORIES, SPECIAL_GROUPS

START = dt.datetime(2025, 1, 1, tzinfo=UTC8)
REF = dt.datetime(2026, 11, 30, 18, 0, tzinfo=UTC8)
OPEN_STATES = ["received", "dispatched", "in_progress", "escalated", "handled", "reopened"]


def household_rows(city: City, n: int, rng: np.random.Generator) -> pd.DataFrame:
    cells = city.cells
    weights = rng.lognormal(0.0, 0.5, len(cells))
    per_cell = rng.multinomial(n, weights / weights.sum())
    owner = np.repeat(np.arange(len(cells)), per_cell)
    x = cells["pt_x"].to_numpy()[owner] + rng.uniform(-0.45, 0.45, n) * SPACING_M
    y = cells["pt_y"].to_numpy()[owner] + rng.uniform(-0.45, 0.45, n) * SPACING_M
    minx, miny, maxx, maxy = shapely.total_bounds(cells["geom"].to_numpy())
    x, y = np.clip(x, minx + 1, maxx - 1), np.clip(y, miny + 1, maxy - 1)
    hit = _locate(x, y, cells["geom"].to_numpy())
    codes = cells["cell_code"].to_numpy()[hit]
    comm = cells["community_code"].to_numpy()[hit]
    groups = np.array(list(SPECIAL_GROUPS), dtype=object)
    special = rng.random(n) < 0.12
    pick = groups[rng.integers(0, len(groups), n)]
    ids = np.arange(1, n + 1)
    frame = pd.DataFrame(
        {
            "id": ids,
            "district_code": DISTRICT,
            "household_key": [f"B{i:08d}" for i in ids],
            "head_name": "居民",
            "size": rng.integers(1, 6, n),
            "address": [f"{c}网格{i % 400 + 1}号" for c, i in zip(codes, ids, strict=True)],
            "community_code": comm,
            "cell_code": codes,
            "geom": _points_ewkb(x, y),
            "match_type": "door_plate",
            "geocode_score": 1.0,
            "categories": "{}",
            "special_groups": np.where(special, "{" + pick.astype(str) + "}", "{}"),
            "status": "active",
        }
    )
    frame.attrs["xy"] = (x, y)
    return frame


def case_rows(
    city: City, households: pd.DataFrame, n: int, rng: np.random.Generator
) -> pd.DataFrame:
    hx, hy = households.attrs["xy"]
    at_home = rng.random(n) < 0.7
    x = np.empty(n)
    y = np.empty(n)
    k = int(at_home.sum())
    who = rng.integers(0, len(hx), k)
    x[at_home] = hx[who] + rng.normal(0, 5, k)
    y[at_home] = hy[who] + rng.normal(0, 5, k)
    m = n - k
    minx, miny, maxx, maxy = shapely.total_bounds(city.cells["geom"].to_numpy())
    centres = np.c_[rng.uniform(minx, maxx, 40), rng.uniform(miny, maxy, 40)]
    c = rng.integers(0, 40, m)
    x[~at_home] = centres[c, 0] + rng.normal(0, 400, m)
    y[~at_home] = centres[c, 1] + rng.normal(0, 400, m)
    x, y = np.clip(x, minx + 1, maxx - 1), np.clip(y, miny + 1, maxy - 1)
    hit = _locate(x, y, city.cells["geom"].to_numpy())
    cells = city.cells
    cell_codes = cells["cell_code"].to_numpy()[hit]

    kinds = np.array(list(CASE_KINDS))
    kind = kinds[rng.choice(4, n, p=[0.35, 0.4, 0.1, 0.15])]
    limit_days = pd.Series(kind).map({"immediate": 0.5, "reply": 4.2, "promised": 7, "joint": 14})
    limit = limit_days.to_numpy()
    span = (REF - START).total_seconds()
    received = pd.Timestamp(START) + pd.to_timedelta(np.sort(rng.random(n)) * span, unit="s")
    due = received + pd.to_timedelta(limit, unit="D")
    late = rng.random(n) < 0.08
    duration = np.where(
        late, limit * rng.uniform(1.05, 3.0, n) + 1, limit * rng.beta(2, 2, n) + 0.05
    )
    closed = received + pd.to_timedelta(duration, unit="D")
    stuck = rng.random(n) < 0.01  # 挂账: never closed yet
    is_closed = np.asarray(closed < pd.Timestamp(REF)) & ~stuck
    sats = np.array(["satisfied", "basically_satisfied", "unsatisfied"], dtype=object)
    rated = is_closed & (rng.random(n) < 0.8)
    satisfaction = np.where(
        rated, sats[rng.choice(3, n, p=[0.85, 0.12, 0.03])], np.array(None, dtype=object)
    )
    called_back = rated & (rng.random(n) < 0.9)
    state = np.where(
        is_closed,
        np.where(rated, "rated", "closed"),
        np.array(OPEN_STATES)[rng.choice(6, n, p=[0.1, 0.2, 0.4, 0.1, 0.15, 0.05])],
    )
    rework = np.where(is_closed & (rng.random(n) < 0.03), 1, 0)
    cats = np.array(list(SERVICE_CATEGORIES))
    cw = np.linspace(3, 1, len(cats))
    chans = np.array(list(CHANNELS))
    leader_of = dict(zip(cells["cell_code"], np.arange(1, len(cells) + 1), strict=True))
    ids = np.arange(1, n + 1)
    frame = pd.DataFrame(
        {
            "id": ids,
            "district_code": DISTRICT,
            "case_no": [f"BC{i:09d}" for i in ids],
            "kind": kind,
            "category": cats[rng.choice(len(cats), n, p=cw / cw.sum())],
            "channel": chans[rng.choice(5, n, p=[0.3, 0.2, 0.1, 0.15, 0.25])],
            "state": state,
            "description": "示例事件",
            "community_code": cells["community_code"].to_numpy()[hit],
            "cell_code": cell_codes,
            "geom": _points_ewkb(x, y),
            "received_at": received.astype(str),
            "due_at": due.astype(str),
            "closed_at": pd.Series(closed.astype(str)).where(is_closed, None),
            "handler_staff_id": pd.Series(cell_codes).map(leader_of),
            "rework_count": rework,
            "satisfaction": satisfaction,
            "called_back": called_back,
            "version": 1,
        }
    )
    frame.attrs["closed"] = closed
    return frame


def callback_rows(cases: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    mask = cases["called_back"].to_numpy()
    closed = cases.attrs["closed"][mask]
    at = closed + pd.to_timedelta(rng.uniform(0.2, 6, int(mask.sum())), unit="D")
    ref = pd.Timestamp(REF)
    at = at.where(at < ref, ref)
    return pd.DataFrame(
        {
            "district_code": DISTRICT,
            "case_id": cases["id"].to_numpy()[mask],
            "called_at": at.astype(str),
            "staff_id": cases["handler_staff_id"].to_numpy()[mask],
            "reached": True,
            "satisfaction": cases["satisfaction"].to_numpy()[mask],
        }
    )


def visit_rows(city: City, households: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    order = households.groupby("cell_code").indices  # cell_code → household row positions
    cells = city.cells["cell_code"].to_numpy()
    tuesdays = [REF.date() - dt.timedelta(days=(REF.weekday() - 1) % 7 + 7 * w) for w in range(12)]
    rows: list[tuple[str, int, int, str]] = []
    ids = households["id"].to_numpy()
    for day in tuesdays:
        per = rng.integers(1, 4, len(cells))
        for leader, (code, k) in enumerate(zip(cells, per, strict=True), start=1):
            pool = order.get(code)
            if pool is None or len(pool) == 0:
                continue
            for h in rng.choice(pool, min(k, len(pool)), replace=False):
                rows.append((day.isoformat(), leader, int(ids[h]), "resolved"))
    frame = pd.DataFrame(rows, columns=["visit_date", "staff_id", "household_id", "outcome"])
    frame.insert(0, "district_code", DISTRICT)
    frame.loc[rng.random(len(frame)) < 0.2, "outcome"] = "brought_back"
    return frame
