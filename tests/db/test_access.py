"""Access control against a real PostGIS: row-level security, masking, the audit log.

Most tests build a tiny world inside the rolled-back ``session`` and then ``SET LOCAL ROLE
lianxin_app`` on that connection: from then on it has exactly the app role's privileges
(no BYPASSRLS, owns nothing), so hand-written SQL there is what a buggy page could run. One
test commits its rows briefly and uses the app's own login (``acting_session``), to prove the
real connection is the restricted role.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from db import access
from services import accounts
from tests.db.access_world import (
    CELL_A,
    CELL_B,
    COMM_B,
    D,
    World,
    _build_world,
    _household,
    _login,
    as_app,
    as_owner,
    count,
    mine,
)

pytestmark = pytest.mark.db


# --- the app's own connection ----------------------------------------------------------------


def test_the_app_connects_as_a_role_that_cannot_bypass_row_level_security(db_url):
    with access.acting_session(None, url=db_url) as s:
        me = s.execute(
            text(
                "SELECT current_user, r.rolsuper, r.rolbypassrls, "
                "(SELECT count(*) FROM pg_tables WHERE tableowner = current_user) AS owns "
                "FROM pg_roles r WHERE r.rolname = current_user"
            )
        ).one()
    assert me.current_user == "lianxin_app"
    assert me.rolsuper is False and me.rolbypassrls is False and me.owns == 0


@pytest.mark.parametrize("table", ["users", "user_sessions"])
def test_the_app_cannot_read_accounts_or_login_tokens(db_url, table):
    with pytest.raises(DBAPIError, match="permission denied"):
        with access.acting_session(None, url=db_url) as s:
            s.execute(text(f"SELECT * FROM {table}")).all()


@pytest.fixture
def committed_world(db_url: str) -> Iterator[World]:
    """The same small world, committed (the app's real connection cannot see an open
    transaction), then removed. Its district code keeps it apart from any demo data."""
    from db.engine import session_scope

    with session_scope(db_url) as s:
        world = _build_world(s)
    try:
        yield world
    finally:
        with session_scope(db_url) as s:
            for table in ("callbacks", "visits", "cases", "residents", "households"):
                s.execute(text(f"DELETE FROM {table} WHERE district_code = :d"), {"d": D})
            s.execute(text("DELETE FROM users WHERE username LIKE 't\\_%'"))
            s.execute(text("DELETE FROM staff WHERE district_code = :d"), {"d": D})


def test_on_the_real_app_connection_a_grid_leader_sees_only_their_cell(db_url, committed_world):
    w = committed_world
    with access.acting_session(w.tokens["grid_leader"], url=db_url) as s:
        # Hand-written SQL with no WHERE: the policies do the filtering.
        assert count(s, "SELECT count(*) FROM households") == 3
        assert count(s, "SELECT count(*) FROM cases") == 2
        assert (
            count(
                s,
                "SELECT count(*) FROM households WHERE cell_code = :c".replace(":c", f"'{CELL_B}'"),
            )
            == 0
        )
        assert (
            s.execute(text("SELECT * FROM households WHERE id = :i"), {"i": w.household_b}).first()
            is None
        )
        # Overriding the setting by hand with a made-up token gives nothing at all.
        s.execute(text("SET LOCAL lianxin.session = 'forged-token'"))
        assert count(s, "SELECT count(*) FROM households") == 0
        assert count(s, "SELECT count(*) FROM cases") == 0
    with access.acting_session(None, url=db_url) as s:
        assert count(s, "SELECT count(*) FROM households") == 0
        assert count(s, "SELECT count(*) FROM residents") == 0
        assert count(s, "SELECT count(*) FROM cases") == 0


def test_a_forged_token_is_refused_before_any_query(db_url):
    with pytest.raises(access.SessionExpiredError):
        with access.acting_session("forged-token", url=db_url):
            pass


# --- row-level security, scope by role (rolled back) -------------------------------------------


def test_grid_leader_reads_only_their_cells_rows_in_every_table(session, world):
    as_app(session, world.tokens["grid_leader"])
    assert count(session, "SELECT count(*) FROM households") == 3
    assert session.execute(text("SELECT DISTINCT cell_code FROM households")).scalars().all() == [
        CELL_A
    ]
    assert count(session, "SELECT count(*) FROM residents") == 1
    assert count(session, "SELECT count(*) FROM cases") == 2
    assert count(session, mine("visits")) == 1
    assert count(session, mine("callbacks")) == 0
    # A join through another table does not leak either.
    assert (
        count(
            session,
            "SELECT count(*) FROM cases c JOIN households h ON h.id = c.household_id "
            f"WHERE h.cell_code = '{CELL_B}'",
        )
        == 0
    )


def test_the_other_cells_leader_sees_the_other_cell(session, world):
    as_app(session, world.tokens["grid_leader_b"])
    assert count(session, "SELECT count(*) FROM households") == 2
    assert count(session, "SELECT count(*) FROM cases") == 1
    assert count(session, mine("callbacks")) == 1


def test_no_token_or_a_forged_one_sees_no_rows(session, world):
    for token in (None, "", "forged", world.tokens["grid_leader"] + "x"):
        as_app(session, token)
        for table in ("households", "residents", "cases", "visits", "callbacks", "audit_log"):
            assert count(session, f"SELECT count(*) FROM {table}") == 0, (token, table)
        as_owner(session)


def test_setting_the_session_by_hand_cannot_name_a_user(session, world):
    as_app(session, None)
    for guess in (str(world.users["admin"]), "t_admin", "admin"):
        session.execute(text("SELECT set_config('lianxin.session', :g, true)"), {"g": guess})
        assert count(session, "SELECT count(*) FROM households") == 0


def test_an_expired_or_ended_login_sees_nothing(session, world):
    stale = _login(
        session, world.users["grid_leader"], now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=9)
    )
    as_app(session, stale)
    assert count(session, "SELECT count(*) FROM households") == 0
    assert access.touch_session(session) is False
    as_owner(session)
    as_app(session, world.tokens["grid_leader"])
    assert access.end_session(session) is True  # logout
    assert count(session, "SELECT count(*) FROM households") == 0


def test_a_disabled_account_loses_its_rows_at_once(session, world):
    accounts.disable_user("t_gl_a", session=session, by="pytest")
    as_app(session, world.tokens["grid_leader"])
    assert count(session, "SELECT count(*) FROM households") == 0


def test_a_clerk_sees_their_community_and_the_centre_sees_all_cases(session, world):
    as_app(session, world.tokens["clerk"])
    assert count(session, mine("households")) == 3
    assert count(session, mine("cases")) == 2
    as_owner(session)
    as_app(session, world.tokens["centre_clerk"])
    assert count(session, mine("households")) == 0  # no household files at the centre
    assert count(session, mine("cases")) == 3


def test_leaders_and_planners_get_counts_not_households(session, world):
    for role in ("leader", "planner"):
        as_app(session, world.tokens[role])
        assert count(session, "SELECT count(*) FROM households") == 0
        assert count(session, "SELECT count(*) FROM residents") == 0
        counts = dict(
            session.execute(
                text(
                    "SELECT cell_code, households FROM household_counts_by_cell "
                    "WHERE cell_code IN (:a, :b)"
                ),
                {"a": CELL_A, "b": CELL_B},
            ).all()
        )
        assert counts == {CELL_A: 3, CELL_B: 2}
        as_owner(session)
    as_app(session, world.tokens["leader"])
    assert count(session, mine("cases")) == 3  # dashboards read cases
    as_owner(session)
    as_app(session, world.tokens["planner"])
    assert count(session, mine("cases")) == 0
    assert count(session, mine("household_points")) == 5  # locations without names


def test_aggregate_views_need_a_valid_login(session, world):
    as_app(session, "forged")
    assert count(session, "SELECT count(*) FROM household_counts_by_cell") == 0
    assert count(session, "SELECT count(*) FROM household_points") == 0


def test_a_grid_leader_cannot_write_outside_their_cell(session, world):
    as_app(session, world.tokens["grid_leader"])
    updated = session.execute(
        text("UPDATE households SET note = 'x' WHERE id = :i"), {"i": world.household_b}
    )
    assert updated.rowcount == 0
    with pytest.raises(DBAPIError, match="row-level security"), session.begin_nested():
        _household(session, "intruder", COMM_B, CELL_B)
    with pytest.raises(DBAPIError, match="row-level security"), session.begin_nested():
        session.execute(
            text("UPDATE households SET cell_code = :b WHERE cell_code = :a"),
            {"a": CELL_A, "b": CELL_B},
        )
    with pytest.raises(DBAPIError, match="row-level security"), session.begin_nested():
        session.execute(
            text(
                "INSERT INTO grid_plans (district_code, subdistrict_code, name, version_no, "
                "state, lock_version) VALUES (:d, '999999001', 'x', 999, 'draft', 1)"
            ),
            {"d": D},
        )


def test_a_planner_edits_plans(session, world):
    as_app(session, world.tokens["planner"])
    session.execute(
        text(
            "INSERT INTO grid_plans (district_code, subdistrict_code, name, version_no, state, "
            "lock_version) VALUES (:d, '999999001', '测试方案', 999, 'draft', 1)"
        ),
        {"d": D},
    )
    assert count(session, mine("grid_plans")) == 1
