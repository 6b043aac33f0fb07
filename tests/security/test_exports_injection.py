"""Exports cannot attack the person who opens them (OWASP CSV injection), on every export path.

A household named ``=HYPERLINK("http://x","y")`` must come back from every .xlsx as a string
cell holding exactly that text (never a formula), and from every .csv with OWASP's leading ``'``.
Real numbers stay numbers. Each workbook is read back with openpyxl, as Excel would open it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import text

from services import exports
from tests.conftest import ROOT
from tests.unit.test_address_cli import gazetteer_files  # noqa: F401  (a fixture)

ATTACK = '=HYPERLINK("http://x","y")'
OTHERS = ["+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,1)", "\t=1+1", "\r=1+1"]


def _cells(data: bytes) -> list:
    wb = load_workbook(io.BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def _assert_no_formula(data: bytes, *texts: str) -> None:
    cells = _cells(data)
    formulas = [(c.coordinate, c.value) for c in cells if c.data_type == "f"]
    assert formulas == [], f"formula cells in the export: {formulas}"
    for t in texts:
        hits = [c for c in cells if c.value == t]
        assert hits, f"{t!r} is not in the export as written"
        assert all(c.data_type == "s" for c in hits)


def test_the_one_writer_keeps_text_as_text_and_numbers_as_numbers():
    frame = pd.DataFrame(
        {"户主姓名": [ATTACK, *OTHERS], "联系电话": ["-"] * 6, "金额": [-3, 1, 2, 3, 4, -5.5]}
    )
    data = exports.table_xlsx(frame, title="标题", sheet="表")
    _assert_no_formula(data, ATTACK, "-2+3", "@SUM(1,1)", "-")
    ws = load_workbook(io.BytesIO(data))["表"]
    assert ws["A3"].value == ATTACK and ws["A3"].quotePrefix
    assert ws["C3"].value == -3 and ws["C3"].data_type == "n"
    assert ws["C8"].value == -5.5 and ws["C8"].data_type == "n"
    assert ws["B3"].value == "-" and ws["B3"].data_type == "s"


def test_csv_text_gets_a_leading_quote_but_numbers_and_dashes_do_not():
    frame = pd.DataFrame({"名称": [ATTACK, "-2+3", "-", "-12.5", "张三"], "数": [-1, 2, 3, 4, 5]})
    rows = list(csv.reader(io.StringIO(exports.csv_bytes(frame).decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["'" + ATTACK, "'-2+3", "-", "-12.5", "张三"]
    assert [r[1] for r in rows[1:]] == ["-1", "2", "3", "4", "5"]


def test_a_formula_written_around_the_helper_is_still_made_text():
    wb = Workbook()
    wb.active["A1"] = ATTACK  # openpyxl alone stores this as a formula
    assert wb.active["A1"].data_type == "f"
    _assert_no_formula(exports.workbook_bytes(wb), ATTACK)


@pytest.mark.db
def test_category_roll_export_keeps_a_formula_name_as_text(demo_session):
    from services import households_view as hv
    from services.auth import Actor

    cell = demo_session.execute(
        text("SELECT cell_code FROM households WHERE cell_code IS NOT NULL ORDER BY id LIMIT 1")
    ).scalar_one()
    before = hv.load_cell(cell, session=demo_session).households
    member = before[[len(k) > 0 for k in before["roll_keys"]]].iloc[0]
    key = sorted(member["roll_keys"])[0]
    demo_session.execute(
        text("UPDATE households SET head_name = :n WHERE id = :i"),
        {"n": ATTACK, "i": int(member["id"])},
    )
    view = hv.load_cell(cell, session=demo_session)
    actor = Actor(token="t", username="pytest_export", display_name="测试", role="grid_leader")
    data = hv.export_roll(
        view, key=key, actor=actor, session=demo_session, day=dt.date(2026, 11, 30)
    )
    _assert_no_formula(data, ATTACK)


def test_roster_rejected_rows_keep_a_formula_name_as_text(tmp_path):
    from services.rosters import read_roster, rejections_xlsx, validate_roster

    path = tmp_path / "名单.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([["户主姓名", "身份证号", "地址"], [ATTACK, "123", "大北街1号"]])
    checked = validate_roster(read_roster(path))
    rejected = checked[checked["problem"].notna()]
    assert len(rejected) == 1
    _assert_no_formula(rejections_xlsx(rejected, title="名单.csv 退回行"), ATTACK)


def test_hotline_rejections_keep_formula_text_as_text():
    from services.hotline import HotlineReport

    report = HotlineReport(file_name="12345.xlsx", total=1)
    report.rejected_rows = pd.DataFrame(
        [(3, ATTACK, "@SUM(1,1)")], columns=["row", "ticket_no", "reason"]
    )
    from services.hotline import rejections_xlsx

    _assert_no_formula(rejections_xlsx(report), ATTACK, "@SUM(1,1)")


def test_workload_export_keeps_formula_text_as_text():
    from services import workload

    frame = pd.DataFrame(
        {"leader_name": [ATTACK], "leader_phone": ["-"], "cell_code": ["@1"], "households": [-1]}
    )
    data = workload.workload_excel(
        frame, unit="老城街道", period_label="2026-11", as_of=dt.date(2026, 11, 30)
    )
    _assert_no_formula(data, ATTACK, "-", "@1")
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["D4"].value == -1 and ws["D4"].data_type == "n"


def test_monthly_report_keeps_formula_text_as_text():
    import dataclasses

    from tests.unit.test_reports import _report

    report = dataclasses.replace(_report(), paragraph=ATTACK)
    from services import reports

    _assert_no_formula(reports.report_xlsx(report), ATTACK)


def test_geocode_cli_output_is_neutralised_in_csv_and_xlsx(tmp_path, gazetteer_files):  # noqa: F811
    from cli.main import main
    from tests.unit.test_address_cli import _geocode_args

    files = gazetteer_files
    src = tmp_path / "地址.csv"
    with src.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["地址", "备注"], ["纱帽石53号", ATTACK]])
    out_csv, out_xlsx = tmp_path / "out.csv", tmp_path / "out.xlsx"
    assert main(_geocode_args(src, out_csv, files)) == 0
    assert main(_geocode_args(src, out_xlsx, files)) == 0
    assert "'" + ATTACK.replace('"', '""') in out_csv.read_text(encoding="utf-8-sig")
    _assert_no_formula(out_xlsx.read_bytes(), ATTACK)


WRITERS = re.compile(r"\.to_excel\(|\.to_csv\(|ExcelWriter\(|\bWorkbook\(\)|\.save\(buf")


def test_no_module_writes_a_spreadsheet_around_the_one_writer():
    # bench_edges times the safe writer against pandas' own to_excel (the baseline)
    allowed = {
        "services/exports.py",
        "demo/generate.py",
        "bench/city.py",
        "bench/bench_edges.py",
    }
    found = []
    for folder in (
        "core",
        "services",
        "app_pages",
        "api",
        "cli",
        "demo",
        "db",
        "gis",
        "layers",
        "bench",
    ):
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel not in allowed and WRITERS.search(path.read_text(encoding="utf-8")):
                found.append(rel)
    assert found == []
