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
