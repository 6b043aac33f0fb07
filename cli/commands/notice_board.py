"""``lianxin notice-board CELL_CODE -o FILE.pdf`` — a cell's printable notice board (公示牌)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from core.errors import InvalidInputError


def _notice_board(args: argparse.Namespace) -> int:
    from services.notice_board import notice_board_pdf
    from services.sessions import check_database, owner

    day = None
    if args.date:
        try:
            day = dt.date.fromisoformat(args.date)
        except ValueError as exc:
            raise InvalidInputError(f"--date 应为 YYYY-MM-DD，得到 {args.date!r}") from exc
    out = Path(args.output or f"公示牌_{args.cell_code}.pdf")
    check_database()
    with owner() as session:
        pdf = notice_board_pdf(
            args.cell_code,
            session=session,
            day=day,
            font_path=args.font,
            font_index=args.font_index,
        )
    out.write_bytes(pdf)
    print(f"网格 {args.cell_code} 的公示牌已写入 {out}（{len(pdf) / 1024:,.0f} KB）")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "notice-board", help="生成网格公示牌 PDF（网格图、编码、社区、网格长及电话、户数）"
    )
    p.add_argument("cell_code", metavar="CELL_CODE", help="15位网格编码")
    p.add_argument("-o", "--output", help="输出的 PDF 文件（默认：公示牌_网格编码.pdf）")
    p.add_argument("--date", help="落款日期 YYYY-MM-DD（默认：今天）")
    p.add_argument(
        "--font",
        help="嵌入的中文 TrueType 字体（.ttf/.ttc）；默认使用 PDF 内置宋体 STSong-Light",
    )
    p.add_argument("--font-index", type=int, default=0, help=".ttc 中的字体序号（默认 0）")
    p.set_defaults(handler=_notice_board)
