"""The demo town as loaded through the real import path."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from tests.conftest import ROOT

pytestmark = pytest.mark.db


def _manifest() -> dict:
    return json.loads((ROOT / "data" / "demo" / "manifest.json").read_text(encoding="utf-8"))


def test_counts_match_the_generator(demo_session):
    from db.repositories import table_counts

    counts = table_counts(demo_session)
    manifest = _manifest()
    files, stats = manifest["counts"], manifest["stats"]
    assert counts["communities"] == 9
    assert counts["grid_cells"] == files["demo/grid_cells.geojson"]
    assert 35 <= counts["grid_cells"] <= 45
    assert counts["cases"] == files["demo/cases.csv"]
    assert 2_500 <= counts["cases"] <= 3_500
    assert counts["streets"] == files["demo/streets.geojson"]
    # Every roster row that is not deliberately bad is in the database (placed or in review).
    bad_rows = sum(stats["row_problems"].values())
    assert counts["households"] == stats["roster_rows"] - bad_rows
    assert 14_000 <= counts["households"] <= 16_000


def test_nearly_every_household_is_placed_in_its_true_cell(demo_session):
    """≈98 % on the map in the right cell; the rest wait in review with a reason."""
    import pandas as pd

    truth = pd.read_csv(
        ROOT / "data" / "demo" / "households_truth.csv", dtype=str, keep_default_na=False
    )
    truth = truth[truth["row_problem"] == ""]
    rows = demo_session.execute(
        text("SELECT source_row - 2 AS row_no, cell_code, status, review_reason FROM households")
    ).all()
    got = pd.DataFrame(rows, columns=["row_no", "cell_code", "status", "review_reason"])
    got["row_no"] = got["row_no"].astype(str)
    merged = truth.merge(got, on="row_no", how="left")
    assert merged["status"].notna().all(), "a valid roster row is missing from the database"
    right_cell = (merged["status"] == "active") & (merged["cell_code_x"] == merged["cell_code_y"])
    assert right_cell.mean() >= 0.97, right_cell.mean()
    review = merged[merged["status"] == "review"]
    assert review["review_reason"].str.len().gt(0).all()


def test_every_placed_household_lies_in_exactly_its_cell(demo_session):
    bad = demo_session.execute(
        text(
            """
            SELECT count(*) FROM households h
            JOIN grid_plans p ON p.state = 'published'
            JOIN grid_cells c ON c.plan_id = p.id AND c.cell_code = h.cell_code
            WHERE h.status = 'active' AND NOT ST_Intersects(c.geom, h.geom)
            """
        )
    ).scalar()
    unplaced = demo_session.execute(
        text("SELECT count(*) FROM households WHERE status='active' AND cell_code IS NULL")
    ).scalar()
    assert bad == 0
    assert unplaced == 0


def test_every_cell_has_a_grid_leader_with_a_phone(demo_session):
    rows = demo_session.execute(
        text(
            "SELECT c.cell_code, s.name, s.phone FROM grid_cells c LEFT JOIN staff s ON s.id = c.leader_staff_id"
        )
    ).all()
    assert rows
    assert all(r.name and r.phone for r in rows)


def test_the_articles_case_is_there(demo_session):
    """纱帽石53号 in 大北街社区, escalated grid → community → sub-district → department."""
    row = demo_session.execute(
        text(
            "SELECT c.case_no, c.department, array_agg(e.action ORDER BY e.seq) AS actions FROM cases c "
            "JOIN case_events e ON e.case_id = c.id WHERE c.description LIKE '%纱帽石%' "
            "AND c.escalation_level = 'department' GROUP BY c.case_no, c.department"
        )
    ).first()
    assert row is not None
    assert row.department
    assert "escalate" in " ".join(row.actions)
