"""动态调整 against the demo town on a real PostGIS, each test in a rolled-back transaction.

The demo's households grow: a new compound of 8 buildings appears in one block (its door
plates carry the building numbers, 兴安花园小区N栋…). The rebalance must bring every cell back
in range, split the compound by building, and save a draft that checks like any other.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from sqlalchemy import text

from db import repositories
from services import plans
from services.plans import rebalance
from services.plans.checks import blocking

pytestmark = pytest.mark.db


def _grow_a_compound(session, households: int = 900) -> str:
    """Add ``households`` households in 8 buildings inside the largest block of the plan."""
    plan = repositories.published_plan(session)
    blocks = plans.plan_geodata(int(plan["id"]), session=session).blocks
    metric = blocks.to_crs("EPSG:4545")
    big = metric.iloc[int(np.argmax(metric.area))]
    x0, y0, x1, y1 = big.geometry.bounds
    rng = np.random.default_rng(0)
    rows = []
    for n in range(households):
        b = n % 8
        while True:
            p = shapely.Point(
                x0 + (x1 - x0) * (0.15 + 0.7 * (b % 4) / 3) + rng.uniform(-3, 3),
                y0 + (y1 - y0) * (0.3 + 0.4 * (b // 4)) + rng.uniform(-3, 3),
            )
            if big.geometry.buffer(-1).contains(p):
                break
            b = (b + 1) % 8
        rows.append(
            {
                "k": f"rebalance-test-{n}",
                "a": f"兴安花园小区{b + 1}栋1单元{101 + n // 8}",
                "x": p.x,
                "y": p.y,
                "g": n % 40 == 0,
            }
        )
    session.execute(
        text(
            "INSERT INTO households (district_code, household_key, head_name, address, geom,"
            " status, special_groups) VALUES ('610902', :k, '测试户', :a, ST_Transform("
            "ST_SetSRID(ST_MakePoint(:x, :y), 4545), 4490), 'active',"
            " CASE WHEN :g THEN ARRAY['低保'] ELSE '{}'::varchar[] END)"
        ),
        rows,
    )
    return str(big.block_key)


def test_a_grown_compound_is_rebalanced_into_a_draft_that_checks_clean(demo_session):
    s = demo_session
    key = _grow_a_compound(s)
    plan_id = int(repositories.published_plan(s)["id"])
    proposal = rebalance.propose_rebalance(session=s, plan_id=plan_id)
    summary = proposal.result.summary
    assert summary["out_of_range_before"] >= 1
    assert summary["out_of_range_after"] == 0, proposal.result.problems["message"].tolist()
    units = proposal.result.blocks
    parts = units[units["block_id"] == key]
    assert len(parts) >= 2  # split by building
    buildings = [set(b.split("、")) for b in parts["buildings"]]
    assert sum(len(b) for b in buildings) == len(set.union(*buildings))  # no building cut
    total = int(
        s.execute(
            text("SELECT count(*) FROM households WHERE status = 'active' AND geom IS NOT NULL")
        ).scalar()
    )
    assert int(units["households"].sum()) + proposal.households_outside == total
    assert 0 < summary["households_moved"] < total / 4
    changes = rebalance.leader_changes(proposal)
    assert set(changes["change"]) == {"gains", "loses"}

    draft = rebalance.create_rebalance_draft(
        session=s, proposal=proposal, created_by="测试规划员甲"
    )
    assert draft.state == "draft"
    problems = plans.check_plan(draft.id, session=s)
    assert not len(blocking(problems)), problems["message"].tolist()
    cells = plans.plan_geodata(draft.id, session=s).cells.set_index("cell_code")
    assert set(summary["new_codes"]) <= set(cells.index)
    assert not set(summary["retired_codes"]) & set(cells.index)
    assert cells["households"].between(300, 500).all()
    before = plans.plan_geodata(plan_id, session=s).cells.set_index("cell_code")
    for code in summary["kept_codes"]:
        assert cells.at[code, "leader_staff_id"] == before.at[code, "leader_staff_id"]
    audit = s.execute(
        text(
            "SELECT count(*) FROM audit_log WHERE action = 'plan.rebalance_draft' AND target = :t"
        ),
        {"t": f"plan:{draft.id}"},
    ).scalar()
    assert audit == 1


def test_a_draft_cannot_be_rebalanced(demo_session):
    from core.errors import ConflictError

    draft = plans.create_draft_from_published("测试规划员甲", session=demo_session)
    with pytest.raises(ConflictError, match="已发布"):
        rebalance.propose_rebalance(session=demo_session, plan_id=draft.id)


def test_building_of_reads_the_door_plate():
    assert rebalance.building_of("兴安花园小区3栋2单元") == "兴安花园小区3栋"
    assert rebalance.building_of("金州路58号院4号楼") == "金州路584栋" or rebalance.building_of(
        "金州路58号院4号楼"
    ).endswith("4栋")
    assert rebalance.building_of("兴安路12号") is None
    assert rebalance.building_of(None) is None
