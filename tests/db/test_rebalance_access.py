"""The view 动态调整 reads (migration 0013): planners and admins get building-level door plates
and a special-group count, nobody else gets a row, and no name or room number comes through."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.db.access_world import D, as_app, as_owner, count

pytestmark = pytest.mark.db

VIEW = f"SELECT count(*) FROM household_rebalance_points WHERE district_code = '{D}'"


def test_planners_read_doors_and_weights_without_names(session, world):
    session.execute(
        text("UPDATE households SET address = '兴安花园小区3栋2单元501' WHERE district_code = :d"),
        {"d": D},
    )
    as_app(session, world.tokens["planner"])
    assert count(session, VIEW) == 5
    rows = (
        session.execute(
            text("SELECT * FROM household_rebalance_points WHERE district_code = :d ORDER BY id"),
            {"d": D},
        )
        .mappings()
        .all()
    )
    assert {r["door"] for r in rows} == {"兴安花园小区3栋2单元"}  # no room number
    assert all(r["weight"] == 1 for r in rows)  # one special group each, not which
    assert not {"head_name", "id_number", "phone", "address", "special_groups"} & set(rows[0])


@pytest.mark.parametrize("role", ["leader", "grid_leader", "clerk"])
def test_other_roles_get_no_rows(session, world, role):
    as_app(session, world.tokens[role])
    assert count(session, VIEW) == 0


def test_a_forged_login_gets_no_rows(session, world):
    as_app(session, "forged")
    assert count(session, VIEW) == 0
    as_owner(session)
