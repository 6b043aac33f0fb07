"""``lianxin report`` (period rates and the monthly .xlsx) and ``lianxin import-hotline``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from core.errors import InvalidInputError
from core.paths import check_writable


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip().replace("/", "-"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} 不是日期，应写成 2026-11-01") from None


def _report(args: argparse.Namespace) -> int:
    from services.sessions import check_database, owner
    from services.stats.reports import build_report, report_json, report_xlsx

    start, last = args.date_from, args.date_to
    if last < start:
        raise InvalidInputError(f"--to {last} 早于 --from {start}")
    check_database()
    with owner() as session:
        report = build_report(
            session=session,
            start=start,
            end=last + dt.timedelta(days=1),  # --to is inclusive
            community=args.community,
            unit=args.unit,
        )
    if args.format == "json":
        text = json.dumps(report_json(report), ensure_ascii=False, indent=2)
        if args.output:
            Path(args.output).write_text(text + "\n", encoding="utf-8")
            print(f"已写入 {args.output}", file=sys.stderr)
        else:
            print(text)
        return 0
    out = Path(args.output or f"月报_{start:%Y%m%d}-{last:%Y%m%d}.xlsx")
    out.write_bytes(report_xlsx(report))
    print(f"{report.paragraph}\n已写入 {out}")
    return 0


def _import_hotline(args: argparse.Namespace) -> int:
    from services.cases.hotline import import_hotline, rejections_xlsx
    from services.sessions import check_database, owner
    from services.uploads import table_bytes

    path = Path(args.file)
    if not path.exists():
        raise InvalidInputError(f"找不到文件 {path}")
    data = table_bytes(path, None)  # the same checks as the pages' uploads, before the database
    out = Path(args.rejected or path.with_name(path.stem + "_退回行.xlsx"))
    check_writable(out)
    check_database()
    with owner() as session:
        report = import_hotline(path, session=session, data=data, imported_by=args.by)
    print(f"{path.name}：共 {report.total:,} 行。{report.summary()}")
    if report.rejected:
        out.write_bytes(rejections_xlsx(report))
        for r in report.rejected_rows.head(10).to_dict("records"):
            print(f"  第{r['row']}行 {r['ticket_no'] or ''}：{r['reason']}")
        print(f"退回行及原因已写入 {out}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    r = subparsers.add_parser(
        "report",
        help="统计与月报：办结率、按期办结率、满意率、返工率及分类计数（json 或 xlsx）",
        description="统计区间含 --from 与 --to 两天。JSON 中每个比率给出 numerator、denominator、value。",
    )
    r.add_argument("--from", dest="date_from", type=_date, required=True, metavar="DATE")
    r.add_argument("--to", dest="date_to", type=_date, required=True, metavar="DATE")
    r.add_argument("--community", metavar="NAME", help="只统计该社区（名称或代码）")
    r.add_argument("--unit", help="月报填报单位（默认 老城街道便民服务中心）")
    r.add_argument("--format", choices=("json", "xlsx"), default="json")
    r.add_argument("-o", "--output", metavar="FILE", help="输出文件（json 默认打印到屏幕）")
    r.set_defaults(handler=_report)

    h = subparsers.add_parser(
        "import-hotline",
        help="导入12345热线工单导出（.xlsx/.xls/.csv），一次一个事务，重复导入按工单编号跳过",
    )
    h.add_argument("file", help="热线工单导出文件")
    h.add_argument("--by", default="12345热线导入", help="记为受理人的名称")
    h.add_argument("--rejected", help="退回行写入的 .xlsx（默认：原文件名_退回行.xlsx）")
    h.set_defaults(handler=_import_hotline)
