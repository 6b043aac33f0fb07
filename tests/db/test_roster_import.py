"""Roster import through the real path: nothing lost, no duplicates on re-import, all or nothing."""

from __future__ import annotations

import openpyxl
import pytest
from sqlalchemy import text

from core.personal import id_check_char

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
    from services.households.roster_import import import_roster

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
    from services.households.roster_import import import_roster

    path = _roster(tmp_path / "r.xlsx", ROWS)
    first = import_roster(path, session=demo_session)
    n = _count(demo_session)
    second = import_roster(path, session=demo_session)
    assert _count(demo_session) == n
    assert second.inserted == 0
    assert second.updated == first.inserted


def test_a_failure_half_way_leaves_the_database_as_it_was(demo_session, tmp_path, monkeypatch):
    import db.roster_queries as roster_queries
    from services.households.roster_import import import_roster

    before = _count(demo_session)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    # the batch's counts are written last, after the households: a failure there is half way
    monkeypatch.setattr(roster_queries, "set_batch_counts", boom)
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


# --- imports on the app's connection, under row-level security -------------------------------
#
# A grid leader (or clerk) may write only the households of their cells (community). Rows they
# may not write are rejected with a reason before anything is written, instead of PostgreSQL
# refusing, and rolling back, the whole import. Real demo door plates, placed by PostGIS.

_PLATES_SQL = """
    SELECT DISTINCT ON (c.cell_code) c.cell_code, c.community_code, c.leader_staff_id,
           m.name || ' ' || c.name AS place, a.street_name || a.house_number || '号' AS address
    FROM grid_cells c
    JOIN grid_plans p ON p.id = c.plan_id AND p.state = 'published'
    JOIN communities m ON m.code = c.community_code
    JOIN address_points a ON ST_Contains(c.geom, a.geom)
    WHERE a.house_number ~ '^[0-9]+$'
      AND NOT EXISTS (SELECT 1 FROM address_points b
                      WHERE b.street_name = a.street_name AND b.house_number = a.house_number
                        AND b.id <> a.id)
    ORDER BY c.cell_code, a.id
"""


def _scope_world(session, tmp_path):
    """Cell A (its leader imports), cell B in another community with a household on it, and a
    4-row roster: a plate in A, a plate in B, an unplaceable address, and B's household's ID
    number at a second plate in A."""
    from db import access
    from tests.db.access_world import _login

    cells = session.execute(text(_PLATES_SQL)).mappings().all()
    a = next(c for c in cells if c["leader_staff_id"] is not None)
    b = next(c for c in cells if c["community_code"] != a["community_code"])
    a2 = session.execute(
        text(
            "SELECT a.street_name || a.house_number || '号' FROM address_points a "
            "JOIN grid_cells c ON c.cell_code = :cell AND ST_Contains(c.geom, a.geom) "
            "JOIN grid_plans p ON p.id = c.plan_id AND p.state = 'published' "
            "WHERE a.house_number ~ '^[0-9]+$' AND a.street_name || a.house_number || '号' <> :x "
            "AND NOT EXISTS (SELECT 1 FROM address_points b WHERE b.street_name = a.street_name "
            "AND b.house_number = a.house_number AND b.id <> a.id) ORDER BY a.id LIMIT 1"
        ),
        {"cell": a["cell_code"], "x": a["address"]},
    ).scalar_one()
    other = (
        session.execute(
            text(
                "SELECT id, household_key, head_name, id_number, address, import_batch_id, "
                "updated_at FROM households WHERE cell_code = :cell AND status = 'active' "
                "AND id_number IS NOT NULL ORDER BY id LIMIT 1"
            ),
            {"cell": b["cell_code"]},
        )
        .mappings()
        .one()
    )
    rows = [
        ["测试本格", _id(11), "13900000011", a["address"], 2, ""],
        ["测试他格", _id(12), "13900000012", b["address"], 1, ""],
        ["测试无址", _id(13), "13900000013", "火星路999号", 1, ""],
        ["测试已登", other["id_number"], "13900000014", a2, 3, ""],
    ]
    path = _roster(tmp_path / "scope.xlsx", rows)

    def login(role: str, **user) -> tuple[str, str]:
        username = f"t_scope_{role}"
        uid = access.insert_user(
            session,
            username=username,
            display_name=username,
            role=role,
            staff_id=user.get("staff_id"),
            community_code=user.get("community_code"),
            password_hash=None,
        )
        return username, _login(session, uid)

    return {"a": a, "b": b, "other": other, "path": path, "login": login}


def _batch_rows(session, batch_id: int) -> dict[str, str]:
    return dict(
        session.execute(
            text("SELECT head_name, status FROM households WHERE import_batch_id = :b"),
            {"b": batch_id},
        ).all()
    )


def _reasons(report) -> dict[str, str]:
    return dict(
        zip(report.rejected_rows["head_name"], report.rejected_rows["problem"], strict=True)
    )


def _untouched(session, household) -> bool:
    now = (
        session.execute(
            text(
                "SELECT id, household_key, head_name, id_number, address, import_batch_id, "
                "updated_at FROM households WHERE id = :id"
            ),
            {"id": household["id"]},
        )
        .mappings()
        .one()
    )
    return dict(now) == dict(household)


def test_a_grid_leader_imports_their_cell_and_gets_the_rest_back_with_reasons(
    demo_session, tmp_path
):
    from services.households import roster_upload
    from services.households.roster_import import KEY_ELSEWHERE_REASON
    from tests.db.access_world import as_app, as_owner

    w = _scope_world(demo_session, tmp_path)
    a, b = w["a"], w["b"]
    username, token = w["login"]("grid_leader", staff_id=a["leader_staff_id"])
    before = _count(demo_session)

    as_app(demo_session, token)
    cells = demo_session.execute(text("SELECT lianxin_current_cells()")).scalar_one()
    assert a["cell_code"] in cells and b["cell_code"] not in cells
    report = roster_upload.run_import(w["path"], session=demo_session, imported_by=username)
    as_owner(demo_session)

    assert (report.total, report.inserted, report.updated) == (4, 1, 0)
    assert (report.review, report.rejected) == (1, 2)
    assert _reasons(report) == {
        "测试他格": f"地址位于 {b['place']}，不在您负责的网格内：请由该网格网格长导入",
        "测试已登": KEY_ELSEWHERE_REASON,
    }
    # Nothing else written: the two rows of this batch, and B's household as it was.
    assert _count(demo_session) == before + 2
    assert _batch_rows(demo_session, report.batch_id) == {
        "测试本格": "active",
        "测试无址": "review",
    }
    assert (
        demo_session.execute(
            text("SELECT cell_code FROM households WHERE head_name = '测试本格'")
        ).scalar_one()
        == a["cell_code"]
    )
    assert _untouched(demo_session, w["other"])
    counts = demo_session.execute(
        text("SELECT counts FROM import_batches WHERE id = :b"), {"b": report.batch_id}
    ).scalar_one()
    assert counts == {"total": 4, "inserted": 1, "updated": 0, "review": 1, "rejected": 2}


def test_a_clerk_imports_their_community_only(demo_session, tmp_path):
    from services.households.roster_import import KEY_ELSEWHERE_REASON, import_roster
    from tests.db.access_world import as_app, as_owner

    w = _scope_world(demo_session, tmp_path)
    a, b = w["a"], w["b"]
    username, token = w["login"]("clerk", community_code=a["community_code"])

    as_app(demo_session, token)
    report = import_roster(w["path"], session=demo_session, imported_by=username)
    as_owner(demo_session)

    assert (report.imported, report.review, report.rejected) == (1, 1, 2)
    assert _reasons(report) == {
        "测试他格": f"地址位于 {b['place']}，不在您所在的社区内：请由该社区工作人员导入",
        "测试已登": KEY_ELSEWHERE_REASON,
    }
    assert _untouched(demo_session, w["other"])


def test_an_admin_imports_the_same_roster_whole(demo_session, tmp_path):
    from services.households.roster_import import import_roster
    from tests.db.access_world import as_app, as_owner

    w = _scope_world(demo_session, tmp_path)
    username, token = w["login"]("admin")

    as_app(demo_session, token)
    report = import_roster(w["path"], session=demo_session, imported_by=username)
    as_owner(demo_session)

    assert (report.total, report.inserted, report.updated) == (4, 2, 1)
    assert (report.review, report.rejected) == (1, 0)
    moved = demo_session.execute(
        text("SELECT head_name, cell_code FROM households WHERE id = :id"),
        {"id": w["other"]["id"]},
    ).one()
    assert tuple(moved) == ("测试已登", w["a"]["cell_code"])


def test_the_keys_elsewhere_function_needs_a_login(demo_session):
    """Without a login it answers nothing: since migration 0008 it refuses outright (and it
    takes the batch being imported; tests/security/ holds the probing attacks)."""
    from sqlalchemy.exc import DBAPIError

    from tests.db.access_world import as_app

    key = demo_session.execute(text("SELECT household_key FROM households LIMIT 1")).scalar_one()
    batch = demo_session.execute(text("SELECT min(id) FROM import_batches")).scalar_one()
    as_app(demo_session, None)
    with pytest.raises(DBAPIError, match="只有导入住户名单的角色"):
        demo_session.execute(
            text("SELECT lianxin_household_keys_elsewhere(:b, ARRAY[:k])"), {"b": batch, "k": key}
        ).scalar_one()


def test_an_address_whose_community_contradicts_its_door_plate_goes_to_review(
    demo_session, tmp_path
):
    """ "五星街社区兴安路32号" where 兴安路32号 is in 西大街社区: neither cell, review, reason."""
    from services.households.roster_import import CONFLICT_REASON, import_roster

    rows = [
        ["测试矛盾", _id(41), "13900000041", "五星街社区兴安路32号", 1, ""],
        ["测试一致", _id(42), "13900000042", "西大街社区兴安路32号", 1, ""],
    ]
    report = import_roster(_roster(tmp_path / "conflict.xlsx", rows), session=demo_session)
    assert (report.inserted, report.review, report.rejected) == (1, 1, 0)
    got = {
        r.head_name: r
        for r in demo_session.execute(
            text(
                "SELECT head_name, status, cell_code, review_reason FROM households "
                "WHERE head_name IN ('测试矛盾', '测试一致')"
            )
        )
    }
    assert got["测试矛盾"].status == "review" and got["测试矛盾"].cell_code is None
    assert got["测试矛盾"].review_reason == (
        f"{CONFLICT_REASON}：地址写明五星街社区，但兴安路32号位于西大街社区"
    )
    assert got["测试一致"].status == "active" and got["测试一致"].cell_code is not None


class _RecordingGazetteer:
    """Stands in for the district gazetteer only to record whether the import asked it."""

    def __init__(self) -> None:
        self.calls = 0

    def geocode_many(self, addresses, **kwargs):
        self.calls += 1
        raise AssertionError("geocoded before the importer's role was checked")


def test_a_role_that_may_not_import_is_refused_before_anything_is_geocoded(demo_session, tmp_path):
    """Issue 12: the role was checked only after the whole file was geocoded."""
    from core.errors import PermissionDeniedError
    from services.households.roster_import import import_roster
    from tests.db.access_world import as_app, as_owner

    w = _scope_world(demo_session, tmp_path)
    _username, token = w["login"]("leader")
    gazetteer = _RecordingGazetteer()
    batches = demo_session.execute(text("SELECT count(*) FROM import_batches")).scalar()

    as_app(demo_session, token)
    with pytest.raises(PermissionDeniedError, match="不能导入住户名单"):
        import_roster(w["path"], session=demo_session, gazetteer=gazetteer)
    as_owner(demo_session)

    assert gazetteer.calls == 0
    assert demo_session.execute(text("SELECT count(*) FROM import_batches")).scalar() == batches


def test_the_import_reads_an_already_read_file_and_counts_inserts_by_the_database(
    demo_session, tmp_path
):
    """The page hands the import the RosterFile it read for the mapping step: the same
    counts as from the path, and a re-import counts updates (RETURNING xmax = 0)."""
    from services.households.roster_file import read_file
    from services.households.roster_import import import_roster

    path = _roster(tmp_path / "once.xlsx", ROWS)
    file = read_file(path, path.read_bytes())
    first = import_roster(file, session=demo_session)
    again = import_roster(path, session=demo_session)
    assert first.inserted > 0 and first.updated == 0
    assert (again.inserted, again.updated) == (0, first.inserted)
    assert again.review == first.review and again.rejected == first.rejected
