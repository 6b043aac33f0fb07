"""The one command-line entry: ``lianxin …``.

Each domain adds its sub-commands in a module under ``cli/commands/`` that defines
``register(subparsers)``; every sub-command's handler returns an exit code. Project errors
become one clear line on stderr (exit 2), never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import pkgutil
import sys
from collections.abc import Sequence

from core.errors import DatabaseError, DatabaseUnavailableError, InvalidInputError, LianxinError
from core.paths import check_writable, why


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lianxin",
        description="连心网 — 街道网格化服务管理（网格规划、住户、事件、统计）",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    import cli.commands as commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"cli.commands.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


_OUTPUT_OPTIONS = ("output", "rejected")


def _check_arguments(args: argparse.Namespace) -> None:
    """What every sub-command needs of its options, in one place: widths, tolerances and counts
    are finite and not negative (argparse's ``float`` takes ``nan``, ``inf`` and ``-1``), and an
    output file can be written before any work starts."""
    for key, value in vars(args).items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        option = "--" + key.replace("_", "-")
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidInputError(f"{option} 必须是有限的数，得到 {value}")
        if value < 0:
            raise InvalidInputError(f"{option} 不能为负数，得到 {value}")
    for key in _OUTPUT_OPTIONS:
        value = getattr(args, key, None)
        if isinstance(value, str) and value and value != "-":
            check_writable(value)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        _check_arguments(args)
        return int(handler(args) or 0)
    except DatabaseUnavailableError as exc:
        print(f"lianxin: 数据库不可用：{exc}", file=sys.stderr)
        return 2
    except DatabaseError as exc:  # a statement the database refused: a bug, like the next
        if os.environ.get("LIANXIN_DEBUG"):
            raise
        return _internal_error(exc.__cause__ or exc)
    except LianxinError as exc:
        print(f"lianxin: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file that vanished or cannot be written: bad input, not a bug
        where = exc.filename or ""
        print(f"lianxin: 无法读写文件 {where}（{why(exc)}）", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug, not bad input: one line, the detail on request
        if os.environ.get("LIANXIN_DEBUG"):
            raise
        return _internal_error(exc)


def _internal_error(exc: BaseException) -> int:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    print(
        f"lianxin: 内部错误 {type(exc).__name__}：{first[:300]}"
        "（设置 LIANXIN_DEBUG=1 可查看详细信息）",
        file=sys.stderr,
    )
    return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
