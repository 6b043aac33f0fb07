"""我的网格 services against the demo town: search, category rolls, the household file."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import text

from services.auth import Actor
from services.households import files as hv

pytestmark = pytest.mark.db


def _busiest(session) -> tuple[str, int]:
    """(cell, household) of a household with visits and cases."""
    row = session.execute(
        text(
            "SELECT h.cell_code, h.id FROM households h "
            "WHERE EXISTS (SELECT 1 FROM visits v WHERE v.household_id = h.id) "
            "AND EXISTS (SELECT 1 FROM cases c WHERE c.household_id = h.id) "
            "ORDER BY h.id LIMIT 1"
        )
    ).one()
    return row.cell_code, int(row.id)


@pytest.fixture
def cell_view(demo_session):
    cell, _ = _busiest(demo_session)
    return hv.load_cell(cell, session=demo_session)


def test_the_cell_lists_only_its_own_households(demo_session, cell_view):
    code = cell_view.info["cell_code"]
    assert set(cell_view.households["cell_code"]) == {code}
    n = demo_session.execute(
        text("SELECT count(*) FROM households WHERE cell_code = :c AND status = 'active'"),
        {"c": code},
    ).scalar_one()
    assert cell_view.info["households"] == n > 0
    assert len(cell_view.cell) == 1 and not cell_view.streets.empty


def test_search_by_phone_tail_finds_that_household(cell_view):
    households = cell_view.households.dropna(subset=["phone"])
    target = households.iloc[0]
    tail = str(target["phone"])[-4:]
    found = hv.search_households(cell_view.households, tail)
    assert target["id"] in set(found["id"])
    assert all(
        str(p).endswith(tail) or tail in str(a) or tail in str(n)
        for p, a, n in zip(found["phone"], found["address"], found["head_name"], strict=True)
    )


def test_search_by_tag_and_by_roll(cell_view):
    by_text = hv.search_households(cell_view.households, "低保户")
    by_roll = hv.search_households(cell_view.households, roll="group:low_income")
    assert set(by_roll["id"]) <= set(by_text["id"])
    assert all("low_income" in g for g in by_roll["special_groups"])
    with_group = {
        i
        for i, g in zip(
            cell_view.households["id"], cell_view.households["special_groups"], strict=True
        )
        if "low_income" in g
    }
    assert set(by_roll["id"]) == with_group


def test_a_category_roll_xlsx_has_a_title_row_and_only_that_category(cell_view):
    key = "category:minimum_allowance"
    members = hv.search_households(cell_view.households, roll=key)
    assert not members.empty  # the demo cell has low-income households
    data = hv.roll_xlsx(
        cell_view.households, key=key, scope="测试社区 第001网格", day=dt.date(2026, 11, 30)
    )
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    title = ws.cell(row=1, column=1).value
    assert "汉滨区老城街道办事处" in title and "城市低保" in title and "2026年11月30日" in title
    table = pd.read_excel(io.BytesIO(data), header=1)
    table = table[table["序号"].apply(lambda v: str(v).isdigit())]
    assert len(table) == len(members)
    assert all("城市低保" in str(c) for c in table["服务类别"])
    assert set(table["户主姓名"]) == set(members["head_name"])


def test_roll_keys_keep_categories_and_groups_apart():
    keys = hv.roll_keys([], ["community_correction"], [])
    assert "category:community_correction" in keys and "group:community_correction" in keys
    assert hv.roll_name("group:community_correction") == "社区矫正对象"
    assert hv.roll_name("category:community_correction") == "社区矫正"


def test_the_household_file_has_its_visits_and_cases_and_is_logged(demo_session):
    cell, household = _busiest(demo_session)
    actor = Actor(token="t", username="pytest_file", display_name="测试", role="grid_leader")
    record = hv.household_file(household, session=demo_session, actor=actor)
    visits = demo_session.execute(
        text("SELECT count(*) FROM visits WHERE household_id = :h"), {"h": household}
    ).scalar_one()
    cases = demo_session.execute(
        text("SELECT case_no FROM cases WHERE household_id = :h"), {"h": household}
    ).scalars()
    assert len(record["visits"]) == visits > 0
    assert set(record["cases"]["case_no"]) == set(cases)
    assert record["cell_code"] == cell
    # masked for a grid leader: ID number 6 + asterisks + 4
    if record["id_number"]:
        assert "*" in record["id_number"] and len(record["id_number"]) == 18
    logged = demo_session.execute(
        text(
            "SELECT count(*) FROM audit_log WHERE username = 'pytest_file' "
            "AND action = 'view_household' AND target = :t"
        ),
        {"t": f"household:{household}"},
    ).scalar_one()
    assert logged == 1


def test_export_roll_is_masked_and_logged(demo_session, cell_view):
    actor = Actor(token="t", username="pytest_export", display_name="测试", role="admin")
    data = hv.export_roll(
        cell_view,
        key="group:low_income",
        actor=actor,
        session=demo_session,
        day=dt.date(2026, 11, 30),
    )
    table = pd.read_excel(io.BytesIO(data), header=1).dropna(subset=["联系电话"])
    assert all("*" in str(p) for p in table["联系电话"])  # an admin sees phones masked
    logged = demo_session.execute(
        text(
            "SELECT count(*) FROM audit_log WHERE username = 'pytest_export' AND action = 'export'"
        )
    ).scalar_one()
    assert logged == 1
