"""Open311 API throughput: POST requests and GET requests (bbox, 30 days), with p95 latency.

Run on a city made by ``bench.city`` (its database is only read, plus the cases posted)::

    python -m bench.city --households 200000 --cells 4000 --cases 1000000 \\
        --url postgresql+psycopg://lianxin@127.0.0.1:54337/lianxin_bench_open311
    python -m bench.bench_open311 --url postgresql+psycopg://lianxin@127.0.0.1:54337/lianxin_bench_open311

The API runs as ``make run`` runs it (uvicorn, one worker) in a subprocess; the client is
``httpx`` in threads of this process, on the same machine. Baseline in the same run:
``GET /healthz`` (no database) through the same client and concurrency, so the ratio shows
what the database work costs on top of HTTP and the framework. Every call goes through the
whole path: key check, rate limit, row-level security, the services, one audit row.
Goal (issue 14): ≥ 200 POST/s, ≥ 500 GET/s, p95 < 100 ms for GET.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import httpx

from core.clock import UTC8

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- open311:begin -->", "<!-- open311:end -->"
REF_END = dt.datetime(2026, 11, 30, 23, 59, tzinfo=UTC8)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("APP_DATABASE_URL", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
    )
    root = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(root + "/healthz", timeout=2):
                return proc, root
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("API 服务未能启动")


def _run(n: int, concurrency: int, call: Any) -> dict[str, float]:
    """``n`` calls over ``concurrency`` threads: rate, p50, p95, errors."""
    latencies: list[float] = []
    failures = 0

    def worker(count: int, seed: int) -> tuple[list[float], int]:
        rng = random.Random(seed)
        mine: list[float] = []
        bad = 0
        with httpx.Client(timeout=60) as client:
            for _ in range(count):
                t = time.perf_counter()
                ok = call(client, rng)
                mine.append(time.perf_counter() - t)
                bad += 0 if ok else 1
        return mine, bad

    share = [n // concurrency + (1 if i < n % concurrency else 0) for i in range(concurrency)]
    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(concurrency) as pool:
        for mine, bad in pool.map(worker, share, range(concurrency)):
            latencies += mine
            failures += bad
    wall = time.perf_counter() - t0
    latencies.sort()
    return {
        "n": n,
        "rate": n / wall,
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
        "errors": failures,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.bench_open311")
    p.add_argument("--url", required=True, help="the bench.city database (owner URL)")
    p.add_argument("--posts", type=int, default=400)
    p.add_argument("--gets", type=int, default=400)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--write", action="store_true", help="write the figures to bench/RESULTS.md")
    args = p.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from db.engine import session_scope
    from db.open311 import city_size
    from services.api_keys import add_key

    with session_scope(args.url) as s:
        key = add_key(
            f"bench-{int(time.time())}", session=s, rate_per_minute=100_000, by="bench"
        ).key
        cases, cells = city_size(s)
    load_before = os.getloadavg()
    proc, root = _serve(args.url)
    base = root + "/open311/v2"
    try:
        # public cell points of the city, from the API itself: where to post and look
        with httpx.Client(timeout=120) as c:
            sample = c.get(
                f"{base}/requests.json",
                params={"start_date": "2026-11-01T00:00:00+08:00", "end_date": REF_END.isoformat()},
            ).json()
        points = [(r["long"], r["lat"]) for r in sample if r.get("lat") is not None]
        assert points, sample[:1]

        def healthz(client: httpx.Client, rng: random.Random) -> bool:
            return client.get(root + "/healthz").status_code == 200

        def post(client: httpx.Client, rng: random.Random) -> bool:
            lon, lat = rng.choice(points)
            r = client.post(
                f"{base}/requests.json",
                data={
                    "api_key": key,
                    "service_code": "public_facilities",
                    "lat": str(lat + rng.uniform(-2e-4, 2e-4)),
                    "long": str(lon + rng.uniform(-2e-4, 2e-4)),
                    "description": "路灯不亮",
                    "attribute[kind]": "promised",
                },
            )
            return r.status_code == 200

        start = (REF_END - dt.timedelta(days=30)).isoformat()

        def get(client: httpx.Client, rng: random.Random) -> bool:
            lon, lat = rng.choice(points)
            d = 0.01  # ≈ 1 km each way
            r = client.get(
                f"{base}/requests.json",
                params={
                    "bbox": f"{lon - d},{lat - d},{lon + d},{lat + d}",
                    "start_date": start,
                    "end_date": REF_END.isoformat(),
                },
            )
            return r.status_code == 200

        _run(40, args.concurrency, get)  # warm-up: plans, caches, pool
        base_line = _run(args.gets, args.concurrency, healthz)
        gets = _run(args.gets, args.concurrency, get)
        posts = _run(args.posts, args.concurrency, post)
        with httpx.Client(timeout=60) as c:
            one = c.get(
                f"{base}/requests.json",
                params={
                    "bbox": f"{points[0][0] - 0.01},{points[0][1] - 0.01},"
                    f"{points[0][0] + 0.01},{points[0][1] + 0.01}",
                    "start_date": start,
                    "end_date": REF_END.isoformat(),
                },
            ).json()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    load_after = os.getloadavg()

    def line(name: str, r: dict[str, float], goal: str, met: bool | None) -> str:
        verdict = "" if met is None else (" ✅ met" if met else " ❌ not met")
        return (
            f"| {name} | {r['n']:,} | {r['rate']:,.0f}/s | {r['p50_ms']:.0f} ms | "
            f"{r['p95_ms']:.0f} ms | {r['errors']} | {goal}{verdict} |"
        )

    now = dt.datetime.now(UTC8)
    text = "\n".join(
        [
            BEGIN,
            "## Open311 API (POST and GET requests)",
            "",
            f"Run {now:%Y-%m-%d %H:%M} with `python -m bench.bench_open311` on a `bench.city` "
            f"city of {cases:,} cases and {cells:,} cells; the API as `make run` serves it "
            f"(uvicorn, 1 worker), the client in {args.concurrency} threads on the same 2 cores; "
            f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after (other "
            "helpers' jobs were running, so these are lower bounds).",
            "",
            "| call | n | rate | p50 | p95 | errors | goal |",
            "|---|---|---|---|---|---|---|",
            line("GET /healthz (baseline: HTTP + framework only)", base_line, "—", None),
            line(
                "GET requests (bbox ≈ 2 km × 2 km, 30 days)",
                gets,
                "≥ 500/s, p95 < 100 ms",
                gets["rate"] >= 500 and gets["p95_ms"] < 100,
            ),
            line("POST requests (lat/long)", posts, "≥ 200/s", posts["rate"] >= 200),
            "",
            f"GET requests ran at {gets['rate'] / base_line['rate']:.2f}× the baseline's rate, "
            f"POST at {posts['rate'] / base_line['rate']:.2f}×; a GET answered "
            f"{len(one):,} requests (first bbox). Each call: key check, token bucket, "
            "row-level security, the services, one audit row, in one transaction.",
            END,
        ]
    )
    print(text)
    if args.write:
        old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
        if BEGIN in old and END in old:
            new = old[: old.index(BEGIN)] + text + old[old.index(END) + len(END) :]
        else:
            new = old.rstrip("\n") + "\n\n" + text + "\n"
        RESULTS.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
