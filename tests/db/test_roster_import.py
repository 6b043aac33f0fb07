"""Roster import through the real path: nothing lost, no duplicates on re-import, all or nothing."""

from __future__ import annotations

import openpyxl
import pytest
from sqlalchemy import text

from lianxin.personal import id_check_char

pytestmark = pytest.mark.db


def _id(seq: int) -> str:
    first17 = f"61090219750301{seq:03d}"
    return first17 + id_check_char(first17)


def _roster(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["大北街社区住户花名册"])
    ws.append(["序号", "户主姓名", "身份证号", "联系电话", "地址", "家庭人口", "人员类别"])
    for i, r in enumerate(rows, 1):
        ws.append([i, *r])
    wb.save(path)
    return path


ROWS = [
    ["测试甲", _id(1), "13900000001", "大北街社区纱帽石53号", 3, "低保户"],
    ["测试乙", _id(2), "13900000002", "纱帽石 53 号", 2, ""],
    ["测试丙", _id(3), "13900000003", "纱帽石五十三号", 1, "独居老人"],
    ["测试丁", _id(4), "139000004", "纱帽石53号", 1, ""],  # bad phone
    ["测试戊", _id(5), "13900000005", "火星路999号", 1, ""],  # nowhere
]


def _count(session) -> int:
    return session.execute(text("SELECT count(*) FROM households")).scalar()


def test_every_row_ends_imported_review_or_rejected(demo_session, tmp_path):
    from services.households import import_roster

    before = _count(demo_session)
    report = import_roster(_roster(tmp_path / "r.xlsx", ROWS), session=demo_session)
    assert report.total == 5
    assert report.inserted + report.updated + report.review + report.rejected == 5
    assert report.rejected == 1 and "电话" in report.rejected_rows.iloc[0]["problem"]
    assert report.review >= 1  # 火星路 does not exist: waits for a person, never invented
    assert _count(demo_session) == before + report.inserted + report.review
    cell = demo_session.execute(
        text("SELECT cell_code, status, match_type FROM households WHERE head_name = '测试甲'")
    ).one()
    assert cell.status == "active" and cell.match_type == "door_plate"
    assert cell.cell_code and len(cell.cell_code) == 15


def test_reimport_creates_no_duplicates(demo_session, tmp_path):
    from services.households import import_roster

    path = _roster(tmp_path / "r.xlsx", ROWS)
    first = import_roster(path, session=demo_session)
    n = _count(demo_session)
    second = import_roster(path, session=demo_session)
    assert _count(demo_session) == n
    assert second.inserted == 0
    assert second.updated == first.inserted


def test_a_failure_half_way_leaves_the_database_as_it_was(demo_session, tmp_path, monkeypatch):
    import db.repositories as repositories
    from services.households import import_roster

    before = _count(demo_session)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(repositories, "assign_cells", boom)  # fails after the rows were written
    with pytest.raises(RuntimeError):
        with demo_session.begin_nested():
            import_roster(_roster(tmp_path / "r.xlsx", ROWS), session=demo_session)
    assert _count(demo_session) == before
    assert (
        demo_session.execute(
            text("SELECT count(*) FROM households WHERE head_name LIKE '测试%'")
        ).scalar()
        == 0
    )
