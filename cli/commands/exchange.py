"""``lianxin exchange export|import`` — case packets for the 12345 hotline and the city platform.

The packet is documented in docs/exchange.md (schema: docs/exchange-packet.schema.json).
Runs as the owner; an export with ``--with-personal`` and every import leave an audit row.
"""

from __future__ import annotations

import argparse
import datetime as dt

from cli.commands.users import operator_name
from core.errors import InvalidInputError


def _moment(value: str | None, what: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(
            f"{what} {value!r} 不是日期或日期时间（如 2026-11-01 或 2026-11-01T08:00）"
        ) from None
    from core.clock import BEIJING as TZ

    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)


def _export(args: argparse.Namespace) -> int:
    from services.cases import exchange
    from services.sessions import check_database, owner

    since = _moment(args.since, "--since")
    until = _moment(args.until, "--until")
    check_database()
    with owner() as s:
        packet = exchange.export_packet(
            session=s,
            since=since,
            until=until,
            with_personal=args.with_personal,
            by=operator_name(),
        )
    path = exchange.write_packet(packet, args.to)
    personal = (
        "（含诉求人姓名电话，已记入审计日志）" if args.with_personal else "（不含诉求人个人信息）"
    )
    print(f"已导出 {len(packet['cases']):,} 件案件到 {path}{personal}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from services.cases import exchange
    from services.sessions import check_database, owner

    packet = exchange.read_packet(args.file)
    check_database()
    with owner() as s:
        result = exchange.import_packet(
            session=s, packet=packet, by=operator_name(), source=args.file
        )
    print(
        f"导入 {args.file}：新增 {len(result.added):,} 件，已存在跳过 {len(result.skipped):,} 件，"
        f"退回 {len(result.rejected):,} 件"
    )
    for line in result.rejected[:50]:
        print(f"  退回 {line}")
    if len(result.rejected) > 50:
        print(f"  ……另有 {len(result.rejected) - 50:,} 件退回")
    return 1 if result.rejected else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("exchange", help="案件交换包（12345 热线、城市运管服平台）")
    sub = parser.add_subparsers(dest="exchange_command", metavar="ACTION", required=True)
    exp = sub.add_parser("export", help="导出某时刻以来受理或有进展的案件")
    exp.add_argument("--since", help="起始日期或时间，如 2026-11-01（缺省：全部）")
    exp.add_argument("--until", help="截止（不含），按受理时间")
    exp.add_argument("--to", required=True, help="输出的 JSON 文件")
    exp.add_argument(
        "--with-personal", action="store_true", help="携带诉求人姓名与电话（记入审计日志）"
    )
    exp.set_defaults(handler=_export)
    imp = sub.add_parser("import", help="导入交换包（重复导入不会重复新增）")
    imp.add_argument("file")
    imp.set_defaults(handler=_import)
