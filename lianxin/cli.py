"""The one command-line entry: ``lianxin …``.

Each domain adds its sub-commands in a module under ``lianxin/commands/`` that defines
``register(subparsers)``; every sub-command's handler returns an exit code. Project errors
become one clear line on stderr (exit 2), never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from lianxin.errors import DatabaseUnavailableError, LianxinError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lianxin",
        description="连心网 — 街道网格化服务管理（网格规划、住户、事件、统计）",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    import lianxin.commands as commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"lianxin.commands.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except DatabaseUnavailableError as exc:
        print(f"lianxin: 数据库不可用：{exc}", file=sys.stderr)
        return 2
    except LianxinError as exc:
        print(f"lianxin: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug, not bad input: one line, the detail on request
        if os.environ.get("LIANXIN_DEBUG"):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(
            f"lianxin: 内部错误 {type(exc).__name__}：{first[:300]}"
            "（设置 LIANXIN_DEBUG=1 可查看详细信息）",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
