"""``lianxin demo generate|load`` — the 老城 demo town (示例数据)."""

from __future__ import annotations

import argparse

from core.settings import ROOT


def _generate(args: argparse.Namespace) -> int:
    from demo.generate import generate_demo

    manifest = generate_demo(ROOT, seed=args.seed)
    print(f"示例数据已生成（seed {args.seed}）：{manifest.get('counts', manifest)}")
    return 0


def _load(args: argparse.Namespace) -> int:
    from demo.load import load_demo
    from services.sessions import check_database

    check_database()
    counts = load_demo(replace=args.replace, progress=lambda m: print(f"  {m}"))
    print(
        f"数据库中：社区 {counts['communities']} 个，网格 {counts['grid_cells']} 个，"
        f"住户 {counts['households']:,} 户，事件 {counts['cases']:,} 件"
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="老城示例数据：generate（生成文件）| load（载入数据库）")
    sub = p.add_subparsers(dest="demo_command", metavar="ACTION", required=True)
    g = sub.add_parser("generate", help="确定性地生成 data/boundaries 与 data/demo 下的示例文件")
    g.add_argument("--seed", type=int, default=20261130)
    g.set_defaults(handler=_generate)
    ld = sub.add_parser("load", help="把示例数据载入数据库（一个事务）")
    group = ld.add_mutually_exclusive_group()
    group.add_argument("--if-empty", action="store_true", help="数据库已有数据时跳过（默认）")
    group.add_argument("--replace", action="store_true", help="清空后重新载入")
    ld.set_defaults(handler=_load)
