"""Attacks on row-level security by a logged-in user with hand-written SQL on the app's role.

Each test is an attack from issue 10 and held only after migration 0008 (each failed on the
code before it: see the branch's report).
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from db import access
from services import audit
from tests.security.world import World, as_app, as_owner, build

RESTRICTED = ("grid_leader", "grid_worker", "clerk", "centre_clerk", "leader", "planner")


@pytest.fixture
def world(demo_session: Session) -> World:
    return build(demo_session)


def _count(session: Session, sql: str, **params: object) -> int:
    return int(session.execute(text(sql), params).scalar_one())


def _try(session: Session, sql: str, **params: object) -> int | None:
    """Run a write in a savepoint; its row count, or None when the database refused it."""
    try:
        with session.begin_nested():
            result = session.execute(text(sql), params)
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
    except DBAPIError:
        return None


# --- import_batches.imported_by: the critical escalation ---------------------------------------


@pytest.mark.parametrize("role", RESTRICTED)
def test_claiming_someone_elses_import_batch_exposes_no_household(demo_session, world, role):
    s = demo_session
    unplaced = [world.households["unplaced_other"], world.households["unplaced_b"]]
    as_app(s, world.users[role].token)
    before = _count(s, "SELECT count(*) FROM households WHERE id = ANY(:ids)", ids=unplaced)
    assert before == 0
    # The attack as filed, and its variants: claim every batch, or re-point one's own.
    _try(s, "UPDATE import_batches SET imported_by = lianxin_current_username()")
    _try(
        s,
        "INSERT INTO import_batches (id, district_code, kind, file_name, imported_by) "
        "SELECT id + 100000, district_code, kind, file_name, lianxin_current_username() "
        "FROM import_batches",
    )
    _try(s, "UPDATE households SET import_batch_id = import_batch_id WHERE cell_code IS NULL")
    assert _count(s, "SELECT count(*) FROM households WHERE id = ANY(:ids)", ids=unplaced) == 0
    assert _try(s, "UPDATE households SET note = 'x' WHERE id = ANY(:ids)", ids=unplaced) in (
        0,
        None,
    )
    as_owner(s)
    owners = s.execute(
        text("SELECT DISTINCT imported_by FROM import_batches WHERE id = ANY(:b)"),
        {"b": list(world.batches.values())},
    ).scalars()
    assert set(owners) == set(world.batches)  # nobody's batch changed hands


def test_the_app_cannot_stamp_a_batch_with_another_name(demo_session, world):
    s = demo_session
    as_app(s, world.users["clerk"].token)
    batch = s.execute(
        text(
            "INSERT INTO import_batches (district_code, kind, file_name, imported_by) "
            "VALUES ('610902', 'roster', 'f.xlsx', 't_sec_other') RETURNING id, imported_by"
        )
    ).one()
    assert batch.imported_by == "t_sec_clerk"  # the session's user, whatever was written
    assert _try(s, "UPDATE import_batches SET counts = '{\"total\": 1}'") == 1  # own only


# --- staff: names and phones ---------------------------------------------------------------


def test_staff_is_unreadable_without_a_session(demo_session, world):
    as_app(demo_session, None)
    assert _count(demo_session, "SELECT count(*) FROM staff") == 0
    as_app(demo_session, "forged-token")
    assert _count(demo_session, "SELECT count(*) FROM staff WHERE phone IS NOT NULL") == 0


def test_each_role_sees_the_staff_it_needs(demo_session, world):
    s = demo_session
    total = _count(s, "SELECT count(*) FROM staff")
    own_community = _count(
        s, "SELECT count(*) FROM staff WHERE community_code = :c", c=world.community_a
    )
    for role in ("admin", "leader", "planner", "clerk", "centre_clerk"):
        as_app(s, world.users[role].token)
        assert _count(s, "SELECT count(*) FROM staff") == total, role
        as_owner(s)
    for role in ("grid_leader", "grid_worker"):
        as_app(s, world.users[role].token)
        seen = s.execute(text("SELECT id, community_code FROM staff")).all()
        assert {r.community_code for r in seen} == {world.community_a}, role
        assert len(seen) == own_community < total
        assert world.users[role].staff_id in {r.id for r in seen}
        as_owner(s)


# --- audit log: no forged rows ---------------------------------------------------------------


def test_the_app_role_cannot_insert_audit_rows(demo_session, world):
    s = demo_session
    as_app(s, world.users["grid_leader"].token)
    for sql in (
        "INSERT INTO audit_log (username, action, detail) "
        "VALUES (lianxin_current_username(), 'login_success', '{}')",
        "INSERT INTO audit_log (username, action, detail) VALUES ('t_sec_admin', 'logout', '{}')",
    ):
        with pytest.raises(DBAPIError, match="permission denied"), s.begin_nested():
            s.execute(text(sql))


@pytest.mark.parametrize("action", [audit.LOGIN_SUCCESS, audit.LOGIN_FAILURE])
def test_the_app_cannot_forge_login_rows_even_under_its_own_name(demo_session, world, action):
    s = demo_session
    as_app(s, world.users["grid_leader"].token)
    for name in ("t_sec_grid_leader", "t_sec_admin", None):
        with pytest.raises(DBAPIError, match="登录记录只由登录过程本身写入|row-level security"):
            with s.begin_nested():
                audit.record(session=s, username=name, action=action, client="1.2.3.4")
    with pytest.raises(DBAPIError, match="permission denied"), s.begin_nested():
        s.execute(
            text("SELECT lianxin_audit_trusted('t_sec_admin', :a, NULL, '{}', NULL, NULL)"),
            {"a": action},
        )
    as_owner(s)
    forged = "SELECT count(*) FROM audit_log WHERE action = :a AND client = '1.2.3.4'"
    assert _count(s, forged, a=action) == 0


def test_an_audit_row_takes_who_from_the_session_and_needs_one(demo_session, world):
    s = demo_session
    as_app(s, world.users["clerk"].token)
    audit.record(session=s, username=None, action=audit.EXPORT, target="who am i")
    with pytest.raises(DBAPIError, match="row-level security"), s.begin_nested():
        audit.record(session=s, username="t_sec_admin", action=audit.EXPORT, target="forged")
    as_app(s, None)
    with pytest.raises(DBAPIError, match="没有有效的登录会话"), s.begin_nested():
        audit.record(session=s, username="t_sec_admin", action=audit.LOGOUT)
    as_owner(s)
    rows = s.execute(
        text("SELECT username, at FROM audit_log WHERE target IN ('who am i', 'forged')")
    ).all()
    assert [r.username for r in rows] == ["t_sec_clerk"]
    # A failed login has no session: the owner's connection names the user.
    audit.record(session=s, username="t_sec_nobody", action=audit.LOGIN_FAILURE, client="1.2.3.4")
    assert _count(s, "SELECT count(*) FROM audit_log WHERE username = 't_sec_nobody'") == 1


# --- lianxin_household_keys_elsewhere: probing ID numbers ----------------------------------


def _key_of(session: Session, household_id: int) -> str:
    return str(
        session.execute(
            text("SELECT household_key FROM households WHERE id = :h"), {"h": household_id}
        ).scalar_one()
    )


def _probe(session: Session, sql: str, **params: object) -> list[str] | None:
    try:
        with session.begin_nested():
            return list(session.execute(text(sql), params).scalar_one() or [])
    except DBAPIError:
        return None


def test_a_grid_leader_cannot_probe_keys_outside_an_import(demo_session, world):
    s = demo_session
    victim = _key_of(s, world.households["b1"])  # a household in another cell
    as_app(s, world.users["grid_leader"].token)
    # The function as it was: any key, any time.
    assert _probe(s, "SELECT lianxin_household_keys_elsewhere(ARRAY[:k])", k=victim) is None
    # Someone else's batch, or an old batch of one's own: refused.
    for batch in (world.batches["t_sec_other"], world.batches["t_sec_grid_leader"]):
        got = _probe(s, "SELECT lianxin_household_keys_elsewhere(:b, ARRAY[:k])", b=batch, k=victim)
        assert got is None


def test_an_import_asks_once_for_at_most_its_rows_and_leaves_an_audit_row(demo_session, world):
    s = demo_session
    victim = _key_of(s, world.households["b1"])
    as_app(s, world.users["grid_leader"].token)
    batch = int(
        s.execute(
            text(
                "INSERT INTO import_batches (district_code, kind, file_name, counts) "
                "VALUES ('610902', 'roster', 'probe.xlsx', '{\"total\": 2}') RETURNING id"
            )
        ).scalar_one()
    )
    too_many = [victim, "id:a", "id:b"]
    assert _probe(s, "SELECT lianxin_household_keys_elsewhere(:b, :k)", b=batch, k=too_many) is None
    got = _probe(s, "SELECT lianxin_household_keys_elsewhere(:b, :k)", b=batch, k=[victim, "x"])
    assert got == [victim]  # the import's own question is answered
    again = _probe(s, "SELECT lianxin_household_keys_elsewhere(:b, :k)", b=batch, k=[victim])
    assert again is None  # once per batch
    as_owner(s)
    rows = s.execute(
        text("SELECT username, detail FROM audit_log WHERE action = 'import_key_check'")
    ).all()
    assert [(r.username, r.detail["asked"], r.detail["elsewhere"]) for r in rows] == [
        ("t_sec_grid_leader", 2, 1)
    ]


@pytest.mark.parametrize("role", ["leader", "planner"])
def test_roles_that_do_not_import_cannot_ask_at_all(demo_session, world, role):
    s = demo_session
    victim = _key_of(s, world.households["b1"])
    as_app(s, world.users[role].token)
    got = _probe(
        s,
        "SELECT lianxin_household_keys_elsewhere(:b, ARRAY[:k])",
        b=world.batches["t_sec_other"],
        k=victim,
    )
    assert got is None or got == []


def test_the_session_functions_answer_nothing_without_a_token(demo_session, world):
    as_app(demo_session, None)
    assert access.whoami(demo_session) is None


# --- cases.cell_code: a clerk pushing a case into another community's cell (migration 0016) ----


def test_a_clerk_cannot_push_a_case_into_another_communitys_cell(demo_session, world):
    """Found by the generic attack (test_writable_columns): before 0016 the clerk's UPDATE was
    accepted and B's grid leader read the case's events, attachments and callbacks."""
    s = demo_session
    case = world.cases["a"]
    as_app(s, world.users["grid_leader_b"].token)
    events = "SELECT count(*) FROM case_events WHERE case_id = :c"
    assert _count(s, events, c=case) == 0
    as_app(s, world.users["clerk"].token)
    moved = _try(s, "UPDATE cases SET cell_code = :g WHERE id = :c", g=world.cell_b, c=case)
    assert moved is None
    # a copy placed that way is refused too; one in the clerk's own cell is accepted
    copy = (
        "INSERT INTO cases (district_code, case_no, kind, category, channel, state, "
        "description, received_at, rework_count, called_back, version, community_code, "
        "cell_code) SELECT district_code, case_no || '-x', kind, category, channel, state, "
        "description, received_at, "
        "0, false, 1, community_code, :g FROM cases WHERE id = :c"
    )
    assert _try(s, copy, g=world.cell_b, c=case) is None
    assert _try(s, copy, g=world.cell_a, c=case) == 1
    # the state changes of the case's life still work
    assert _try(s, "UPDATE cases SET state = 'dispatched' WHERE id = :c", c=case) == 1
    as_app(s, world.users["grid_leader_b"].token)
    assert _count(s, events, c=case) == 0
