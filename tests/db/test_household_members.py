"""一户一档's 家庭成员: the demo carries members, both roster layouts are imported with per-row
checks and reasons, and the household file shows members masked by role."""

from __future__ import annotations

import openpyxl
import pytest
from sqlalchemy import text

from core.personal import id_check_char

pytestmark = pytest.mark.db

ADDRESS = "大北街社区纱帽石53号"


def _id(seq: int, year: int = 1975) -> str:
    first17 = f"610902{year}0301{seq:03d}"
    return first17 + id_check_char(first17)


def _residents(session, head_name: str) -> list[tuple]:
    return [
        tuple(r)
        for r in session.execute(
            text(
                "SELECT r.name, r.relation, r.id_number FROM residents r "
                "JOIN households h ON h.id = r.household_id WHERE h.head_name = :n ORDER BY r.id"
            ),
            {"n": head_name},
        )
    ]


def test_every_demo_household_carries_its_members(demo_session):
    """家庭人口 3 人 means the head and two members on file (the demo's 家庭成员 sheet)."""
    total = demo_session.execute(text("SELECT count(*) FROM residents")).scalar_one()
    assert total > 20_000
    wrong = demo_session.execute(
        text(
            "SELECT count(*) FROM households h WHERE h.size - 1 <> "
            "(SELECT count(*) FROM residents r WHERE r.household_id = h.id)"
        )
    ).scalar_one()
    assert wrong == 0
    relations = set(demo_session.execute(text("SELECT DISTINCT relation FROM residents")).scalars())
    assert {"配偶", "子", "女"} <= relations and None not in relations
    # a member without a phone has none (NULL, shown —), not the text "NaN"
    texts = demo_session.execute(
        text(
            "SELECT count(*) FROM residents WHERE lower(phone) IN ('nan', 'none', '') "
            "OR lower(id_number) IN ('nan', 'none', '')"
        )
    ).scalar_one()
    assert texts == 0
    assert (
        demo_session.execute(
            text("SELECT count(*) FROM residents WHERE phone IS NULL")
        ).scalar_one()
        > 1_000
    )


def test_member_rows_under_their_head_are_imported_with_row_checks(demo_session, tmp_path):
    """One sheet, one person a row, 与户主关系 marking head and members (the other common
    layout). Bad member rows are rejected with their row and reason; the rest are written."""
    from services.households.roster_import import import_roster

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["大北街社区人口花名册"])
    ws.append(["序号", "姓名", "与户主关系", "身份证号", "联系电话", "地址", "家庭人口"])
    bad_id = _id(903)[:-1] + ("0" if _id(903)[-1] != "0" else "1")
    rows = [
        ["成员测甲", "户主", _id(901), "13900000901", ADDRESS, 3],  # row 3
        ["成员测乙", "配偶", _id(902, 1977), "", "", ""],  # row 4
        ["成员测丙", "子", bad_id, "", "", ""],  # row 5: check digit wrong
        ["成员测丁", "户主", _id(904), "13900000904", ADDRESS, 2],  # row 6
        ["", "女", _id(905, 2001), "", "", ""],  # row 7: no name
    ]
    for i, r in enumerate(rows, 1):
        ws.append([i, *r])
    path = tmp_path / "people.xlsx"
    wb.save(path)
    report = import_roster(path, session=demo_session)
    assert report.total == 2 and report.rejected == 0  # two households, both written
    assert report.members_sheet == "" and report.members_total == 3
    assert report.members_imported == 1
    reasons = dict(
        zip(
            report.member_rejected_rows["excel_row"],
            report.member_rejected_rows["problem"],
            strict=True,
        )
    )
    assert set(reasons) == {5, 7}
    assert "「身份证号」" in reasons[5] and "校验" in reasons[5]
    assert "「姓名」为空" in reasons[7]
    assert _residents(demo_session, "成员测甲") == [("成员测乙", "配偶", _id(902, 1977))]
    assert _residents(demo_session, "成员测丁") == []
    assert "家庭成员 1 人（退回 2 行）" in report.summary()


def test_a_member_sheet_keyed_by_household_number(demo_session, tmp_path):
    """A 家庭成员 sheet keyed by 户编号; an unknown 户编号 and a member of a rejected head row
    are rejected with reasons; re-importing replaces the members, never duplicates them."""
    from services.households.roster_import import import_roster

    def write(members: list[list]) -> object:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "住户"
        ws.append(["户编号", "户主姓名", "身份证号", "地址", "家庭人口"])
        ws.append(["H001", "成员测戊", _id(911), ADDRESS, 2])
        ws.append(["H002", "成员测己", _id(912), "", 2])  # no address: rejected
        ms = wb.create_sheet("家庭成员")
        ms.append(["户编号", "成员姓名", "与户主关系", "身份证号"])
        for m in members:
            ms.append(m)
        path = tmp_path / "sheet.xlsx"
        wb.save(path)
        return path

    report = import_roster(
        write(
            [
                ["H001", "成员测庚", "配偶", _id(913, 1978)],
                ["H002", "成员测辛", "子", _id(914, 2003)],
                ["H009", "成员测壬", "女", _id(915, 2005)],
            ]
        ),
        session=demo_session,
    )
    assert report.members_sheet == "家庭成员" and report.members_imported == 1
    reasons = dict(
        zip(
            report.member_rejected_rows["where"],
            report.member_rejected_rows["problem"],
            strict=True,
        )
    )
    assert reasons["「家庭成员」表第3行"].startswith("所属户主行（第3行）被退回：")
    assert "「户编号」H009 在户主名单中不存在" in reasons["「家庭成员」表第4行"]
    assert _residents(demo_session, "成员测戊") == [("成员测庚", "配偶", _id(913, 1978))]
    # the file is the household's roll: a re-import replaces its members
    import_roster(write([["H001", "成员测癸", "女", _id(916, 2004)]]), session=demo_session)
    assert _residents(demo_session, "成员测戊") == [("成员测癸", "女", _id(916, 2004))]


def test_a_grid_leader_sees_the_members_of_a_demo_household_masked(demo_session):
    from db import access
    from services import auth, masking
    from tests.db.access_world import _login, as_app, as_owner

    hh = (
        demo_session.execute(
            text(
                "SELECT h.id, h.cell_code, c.leader_staff_id FROM households h "
                "JOIN grid_cells c ON c.cell_code = h.cell_code "
                "JOIN grid_plans p ON p.id = c.plan_id AND p.state = 'published' "
                "WHERE h.size >= 3 AND c.leader_staff_id IS NOT NULL ORDER BY h.id LIMIT 1"
            )
        )
        .mappings()
        .one()
    )
    full = _residents_by_id(demo_session, hh["id"])
    uid = access.insert_user(
        demo_session,
        username="t_members_gl",
        display_name="成员测试网格长",
        role="grid_leader",
        staff_id=hh["leader_staff_id"],
        community_code=None,
        password_hash=None,
    )
    token = _login(demo_session, uid)
    as_app(demo_session, token)
    try:
        actor = auth.Actor(
            token=token,
            username="t_members_gl",
            display_name="成员测试网格长",
            role="grid_leader",
            client="pytest",
        )
        record = masking.read_household_file(hh["id"], actor=actor, session=demo_session)
    finally:
        as_owner(demo_session)
    shown = record["residents"]
    assert len(shown) == len(full) >= 2
    for person, (name, idn) in zip(shown, full, strict=True):
        assert person["name"] == name
        assert person["id_number"] == f"{idn[:6]}********{idn[-4:]}"


def _residents_by_id(session, household_id: int) -> list[tuple[str, str]]:
    return [
        (r.name, r.id_number)
        for r in session.execute(
            text("SELECT name, id_number FROM residents WHERE household_id = :h ORDER BY id"),
            {"h": household_id},
        )
    ]
