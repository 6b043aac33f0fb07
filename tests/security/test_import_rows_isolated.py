"""One bad row never aborts an import; a formula is never read silently; the CLI refuses bad
options with exit 2 and one Chinese line.

Rosters are real .xlsx files written with openpyxl the way offices type them: a title row, the
headers, numbers typed as numbers, and formulas (``=1+1``, ``=D3``) where someone summed or
referred to another cell.
"""

from __future__ import annotations

import json

import openpyxl
import pytest
from sqlalchemy import text

from cli.main import main
from core.personal import id_check_char


def _id(seq: int) -> str:
    first17 = f"61090219800101{seq:03d}"
    return first17 + id_check_char(first17)


def _roster(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["大北街社区住户花名册（2026年11月）"])
    ws.append(["序号", "户主姓名", "身份证号", "联系电话", "地址", "家庭人口", "人员类别"])
    for i, r in enumerate(rows, 1):
        ws.append([i, *r])
    wb.save(path)
    return path


GOOD = ["安全甲", _id(1), "13900000101", "大北街社区纱帽石53号", 3, "低保户"]


def _problems(path) -> dict[int, str]:
    from services.households.roster_parse import read_roster, validate_roster

    checked = validate_roster(read_roster(path))
    return {int(r.excel_row): r.problem for r in checked.itertuples() if r.problem}


def test_formula_cells_are_refused_naming_the_column(tmp_path):
    path = _roster(
        tmp_path / "公式.xlsx",
        [
            GOOD,
            ["安全乙", _id(2), "13900000102", "纱帽石54号", "=1+1", ""],
            ["=B3", _id(3), "13900000103", "纱帽石55号", "=D3", ""],
        ],
    )
    problems = _problems(path)
    assert 3 not in problems
    assert problems[4] == "「家庭人口」是公式，请粘贴为数值"
    assert "「户主姓名」是公式，请粘贴为数值" in problems[5]
    assert "「家庭人口」是公式，请粘贴为数值" in problems[5]


def test_a_formula_with_a_cached_value_is_still_refused(tmp_path):
    # What Excel saves: the formula and its last result. pandas alone reads the result.
    path = _roster(tmp_path / "缓存.xlsx", [GOOD])
    wb = openpyxl.load_workbook(path)
    wb.active["F3"] = "=2+1"
    wb.save(path)
    assert _problems(path) == {3: "「家庭人口」是公式，请粘贴为数值"}


def test_inf_and_overlong_values_are_row_rejections(tmp_path):
    path = _roster(
        tmp_path / "超长.xlsx",
        [
            GOOD,
            ["安全乙", _id(2), "13900000102", "纱帽石54号", "inf", ""],
            ["张" * 400, _id(3), "13900000103", "纱帽石55号", 1, ""],
            ["安全丁", _id(4), "13900000104", "纱帽石56号", "1e999", "类" * 40],
        ],
    )
    problems = _problems(path)
    assert 3 not in problems
    assert "「家庭人口」inf 不是 1–30 的整数" in problems[4]
    assert "「户主姓名」过长（400 个字，最多 50 个）" in problems[5]
    assert "家庭人口" in problems[6] and "人员类别" in problems[6]


@pytest.mark.db
def test_the_cli_imports_the_good_rows_and_rejects_the_bad_ones(demo_db, tmp_path, capsys):
    from db.engine import session_scope

    path = _roster(
        tmp_path / "混合.xlsx",
        [
            GOOD,
            ["安全乙", _id(2), "13900000102", "纱帽石54号", "inf", ""],
            ["张" * 400, _id(3), "13900000103", "纱帽石55号", 1, ""],
            ["安全丙", _id(5), "13900000105", "纱帽石57号", "=1+1", ""],
        ],
    )
    try:
        code = main(["import-roster", str(path), "--rejected", str(tmp_path / "退回.xlsx")])
        out = capsys.readouterr()
        assert code == 0, out.err
        assert "共 4 行" in out.out
        ws = openpyxl.load_workbook(tmp_path / "退回.xlsx").active
        reasons = [c.value for c in ws["G"][2:]]
        assert len(reasons) == 3 and any("公式" in r for r in reasons)
        with session_scope(demo_db) as s:
            n = s.execute(text("SELECT count(*) FROM households WHERE head_name = '安全甲'"))
            assert n.scalar_one() == 1
    finally:
        with session_scope(demo_db) as s:
            s.execute(text("DELETE FROM households WHERE head_name LIKE '安全%'"))
            s.execute(text("DELETE FROM import_batches WHERE file_name = '混合.xlsx'"))


def _geojson(path, crs: str) -> str:
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": crs}},
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "兴安路"},
                        "geometry": {
                            "type": "LineString",
                            "coordinates": [[109.03, 32.68], [109.04, 32.69]],
                        },
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    return str(path)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["blocks", "{crs}", "-o", "{tmp}/b.gpkg"], "EPSG:999999 无法识别"),
        (["check", "{poly}", "--gap-width-m", "nan"], "--gap-width-m 必须是有限的数"),
        (["check", "{poly}", "--sliver-width-m", "-1"], "--sliver-width-m 不能为负数"),
        (["blocks", "{good}", "-o", "{tmp}/b.gpkg", "--snap-m", "inf"], "--snap-m 必须是有限的数"),
        (["blocks", "{good}", "-o", "/proc/lianxin/b.gpkg"], "无法写出 /proc/lianxin/b.gpkg"),
        (["geocode", "{txt}", "-o", "{tmp}/o.csv"], "不支持的文件类型 .txt"),
        (["import-roster", "{txt}"], "不支持的文件类型 .txt"),
        (["import-hotline", "{txt}"], "不支持的文件类型 .txt"),
        (["import-roster", "{xlsx}", "--rejected", "/proc/x.xlsx"], "无法写出 /proc/x.xlsx"),
        (
            [
                "report",
                "--from",
                "2026-11-01",
                "--to",
                "2026-11-30",
                "-o",
                "/proc/r.xlsx",
                "--format",
                "xlsx",
            ],
            "无法写出 /proc/r.xlsx",
        ),
    ],
)
def test_the_cli_refuses_with_exit_2_and_one_line(tmp_path, capsys, args, expected):
    txt = tmp_path / "名单.txt"
    txt.write_text("户主姓名,地址\n张三,纱帽石53号\n", encoding="utf-8")
    names = {
        "crs": _geojson(tmp_path / "s.geojson", "EPSG:999999"),
        "good": _geojson(tmp_path / "g.geojson", "EPSG:4490"),
        "poly": _geojson(tmp_path / "p.geojson", "EPSG:4490"),
        "txt": str(txt),
        "xlsx": str(_roster(tmp_path / "r.xlsx", [GOOD])),
        "tmp": str(tmp_path),
    }
    code = main([a.format(**names) for a in args])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and expected in err, err
    assert "Traceback" not in err
