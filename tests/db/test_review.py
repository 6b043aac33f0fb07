"""The 待核实 review queue against the demo town in PostGIS (each test rolled back).

The address has a typo the geocoder cannot resolve (东关正衔 for 东关正街) and a house number no
door plate has (9001), so the import sends it to review. Accepting a suggestion must put the
household in the cell PostGIS says contains the point, and remember both the spelling (an
alias) and the number (a door plate): the same file imported again then matches ``door_plate``.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.errors import GeometryError, PermissionDeniedError
from db import access
from services.households import review
from services.households.roster_import import import_roster

pytestmark = pytest.mark.db

ADDRESS = "培新街社区东关正衔9001号"
STREET = "东关正街"


def _roster(tmp_path: Path) -> Path:
    path = tmp_path / "待核实测试.csv"
    path.write_text(
        "户主姓名,联系电话,地址,家庭人口\n测试核实,13912345678," + ADDRESS + ",2\n",
        encoding="utf-8",
    )
    return path


def _household(session: Session) -> dict:
    row = (
        session.execute(
            text(
                "SELECT id, status, cell_code, match_type, review_reason FROM households "
                "WHERE address = :a"
            ),
            {"a": ADDRESS},
        )
        .mappings()
        .one()
    )
    return dict(row)


def _cell_containing(session: Session, lon: float, lat: float) -> str:
    """The answer by construction: PostGIS's own ST_Contains on the published plan."""
    return session.execute(
        text(
            "SELECT c.cell_code FROM grid_cells c JOIN grid_plans p ON p.id = c.plan_id "
            "AND p.state = 'published' "
            "WHERE ST_Contains(c.geom, ST_SetSRID(ST_MakePoint(:x, :y), 4490))"
        ),
        {"x": lon, "y": lat},
    ).scalar_one()


def test_the_typo_address_waits_for_review_with_suggestions_on_the_right_street(
    demo_session, tmp_path
):
    report = import_roster(_roster(tmp_path), session=demo_session, imported_by="pytest")
    assert (report.review, report.imported, report.rejected) == (1, 0, 0)
    assert _household(demo_session)["status"] == "review"
    queue = review.review_queue(session=demo_session)
    assert ADDRESS in set(queue["address"])
    suggestions = review.suggestions(ADDRESS, session=demo_session)
    assert suggestions and suggestions[0].street_name == STREET
    assert suggestions[0].house_number == "9001"


def test_accepting_remembers_alias_and_door_plate_and_the_reimport_matches_door_plate(
    demo_session, tmp_path
):
    path = _roster(tmp_path)
    import_roster(path, session=demo_session, imported_by="pytest")
    household = _household(demo_session)
    best = review.suggestions(ADDRESS, session=demo_session)[0]

    result = review.accept(
        household["id"],
        lon=best.lon,
        lat=best.lat,
        session=demo_session,
        actor="pytest",
        street_name=best.street_name,
        house_number=best.house_number,
    )

    expected = _cell_containing(demo_session, best.lon, best.lat)
    assert result.cell_code == expected
    placed = _household(demo_session)
    assert (placed["status"], placed["cell_code"], placed["match_type"]) == (
        "active",
        expected,
        "manual",
    )
    assert placed["review_reason"] is None
    aliases = demo_session.execute(
        text("SELECT aliases FROM streets WHERE name = :s"), {"s": STREET}
    ).scalar_one()
    assert "东关正衔" in aliases
    plates = demo_session.execute(
        text(
            "SELECT count(*) FROM address_points WHERE street_name = :s AND house_number = '9001'"
        ),
        {"s": STREET},
    ).scalar_one()
    assert plates == 1
    assert len(result.remembered) == 2 and "下次导入" in result.message()
    history = demo_session.execute(
        text("SELECT change FROM household_changes WHERE household_id = :id"),
        {"id": household["id"]},
    ).scalars()
    assert list(history) == ["核实定位"]

    again = import_roster(path, session=demo_session, imported_by="pytest")
    assert (again.review, again.updated, again.inserted) == (0, 1, 0)
    rematched = _household(demo_session)
    assert rematched["match_type"] == "door_plate"
    assert (rematched["status"], rematched["cell_code"]) == ("active", expected)
    assert review.review_queue(session=demo_session).query("address == @ADDRESS").empty


def test_accepting_twice_does_not_duplicate_the_alias_or_the_plate(demo_session, tmp_path):
    import_roster(_roster(tmp_path), session=demo_session, imported_by="pytest")
    household = _household(demo_session)
    best = review.suggestions(ADDRESS, session=demo_session)[0]
    kwargs = {"lon": best.lon, "lat": best.lat, "session": demo_session, "actor": "pytest"}
    review.accept(household["id"], street_name=STREET, house_number="9001", **kwargs)
    second = review.accept(household["id"], street_name=STREET, house_number="9001", **kwargs)
    assert second.remembered == []
    aliases = demo_session.execute(
        text("SELECT aliases FROM streets WHERE name = :s"), {"s": STREET}
    ).scalar_one()
    assert aliases.count("东关正衔") == 1


def test_a_map_click_next_to_another_street_remembers_nothing(demo_session, tmp_path):
    """Clicked beside 五星街: 东关正衔 is not a spelling of it, so no alias and no plate."""
    import_roster(_roster(tmp_path), session=demo_session, imported_by="pytest")
    household = _household(demo_session)
    lon, lat = demo_session.execute(
        text(
            "SELECT ST_X(geom), ST_Y(geom) FROM address_points WHERE street_name = '五星街' "
            "ORDER BY id LIMIT 1"
        )
    ).one()
    result = review.accept(household["id"], lon=lon, lat=lat, session=demo_session, actor="pytest")
    assert result.remembered == []
    assert result.cell_code == _cell_containing(demo_session, lon, lat)
    leaked = demo_session.execute(
        text("SELECT count(*) FROM streets WHERE '东关正衔' = ANY (aliases)")
    ).scalar_one()
    assert leaked == 0


def test_a_point_outside_every_cell_is_refused_and_nothing_changes(demo_session, tmp_path):
    import_roster(_roster(tmp_path), session=demo_session, imported_by="pytest")
    household = _household(demo_session)
    with pytest.raises(GeometryError, match="不在已发布方案的任何网格内"):
        review.accept(household["id"], lon=100.0, lat=30.0, session=demo_session, actor="pytest")
    assert _household(demo_session)["status"] == "review"


def test_a_grid_leader_may_not_place_a_household_in_another_cell(demo_session, tmp_path):
    import_roster(_roster(tmp_path), session=demo_session, imported_by="pytest")
    household = _household(demo_session)
    best = review.suggestions(ADDRESS, session=demo_session)[0]
    with pytest.raises(PermissionDeniedError, match="不在您负责的网格内"):
        review.accept(
            household["id"],
            lon=best.lon,
            lat=best.lat,
            session=demo_session,
            actor="pytest",
            allowed_cells=("610902999999999",),
        )
    assert _household(demo_session)["status"] == "review"


def test_on_the_app_role_the_cells_grid_leader_can_accept_and_remember(demo_session, tmp_path):
    """Row-level security and migration 0005: the app role may add the alias and the plate."""
    best = review.suggestions(ADDRESS, session=demo_session)[0]
    cell = _cell_containing(demo_session, best.lon, best.lat)
    staff_id = demo_session.execute(
        text(
            "SELECT s.id FROM grid_cells c JOIN grid_plans p ON p.id = c.plan_id "
            "AND p.state = 'published' JOIN staff s ON s.id = c.leader_staff_id "
            "WHERE c.cell_code = :c"
        ),
        {"c": cell},
    ).scalar_one()
    username = f"t_review_{secrets.token_hex(3)}"
    uid = access.insert_user(
        demo_session,
        username=username,
        display_name="测试网格长",
        role="grid_leader",
        staff_id=staff_id,
        community_code=None,
        password_hash=None,
    )
    token = secrets.token_urlsafe(32)
    access.insert_session(
        demo_session, token=token, user_id=uid, idle_seconds=3600, max_seconds=3600, client="t"
    )
    import_roster(_roster(tmp_path), session=demo_session, imported_by=username)
    household = _household(demo_session)

    demo_session.execute(text("SET LOCAL ROLE lianxin_app"))
    access.set_actor(demo_session, token)
    queue = review.review_queue(session=demo_session)
    assert household["id"] in set(queue["id"])  # their own import's unplaced row
    result = review.accept(
        household["id"],
        lon=best.lon,
        lat=best.lat,
        session=demo_session,
        actor=username,
        street_name=best.street_name,
        house_number=best.house_number,
        allowed_cells=(cell,),
    )
    assert result.cell_code == cell and len(result.remembered) == 2
    demo_session.execute(text("RESET ROLE"))
    assert _household(demo_session)["cell_code"] == cell
