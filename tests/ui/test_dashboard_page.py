"""领导驾驶舱 under Streamlit's AppTest on the demo database: rate cards, workload, drill-down."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from app_pages.labels import dashboard as labels
from tests.conftest import ROOT

pytestmark = pytest.mark.ui

PAGE = str(ROOT / "app_pages" / "dashboard.py")


def _run_as_leader(demo_db: str, **state: object) -> AppTest:
    from tests.logins import as_actor, login

    with login(demo_db, role="leader") as actor:  # a leader: counts and cases, no household row
        at = AppTest.from_file(PAGE, default_timeout=120)
        as_actor(at, actor)
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def page(demo_db):
    return _run_as_leader(demo_db)


def test_rate_cards_show_numerator_and_denominator(page):
    metrics = {m.label: m.value for m in page.metric}
    for name in ("办结率", "按期办结率", "满意率", "返工率"):
        assert re.fullmatch(r"\d{1,3}\.\d%", metrics[name]), (name, metrics[name])
    captions = [c.value for c in page.caption]
    assert any(re.search(r"^办结 [\d,]+ / 应办结（时限在本期内） [\d,]+$", c) for c in captions)
    assert any(re.search(r"^满意及基本满意 [\d,]+ / 已评价", c) for c in captions)
    assert any(re.search(r"^经重办后办结 [\d,]+ / 本期办结 [\d,]+$", c) for c in captions)


def test_workload_table_has_one_row_per_grid_leader(page, demo_db):
    from sqlalchemy import text

    from db.engine import session_scope

    with session_scope(demo_db) as s:
        leaders = s.execute(
            text(
                "SELECT count(DISTINCT g.leader_staff_id) FROM grid_cells g "
                "JOIN grid_plans p ON p.id = g.plan_id AND p.state = 'published'"
            )
        ).scalar()
    table = next(df.value for df in page.dataframe if "visits_planned" in df.value.columns)
    assert len(table) == leaders > 0
    assert table["leader_name"].is_unique
    assert (table["households"] > 0).all()
    assert table["cell_code"].str.fullmatch(r"\d{15}").all()


def test_headline_numbers_come_from_the_database(page, demo_db):
    from sqlalchemy import text

    from db.engine import session_scope

    with session_scope(demo_db) as s:
        open_now = s.execute(
            text(
                "SELECT count(*) FROM cases WHERE state NOT IN ('closed','rated') "
                "AND cell_code IS NOT NULL"
            )
        ).scalar()
    metrics = {m.label: m.value for m in page.metric}
    assert int(metrics["在办事件（件）"].replace(",", "")) == open_now


def test_picking_a_workload_row_shows_the_cell_and_its_open_cases(page, demo_db):
    table = next(df.value for df in page.dataframe if "visits_planned" in df.value.columns)
    row = int(table["open_cases"].to_numpy().argmax())
    code = table.iloc[row]["cell_code"]
    # what picking the row in the workload table (or clicking the map) sets
    at = _run_as_leader(demo_db, dash_cell=code)
    assert any(code in h.value for h in at.subheader)
    cases = next(df.value for df in at.dataframe if "case_no" in df.value.columns)
    assert len(cases) == table.iloc[row]["open_cases"]
    assert any(table.iloc[row]["leader_name"] in m.value for m in at.markdown)


def test_without_a_login_the_page_asks_for_one(db_url):
    import streamlit as st

    st.cache_data.clear()
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.error, "no error shown"
    assert not at.dataframe


def test_animation_week_steps_and_a_community_filter_run(demo_db):
    from tests.logins import as_actor, login

    with login(demo_db, role="leader") as actor:
        at = AppTest.from_file(PAGE, default_timeout=120)
        as_actor(at, actor).run()
        assert not at.exception, at.exception
        at.radio(key="dash_mode").set_value("热力动画").run()
        assert not at.exception, at.exception
        at.selectbox(key="dash_step").set_value("week").run()
        assert not at.exception, at.exception
        before = {m.label: m.value for m in at.metric}[labels.DASH_METRIC_CASES]
        community = at.multiselect(key="dash_community").options[0]
        at.multiselect(key="dash_community").select(community).run()
        assert not at.exception, at.exception
        after = {m.label: m.value for m in at.metric}[labels.DASH_METRIC_CASES]
        assert int(after.replace(",", "")) < int(before.replace(",", ""))
        table = next(df.value for df in at.dataframe if "visits_planned" in df.value.columns)
        assert table["community_name"].nunique() == 1
