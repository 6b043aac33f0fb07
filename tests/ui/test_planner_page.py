"""方案编辑 / 方案历史 under AppTest, against the demo database."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.logins import as_actor, login

pytestmark = pytest.mark.ui

PLANNER = str(ROOT / "app_pages" / "planner.py")
HISTORY = str(ROOT / "app_pages" / "plan_history.py")


def _published(db_url: str) -> int:
    from db.engine import session_scope

    with session_scope(db_url) as s:
        return int(s.execute(text("SELECT id FROM grid_plans WHERE state='published'")).scalar())


def _drop_drafts(db_url: str) -> None:
    from db.engine import session_scope

    with session_scope(db_url) as s:
        s.execute(text("DELETE FROM grid_plans WHERE state IN ('draft','validated')"))


def test_the_demo_plan_shows_a_clean_problem_panel(demo_db):
    with login(demo_db, role="planner") as actor:
        at = AppTest.from_file(PLANNER, default_timeout=90)
        at.session_state["planner_plan"] = _published(demo_db)
        as_actor(at, actor).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("检查通过" in s.value and "40" in s.value for s in at.success)
    assert any("只能查看和导出" in i.value for i in at.info)  # published: read-only
    assert not [b for b in at.button if b.label == "移动街区"]


def test_a_new_draft_can_be_edited_and_the_check_reruns(demo_db):
    _drop_drafts(demo_db)
    try:
        with login(demo_db, role="planner") as actor:
            _edit_a_draft(actor)
    finally:
        _drop_drafts(demo_db)


def _edit_a_draft(actor) -> None:  # noqa: ANN001
    at = as_actor(AppTest.from_file(PLANNER, default_timeout=90), actor).run()
    [b for b in at.button if b.label == "由已发布方案生成新草稿"][0].click().run()
    assert not at.exception, at.exception
    assert any("已生成草稿" in s.value for s in at.success)
    assert any("检查通过" in s.value for s in at.success)
    # take the leader off the selected cell: the check at once shows 未配网格长
    leader_box = [s for s in at.selectbox if s.label == "网格长"][0]
    leader_box.select_index(0).run()  # （暂不配）
    [b for b in at.button if b.label == "保存网格长"][0].click().run()
    assert not at.exception, at.exception
    assert any("已取消网格" in s.value for s in at.success), (
        [e.value for e in at.error],
        [s.value for s in at.success],
        [w.value for w in at.warning],
    )
    assert any("提示 1 个" in w.value for w in at.warning)
    # publishing now needs a note
    assert any("发布说明" in w.value for w in at.warning)


def test_history_lists_versions_and_offers_three_exports(demo_db):
    with login(demo_db, role="leader") as actor:
        at = as_actor(AppTest.from_file(HISTORY, default_timeout=90), actor).run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert len(table) >= 1 and "已发布" in set(table["state_label"])
    assert not at.error, [e.value for e in at.error]
    assert [b.label for b in at.get("download_button")] == [
        "⬇ GeoPackage",
        "⬇ GeoJSON",
        "⬇ Shapefile（zip）",
    ]


# --- publishing: the right versions, and a diff that survives its own download's rerun -------
def test_the_publish_result_names_both_versions_and_survives_a_rerun(demo_db):
    import pandas as pd

    from db.engine import session_scope
    from services import plans

    with session_scope(demo_db) as s:
        plan = plans.get_plan(_published(demo_db), session=s)
    moved = pd.DataFrame(
        {
            "household_id": [11, 12],
            "head_name": [None, None],
            "old_cell_code": ["610902001001001", None],
            "new_cell_code": ["610902001001002", "610902001001002"],
        }
    )
    by_cell = pd.DataFrame(
        {
            "old_cell_code": ["610902001001001", None],
            "new_cell_code": ["610902001001002", "610902001001002"],
            "households": [1, 1],
        }
    )
    result = plans.PublishResult(
        plan=plan,
        retired_plan_id=plan.id + 100,
        households_assigned=14_000,
        cases_assigned=10,
        moved=moved,
        by_cell=by_cell,
        warnings_accepted=0,
        retired_version_no=plan.version_no + 5,  # not plan.version_no - 1
    )
    with login(demo_db, role="planner") as actor:
        at = AppTest.from_file(PLANNER, default_timeout=90)
        at.session_state["planner_result"] = result
        at.session_state["planner_plan"] = plan.id
        as_actor(at, actor).run()
        assert not at.exception, at.exception
        done = [s.value for s in at.success if "已发布" in s.value]
        assert done and f"第{plan.version_no}版" in done[0]
        assert f"原方案 第{plan.version_no + 5}版 已停用" in done[0]
        assert [b for b in at.get("download_button") if "Excel" in b.proto.label]
        at.run()  # what the 导出Excel button does: a rerun
        assert [s.value for s in at.success if "已发布" in s.value] == done
        assert [b for b in at.get("download_button") if "Excel" in b.proto.label]
        # the raw None of a household that had no cell never reaches the table
        assert "None" not in at.dataframe[0].value.astype(str).to_string()
