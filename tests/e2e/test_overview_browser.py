"""End to end in headless Chromium with no network: 总览 draws the cell polygons.

The app runs as a real ``streamlit run`` process against the test database; every request
that leaves localhost is aborted and recorded, and the test fails if there was one.
"""

from __future__ import annotations

import os

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import offline_page, wait_settled

pytestmark = pytest.mark.e2e


def test_overview_draws_the_cells_offline(app_url, browser, demo_db):
    from sqlalchemy import text

    from db.engine import session_scope
    from db.repositories import published_plan

    with session_scope(demo_db) as s:
        n_cells = s.execute(
            text("SELECT count(*) FROM grid_cells WHERE plan_id = :p"),
            {"p": published_plan(s)["id"]},
        ).scalar()
    from tests.e2e.logins import browser_login, temporary_account

    with temporary_account(demo_db, role="leader") as (username, password):
        context, page, outside = offline_page(browser, app_url)
        try:
            browser_login(page, app_url, username, password)
            page.get_by_role("button", name="退出").wait_for(timeout=60_000)
            page.get_by_text("示例数据").first.wait_for(timeout=60_000)
            nav = page.locator("[data-testid='stSidebarNav'] a", has_text="总览")
            if nav.count():
                nav.first.click()
            page.get_by_role("heading", name="总览").wait_for(timeout=60_000)
            frame_el = page.locator("iframe[src*='st_folium']").first
            frame_el.wait_for(timeout=60_000)
            frame = frame_el.content_frame
            frame.locator("path.leaflet-interactive").first.wait_for(timeout=60_000)
            wait_settled(page)
            paths = frame.locator("path.leaflet-interactive").count()
            # cells + streets + community outlines are all interactive vector paths
            assert paths >= n_cells, (paths, n_cells)
            assert frame.locator(".leaflet-control-scale").count() == 1
            assert "网格户数" in frame.locator(".lianxin-legend").inner_text()
            shot = os.environ.get("LIANXIN_SCREENSHOT")
            if shot:
                page.screenshot(path=shot, full_page=True)
        except Exception:
            page.screenshot(
                path=str(ROOT / ".pytest_cache" / "e2e-overview-failure.png"), full_page=True
            )
            raise
        finally:
            context.close()
        assert outside == [], f"the page tried to reach the internet: {outside[:5]}"
