"""``lianxin parse-address`` and ``lianxin geocode``: addresses on the command line.

``parse-address`` prints one JSON object per address: ``{"input": …, "components": {…}}``.
``geocode`` adds ``lon, lat, match_type, score, matched`` to a CSV/Excel roster, using the
street and door-plate files given, or the database's gazetteer when none are given.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core.errors import InvalidInputError, NotFoundError
from core.text_files import decode_office_text
from services import addresses

_EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
_HEADER_SEARCH_ROWS = 10  # rosters often have a title row above the header row


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "parse-address",
        help="把地址拆分为省、市、区、街道、社区、街巷、门牌号等（每行一个 JSON）",
        description="把地址拆分为组成部分，每个地址输出一行 JSON。",
    )
    p.add_argument("address", nargs="*", help="地址文本，可给多个")
    p.add_argument("--file", help="地址文件，每行一个地址（UTF-8 或 GBK）")
    p.set_defaults(handler=handle_parse_address)

    g = subparsers.add_parser(
        "geocode",
        help="为表格中的地址计算坐标（门牌精确 / 插值 / 街巷 / 社区）",
        description="读取 CSV 或 Excel，为地址列计算经纬度（EPSG:4490），写出 CSV。",
    )
    g.add_argument("input", help="输入文件（.csv 或 .xlsx）")
    g.add_argument("--address-column", default="地址", help="地址所在列名（默认：地址）")
    g.add_argument(
        "-o", "--output", required=True, help="输出 CSV（UTF-8 带 BOM，Excel 可直接打开）"
    )
    g.add_argument("--streets", help="街巷中心线文件（GeoJSON/GeoPackage/Shapefile）")
    g.add_argument("--street-name-field", default="name", help="街巷文件中的名称字段")
    g.add_argument("--door-plates", help="门牌点文件")
    g.add_argument("--door-plate-street-field", default="street_name", help="门牌文件中的街巷字段")
    g.add_argument(
        "--door-plate-number-field", default="house_number", help="门牌文件中的门牌号字段"
    )
    g.add_argument("--communities", help="社区边界文件（可选）")
    g.add_argument(
        "--compounds", help="小区/楼院点文件（可选；name，可带 street_name、house_number）"
    )
    g.set_defaults(handler=handle_geocode)


# ------------------------------------------------------------------------- reading


def read_table(path: Path, *, column: str) -> Any:
    """Read a CSV/Excel table whose header row holds ``column`` (within the first rows)."""
    import pandas as pd

    from services.uploads import table_bytes

    if not path.exists():
        raise NotFoundError(f"输入文件不存在：{path}")
    data = table_bytes(path, None)  # .xlsx/.xls/.csv by content, size, zip bomb
    try:
        if path.suffix.lower() in _EXCEL_SUFFIXES:
            raw = pd.read_excel(io.BytesIO(data), header=None, dtype=str)
        else:
            text = decode_office_text(data, where=str(path))
            raw = pd.read_csv(io.StringIO(text), header=None, dtype=str, skip_blank_lines=True)
    except (InvalidInputError, NotFoundError):
        raise
    except Exception as exc:  # pandas/openpyxl raise many kinds for a broken file
        raise InvalidInputError(f"无法读取 {path}：{exc}") from exc
    if raw.empty:
        raise InvalidInputError(f"{path} 是空表")
    header_row = 0
    for i in range(min(_HEADER_SEARCH_ROWS, len(raw))):
        cells = [str(v).strip() for v in raw.iloc[i].tolist() if isinstance(v, str)]
        if column in cells:
            header_row = i
            break
    else:
        rows = [
            [str(v).strip() for v in raw.iloc[i].tolist() if isinstance(v, str) and v.strip()]
            for i in range(min(_HEADER_SEARCH_ROWS, len(raw)))
        ]
        likely = max(rows, key=len)  # the header is the fullest of the first rows
        raise InvalidInputError(
            f"{path} 中没有“{column}”列；现有列：{', '.join(likely) or '（无）'}。"
            f"请用 --address-column 指定地址所在列"
        )
    headers = [
        str(v).strip() if isinstance(v, str) and v.strip() else f"列{j + 1}"
        for j, v in enumerate(raw.iloc[header_row].tolist())
    ]
    table = raw.iloc[header_row + 1 :].reset_index(drop=True)
    table.columns = headers
    return table.dropna(how="all").reset_index(drop=True)


def _lines(path: Path) -> Iterable[str]:
    if not path.exists():
        raise NotFoundError(f"地址文件不存在：{path}")
    for line in decode_office_text(path.read_bytes(), where=str(path)).splitlines():
        if line.strip():
            yield line.strip()


# ------------------------------------------------------------------------- handlers


def handle_parse_address(args: argparse.Namespace) -> int:
    texts = list(args.address)
    if args.file:
        texts.extend(_lines(Path(args.file)))
    if not texts:
        raise InvalidInputError("请给出地址文本，或用 --file 指定地址文件（每行一个）")
    out = sys.stdout
    for text, comps in zip(texts, addresses.parse_address_texts(texts=texts), strict=True):
        out.write(json.dumps({"input": text, "components": comps}, ensure_ascii=False) + "\n")
    return 0


def _gazetteer(args: argparse.Namespace) -> Any:
    if args.streets or args.door_plates:
        if not (args.streets and args.door_plates):
            raise InvalidInputError("--streets 与 --door-plates 需要同时给出")
        return addresses.gazetteer_from_files(
            streets=args.streets,
            door_plates=args.door_plates,
            street_name_field=args.street_name_field,
            door_plate_street_field=args.door_plate_street_field,
            door_plate_number_field=args.door_plate_number_field,
            communities=args.communities,
            compounds=args.compounds,
        )
    try:
        from services.geocoding import load_gazetteer
    except ImportError as exc:
        raise InvalidInputError(
            "需要 --streets 与 --door-plates，或先启动数据库（lianxin 的数据库地名库不可用）"
        ) from exc
    return load_gazetteer()


def handle_geocode(args: argparse.Namespace) -> int:
    src = Path(args.input)
    table = read_table(src, column=args.address_column)
    gazetteer = _gazetteer(args)
    dst = Path(args.output)
    written = addresses.geocode_table(
        table=table, address_column=args.address_column, gazetteer=gazetteer, output=dst
    )
    summary = "，".join(f"{k} {int(v)}" for k, v in written.match_counts.items())
    print(f"已写出 {dst}：{written.rows} 行（{summary}）", file=sys.stderr)
    return 0
