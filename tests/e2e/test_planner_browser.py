"""方案编辑 in headless Chromium with no network: the map, the clean check, the drawing tools.

Reuses the app server, browser and offline page of test_overview_browser; every request that
leaves localhost is aborted and recorded, and the test fails if there was one.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.e2e.conftest import live, offline_page, wait_settled
from tests.e2e.logins import browser_login, temporary_account

pytestmark = pytest.mark.e2e


def _drop_drafts(db_url: str) -> None:
    from db.engine import session_scope

    with session_scope(db_url) as s:
        s.execute(text("DELETE FROM grid_plans WHERE state IN ('draft','validated')"))


def test_planner_draws_cells_and_offers_local_drawing_tools(app_url, browser, demo_db):
    _drop_drafts(demo_db)
    context, page, outside = offline_page(browser, app_url)
    try:
        with temporary_account(demo_db, role="planner") as (username, password):
            browser_login(page, app_url, username, password)
            page.get_by_role("button", name="退出").wait_for(timeout=60_000)
            page.get_by_role("link", name="方案编辑").click()
            page.get_by_text("方案检查通过").first.wait_for(timeout=60_000)
            page.get_by_role("button", name="由已发布方案生成新草稿").click()
            page.get_by_text("已生成草稿").first.wait_for(timeout=60_000)
            wait_settled(page)  # the rerun after creating the draft
            frame = page.frame_locator(
                "iframe[title*='st_folium'], iframe[title*='streamlit_folium']"
            ).first
            frame.locator("a.leaflet-draw-draw-polyline").wait_for(timeout=60_000)
            assert frame.locator("path.leaflet-interactive").count() >= 40 + 132
            assert frame.locator("a.leaflet-draw-draw-polygon").count() == 1
            assert page.get_by_role("button", name="发布…").count() == 1
        assert outside == [], f"requests left localhost: {outside[:5]}"
    finally:
        context.close()
        _drop_drafts(demo_db)


def test_choosing_select_all_in_the_block_picker_stays_on_the_split_tab(app_url, browser, demo_db):
    """全选 (Streamlit's "Select all", in Chinese) in 按街区拆分 reruns the page; the tool tabs
    keep the chosen tab, and the plan's cell count is the one of its data."""
    _drop_drafts(demo_db)
    context, page, outside = offline_page(browser, app_url)
    try:
        with temporary_account(demo_db, role="planner") as (username, password):
            browser_login(page, app_url, username, password)
            page.get_by_role("button", name="退出").wait_for(timeout=60_000)
            page.get_by_role("link", name="方案编辑").click()
            page.get_by_text("方案检查通过").first.wait_for(timeout=60_000)
            wait_settled(page)
            page.get_by_role("button", name="由已发布方案生成新草稿").click()
            page.get_by_text("已生成草稿").first.wait_for(timeout=60_000)
            wait_settled(page)
            assert live(page).get_by_text("本方案：网格 40 个").count() == 1
            page.get_by_role("tab", name="按街区拆分").click()
            wait_settled(page)  # the tool tabs keep state: choosing one reruns the page
            picker = (
                live(page)
                .locator("[data-testid='stMultiSelect']")
                .filter(has_text="分出去组成新网格的街区")
            )
            picker.locator("input").click()
            option = page.get_by_role("option", name="全选")
            option.wait_for(timeout=30_000)
            assert page.get_by_text("Select all", exact=True).count() == 0
            option.click()
            wait_settled(page)
            page.keyboard.press("Escape")  # close the open list (it hides the rest from a11y)
            assert (
                picker.get_by_text("无匹配项").count() + page.get_by_text("No results").count() == 0
            )
            tab = page.get_by_role("tab", name="按街区拆分")
            assert tab.get_attribute("aria-selected") == "true"
            assert live(page).get_by_role("button", name="拆分").count() >= 1
        assert outside == [], f"requests left localhost: {outside[:5]}"
    finally:
        context.close()
        _drop_drafts(demo_db)
