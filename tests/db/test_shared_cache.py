"""Cross-user caches (services.shared_cache, issue 15): shared only where the data allows.

Real logins on the demo town, each with its own row-security session (db.access.acting_session):
an aggregate cached for one scope is never served to another, two grid leaders never receive
each other's rows through the cache, and a new plan version is a new key for the street layer.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import text

from core.clock import BEIJING
from db import cache_queries
from db.access import acting_session
from db.engine import session_scope
from services import shared_cache
from services.stats import dashboard
from tests.logins import login

pytestmark = pytest.mark.db

AS_OF = dt.datetime(2026, 12, 3, 9, 0, tzinfo=BEIJING)


@pytest.fixture(autouse=True)
def _empty_caches():
    shared_cache.clear_all()
    yield
    shared_cache.clear_all()


def _two_cells_with_open_cases(db_url: str) -> list[tuple[str, str]]:
    """(cell code, its grid leader's staff no) of two cells, each with an open case."""
    with session_scope(db_url) as s:
        rows = s.execute(
            text(
                "SELECT c.cell_code, st.staff_no FROM grid_cells c"
                " JOIN grid_plans p ON p.id = c.plan_id AND p.state = 'published'"
                " JOIN staff st ON st.id = c.leader_staff_id"
                " WHERE EXISTS (SELECT 1 FROM cases k WHERE k.cell_code = c.cell_code"
                "               AND k.state NOT IN ('closed', 'rated'))"
                " ORDER BY c.cell_code LIMIT 2"
            )
        ).all()
    assert len(rows) == 2
    return [(r.cell_code, r.staff_no) for r in rows]


def _open_cases(db_url: str, actor, cell_code: str):  # type: ignore[no-untyped-def]
    """What the dashboard page does: the cell's open cases through the scoped cache."""

    def compute():  # type: ignore[no-untyped-def]
        with acting_session(actor.token, url=db_url) as s:
            return dashboard.cell_open_cases(session=s, cell_code=cell_code, as_of=AS_OF)

    return shared_cache.dashboard_aggregate(
        "cell_open_cases", (cell_code, AS_OF), actor=actor, compute=compute
    )


def test_grid_leaders_never_get_each_others_cases_through_the_cache(demo_db):
    (cell_a, staff_a), (cell_b, staff_b) = _two_cells_with_open_cases(demo_db)
    with (
        login(demo_db, role="grid_leader", staff_no=staff_a) as a,
        login(demo_db, role="grid_leader", staff_no=staff_b) as b,
    ):
        assert cell_a in a.cells and cell_a not in b.cells
        mine = _open_cases(demo_db, a, cell_a)
        assert len(mine) > 0  # A sees the open cases of A's cell (citizen fields included)
        # B asks for the very same aggregate key: B's own scope answers, A's rows are not served
        theirs = _open_cases(demo_db, b, cell_a)
        assert len(theirs) == 0
        assert set(_open_cases(demo_db, b, cell_b)["case_no"]).isdisjoint(mine["case_no"])


def test_an_aggregate_cached_for_the_leader_is_not_served_to_a_grid_leader(demo_db):
    (cell_a, staff_a), (cell_b, _) = _two_cells_with_open_cases(demo_db)
    with (
        login(demo_db, role="leader") as leader,
        login(demo_db, role="leader") as other_leader,
        login(demo_db, role="grid_leader", staff_no=staff_a) as grid_leader,
    ):
        everything = _open_cases(demo_db, leader, cell_b)
        assert len(everything) > 0  # a leader reads every case (the dashboard)
        assert len(_open_cases(demo_db, grid_leader, cell_b)) == 0  # cell B is not theirs
        # two leaders have one scope (district-wide by policy): the second is a cache hit
        hits = shared_cache.AGGREGATES.hits
        assert list(_open_cases(demo_db, other_leader, cell_b)["case_no"]) == list(
            everything["case_no"]
        )
        assert shared_cache.AGGREGATES.hits == hits + 1
    assert shared_cache.Scope.of(leader) == shared_cache.Scope.of(other_leader)
    assert shared_cache.Scope.of(grid_leader) != shared_cache.Scope.of(leader)


def test_the_street_layer_is_shared_and_a_plan_edit_is_a_new_key(demo_db):
    (cell_a, staff_a), (_, staff_b) = _two_cells_with_open_cases(demo_db)
    with (
        login(demo_db, role="grid_leader", staff_no=staff_a) as a,
        login(demo_db, role="grid_leader", staff_no=staff_b) as b,
    ):
        with acting_session(a.token, url=demo_db) as s:
            first = shared_cache.cell_streets_geojson(cell_a, session=s)
        with acting_session(b.token, url=demo_db) as s:
            again = shared_cache.cell_streets_geojson(cell_a, session=s)
        assert again is first and shared_cache.LAYERS.misses == 1  # one build for everyone
        # nothing personal in it: street names and kinds only
        props = {
            k
            for part in first.values()
            for f in json.loads(part)["features"]
            for k in f["properties"]
        }
        assert props <= {"name"}
        with acting_session(a.token, url=demo_db) as s:
            district = shared_cache.district_streets_geojson(session=s)
        with acting_session(b.token, url=demo_db) as s:
            assert shared_cache.district_streets_geojson(session=s) is district
        assert shared_cache.LAYERS.misses == 2

        with session_scope(demo_db) as owner:
            before = cache_queries.published_plan_stamp(owner)
            assert before is not None
            owner.execute(
                text("UPDATE grid_plans SET lock_version = lock_version + 1 WHERE id = :i"),
                {"i": before[0]},
            )
        try:
            with acting_session(b.token, url=demo_db) as s:
                assert cache_queries.published_plan_stamp(s) == (before[0], before[1] + 1)
                rebuilt = shared_cache.cell_streets_geojson(cell_a, session=s)
            assert rebuilt is not first and shared_cache.LAYERS.misses == 3
        finally:
            with session_scope(demo_db) as owner:
                owner.execute(
                    text("UPDATE grid_plans SET lock_version = :v WHERE id = :i"),
                    {"i": before[0], "v": before[1]},
                )
