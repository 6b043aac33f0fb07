"""``lianxin import-roster`` — a household roster (Excel/CSV) into the database, one transaction."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.errors import InvalidInputError
from core.paths import check_writable


def _parse_mapping(items: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise InvalidInputError(f"--map 需要「列名=字段」的形式，得到 {item!r}")
        column, field = item.split("=", 1)
        mapping[column.strip()] = field.strip()
    return mapping


def _import(args: argparse.Namespace) -> int:
    from services.households.roster_import import import_roster
    from services.households.roster_parse import rejections_xlsx
    from services.sessions import check_database, owner
    from services.uploads import table_bytes

    path = Path(args.file)
    if not path.exists():
        raise InvalidInputError(f"找不到文件 {path}")
    data = table_bytes(path, None)  # the same checks as the 住户导入 page, before the database
    out = Path(args.rejected or path.with_name(path.stem + "_退回行.xlsx"))
    check_writable(out)
    check_database()
    with owner() as session:
        report = import_roster(
            path, session=session, data=data, mapping=_parse_mapping(args.map), imported_by="cli"
        )
    print(f"{path.name}：共 {report.total:,} 行。{report.summary()}")
    if report.rejected:
        out.write_bytes(rejections_xlsx(report.rejected_rows, title=f"{path.name} 退回行"))
        print(f"退回行及原因已写入 {out}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "import-roster", help="导入住户花名册（.xlsx/.xls/.csv），一次一个事务"
    )
    p.add_argument("file", help="花名册文件")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="列名=字段",
        help="指定列的含义，如 --map 住在哪=address（字段：head_name, id_number, phone, address, size, tags, sex, community, note）",
    )
    p.add_argument("--rejected", help="退回行写入的 .xlsx（默认：原文件名_退回行.xlsx）")
    p.set_defaults(handler=_import)
