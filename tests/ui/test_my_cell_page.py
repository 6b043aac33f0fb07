"""我的网格 under AppTest, logged in through the real login page as a demo cell's grid leader:
the page shows that cell only, masks ID numbers, and opening a household file is logged."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

pytestmark = pytest.mark.ui


@pytest.fixture(scope="module")
def leader(demo_db: str) -> Iterator[dict]:
    """A committed grid-leader account on a demo cell's leader (removed afterwards)."""
    from db.engine import session_scope
    from services import accounts

    suffix = secrets.token_hex(3)
    username = f"t_ui_cell_{suffix}"
    with session_scope(demo_db) as s:
        row = s.execute(
            text(
                "SELECT s.staff_no, c.cell_code, c.name, "
                "(SELECT count(*) FROM households h WHERE h.cell_code = c.cell_code) AS n, "
                "(SELECT count(*) FROM households) AS total "
                "FROM grid_cells c JOIN grid_plans p ON p.id = c.plan_id "
                "AND p.state = 'published' JOIN staff s ON s.id = c.leader_staff_id "
                "WHERE s.cell_code = c.cell_code ORDER BY c.cell_code LIMIT 1"
            )
        ).one()
        password = accounts.create_user(
            username, session=s, role="grid_leader", staff_no=row.staff_no, by="pytest"
        )
    yield {
        "username": username,
        "password": password,
        "cell_code": row.cell_code,
        "cell_name": row.name,
        "households": int(row.n),
        "total": int(row.total),
    }
    with session_scope(demo_db) as s:
        s.execute(text("DELETE FROM users WHERE username = :u"), {"u": username})


def _logged_in(leader: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    at.text_input[0].input(leader["username"])
    at.text_input[1].input(leader["password"])
    at.button[0].click().run()
    assert at.session_state["role"] == "grid_leader"
    return at.switch_page("app_pages/my_cell.py").run()


def test_the_page_shows_only_the_grid_leaders_cell(leader):
    at = _logged_in(leader)
    assert not at.exception, at.exception
    assert leader["cell_name"] in at.title[0].value
    assert any(leader["cell_code"] in c.value for c in at.caption)
    assert "my_cell_code" not in [s.key for s in at.selectbox]  # no picking another cell
    table = at.dataframe[0].value
    assert len(table) == leader["households"] < leader["total"]
    ids = [v for v in table["id_number"] if v]
    assert ids and all("*" in v and len(v) == 18 for v in ids)


def test_search_by_phone_tail_and_opening_a_household_file(leader, demo_db):
    from db.engine import session_scope

    at = _logged_in(leader)
    phone = next(p for p in at.dataframe[0].value["phone"] if p)
    at.text_input(key="my_cell_search").input(phone[-4:]).run()
    found = at.dataframe[0].value
    assert 1 <= len(found) < leader["households"]
    assert phone in set(found["phone"])

    with session_scope(demo_db) as s:
        household = s.execute(
            text("SELECT id FROM households WHERE cell_code = :c AND phone = :p LIMIT 1"),
            {"c": leader["cell_code"], "p": phone},
        ).scalar_one()
    # the options are household ids shown through format_func: set the id itself
    at.selectbox(key="my_cell_household").set_value(int(household)).run()
    assert not at.exception, at.exception
    assert any(h.value.startswith("一户一档") for h in at.subheader)
    with session_scope(demo_db) as s:
        n = s.execute(
            text(
                "SELECT count(*) FROM audit_log WHERE username = :u AND action = 'view_household'"
            ),
            {"u": leader["username"]},
        ).scalar_one()
    assert n == 1, household


def test_the_members_tab_lists_the_family_with_masked_ids(leader, demo_db):
    """一户一档 of a 3-or-more household: 家庭成员 lists its members (not 暂无记录), ID numbers
    masked for a grid leader (first 6 + asterisks + last 4)."""
    from db.engine import session_scope

    with session_scope(demo_db) as s:
        hh = s.execute(
            text(
                "SELECT id, size FROM households WHERE cell_code = :c AND size >= 3 "
                "ORDER BY id LIMIT 1"
            ),
            {"c": leader["cell_code"]},
        ).one()
        full = s.execute(
            text("SELECT name, id_number FROM residents WHERE household_id = :h ORDER BY id"),
            {"h": hh.id},
        ).all()
    at = _logged_in(leader)
    at.selectbox(key="my_cell_household").set_value(int(hh.id)).run()
    assert not at.exception, at.exception
    assert f"家庭人口** {hh.size} 人" in "\n".join(m.value for m in at.markdown)
    members_tab = at.tabs[0]
    assert members_tab.label == "家庭成员"
    assert not [c.value for c in members_tab.caption if c.value == "暂无记录"]
    table = members_tab.dataframe[0].value
    assert list(table["name"]) == [r.name for r in full] and len(table) == hh.size - 1
    for shown, real in zip(table["id_number"], full, strict=True):
        assert shown == f"{real.id_number[:6]}********{real.id_number[-4:]}"


@pytest.fixture(scope="module")
def admin(demo_db: str) -> Iterator[dict]:
    from db.engine import session_scope
    from services import accounts

    username = f"t_ui_hh_admin_{secrets.token_hex(3)}"
    with session_scope(demo_db) as s:
        password = accounts.create_user(username, session=s, role="admin", by="pytest")
    yield {"username": username, "password": password}
    with session_scope(demo_db) as s:
        s.execute(text("DELETE FROM users WHERE username = :u"), {"u": username})


def test_an_admin_picks_a_cell_and_opens_the_review_and_import_pages(admin):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    at.text_input[0].input(admin["username"])
    at.text_input[1].input(admin["password"])
    at.button[0].click().run()
    at.switch_page("app_pages/my_cell.py").run()
    assert not at.exception, at.exception
    picker = at.selectbox(key="my_cell_code")
    second = picker.options[1]  # 社区 · 第00N网格（15-digit code）
    picker.set_value(second.rsplit("（", 1)[1].rstrip("）")).run()
    assert not at.exception, at.exception
    assert second.split(" · ")[1].split("（")[0] in at.title[0].value
    phones = [p for p in at.dataframe[0].value["phone"] if p]
    assert phones and all("*" in p for p in phones)  # an admin sees phones masked
    for page in ("app_pages/review_queue.py", "app_pages/roster_import.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)


# --- raw values never reach the screen (area: Chinese everywhere) ----------------------------
def test_a_household_file_shows_no_raw_enum_timestamp_or_none(leader, demo_db):
    import re

    from core import vocab
    from db.engine import session_scope

    with session_scope(demo_db) as s:
        household = s.execute(
            text(
                "SELECT c.household_id FROM cases c JOIN households h ON h.id = c.household_id "
                "WHERE h.cell_code = :c AND c.satisfaction IS NOT NULL "
                "ORDER BY c.household_id LIMIT 1"
            ),
            {"c": leader["cell_code"]},
        ).scalar()
    if household is None:
        pytest.fail("the demo cell has no household with a rated case: the test needs one")
    at = _logged_in(leader)
    at.selectbox(key="my_cell_household").set_value(int(household)).run()
    assert not at.exception, at.exception
    keys = {
        k
        for table in (
            vocab.SATISFACTION,
            vocab.CASE_STATES,
            vocab.CASE_KINDS,
            vocab.SERVICE_CATEGORIES,
            vocab.CHANNELS,
        )
        for k in table
    }
    iso = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}|[+-]\d{2}:\d{2}$")
    seen = 0
    for frame in at.dataframe:
        values = frame.value
        for col in values.columns:
            for v in values[col]:
                seen += 1
                text_value = str(v)
                assert text_value not in keys, (col, text_value)
                assert text_value not in ("None", "nan", "NaT", "True", "False"), (col, v)
                assert not iso.search(text_value), (col, text_value)
    assert seen > 0
    assert any("满意" in str(v) for f in at.dataframe for c in f.value.columns for v in f.value[c])
