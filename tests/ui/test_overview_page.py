"""The 总览 page under Streamlit's AppTest (no browser): numbers from the database, errors."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

pytestmark = pytest.mark.ui


def test_overview_shows_the_demo_totals(demo_db):
    from sqlalchemy import text

    from db.engine import session_scope
    from db.repositories import published_plan, table_counts

    with session_scope(demo_db) as s:
        counts = table_counts(s)
        plan = published_plan(s)
        counts["grid_cells"] = s.execute(
            text("SELECT count(*) FROM grid_cells WHERE plan_id = :p"), {"p": plan["id"]}
        ).scalar()
    from tests.logins import as_actor, login

    with login(demo_db, role="leader") as actor:  # a leader reads counts, never a household row
        at = AppTest.from_file(str(ROOT / "app_pages" / "overview.py"), default_timeout=60)
        as_actor(at, actor).run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["网格"] == f"{counts['grid_cells']:,}"
    assert metrics["社区"] == "9"
    households = int(metrics["住户（户）"].replace(",", ""))
    assert 0.95 * counts["households"] <= households <= counts["households"]
    table = at.dataframe[0].value
    assert len(table) == counts["grid_cells"]
    assert table["cell_code"].str.fullmatch(r"\d{15}").all()


def test_overview_asks_for_a_login_without_one(db_url):
    import streamlit as st

    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app_pages" / "overview.py"), default_timeout=60).run()
    assert not at.exception
    assert at.error and "登录" in at.error[0].value


def test_overview_says_how_to_start_the_database_when_it_is_down(monkeypatch, db_url):
    import streamlit as st

    import db.engine as engine

    st.cache_data.clear()  # the previous test's result must not hide the outage
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    real = engine.check_database

    def down(url=None):  # noqa: ANN001
        return real("postgresql+psycopg://nobody@127.0.0.1:1/none")

    monkeypatch.setattr(engine, "check_database", down)
    from tests.logins import as_actor, login

    with login(db_url, role="leader") as actor:
        at = AppTest.from_file(str(ROOT / "app_pages" / "overview.py"), default_timeout=60)
        as_actor(at, actor).run()
    assert not at.exception
    assert at.error, "no error shown"
    message = at.error[0].value
    assert "无法连接数据库" in message
    assert "make run" in message or "DATABASE_URL" in message
