"""Reading rosters as offices keep them: title rows, synonyms, GBK CSV, row checks."""

from __future__ import annotations

import openpyxl
import pytest

from core.errors import InvalidInputError
from core.personal import id_check_char
from services.households.roster_parse import read_roster, rejections_xlsx, validate_roster

GOOD_ID = "61090219800101001" + id_check_char("61090219800101001")
OTHER_ID = "61090219900505002" + id_check_char("61090219900505002")


def _xlsx(path, rows, title="大北街社区住户花名册"):
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_title_row_is_skipped_and_synonyms_are_recognised(tmp_path):
    path = _xlsx(
        tmp_path / "r.xlsx",
        [
            ["序号", "户主", "公民身份号码", "手机", "现住址", "人数", "类别"],
            [1, "王芳", GOOD_ID, "13812345678", "纱帽石53号", 3, "低保户、残疾人"],
        ],
    )
    roster = read_roster(path)
    assert roster.mapping["head_name"] == "户主"
    assert roster.mapping["address"] == "现住址"
    checked = validate_roster(roster)
    row = checked.iloc[0]
    assert row["excel_row"] == 3
    assert row["problem"] is None
    assert row["tags"] == ["low_income", "disabled"]
    assert row["size"] == 3


def test_gbk_csv_is_read(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(
        f"户主姓名,身份证号,联系电话,地址\n李强,{GOOD_ID},0915-3212345,兴安路12号\n".encode("gbk")
    )
    checked = validate_roster(read_roster(path))
    assert checked.iloc[0]["head_name"] == "李强"
    assert checked.iloc[0]["problem"] is None


def test_each_bad_row_names_its_row_column_and_problem(tmp_path):
    bad_id = GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1")
    rows = [
        ["户主姓名", "身份证号", "联系电话", "地址"],
        ["张三", bad_id, "13812345678", "纱帽石1号"],
        ["", OTHER_ID, "13812345678", "纱帽石2号"],
        ["李四", OTHER_ID, "1381234567", "纱帽石3号"],
        ["王五", GOOD_ID, "13812345678", "纱帽石4号"],
        ["王五", GOOD_ID, "13812345678", "纱帽石4号"],
    ]
    checked = validate_roster(read_roster(_xlsx(tmp_path / "r.xlsx", rows, title=None)))
    problems = dict(zip(checked["excel_row"], checked["problem"], strict=True))
    assert "校验位" in problems[2] and "身份证号" in problems[2]
    assert "户主姓名" in problems[3]
    assert "电话" in problems[4]
    assert problems[5] is None
    assert "与第5行重复" in problems[6]


def test_unknown_layout_needs_a_mapping(tmp_path):
    path = _xlsx(tmp_path / "r.xlsx", [["名字", "住在哪"], ["王芳", "纱帽石53号"]], title=None)
    with pytest.raises(InvalidInputError, match="表头"):
        read_roster(path)
    roster = read_roster(path, mapping={"名字": "head_name", "住在哪": "address"})
    assert validate_roster(roster).iloc[0]["address"] == "纱帽石53号"


def test_missing_required_column_names_the_columns_that_exist(tmp_path):
    path = _xlsx(
        tmp_path / "r.xlsx",
        [["户主姓名", "身份证号", "电话"], ["王芳", GOOD_ID, "13812345678"]],
        title=None,
    )
    with pytest.raises(InvalidInputError, match="缺少必需的列：地址") as err:
        read_roster(path)
    assert "r.xlsx" in str(err.value) and "户主姓名" in str(err.value)


def test_a_renamed_binary_is_refused_with_the_file_name(tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(b"\x7fELF" + bytes(200))
    with pytest.raises(InvalidInputError, match="roster.xlsx"):
        read_roster(path)


def test_rejections_download_has_a_reason_column(tmp_path):
    path = _xlsx(
        tmp_path / "r.xlsx",
        [["户主姓名", "地址", "联系电话"], ["张三", "纱帽石1号", "123"]],
        title=None,
    )
    checked = validate_roster(read_roster(path))
    data = rejections_xlsx(checked[checked["problem"].notna()], title="退回行")
    (tmp_path / "out.xlsx").write_bytes(data)
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx").active
    headers = [c.value for c in ws[2]]
    assert "退回原因" in headers
    assert "电话" in ws.cell(row=3, column=headers.index("退回原因") + 1).value
