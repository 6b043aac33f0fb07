"""A deterministic city for the leader-dashboard benchmark, loaded into PostGIS with COPY.

Run as::

    python -m bench.city --households 1000000 --cells 10000 --cases 1000000 \\
        [--url postgresql+psycopg://lianxin@127.0.0.1:54329/lianxin_bench] [--seed 20261130]

What it builds (everything a fixed ``numpy.random.Generator`` decides, so two runs with the same
arguments load the same rows):

- cells: a jittered Voronoi coverage of ``--cells`` cells, 300 m apart, in EPSG:4545 around
  Ankang, stored in EPSG:4490; 5×5 cells form a community, 20×20 a sub-district, and every
  sub-district has one published plan; one grid leader per cell;
- households: spread over the cells with lognormal weights (some cells dense, some sparse),
  12 % with a special group;
- cases: from 2025-01-01 to 2026-11-30 (so 同比 has a year to compare with): 70 % at a
  household's door, 30 % in 40 planted clusters (the hotspots Gi* should find); kind, category,
  channel, deadlines, closing times, overdue and reworked cases, ratings;
- callbacks for the cases called back, and 12 weeks of Tuesday visits.

Case events are not generated: the dashboard does not read them.

The target database is emptied first (TRUNCATE of the tables above) — never point this at a
database whose data you want to keep. It refuses a URL whose database name does not contain
``bench`` unless ``--force`` is given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import math
import os
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import psycopg
import pyproj
import shapely
from tqdm import tqdm

from core.settings import local_url
from core.vocab import CASE_KINDS, CHANNELS, SERVICE_CATEGORIES, SPECIAL_GROUPS

DISTRICT = "610902"
SRID = 4490
X0, Y0 = 580_000.0, 3_600_000.0  # EPSG:4545, near Ankang (≈109°E, 32.5°N)
SPACING_M = 300.0
START = dt.datetime(2025, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
REF = dt.datetime(2026, 11, 30, 18, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
# The own cluster's bench database, with the owner's password from the credentials file.
DEFAULT_URL = local_url("lianxin_bench", port=int(os.environ.get("LIANXIN_PG_PORT", "54329")))
TABLES = (
    "callbacks",
    "visits",
    "case_events",
    "cases",
    "household_changes",
    "residents",
    "households",
    "grid_cells",
    "blocks",
    "staff",
    "grid_plans",
    "communities",
    "subdistricts",
    "districts",
)
OPEN_STATES = ["received", "dispatched", "in_progress", "escalated", "handled", "reopened"]


@dataclass
class City:
    cells: pd.DataFrame  # cell_code, community_code, subdistrict_code, row, col, geom (4545)
    communities: pd.DataFrame
    subdistricts: pd.DataFrame


# ------------------------------------------------------------------------------ geometry
def build_cells(n_cells: int, rng: np.random.Generator) -> City:
    cols = math.ceil(math.sqrt(n_cells))
    idx = np.arange(n_cells)
    row, col = idx // cols, idx % cols
    rows = int(row.max()) + 1
    jitter = rng.uniform(-0.3, 0.3, (n_cells, 2)) * SPACING_M
    pts = np.c_[col, row] * SPACING_M + jitter + [X0, Y0]
    env = shapely.box(
        X0 - SPACING_M / 2,
        Y0 - SPACING_M / 2,
        X0 + (cols - 0.5) * SPACING_M,
        Y0 + (rows - 0.5) * SPACING_M,
    )
    polys = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=env, ordered=True)
    )
    polys = shapely.intersection(polys, env)
    sd_row, sd_col = row // 20, col // 20
    sd_index = sd_row * math.ceil(cols / 20) + sd_col
    cm_key = (row // 5) * math.ceil(cols / 5) + col // 5
    cells = pd.DataFrame(
        {"row": row, "col": col, "sd": sd_index, "cm_key": cm_key, "geom": polys, "pt_x": pts[:, 0]}
    )
    cells["pt_y"] = pts[:, 1]
    # Codes: sub-district seq, community seq within the sub-district, cell seq within the
    # community, numbered north→south then west→east (DB11/T 2157 habit).
    sd_codes = {s: f"{DISTRICT}{i + 1:03d}" for i, s in enumerate(sorted(cells["sd"].unique()))}
    cells["subdistrict_code"] = cells["sd"].map(sd_codes)
    cm_codes: dict[int, str] = {}
    for sd, part in cells.sort_values(["row", "col"], ascending=[False, True]).groupby(
        "sd", sort=True
    ):
        for j, key in enumerate(dict.fromkeys(part["cm_key"])):
            cm_codes[key] = f"{sd_codes[sd]}{j + 1:03d}"
    cells["community_code"] = cells["cm_key"].map(cm_codes)
    cells = cells.sort_values(["community_code", "row", "col"], ascending=[True, False, True])
    cells["seq"] = cells.groupby("community_code").cumcount() + 1
    cells["cell_code"] = cells["community_code"] + cells["seq"].map("{:03d}".format)
    cells = cells.sort_index()
    communities = (
        cells.groupby("community_code")
        .agg(subdistrict_code=("subdistrict_code", "first"), geom=("geom", list))
        .reset_index()
    )
    communities["geom"] = [shapely.coverage_union_all(g) for g in communities["geom"]]
    subdistricts = communities.groupby("subdistrict_code").agg(geom=("geom", list)).reset_index()
    subdistricts["geom"] = [shapely.coverage_union_all(g) for g in subdistricts["geom"]]
    return City(cells=cells, communities=communities, subdistricts=subdistricts)


_TO_STORAGE = pyproj.Transformer.from_crs(4545, SRID, always_xy=True)


def _ewkb(geoms: np.ndarray, *, multi: bool = False) -> np.ndarray:
    geoms = shapely.transform(geoms, lambda xy: np.column_stack(_TO_STORAGE.transform(*xy.T)))
    if multi:
        geoms = np.array(
            [g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g]) for g in geoms],
            dtype=object,
        )
    return shapely.to_wkb(shapely.set_srid(geoms, SRID), hex=True, include_srid=True)


def _points_ewkb(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    lon, lat = _TO_STORAGE.transform(x, y)
    return shapely.to_wkb(
        shapely.set_srid(shapely.points(lon, lat), SRID), hex=True, include_srid=True
    )


def _locate(x: np.ndarray, y: np.ndarray, polys: np.ndarray) -> np.ndarray:
    """Index of the cell each point falls in (the first, on a shared edge)."""
    tree = shapely.STRtree(polys)
    pidx, cidx = tree.query(shapely.points(x, y), predicate="intersects")
    out = np.full(len(x), -1, dtype=np.int64)
    first = np.unique(pidx, return_index=True)[1]
    out[pidx[first]] = cidx[first]
    return out


# ------------------------------------------------------------------------------ COPY
def _copy(conn: psycopg.Connection, table: str, frame: pd.DataFrame, bar: tqdm) -> None:
    cols = ", ".join(frame.columns)
    with conn.cursor() as cur:
        with cur.copy(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv)") as copy:
            for start in range(0, len(frame), 100_000):
                part = frame.iloc[start : start + 100_000]
                buf = io.StringIO()
                part.to_csv(buf, header=False, index=False)
                copy.write(buf.getvalue())
                bar.update(len(part))


def _pg_array(values: pd.Series) -> pd.Series:
    return values.map(lambda v: "{" + ",".join(v) + "}" if v else "{}")


# ------------------------------------------------------------------------------ rows
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


# ------------------------------------------------------------------------------ load
def _psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def generate_and_load(
    url: str, *, n_households: int, n_cells: int, n_cases: int, seed: int
) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    print(f"生成网格 {n_cells:,} 个…", flush=True)
    city = build_cells(n_cells, rng)
    hh = household_rows(city, n_households, rng)
    cs = case_rows(city, hh, n_cases, rng)
    cb = callback_rows(cs, rng)
    vs = visit_rows(city, hh, rng)
    print(f"生成用时 {time.perf_counter() - t0:.1f} s", flush=True)

    cells = city.cells
    cm_names = {c: f"第{i + 1}社区" for i, c in enumerate(city.communities["community_code"])}
    sd_codes = city.subdistricts["subdistrict_code"].tolist()
    total = (
        1
        + len(sd_codes) * 2
        + len(city.communities)
        + 2 * len(cells)
        + len(hh)
        + len(cs)
        + len(cb)
        + len(vs)
    )
    with psycopg.connect(_psycopg_url(url), autocommit=False) as conn:
        conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        with tqdm(total=total, unit="行", unit_scale=True, desc="COPY") as bar:
            district_geom = shapely.coverage_union_all(city.subdistricts["geom"].to_numpy())
            _copy(
                conn,
                "districts",
                pd.DataFrame(
                    {
                        "code": [DISTRICT],
                        "name": ["汉滨区"],
                        "geom": _ewkb(np.array([district_geom]), multi=True),
                    }
                ),
                bar,
            )
            _copy(
                conn,
                "subdistricts",
                pd.DataFrame(
                    {
                        "code": sd_codes,
                        "district_code": DISTRICT,
                        "name": [f"第{i + 1}街道" for i in range(len(sd_codes))],
                        "geom": _ewkb(city.subdistricts["geom"].to_numpy(), multi=True),
                    }
                ),
                bar,
            )
            _copy(
                conn,
                "communities",
                pd.DataFrame(
                    {
                        "code": city.communities["community_code"],
                        "district_code": DISTRICT,
                        "subdistrict_code": city.communities["subdistrict_code"],
                        "name": city.communities["community_code"].map(cm_names),
                        "has_station": True,
                        "geom": _ewkb(city.communities["geom"].to_numpy(), multi=True),
                    }
                ),
                bar,
            )
            plan_of = {s: i + 1 for i, s in enumerate(sd_codes)}
            _copy(
                conn,
                "grid_plans",
                pd.DataFrame(
                    {
                        "id": [plan_of[s] for s in sd_codes],
                        "district_code": DISTRICT,
                        "subdistrict_code": sd_codes,
                        "name": [f"{s} 网格方案（基准测试）" for s in sd_codes],
                        "version_no": 1,
                        "state": "published",
                        "valid_from": "2026-01-01 00:00:00+08",
                        "lock_version": 1,
                    }
                ),
                bar,
            )
            n = len(cells)
            staff_ids = np.arange(1, n + 1)
            _copy(
                conn,
                "staff",
                pd.DataFrame(
                    {
                        "id": staff_ids,
                        "district_code": DISTRICT,
                        "staff_no": [f"G{i:06d}" for i in staff_ids],
                        "name": [f"网格长{i:05d}" for i in staff_ids],
                        "phone": [f"139{i:08d}" for i in staff_ids],
                        "role": "grid_leader",
                        "community_code": cells["community_code"].to_numpy(),
                        "cell_code": cells["cell_code"].to_numpy(),
                        "streets": "{}",
                        "active": True,
                    }
                ),
                bar,
            )
            _copy(
                conn,
                "grid_cells",
                pd.DataFrame(
                    {
                        "district_code": DISTRICT,
                        "plan_id": cells["subdistrict_code"].map(plan_of).to_numpy(),
                        "community_code": cells["community_code"].to_numpy(),
                        "cell_code": cells["cell_code"].to_numpy(),
                        "name": [f"第{s:03d}网格" for s in cells["seq"]],
                        "kind": "general",
                        "leader_staff_id": staff_ids,
                        "geom": _ewkb(cells["geom"].to_numpy(), multi=True),
                    }
                ),
                bar,
            )
            _copy(conn, "households", hh, bar)
            _copy(conn, "cases", cs, bar)
            _copy(conn, "callbacks", cb, bar)
            _copy(conn, "visits", vs, bar)
        for table in ("households", "cases", "staff", "grid_plans"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        conn.commit()
    print("VACUUM ANALYZE…", flush=True)
    with psycopg.connect(_psycopg_url(url), autocommit=True) as conn:
        for table in ("households", "cases", "callbacks", "visits", "grid_cells", "staff"):
            conn.execute(f"VACUUM ANALYZE {table}")
        conn.execute("SELECT dashboard_refresh_if_dirty()")
    counts = {
        "cells": len(cells),
        "communities": len(city.communities),
        "subdistricts": len(sd_codes),
        "households": len(hh),
        "cases": len(cs),
        "callbacks": len(cb),
        "visits": len(vs),
    }
    print(f"载入完成，用时 {time.perf_counter() - t0:.0f} s：{counts}", flush=True)
    return counts


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.city", description=__doc__.splitlines()[0])
    p.add_argument("--households", type=int, default=1_000_000)
    p.add_argument("--cells", type=int, default=10_000)
    p.add_argument("--cases", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=20261130)
    p.add_argument("--url", default=DEFAULT_URL)
    p.add_argument("--force", action="store_true", help="allow a database not named *bench*")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if "bench" not in args.url.rsplit("/", 1)[-1] and not args.force:
        print(f"拒绝清空 {args.url}：数据库名不含 bench（确需如此请加 --force）")
        return 2
    generate_and_load(
        args.url,
        n_households=args.households,
        n_cells=args.cells,
        n_cases=args.cases,
        seed=args.seed,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
