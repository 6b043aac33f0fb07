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

The cells are built in :mod:`bench.city_cells`, the rows in :mod:`bench.city_rows`; this module
loads them (COPY) and is the command line.
"""

from __future__ import annotations

import argparse
import io
import os
import time

import numpy as np
import pandas as pd
import psycopg
import shapely
from tqdm import tqdm

from bench.city_cells import DISTRICT, _ewkb, build_cells
from bench.city_rows import callback_rows, case_rows, household_rows, visit_rows
from core.settings import local_url

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
