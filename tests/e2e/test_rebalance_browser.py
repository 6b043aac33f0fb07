"""动态调整 in headless Chromium with no network: the demo town grows a compound of eight
buildings; the planner asks for a rebalance, reads the diff (maps before/after, moves, grid
leaders, counts per cell) and saves it as a draft. Screenshot: docs/screenshots/rebalance_diff.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from tests.db.test_rebalance_service import _grow_a_compound
from tests.e2e.conftest import offline_page
from tests.e2e.logins import browser_login, temporary_account

pytestmark = pytest.mark.e2e

SHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "rebalance_diff.png"


def _cleanup(db_url: str) -> None:
    from db.engine import session_scope

    with session_scope(db_url) as s:
        s.execute(text("DELETE FROM households WHERE household_key LIKE 'rebalance-test-%'"))
        s.execute(text("DELETE FROM grid_plans WHERE state IN ('draft','validated')"))


def _settled(page) -> None:  # noqa: ANN001
    page.wait_for_timeout(500)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=120_000)


def test_planner_reads_the_rebalance_diff_and_saves_a_draft(app_url, browser, demo_db):
    from db.engine import session_scope

    _cleanup(demo_db)
    with session_scope(demo_db) as s:
        _grow_a_compound(s)
    context, page, outside = offline_page(
        browser, app_url, viewport={"width": 1400, "height": 2200}
    )
    try:
        with temporary_account(demo_db, role="planner") as (username, password):
            browser_login(page, app_url, username, password)
            page.get_by_role("button", name="退出").wait_for(timeout=60_000)
            page.get_by_role("link", name="动态调整").click()
            page.get_by_role("button", name="生成调整方案").wait_for(timeout=60_000)
            _settled(page)
            page.get_by_role("button", name="生成调整方案").click()
            page.get_by_role("heading", name="移动的街区和楼栋").wait_for(timeout=180_000)
            _settled(page)
            main = page.locator("[data-testid='stMain']")
            assert "调整住户" in main.inner_text()
            assert "1 → 0" in main.inner_text() or "→ 0" in main.inner_text()
            # The moved compound parts are listed with their buildings.
            # Moves, grid leaders and cells before/after: three tables (the limits editor is
            # folded away).
            tables = page.locator("[data-testid='stDataFrame']:visible")
            tables.nth(2).wait_for(timeout=60_000)
            assert tables.count() == 3
            maps = page.frame_locator(
                "iframe[title*='st_folium'], iframe[title*='streamlit_folium']"
            )
            before, after = maps.nth(0), maps.nth(1)
            before.locator("path.leaflet-interactive").first.wait_for(timeout=60_000)
            after.locator("path.leaflet-interactive").first.wait_for(timeout=60_000)
            assert after.locator("path[stroke='#c0392b']").count() >= 2  # changed cells
            assert after.locator("path[stroke='#7b241c']").count() >= 2  # moved units
            assert before.locator("path[stroke='#c0392b']").count() >= 1
            page.get_by_role("heading", name="网格长增减").wait_for()
            page.get_by_role("heading", name="各网格调整前后").wait_for()
            page.wait_for_timeout(1_500)  # map tiles are local; let the paths paint
            SHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOT), full_page=True)

            page.get_by_role("button", name="保存为草稿").click()
            page.get_by_text("已保存为草稿").first.wait_for(timeout=120_000)
        with session_scope(demo_db) as s:
            drafts = s.execute(
                text(
                    "SELECT count(*) FROM grid_plans WHERE state = 'draft' AND name LIKE '%动态调整%'"
                )
            ).scalar()
        assert drafts == 1
        assert outside == [], f"requests left localhost: {outside[:5]}"
    finally:
        context.close()
        _cleanup(demo_db)
