"""The small world of the access-control tests, and how they act in it.

Two communities of district 999999 (no real or demo data uses it), one cell each, a grid leader
per cell, a grid worker, clerks, a leader, a planner and an admin, each logged in; households,
residents, cases, a visit and a callback on both sides. ``as_app`` makes the test's connection
the app role acting with a token, ``as_owner`` turns it back. Used by tests/db/test_access.py,
test_access_audit.py and the other database tests that need a scoped world.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from db import access
from services import auth

D = "999999"  # a district code no real or demo data uses
COMM_A, COMM_B = "999999001001", "999999001002"
CELL_A, CELL_B = "999999001001001", "999999001002001"
ID_A = "610902198001010019"
PASSWORD = "correct horse battery"
_HASH = auth.hash_password(PASSWORD)  # once: Argon2 is slow on purpose
PHONE_A = "13812345678"


@dataclass
class World:
    tokens: dict[str, str]
    users: dict[str, int]
    household_a: int
    household_b: int
    case_b: int


def _insert(session: Session, sql: str, **params: object) -> int:
    return int(session.execute(text(sql + " RETURNING id"), params).scalar_one())


def _staff(session: Session, no: str, role: str, community: str, cell: str | None) -> int:
    return _insert(
        session,
        "INSERT INTO staff (district_code, staff_no, name, role, community_code, cell_code, "
        "streets, active) VALUES (:d, :no, :name, :role, :c, :cell, '{}', true)",
        d=D,
        no=no,
        name=f"测试{no}",
        role=role,
        c=community,
        cell=cell,
    )


def _user(session: Session, name: str, role: str, *, staff: int | None = None, community=None):
    return access.insert_user(
        session,
        username=name,
        display_name=name,
        role=role,
        staff_id=staff,
        community_code=community,
        password_hash=_HASH,
    )


def _household(session: Session, key: str, community: str, cell: str, **extra: object) -> int:
    values = {
        "d": D,
        "k": key,
        "name": extra.get("name", "张三"),
        "id": extra.get("id_number", ID_A),
        "phone": extra.get("phone", PHONE_A),
        "c": community,
        "cell": cell,
        "groups": extra.get("groups", ["低保"]),
    }
    return _insert(
        session,
        "INSERT INTO households (district_code, household_key, head_name, id_number, phone, "
        "size, address, community_code, cell_code, categories, special_groups, status) "
        "VALUES (:d, :k, :name, :id, :phone, 1, '测试街1号', :c, :cell, '{}', :groups, 'active')",
        **values,
    )


def _case(session: Session, no: str, community: str, cell: str, household: int | None) -> int:
    return _insert(
        session,
        "INSERT INTO cases (district_code, case_no, kind, category, channel, state, description,"
        " citizen_name, citizen_phone, household_id, community_code, cell_code, received_at, "
        "rework_count, called_back, version) VALUES (:d, :no, 'promised', '环境卫生', 'window', "
        "'received', '测试', '李四', '13900001111', :h, :c, :cell, now(), 0, false, 1)",
        d=D,
        no=no,
        h=household,
        c=community,
        cell=cell,
    )


def _login(session: Session, user_id: int, *, now: dt.datetime | None = None) -> str:
    token = secrets.token_urlsafe(32)
    access.insert_session(
        session,
        token=token,
        user_id=user_id,
        idle_seconds=8 * 3600,
        max_seconds=24 * 3600,
        client="pytest",
        now=now,
    )
    return token


def _build_world(session: Session) -> World:
    s_a = _staff(session, "T999-A", "grid_leader", COMM_A, CELL_A)
    s_b = _staff(session, "T999-B", "grid_leader", COMM_B, CELL_B)
    users = {
        "grid_leader": _user(session, "t_gl_a", "grid_leader", staff=s_a),
        "grid_leader_b": _user(session, "t_gl_b", "grid_leader", staff=s_b),
        "grid_worker": _user(session, "t_gw_a", "grid_worker", staff=s_a),
        "clerk": _user(session, "t_clerk_a", "clerk", community=COMM_A),
        "centre_clerk": _user(session, "t_clerk_centre", "clerk"),
        "leader": _user(session, "t_leader", "leader"),
        "planner": _user(session, "t_planner", "planner"),
        "admin": _user(session, "t_admin", "admin"),
    }
    h_a = [_household(session, f"a{i}", COMM_A, CELL_A) for i in range(3)]
    h_b = [_household(session, f"b{i}", COMM_B, CELL_B, name="王五") for i in range(2)]
    session.execute(
        text(
            "INSERT INTO residents (district_code, household_id, name, relation, id_number) "
            "VALUES (:d, :a, '张小三', '子', :id), (:d, :b, '王小五', '子', :id)"
        ),
        {"d": D, "a": h_a[0], "b": h_b[0], "id": ID_A},
    )
    _case(session, "T999-C-A1", COMM_A, CELL_A, h_a[0])
    _case(session, "T999-C-A2", COMM_A, CELL_A, None)
    case_b = _case(session, "T999-C-B1", COMM_B, CELL_B, h_b[0])
    params = {"d": D, "sa": s_a, "sb": s_b, "ha": h_a[0], "hb": h_b[0], "cb": case_b}
    session.execute(
        text(
            "INSERT INTO visits (district_code, visit_date, staff_id, household_id, outcome) "
            "VALUES (:d, current_date, :sa, :ha, 'resolved'), "
            "(:d, current_date, :sb, :hb, 'resolved')"
        ),
        params,
    )
    session.execute(
        text(
            "INSERT INTO callbacks (district_code, case_id, called_at, staff_id, reached) "
            "VALUES (:d, :cb, now(), :sb, true)"
        ),
        params,
    )
    tokens = {role: _login(session, uid) for role, uid in users.items()}
    return World(tokens, users, h_a[0], h_b[0], case_b)


@pytest.fixture
def world(session: Session) -> World:
    return _build_world(session)


def as_app(session: Session, token: str | None) -> None:
    """From here on this connection is the app role, acting with ``token``."""
    session.execute(text("SET LOCAL ROLE lianxin_app"))
    access.set_actor(session, token)


def as_owner(session: Session) -> None:
    session.execute(text("RESET ROLE"))


def count(session: Session, sql: str) -> int:
    return int(session.execute(text(sql)).scalar_one())


def mine(table: str) -> str:
    return f"SELECT count(*) FROM {table} WHERE district_code = '{D}'"
