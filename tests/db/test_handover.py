"""待核实 across cells: a grid leader confirming a spot in another cell hands the household over
(under row-level security, through the migration's SECURITY DEFINER function), the other
cell's leader is told and resolves it in their own queue."""

from __future__ import annotations

import pytest
from sqlalchemy import text

pytestmark = pytest.mark.db


def _leader(session, staff_id: int, name: str) -> tuple[str, str]:
    from db import access
    from tests.db.access_world import _login

    uid = access.insert_user(
        session,
        username=name,
        display_name=name,
        role="grid_leader",
        staff_id=staff_id,
        community_code=None,
        password_hash=None,
    )
    return name, _login(session, uid)


def test_a_spot_in_another_cell_hands_the_household_over_and_that_leader_resolves_it(
    demo_session,
):
    from services.households import review
    from tests.db.access_world import as_app, as_owner

    cells = (
        demo_session.execute(
            text(
                "SELECT c.cell_code, c.leader_staff_id, c.name, "
                "ST_X(ST_PointOnSurface(c.geom)) AS lon, ST_Y(ST_PointOnSurface(c.geom)) AS lat "
                "FROM grid_cells c JOIN grid_plans p ON p.id = c.plan_id AND p.state = 'published' "
                "WHERE c.leader_staff_id IS NOT NULL ORDER BY c.cell_code LIMIT 2"
            )
        )
        .mappings()
        .all()
    )
    a, b = cells
    hh = demo_session.execute(
        text(
            "UPDATE households SET status = 'review', review_reason = '测试' WHERE id = "
            "(SELECT id FROM households WHERE cell_code = :a ORDER BY id LIMIT 1) RETURNING id"
        ),
        {"a": a["cell_code"]},
    ).scalar_one()
    name_a, token_a = _leader(demo_session, a["leader_staff_id"], "t_ho_a")
    name_b, token_b = _leader(demo_session, b["leader_staff_id"], "t_ho_b")

    as_app(demo_session, token_a)
    mine = tuple(demo_session.execute(text("SELECT lianxin_current_cells()")).scalar_one())
    assert b["cell_code"] not in mine
    result = review.accept(
        hh, lon=b["lon"], lat=b["lat"], session=demo_session, actor=name_a, allowed_cells=mine
    )
    assert result.handed_over_to == b["name"] and result.cell_code == b["cell_code"]
    assert "已移交" in result.message()
    # A no longer sees it; the function refuses a second handover of it
    assert review.review_queue(session=demo_session).query("id == @hh").empty
    as_owner(demo_session)
    row = demo_session.execute(
        text("SELECT cell_code, status, review_reason FROM households WHERE id = :h"), {"h": hh}
    ).one()
    assert (row.cell_code, row.status) == (b["cell_code"], "review")
    assert a["cell_code"] in row.review_reason and name_a in row.review_reason

    as_app(demo_session, token_b)
    told = review.handovers(session=demo_session)
    assert list(told["household_id"]) == [hh] and list(told["by_username"]) == [
        name_b.replace("b", "a")
    ]
    assert not review.review_queue(session=demo_session).query("id == @hh").empty
    mine_b = tuple(demo_session.execute(text("SELECT lianxin_current_cells()")).scalar_one())
    done = review.accept(
        hh, lon=b["lon"], lat=b["lat"], session=demo_session, actor=name_b, allowed_cells=mine_b
    )
    assert done.handed_over_to is None and done.cell_code == b["cell_code"]
    assert review.handovers(session=demo_session).empty
    as_owner(demo_session)
    assert (
        demo_session.execute(
            text("SELECT status FROM households WHERE id = :h"), {"h": hh}
        ).scalar_one()
        == "active"
    )


def test_the_handover_function_refuses_without_a_grid_login(demo_session):
    from sqlalchemy.exc import DBAPIError

    from tests.db.access_world import as_app

    as_app(demo_session, None)
    with pytest.raises(DBAPIError, match="只有网格长或网格员"):
        demo_session.execute(text("SELECT lianxin_hand_over_household(1, 109.0, 32.68, '')"))
