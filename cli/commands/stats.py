"""``lianxin stats refresh [--every SECONDS]`` — refresh the dashboard summaries off the page path."""

from __future__ import annotations

import argparse
import sys
import time

from core.errors import DatabaseError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("stats", help="驾驶舱统计：后台刷新月度汇总")
    sub = p.add_subparsers(dest="stats_command", metavar="ACTION", required=True)
    r = sub.add_parser(
        "refresh",
        help="刷新被标记为过期的月度汇总（城市规模下由后台定时运行，页面请求不再等待）",
    )
    r.add_argument(
        "--every",
        type=int,
        default=0,
        metavar="SECONDS",
        help="每隔多少秒刷新一次，一直运行（默认 0：刷新一次后退出）",
    )
    r.set_defaults(handler=_refresh)


def _refresh(args: argparse.Namespace) -> int:
    from services.sessions import check_database, owner
    from services.stats.dashboard import refresh_summaries

    if args.every < 0:
        print("lianxin: --every 不能为负数", file=sys.stderr)
        return 2
    check_database()
    while True:
        started = time.monotonic()
        try:
            with owner() as session:
                n = refresh_summaries(session=session)
        except Exception as exc:  # a long-running job logs one line and tries again
            if not args.every:
                raise
            why = exc.__cause__ if isinstance(exc, DatabaseError) and exc.__cause__ else exc
            first = (str(why).strip().splitlines() or [type(why).__name__])[0]
            print(f"lianxin stats: 刷新失败，{args.every} 秒后重试：{first[:200]}", file=sys.stderr)
            n = 0
        if not args.every:
            print(f"已刷新 {n} 组汇总（{time.monotonic() - started:.1f} 秒）")
            return 0
        if n:
            print(f"已刷新 {n} 组汇总（{time.monotonic() - started:.1f} 秒）", flush=True)
        time.sleep(args.every)
