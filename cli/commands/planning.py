"""Grid-planning sub-commands: ``lianxin blocks``, ``check``, ``propose``, ``rebalance``.

File in, file out; no database. The handlers pass their options to
:mod:`services.offline_plans` (which reads the files, calls ``gis/`` and writes the layers)
and print what it returns; unusable input raises :class:`~core.errors.InvalidInputError`,
which ``cli.main`` turns into one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import geopandas as gpd

from core.errors import InvalidInputError
from services import offline_plans
from services.offline_plans import DEFAULT_HIGHWAYS, HIGHWAY_LABELS, KIND_LABELS

_MAX_LINES_PER_KIND = 20


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``blocks``, ``check`` and ``propose`` sub-commands."""
    p = subparsers.add_parser(
        "blocks",
        help="由街巷中心线或道路面生成街区",
        description="由街巷中心线（或道路面）生成街区，输出图层 blocks（block_id, area_m2）和 dangles。",
    )
    p.add_argument(
        "streets", metavar="STREETS", help="街巷中心线或道路面文件（GeoJSON/GPKG/SHP/ZIP）"
    )
    p.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="输出文件（.gpkg/.geojson/.shp.zip）"
    )
    p.add_argument("--boundary", metavar="FILE", help="街道边界（面）；街区将恰好覆盖边界")
    p.add_argument(
        "--snap-m", type=float, default=2.0, help="断头线端点延伸/吸附距离，米（默认 2）"
    )
    p.add_argument(
        "--min-block-width-m",
        type=float,
        default=6.0,
        help="比此更窄的面视为道路空间并入相邻街区，米（默认 6）",
    )
    p.add_argument(
        "--highways",
        metavar="LIST",
        help="用作街区边界的 OSM highway 值，逗号分隔（默认："
        + ",".join(h for h in HIGHWAY_LABELS if h in DEFAULT_HIGHWAYS)
        + "）；all 表示全部。文件没有 highway 属性时全部使用",
    )
    p.add_argument("--layer", help="读取 STREETS 中的图层名")
    p.add_argument("--gcj02", action="store_true", help="输入坐标为 GCJ-02（高德/腾讯地图）经纬度")
    p.set_defaults(handler=run_blocks)

    c = subparsers.add_parser(
        "check",
        help="检查网格方案的覆盖（缺口、重叠、碎片、越界、户数）",
        description="检查网格覆盖。无问题时退出码 0，发现问题时 1，输入无法使用时 2。",
    )
    c.add_argument("cells", metavar="CELLS", help="网格文件（面）")
    c.add_argument("--boundary", metavar="FILE", help="街道边界（面）")
    c.add_argument("--households", metavar="FILE", help="住户点文件")
    c.add_argument("--communities", metavar="FILE", help="社区边界（面）")
    c.add_argument("--community-field", help="社区代码字段名")
    c.add_argument("--code-field", help="网格编码字段名（检查重复）")
    c.add_argument("--leader-field", help="网格长字段名（检查未配网格长）")
    c.add_argument("--min-households", type=int, default=300, help="每格户数下限（默认 300）")
    c.add_argument("--max-households", type=int, default=500, help="每格户数上限（默认 500）")
    c.add_argument("--gap-width-m", type=float, default=1.0, help="窄缝检测宽度，米（默认 1）")
    c.add_argument("--sliver-width-m", type=float, default=5.0, help="狭长碎片宽度，米（默认 5）")
    c.add_argument("--id-field", help="网格名称字段（默认自动识别 cell_id、cell_code、name 等）")
    c.add_argument("--layer", help="读取 CELLS 中的图层名")
    c.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    c.add_argument("--gcj02", action="store_true", help="输入坐标为 GCJ-02（高德/腾讯地图）经纬度")
    c.set_defaults(handler=run_check)

    r = subparsers.add_parser(
        "propose",
        help="由街区和住户点生成网格方案",
        description="把相邻街区组合成户数在范围内的网格（不跨社区），按先西后东、先北后南编码。"
        "全部街区都编入网格时退出码 0，有街区无法编入时 1。",
    )
    r.add_argument("blocks", metavar="BLOCKS", help="街区文件（面），例如 lianxin blocks 的输出")
    r.add_argument("--households", required=True, metavar="FILE", help="住户点文件")
    r.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="输出文件（.gpkg/.geojson/.shp.zip）"
    )
    r.add_argument("--boundary", metavar="FILE", help="只使用边界内的街区")
    r.add_argument("--communities", metavar="FILE", help="社区边界（面），街区没有社区字段时使用")
    r.add_argument(
        "--community-field", default="community_code", help="社区代码字段（默认 community_code）"
    )
    r.add_argument("--min-households", type=int, default=300, help="每格户数下限（默认 300）")
    r.add_argument("--max-households", type=int, default=500, help="每格户数上限（默认 500）")
    r.add_argument(
        "--building-field",
        help="住户点的楼栋号字段；超过上限的街区（大院、小区）按楼栋拆分，不拆开楼栋",
    )
    r.add_argument("--district-code", default="610902", help="6 位区县代码（默认 610902 汉滨区）")
    r.add_argument("--subdistrict-code", default="001", help="3 位街道代码（默认 001）")
    r.add_argument("--layer", help="读取 BLOCKS 中的图层名（默认第一个图层）")
    r.add_argument("--gcj02", action="store_true", help="输入坐标为 GCJ-02（高德/腾讯地图）经纬度")
    r.set_defaults(handler=run_propose)

    # --- rebalance (issue 13: 动态调整) ---
    b = subparsers.add_parser(
        "rebalance",
        help="按现有户数调整网格方案，移动的住户最少，网格编码保持稳定",
        description="把每个网格调回户数范围：只在同一社区的相邻网格之间整块移动街区（大院按楼栋），"
        "网格保持连片；保留多数住户的网格保留原编码，新网格取社区内下一个未用编码，撤销的编码不再使用。"
        "输出图层 blocks（新 cell_code，拆分的街区按 part 分行）和 moves。"
        "全部网格在范围内时退出码 0，有网格无法调回时 1，输入无法使用时 2。",
    )
    b.add_argument("blocks", metavar="BLOCKS", help="街区文件（面），每个街区带现网格编码")
    b.add_argument("--cell-field", required=True, help="街区的现网格编码字段，例如 cell_code")
    b.add_argument("--households", required=True, metavar="POINTS", help="住户点文件")
    b.add_argument(
        "--community-field", default="community_code", help="社区代码字段（默认 community_code）"
    )
    b.add_argument("--building-field", help="住户点的楼栋号字段（超大街区按楼栋拆分）")
    b.add_argument("--weight-field", help="住户点的重点人群权重字段（低保、残疾、独居老人等）")
    b.add_argument("--min-households", type=int, default=300, help="每格户数下限（默认 300）")
    b.add_argument("--max-households", type=int, default=500, help="每格户数上限（默认 500）")
    b.add_argument(
        "--max-weight-excess",
        type=float,
        default=0.5,
        help="网格重点人群负担最多高出社区平均的比例（默认 0.5，即 50%%）",
    )
    b.add_argument("-o", "--output", required=True, metavar="OUT", help="输出文件（.gpkg）")
    b.add_argument("--layer", help="读取 BLOCKS 中的图层名（默认第一个图层）")
    b.add_argument("--json", action="store_true", help="输出一个 JSON 摘要")
    b.add_argument("--gcj02", action="store_true", help="输入坐标为 GCJ-02（高德/腾讯地图）经纬度")
    b.set_defaults(handler=run_rebalance)


@contextmanager
def _warnings_to_stderr() -> Iterator[None]:
    """Show each warning as one line on stderr, not Python's two-line format."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            seen = set()
            for w in caught:
                text = str(w.message).splitlines()[0] if str(w.message) else ""
                if issubclass(w.category, UserWarning) and text and text not in seen:
                    seen.add(text)
                    print(f"lianxin: 警告：{text}", file=sys.stderr)


def run_blocks(args: argparse.Namespace) -> int:
    with _warnings_to_stderr():
        run = offline_plans.make_blocks(
            streets=args.streets,
            output=args.output,
            boundary=args.boundary,
            layer=args.layer,
            gcj02=args.gcj02,
            snap_m=args.snap_m,
            min_block_width_m=args.min_block_width_m,
            highways=args.highways,
        )
    result = run.result
    kinds = result.dangles["kind"].value_counts().to_dict()
    print(run.selection.summary())
    print(
        f"已生成 {len(result.blocks):,} 个街区，总面积 {result.blocks['area_m2'].sum():,.1f} 平方米；"
        f"断头线 {kinds.get('dangle', 0):,} 条，街区内连线 {kinds.get('cut_edge', 0):,} 条，"
        f"边界外线段 {kinds.get('outside', 0):,} 条；已写入 {args.output}"
    )
    share = result.enclosed_share
    if share is not None and share < 0.95:
        rest = float(result.unenclosed["area_m2"].sum()) / 1e6
        print(
            f"警告：街巷围合的区域只占边界的 {share * 100:.1f}%，其余 {rest:,.2f} 平方公里只由边界线"
            "围成（见输出图层 unenclosed）"
        )
    return 0


def run_check(args: argparse.Namespace) -> int:
    with _warnings_to_stderr():
        run = offline_plans.check_cells_file(
            cells=args.cells,
            boundary=args.boundary,
            households=args.households,
            communities=args.communities,
            community_field=args.community_field,
            code_field=args.code_field,
            leader_field=args.leader_field,
            min_households=args.min_households,
            max_households=args.max_households,
            gap_width_m=args.gap_width_m,
            sliver_width_m=args.sliver_width_m,
            id_field=args.id_field,
            layer=args.layer,
            gcj02=args.gcj02,
        )
    problems = run.problems
    summary = {k: int(v) for k, v in problems["kind"].value_counts().sort_index().items()}
    if args.json:
        payload = {
            "cells": run.cells,
            "problems": offline_plans.problems_as_json(problems),
            "summary": summary,
        }
        print(json.dumps(payload, ensure_ascii=False))
    else:
        print(_report(run.cells, problems))
    return 1 if len(problems) else 0


def _report(n_cells: int, problems: gpd.GeoDataFrame) -> str:
    if not len(problems):
        return f"网格检查：共 {n_cells} 个网格，未发现问题。"
    blocking = int((problems["severity"] == "blocking").sum())
    lines = [
        f"网格检查：共 {n_cells} 个网格，发现 {len(problems)} 个问题"
        f"（必须修改 {blocking} 个，提示 {len(problems) - blocking} 个）"
    ]
    shown: dict[str, int] = {}
    for row in problems.itertuples(index=False):
        shown[row.kind] = shown.get(row.kind, 0) + 1
        if shown[row.kind] > _MAX_LINES_PER_KIND:
            continue
        mark = "必须修改" if row.severity == "blocking" else "提示"
        lines.append(f"[{KIND_LABELS.get(row.kind, row.kind)}·{mark}] {row.message}")
    for kind, count in shown.items():
        if count > _MAX_LINES_PER_KIND:
            lines.append(
                f"……另有 {count - _MAX_LINES_PER_KIND} 个“{KIND_LABELS.get(kind, kind)}”问题未列出（用 --json 查看全部）"
            )
    return "\n".join(lines)


def run_propose(args: argparse.Namespace) -> int:
    with _warnings_to_stderr():
        run = offline_plans.propose_from_files(
            blocks=args.blocks,
            households=args.households,
            output=args.output,
            boundary=args.boundary,
            communities=args.communities,
            community_field=args.community_field,
            min_households=args.min_households,
            max_households=args.max_households,
            building_field=args.building_field,
            district_code=args.district_code,
            subdistrict_code=args.subdistrict_code,
            layer=args.layer,
            gcj02=args.gcj02,
        )
    result = run.result
    for note in run.split_notes:
        print(f"拆分：{note}")
    print(
        f"已生成 {len(result.cells)} 个网格（每格 {args.min_households}–{args.max_households} 户），"
        f"已写入 {args.output}"
    )
    for message in result.problems["message"]:
        print(f"问题：{message}")
    serious = result.problems["kind"] != "no_community"
    return 1 if serious.any() else 0


def run_rebalance(args: argparse.Namespace) -> int:
    if args.min_households > args.max_households:
        raise InvalidInputError(
            f"户数下限 --min-households {args.min_households} 大于上限 --max-households "
            f"{args.max_households}"
        )
    with _warnings_to_stderr():
        result = offline_plans.rebalance_files(
            blocks=args.blocks,
            households=args.households,
            cell_field=args.cell_field,
            output=args.output,
            community_field=args.community_field,
            building_field=args.building_field,
            weight_field=args.weight_field,
            min_households=args.min_households,
            max_households=args.max_households,
            max_weight_excess=args.max_weight_excess,
            layer=args.layer,
            gcj02=args.gcj02,
        )
    s: dict[str, Any] = result.summary  # counts and lists of codes, by name
    if args.json:
        payload = {**s, "problems": result.problems["message"].tolist()}
        print(json.dumps(payload, ensure_ascii=False))
    else:
        print(
            f"网格 {s['cells_before']} → {s['cells_after']} 个；超出户数范围 "
            f"{s['out_of_range_before']} → {s['out_of_range_after']} 个；"
            f"调整住户 {s['households_moved']:,} 户（{len(result.moves)} 个街区或楼栋组）；"
            f"保留编码 {len(s['kept_codes'])} 个，新编码 {len(s['new_codes'])} 个，"
            f"撤销编码 {len(s['retired_codes'])} 个；已写入 {args.output}"
        )
        for message in result.problems["message"]:
            print(f"问题：{message}")
    return 1 if int(s["out_of_range_after"]) else 0
