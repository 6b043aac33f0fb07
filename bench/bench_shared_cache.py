"""Cross-user caches (issue 15), single users one after another: ``python -m bench.bench_shared_cache``.

Starts one bare ``streamlit run`` on a copy of the demo (bench.load's database and accounts),
then, with the websocket client (bench/stclient.py), two grid leaders of different cells and
two leaders each open their page and rerun it; prints the median seconds per step. ``--root``
runs another checkout's pages (e.g. ``git archive main`` unpacked) for the "before" figure.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from pathlib import Path

from bench import load
from bench.stclient import StreamlitClient, login


async def _user(url: str, account: load.Account, page: str, reruns: int) -> dict[str, float]:
    client = StreamlitClient(url)
    try:
        done = await login(client, account.username, account.password)
        assert "登录" not in client.pages, (client.pages, done.exceptions)
        first = await client.rerun(page=page)
        assert not first.exceptions, first.exceptions
        print(f"  {page}: {len(first.widgets)} widgets (the page rendered: more than 1)")
        again = []
        for _ in range(reruns):
            run = await client.rerun()
            assert not run.exceptions, run.exceptions
            again.append(run.seconds)
        return {"first": first.seconds, "rerun": statistics.median(again)}
    finally:
        await client.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", type=Path, default=load.ROOT)
    ap.add_argument("--reruns", type=int, default=5)
    args = ap.parse_args(argv)
    db_url = load.make_load_database()
    accounts = load.make_accounts(db_url, users=12)
    grid = [a for a in accounts if a.role == "grid_leader"][:2]
    leaders = [a for a in accounts if a.role == "leader"][:1]
    leaders += load.make_accounts(db_url, users=10)[-2:-1]  # a second leader
    load.ROOT = args.root
    with load.server(db_url, workers=1, proxy=False) as (url, _):
        steps = [(a, "我的网格") for a in grid] + [(a, "领导驾驶舱") for a in leaders]
        for i, (account, page) in enumerate(steps):
            t = asyncio.run(_user(url, account, page, args.reruns))
            print(
                f"{page} user {i % 2 + 1}: first open {t['first']:.2f} s, rerun {t['rerun']:.2f} s"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
