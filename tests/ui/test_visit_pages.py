"""下访日 and 回访日 under AppTest, logged in: the list is the user's own, masked by role."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.logins import as_actor, login

pytestmark = pytest.mark.ui


def _run(page: str, actor) -> AppTest:  # noqa: ANN001
    import streamlit as st

    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app_pages" / page), default_timeout=60)
    return as_actor(at, actor).run()


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown) + "\n".join(c.value for c in at.caption)


def test_a_grid_leader_sees_special_groups_first_on_visit_day(demo_db):
    with login(demo_db, role="grid_leader", staff_no="S034") as actor:
        at = _run("visit_day.py", actor)
    assert not at.exception, at.exception
    text = _markdown(at)
    assert "1. " in text  # a numbered list of households
    assert "重点人群：" in text  # the leader may see which group, and they come first
    assert "tel:" in text  # phones are tappable for the leader


def test_a_grid_worker_gets_the_list_without_group_names(demo_db):
    with login(demo_db, role="grid_worker", staff_no="S074") as actor:
        at = _run("visit_day.py", actor)
    assert not at.exception, at.exception
    text = _markdown(at)
    assert "1. " in text
    assert "重点人群：" not in text
    assert "低保户" not in text and "社区矫正" not in text


def test_callback_day_runs_for_a_grid_leader(demo_db):
    with login(demo_db, role="grid_leader", staff_no="S034") as actor:
        at = _run("callback_day.py", actor)
    assert not at.exception, at.exception
    assert at.title[0].value == "回访日"
