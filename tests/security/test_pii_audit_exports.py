"""Personal data that leaves the system is masked and audited (issue 10): the roster import
itself, the rejected-rows download, the 公示牌 download and the 住户导入 preview each leave an
audit row; the rejected rows and the preview show no full ID number to roles that see masked
data; the 审计日志 page never shows "None" as the object.
"""

from __future__ import annotations

import io
import json

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import text

from core.personal import id_check_char
from services.auth import Actor

pytestmark = pytest.mark.db


def _id(seq: int) -> str:
    first17 = f"61090219850202{seq:03d}"
    return first17 + id_check_char(first17)


def _bad_id(seq: int) -> str:
    good = _id(seq)
    return good[:-1] + ("1" if good[-1] != "1" else "2")  # a wrong check digit


def _actor(role: str) -> Actor:
    return Actor(token="t", username=f"pytest_pii_{role}", display_name="测试", role=role)


def _audit(session, username: str) -> list:
    return session.execute(
        text("SELECT action, target, detail FROM audit_log WHERE username = :u ORDER BY id"),
        {"u": username},
    ).all()


def _roster(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["大北街社区住户花名册"])
    ws.append(["序号", "户主姓名", "身份证号", "联系电话", "地址", "家庭人口"])
    ws.append([1, "审计甲", _id(1), "13900000201", "大北街社区纱帽石53号", 2])
    ws.append([2, "审计乙", _bad_id(2), "13900000202", "纱帽石54号", 2])  # bad check digit
    wb.save(path)
    return path


def test_the_roster_import_leaves_an_audit_row(demo_session, tmp_path):
    from services.households.roster_import import import_roster

    report = import_roster(
        _roster(tmp_path / "审计.xlsx"), session=demo_session, imported_by="pytest_pii_import"
    )
    rows = _audit(demo_session, "pytest_pii_import")
    assert [r.action for r in rows] == ["import_roster"]
    assert rows[0].target == f"import_batch:{report.batch_id}"
    detail = rows[0].detail if isinstance(rows[0].detail, dict) else json.loads(rows[0].detail)
    assert detail["file"] == "审计.xlsx" and detail["total"] == 2 and detail["rejected"] == 1


def test_the_rejected_rows_download_is_masked_and_audited(demo_session, tmp_path):
    from services.households import roster_upload
    from services.households.roster_import import import_roster

    report = import_roster(
        _roster(tmp_path / "审计.xlsx"), session=demo_session, imported_by="pytest_pii_import"
    )
    bad_id = _bad_id(2)
    assert bad_id in report.rejected_rows.iloc[0]["problem"]  # the reason quotes it in full
    for role in ("clerk", "leader"):
        actor = _actor(role)
        data = roster_upload.export_rejections(report, session=demo_session, actor=actor)
        cells = [
            str(c.value)
            for row in openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows()
            for c in row
            if c.value is not None
        ]
        joined = "\n".join(cells)
        assert bad_id not in joined, f"full ID number in the {role}'s rejected rows"
        assert bad_id[:6] + "********" + bad_id[-4:] in joined
        phone_plain = "13900000202" in joined
        assert phone_plain == (role == "clerk")  # a leader sees phones masked
        rows = _audit(demo_session, actor.username)
        assert [(r.action, r.target) for r in rows] == [
            ("export", f"roster_rejections:{report.batch_id}")
        ]
        shown = roster_upload.rejected_rows_for(report.rejected_rows, role)
        assert bad_id not in " ".join(map(str, shown["problem"]))


def test_the_notice_board_download_is_audited(demo_session):
    from services import notice_board

    cell = demo_session.execute(
        text("SELECT cell_code FROM households WHERE cell_code IS NOT NULL LIMIT 1")
    ).scalar_one()
    actor = _actor("grid_leader")
    pdf = notice_board.export_notice_board(cell, session=demo_session, actor=actor)
    assert pdf.startswith(b"%PDF")
    assert [(r.action, r.target) for r in _audit(demo_session, actor.username)] == [
        ("export", f"notice_board:{cell}")
    ]


def test_the_import_preview_masks_id_numbers_even_in_an_unrecognised_column(demo_session):
    from services.households import roster_upload

    full = _id(3)
    preview = pd.DataFrame(
        {"姓名": ["审计丙"], "证件": [full], "身份证号": [full], "手机": ["13900000203"]}
    )
    actor = _actor("clerk")
    shown = roster_upload.preview_for("名单.xlsx", preview, session=demo_session, actor=actor)
    assert full not in shown.to_string()
    assert shown.iloc[0]["证件"] == full[:6] + "********" + full[-4:]
    assert shown.iloc[0]["身份证号"] == full[:6] + "********" + full[-4:]
    assert shown.iloc[0]["手机"] == "13900000203"  # a clerk sees phones
    assert [(r.action, r.target) for r in _audit(demo_session, actor.username)] == [
        ("preview_import", "roster_file:名单.xlsx")
    ]


@pytest.mark.ui
def test_the_audit_page_shows_a_dash_for_no_object(demo_db):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT
    from tests.logins import as_actor, login

    with login(demo_db, role="admin") as actor:
        from db.engine import session_scope
        from services import audit

        with session_scope(demo_db) as s:  # a row with no object, as a login has
            audit.record(session=s, username=actor.username, action=audit.LOGOUT, target=None)
        at = as_actor(
            AppTest.from_file(str(ROOT / "app_pages" / "audit_log.py"), default_timeout=60),
            actor,
        ).run()
        assert not at.exception, at.exception
        at.text_input[0].input(actor.username).run()
        table = at.dataframe[0].value
        assert len(table) >= 1
        assert "None" not in set(map(str, table["target"])) and "—" in set(table["target"])
        assert not table["target"].isna().any()
