"""A Tuesday morning, measured: ``python -m bench.load --users 1,10,30,60 --minutes 1``.

Each simulated user has an account of their own (grid leaders each with their own cell) and
works the way the office does, in a loop until the phase ends:

* grid leaders (about two thirds of the users) open 我的网格, open a household file, filter
  a category roll;
* clerks open 我的待办 and advance a case one step with a note of their own;
* leaders open 领导驾驶舱 and change the map's colouring;
* a planner opens 方案编辑 (the plan check).

Most users are light clients (``bench.stclient``: Streamlit's own websocket protocol, so the
server does the same work as for a browser); ``--browsers`` of them are real headless
Chromium tabs that log in and open their page, timed until Streamlit's status widget is gone.

The server is ``lianxin serve`` against a copy of the demo database (``lianxin_load``, made
from the test database as a template, so the cases a clerk advances never touch the tests'
data). ``--compare-single`` runs each phase once more against one Streamlit process without
the proxy — the way ``make run`` served before — as the baseline in the same run.

Reported per phase: p50 / p95 / max seconds per interaction, errors, and the 1-minute load
average; ``--profile`` records the workers with py-spy during the largest phase and prints
the top frames (self time). Results go to bench/out/load.json and, with ``--write``, to
bench/RESULTS.md's load section.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.stclient import Run, StreamlitClient, login

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
LOAD_DB = "lianxin_load"


# ----------------------------------------------------------------------------- set-up
def _free_ports(n: int) -> int:
    """The first of ``n`` consecutive free loopback ports."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + n > 65000:
            continue
        ok = True
        for p in range(base, base + n):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free ports")


def make_load_database() -> str:
    """A fresh copy of the demo (the test database) as ``lianxin_load``; its URL."""
    from sqlalchemy.engine import make_url

    from core.settings import settings
    from db import cluster

    test_url = make_url(settings.test_database_url)
    cluster.copy_database(settings, source=str(test_url.database), target=LOAD_DB)
    return test_url.set(database=LOAD_DB).render_as_string(hide_password=False)


@dataclass
class Account:
    role: str
    username: str
    password: str


def make_accounts(db_url: str, *, users: int) -> list[Account]:
    """``users`` accounts: grid leaders each with their own cell, clerks, leaders, a planner."""
    from db.engine import session_scope
    from services import accounts as account_service
    from services.demo_accounts import staff_roster

    with session_scope(db_url) as s:
        staff = staff_roster(session=s)
        leaders = [r for r in staff if r["role"] == "grid_leader" and r["cell_code"]]
        clerks = [r for r in staff if r["role"] == "clerk"]
        n_planner = 1
        n_leader = max(1, users // 10)
        n_clerk = max(1, users // 4) if users > 2 else 0
        n_grid = max(0, users - n_planner - n_leader - n_clerk)
        plan: list[tuple[str, dict[str, Any] | None]] = []
        plan += [("grid_leader", leaders[i % len(leaders)]) for i in range(n_grid)]
        plan += [("clerk", clerks[i % len(clerks)] if clerks else None) for i in range(n_clerk)]
        plan += [("leader", None)] * n_leader + [("planner", None)] * n_planner
        accounts: list[Account] = []
        for role, person in plan[:users]:
            name = f"load_{role}_{secrets.token_hex(3)}"
            pw = account_service.create_user(
                name,
                session=s,
                role=role,
                staff_no=(person or {}).get("staff_no"),
                community_code=(person or {}).get("community_code"),
                by="bench",
            )
            accounts.append(Account(role, name, pw))
    return accounts


@contextmanager
def server(db_url: str, *, workers: int, proxy: bool) -> Iterator[tuple[str, list[int]]]:
    """``lianxin serve`` (proxy) or a bare ``streamlit run``; yields (url, worker pids)."""
    env = dict(os.environ, DATABASE_URL=db_url, LIANXIN_DEMO="1")
    base = _free_ports(workers + 1)
    if proxy:
        cmd = [sys.executable, "-m", "cli.main", "serve", "--workers", str(workers)]
        cmd += ["--port", str(base), "--bind", "127.0.0.1", "--first-worker-port", str(base + 1)]
        cmd += ["--refresh-every", "60"]
    else:
        cmd = [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(base)]
        cmd += ["--server.headless", "true"]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{base}"
    import urllib.request

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=1):
                break
        except OSError:
            time.sleep(0.5)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        raise RuntimeError("server did not start")
    pids = _streamlit_pids(proc.pid) if proxy else [proc.pid]
    try:
        yield url, pids
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _streamlit_pids(parent: int) -> list[int]:
    out = subprocess.run(
        ["pgrep", "-P", str(parent), "-f", "streamlit run"], capture_output=True, text=True
    ).stdout
    return [int(x) for x in out.split()]


# ----------------------------------------------------------------------------- scenarios
@dataclass
class Stats:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: list[str] = field(default_factory=list)

    def ok(self, name: str, run: Run) -> Run:
        if run.exceptions:
            self.fail(name, run.exceptions[0])
        else:
            self.times[name].append(run.seconds)
        return run

    def fail(self, name: str, why: str) -> None:
        self.errors[name] += 1
        if len(self.samples) < 10:
            self.samples.append(f"{name}: {why[:200]}")


def _pick(run: Run, client: StreamlitClient, *, kind: str, label: str, rng: random.Random):
    w = client.find(run, kind=kind, label=label)
    if not w.options:
        raise LookupError(f"{label} has no options")
    client.set(w, rng.choice(w.options))


async def simulate(
    url: str, account: Account, *, until: float, stats: Stats, seed: int, start_after: float = 0.0
) -> None:
    rng = random.Random(seed)
    client = StreamlitClient(url)
    await asyncio.sleep(start_after)  # the ramp: people arrive over the first minutes
    try:
        first = await login(client, account.username, account.password)
        if "登录" in client.pages or not client.pages:
            stats.fail("login", "still on the login page")
            return
        stats.ok("login", first)
        while time.monotonic() < until:
            await asyncio.sleep(rng.uniform(0.5, 2.0))  # a person reads before the next click
            if account.role == "grid_leader":
                run = stats.ok("open_my_cell", await client.rerun(page="我的网格"))
                _pick(run, client, kind="selectbox", label="选择住户查看档案", rng=rng)
                run = stats.ok("household_file", await client.rerun())
                _pick(run, client, kind="selectbox", label="按类别筛选", rng=rng)
                stats.ok("category_filter", await client.rerun())
            elif account.role == "clerk":
                run = stats.ok("open_queue", await client.rerun(page="我的待办"))
                try:
                    _pick(run, client, kind="selectbox", label="选择案件", rng=rng)
                    run = await client.rerun()
                    note = client.find(
                        run, kind="text_area", label="说明（结案填核查情况；退回、重办填理由）"
                    )
                    client.set(note, f"压测说明 {rng.randrange(10**6)}")
                    client.set(client.find(run, kind="button", label="提交"), True)
                    stats.ok("case_step", await client.rerun())
                except LookupError:
                    pass  # nothing to act on in this clerk's queue right now
            elif account.role == "leader":
                run = stats.ok("open_dashboard", await client.rerun(page="领导驾驶舱"))
                try:
                    _pick(run, client, kind="selectbox", label="网格着色", rng=rng)
                    stats.ok("dashboard_filter", await client.rerun())
                except LookupError:
                    pass
            else:
                stats.ok("plan_check", await client.rerun(page="方案编辑"))
    except Exception as exc:  # noqa: BLE001 - every failure is counted, the run goes on
        stats.fail(account.role, f"{type(exc).__name__}: {exc}")
    finally:
        await client.close()


def browser_sessions(url: str, accounts: list[Account], *, until: float, stats: Stats) -> None:
    """Real Chromium tabs: log in, open the role's page, repeat; timed to the settled page."""
    from playwright.sync_api import sync_playwright

    page_for = {
        "grid_leader": "我的网格",
        "clerk": "我的待办",
        "leader": "领导驾驶舱",
        "planner": "方案编辑",
    }
    flags = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--disable-quic",
    ]
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=flags)
        try:
            i = 0
            while accounts and time.monotonic() < until:
                acc = accounts[i % len(accounts)]
                i += 1
                ctx = b.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
                page = ctx.new_page()
                try:
                    t = time.perf_counter()
                    page.goto(url, wait_until="domcontentloaded")
                    page.get_by_label("用户名").fill(acc.username, timeout=60_000)
                    page.get_by_label("密码").fill(acc.password)
                    page.get_by_role("button", name="登录").click()
                    page.get_by_role("button", name="退出").wait_for(timeout=60_000)
                    page.get_by_role("link", name=page_for[acc.role]).first.click()
                    page.wait_for_function(
                        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                        timeout=60_000,
                    )
                    stats.times["browser_login_and_page"].append(time.perf_counter() - t)
                except Exception as exc:  # noqa: BLE001
                    stats.fail("browser_login_and_page", f"{type(exc).__name__}: {exc}")
                finally:
                    ctx.close()
        finally:
            b.close()


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def summarise(stats: Stats) -> dict[str, Any]:
    rows = {}
    for name, values in sorted(stats.times.items()):
        rows[name] = {
            "n": len(values),
            "p50": round(statistics.median(values), 3),
            "p95": round(percentile(values, 0.95), 3),
            "max": round(max(values), 3),
        }
    return {"interactions": rows, "errors": dict(stats.errors), "error_samples": stats.samples}


async def _phase_async(
    url: str, accounts: list[Account], *, seconds: float, stats: Stats, spawn_rate: float
):
    until = time.monotonic() + seconds
    await asyncio.gather(
        *(
            simulate(
                url,
                a,
                until=until,
                stats=stats,
                seed=i,
                start_after=i / spawn_rate if spawn_rate > 0 else 0.0,
            )
            for i, a in enumerate(accounts)
        )
    )


def run_phase(
    url: str, accounts: list[Account], *, seconds: float, browsers: int, spawn_rate: float = 0.0
) -> dict[str, Any]:
    import threading

    stats = Stats()
    light, real = accounts[browsers:], accounts[:browsers]
    until = time.monotonic() + seconds
    threads = (
        [
            threading.Thread(
                target=browser_sessions, args=(url, real), kwargs={"until": until, "stats": stats}
            )
        ]
        if real
        else []
    )
    for t in threads:
        t.start()
    asyncio.run(_phase_async(url, light, seconds=seconds, stats=stats, spawn_rate=spawn_rate))
    for t in threads:
        t.join(timeout=120)
    out = summarise(stats)
    out["load_average_1m"] = round(os.getloadavg()[0], 2)
    return out


def profile(pids: list[int], *, seconds: int) -> list[tuple[str, float]]:
    """Top frames by self time across the workers, from ``py-spy record --format raw``."""
    outs = []
    procs = []
    for pid in pids:
        path = OUT / f"pyspy-{pid}.txt"
        outs.append(path)
        procs.append(
            subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "py-spy"),
                    "record",
                    "--pid",
                    str(pid),
                    "--duration",
                    str(seconds),
                    "--rate",
                    "50",
                    "--gil",
                    "--format",
                    "raw",
                    "--output",
                    str(path),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    return _top_frames(procs, outs)


def _top_frames(procs: list[subprocess.Popen[bytes]], outs: list[Path]) -> list[tuple[str, float]]:
    for p in procs:
        p.wait(timeout=600)
    leaf: dict[str, int] = defaultdict(int)
    total = 0
    for path in outs:
        if not path.exists():
            continue
        for line in path.read_text("utf-8", "replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            frames = stack.split(";")
            # the innermost frame that is our code or a library call worth naming
            leaf[frames[-1]] += int(count)
            total += int(count)
    top = sorted(leaf.items(), key=lambda kv: -kv[1])[:15]
    return [(name, round(100 * n / max(total, 1), 1)) for name, n in top]


def _profiled_phase(
    url: str,
    accounts: list[Account],
    pids: list[int],
    *,
    seconds: float,
    browsers: int,
    spawn_rate: float = 0.0,
) -> dict[str, Any]:
    """A phase with py-spy sampling the workers for most of it."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        top = pool.submit(profile, pids, seconds=int(seconds * 0.8))
        res = run_phase(url, accounts, seconds=seconds, browsers=browsers, spawn_rate=spawn_rate)
        res["py_spy_top_self"] = top.result()
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    ap.add_argument("--users", default="1,10,30,60", help="comma-separated phase sizes")
    ap.add_argument("--minutes", type=float, default=1.0, help="length of each phase")
    ap.add_argument("--browsers", type=int, default=2, help="real Chromium sessions per phase")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument(
        "--compare-single",
        action="store_true",
        help="also run each phase against one bare Streamlit process (baseline)",
    )
    ap.add_argument("--profile", action="store_true", help="py-spy the largest phase")
    ap.add_argument(
        "--spawn-rate",
        type=float,
        default=0.0,
        help="users starting per second, like Locust's spawn rate (0: all log in at once)",
    )
    args = ap.parse_args(argv)
    sizes = [int(x) for x in args.users.split(",") if x.strip()]
    OUT.mkdir(parents=True, exist_ok=True)
    db_url = make_load_database()
    accounts = make_accounts(db_url, users=max(sizes))
    results: dict[str, Any] = {
        "workers": args.workers,
        "minutes": args.minutes,
        "spawn_rate": args.spawn_rate,
        "phases": {},
    }
    setups = [("proxy", True, args.workers)]
    if args.compare_single:
        setups.insert(0, ("single", False, 1))
    for label, proxy, workers in setups:
        with server(db_url, workers=workers, proxy=proxy) as (url, pids):
            run_phase(url, accounts[:1], seconds=10, browsers=0)  # warm the caches
            for n in sizes:
                rng = random.Random(n)
                chosen = rng.sample(accounts, n)
                seconds = args.minutes * 60
                browsers = min(args.browsers, n)
                if args.profile and proxy and n == max(sizes):
                    res = _profiled_phase(
                        url,
                        chosen,
                        pids,
                        seconds=seconds,
                        browsers=browsers,
                        spawn_rate=args.spawn_rate,
                    )
                else:
                    res = run_phase(
                        url, chosen, seconds=seconds, browsers=browsers, spawn_rate=args.spawn_rate
                    )
                results["phases"][f"{label}:{n}"] = res
                print(json.dumps({f"{label}:{n}": res}, ensure_ascii=False, indent=1), flush=True)
    (OUT / "load.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
