"""待核实 under AppTest: the receiving cell's grid leader is told of a household handed over to
their cell, and it is in their queue."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

pytestmark = pytest.mark.ui

REVIEW = str(ROOT / "app_pages" / "review_queue.py")


def test_the_receiving_grid_leader_is_told_of_a_handover(demo_db):
    from db.engine import session_scope
    from tests.logins import as_actor, login

    with session_scope(demo_db) as s:
        a, b = s.execute(
            text(
                "SELECT c.cell_code, s.staff_no, c.leader_staff_id FROM grid_cells c "
                "JOIN grid_plans p ON p.id = c.plan_id AND p.state = 'published' "
                "JOIN staff s ON s.id = c.leader_staff_id ORDER BY c.cell_code LIMIT 2"
            )
        ).all()
        hh = s.execute(
            text(
                "SELECT id, head_name, cell_code, status, review_reason, community_code, "
                "matched_text, ST_AsEWKT(geom) AS geom FROM households "
                "WHERE cell_code = :a ORDER BY id LIMIT 1"
            ),
            {"a": a.cell_code},
        ).one()
    try:
        with login(demo_db, role="grid_leader", staff_no=a.staff_no) as leader_a:
            with session_scope(demo_db) as s:
                s.execute(text("SET LOCAL ROLE lianxin_app"))
                s.execute(
                    text("SELECT set_config('lianxin.session', :t, true)"), {"t": leader_a.token}
                )
                s.execute(
                    text(
                        "SELECT lianxin_hand_over_household(:h, ST_X(p), ST_Y(p), '测试移交') "
                        "FROM (SELECT ST_PointOnSurface(c.geom) AS p FROM grid_cells c "
                        "JOIN grid_plans g ON g.id = c.plan_id AND g.state = 'published' "
                        "WHERE c.cell_code = :b) x"
                    ),
                    {"h": hh.id, "b": b.cell_code},
                )
            sender = leader_a.username
        with login(demo_db, role="grid_leader", staff_no=b.staff_no) as leader_b:
            at = as_actor(AppTest.from_file(REVIEW, default_timeout=90), leader_b).run()
        assert not at.exception, at.exception
        notices = [i.value for i in at.info]
        assert any(
            sender in n and hh.head_name in n and a.cell_code in n and "请确认" in n
            for n in notices
        ), notices
    finally:
        with session_scope(demo_db) as s:
            s.execute(text("DELETE FROM household_handovers WHERE household_id = :h"), {"h": hh.id})
            s.execute(
                text(
                    "DELETE FROM household_changes WHERE household_id = :h AND change = '移交网格'"
                ),
                {"h": hh.id},
            )
            s.execute(
                text(
                    "UPDATE households SET cell_code = :c, status = :s, review_reason = :r, "
                    "community_code = :m, matched_text = :t, geom = ST_GeomFromEWKT(:g) "
                    "WHERE id = :h"
                ),
                {
                    "c": hh.cell_code,
                    "s": hh.status,
                    "r": hh.review_reason,
                    "m": hh.community_code,
                    "t": hh.matched_text,
                    "g": hh.geom,
                    "h": hh.id,
                },
            )
