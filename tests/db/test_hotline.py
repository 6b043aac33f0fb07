"""12345 hotline exports → cases: header synonyms, bad rows with reasons, idempotent re-import."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import text

from core import clock
from core.errors import InvalidInputError
from services import cases
from services.calendar import WorkCalendar
from services.cases import hotline

pytestmark = pytest.mark.db

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=clock.BEIJING)
CAL = WorkCalendar(overrides=[])


def _door_plate_address(session) -> tuple[str, str]:
    row = session.execute(
        text(
            "SELECT address, cell_code FROM households WHERE match_type = 'door_plate' "
            "AND cell_code IS NOT NULL ORDER BY id LIMIT 1"
        )
    ).one()
    return row.address, row.cell_code


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["安康市12345政务服务便民热线工单导出（2026年11月）"])  # a title row
    ws.append(["工单编号", "来电时间", "来电人", "联系电话", "地址", "诉求类别", "诉求内容"])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_import_creates_cases_rejects_bad_rows_and_reimport_changes_nothing(demo_session):
    address, cell = _door_plate_address(demo_session)
    data = _xlsx(
        [
            [
                "HX202611280001",
                dt.datetime(2026, 11, 28, 9, 15),
                "刘女士",
                "13912345678",
                address,
                "城乡建设/市政设施/路灯",
                "楼下路灯不亮一周了",
            ],
            [
                "HX202611280002",
                "2026-11-28 10:20",
                "王先生",
                "0915-3212345",
                "",
                "城市低保",
                "咨询低保申请条件",
            ],
            ["", "2026-11-28 10:30", "某", "", "", "市政设施", "没有编号"],
            ["HX202611280003", "昨天下午", "某", "", "", "市政设施", "时间不对"],
            ["HX202611280004", "2026-11-28 11:00", "某", "", "", "外星人来访", "类别不对"],
            ["HX202611280001", "2026-11-28 12:00", "某", "", "", "市政设施", "重复编号"],
            ["HX202611280005", "2026-11-28 12:30", "某", "", "", "市政设施", ""],
        ]
    )
    report = hotline.import_hotline(
        "工单.xlsx", data=data, session=demo_session, calendar=CAL, now=NOW
    )
    assert (report.total, report.imported, report.already, report.rejected) == (7, 2, 0, 5)
    reasons = dict(zip(report.rejected_rows["row"], report.rejected_rows["reason"], strict=True))
    assert "工单编号为空" in reasons[5]
    assert "来电时间" in reasons[6]
    assert "诉求类别" in reasons[7] and "外星人来访" in reasons[7]
    assert "重复" in reasons[8]
    assert "诉求内容为空" in reasons[9]
    first = cases.get_case(report.case_nos[0], session=demo_session)
    assert first.channel == "hotline" and first.external_ref == "HX202611280001"
    assert first.snapshot.category == "public_facilities" and first.cell_code == cell
    assert first.case_no.startswith("LC20261128-")
    # 承诺件, 5 working days from Saturday 28 Nov → counted from Monday: Friday 4 Dec
    assert first.due_at == dt.datetime(2026, 12, 4, 9, 15, tzinfo=clock.BEIJING)
    second = cases.get_case(report.case_nos[1], session=demo_session)
    assert second.snapshot.category == "minimum_allowance" and second.cell_code is None

    again = hotline.import_hotline(
        "工单.xlsx", data=data, session=demo_session, calendar=CAL, now=NOW
    )
    assert (again.imported, again.already) == (0, 2)
    n = demo_session.execute(
        text("SELECT count(*) FROM cases WHERE external_ref LIKE 'HX20261128%'")
    ).scalar()
    assert n == 2


def test_csv_in_gbk_with_other_header_names(demo_session):
    csv = (
        "工单号,受理时间,问题描述,事发地址,来电号码,问题分类,办件类型\n"
        "GD-9001,2026/11/27 16:40,邻居装修噪音扰民,,13700000000,噪音扰民,答复件\n"
    ).encode("gbk")
    report = hotline.import_hotline(
        "export.csv", data=csv, session=demo_session, calendar=CAL, now=NOW
    )
    assert report.imported == 1, report.rejected_rows
    rec = cases.get_case(report.case_nos[0], session=demo_session)
    assert rec.snapshot.kind == "reply" and rec.snapshot.category == "dispute"
    assert rec.citizen_phone == "13700000000"


def test_a_file_without_the_required_columns_says_which_are_needed(demo_session):
    csv = "姓名,电话\n张三,139\n".encode()
    with pytest.raises(InvalidInputError, match="工单编号"):
        hotline.import_hotline("x.csv", data=csv, session=demo_session, now=NOW)


def test_category_mapping():
    assert hotline.category_for("公共设施管理") == "public_facilities"
    assert hotline.category_for("民政") == "minimum_allowance"
    assert hotline.category_for("环境卫生/垃圾清运") == "city_campaign"
    assert hotline.category_for("") is None
