"""领导驾驶舱 in headless Chromium with no network: cells, heat, hotspots, a click drills down.

Reuses the overview test's app server, browser and offline page (every request that leaves
localhost is aborted and recorded; the test fails if there was one).
"""

from __future__ import annotations

import os

import pytest

from tests.e2e.conftest import offline_page, wait_settled

pytestmark = pytest.mark.e2e

MAP_STATE = """
() => {
  const key = Object.keys(window).find(k => k.startsWith('map_') && window[k]._lianxinLayers);
  if (!key) return null;
  const m = window[key];
  const cells = m._lianxinLayers['cells'];
  let heat = 0;
  m.eachLayer(l => { if (l._heat || (l.setLatLngs && l._latlngs && l.redraw && !l.getLatLngs))
      heat += 1; });
  return {cells: cells ? cells.getLayers().length : 0,
          heatCanvas: document.querySelectorAll('canvas.leaflet-heatmap-layer').length,
          legend: (document.querySelector('.lianxin-legend') || {}).innerText || ''};
}
"""

CLICK_BUSIEST_CELL = """
() => {
  const key = Object.keys(window).find(k => k.startsWith('map_') && window[k]._lianxinLayers);
  const m = window[key];
  const layers = m._lianxinLayers['cells'].getLayers();
  const c = layers[Math.floor(layers.length / 2)].getBounds().getCenter();
  m.fire('click', {latlng: c, layerPoint: m.latLngToLayerPoint(c),
                   containerPoint: m.latLngToContainerPoint(c)});
  return [c.lat, c.lng];
}
"""


def test_dashboard_answers_the_three_questions_offline(app_url, browser, demo_db):
    from sqlalchemy import text

    from db.engine import session_scope
    from tests.e2e.logins import browser_login, temporary_account

    with session_scope(demo_db) as s:
        n_cells = s.execute(
            text(
                "SELECT count(*) FROM grid_cells g JOIN grid_plans p ON p.id = g.plan_id "
                "AND p.state = 'published'"
            )
        ).scalar()
    context, page, outside = offline_page(browser, app_url)
    try:
        with temporary_account(demo_db, role="leader") as (username, password):
            browser_login(page, app_url, username, password)
            page.get_by_role("button", name="退出").wait_for(timeout=60_000)
            page.get_by_role("link", name="领导驾驶舱").first.click()
            page.get_by_text("办结率").first.wait_for(timeout=90_000)
            wait_settled(page)

            # 1. where are the problems: the map draws every cell, the heat and a legend
            frame_el = page.locator(
                "iframe[title*='st_folium'], iframe[title*='streamlit_folium']"
            ).first
            frame_el.wait_for(timeout=90_000)
            frame = frame_el.content_frame
            frame.locator(".lianxin-legend").wait_for(timeout=60_000)
            wait_settled(page)
            js = frame_el.element_handle().content_frame()  # a Frame, to run JS in
            state = js.evaluate(MAP_STATE)
            assert state is not None, "dashboard map not found"
            assert state["cells"] == n_cells, state
            assert state["heatCanvas"] >= 1, state
            assert "在办事件" in state["legend"] and "热点" in state["legend"], state
            assert frame.locator(".leaflet-control-scale").count() == 1

            # rate cards carry numerator and denominator
            body = page.locator("body").inner_text()
            assert "办结率" in body and "应办结（时限在本期内）" in body
            assert "满意率" in body and "返工率" in body

            # 2. which cells have open issues: a click on a cell lists them with its leader
            js.evaluate(CLICK_BUSIEST_CELL)
            page.get_by_text("网格长：").first.wait_for(timeout=60_000)
            wait_settled(page)
            assert page.get_by_text("网格 6109").count() >= 1

            # the time animation: ▶ steps through the months on the same map, offline
            page.get_by_text("热力动画").first.click()
            anim = page.locator(
                "iframe[title*='st_folium'], iframe[title*='streamlit_folium']"
            ).first.content_frame.locator(".lianxin-anim")
            anim.wait_for(timeout=60_000)
            first_label = anim.locator(".lianxin-anim-label").inner_text()
            assert "2026年11月" in first_label and "件" in first_label
            anim.get_by_role("button").click()
            page.wait_for_timeout(2500)
            assert anim.locator(".lianxin-anim-label").inner_text() != first_label

            # 3. who carries the load: the workload tab, one row per leader, Excel export
            page.get_by_role("tab", name="网格长工作量").click()
            page.get_by_role("button", name="导出Excel").wait_for(timeout=60_000)
            shot = os.environ.get("LIANXIN_SCREENSHOT")
            if shot:
                page.get_by_role("tab", name="网格长工作量").scroll_into_view_if_needed()
                page.screenshot(path=shot.replace(".png", "_workload.png"))
                for tab, suffix in (("热点网格", "_hotspots"), ("指标趋势", "_trends")):
                    page.get_by_role("tab", name=tab).click()
                    wait_settled(page)
                    page.screenshot(path=shot.replace(".png", f"{suffix}.png"))
                page.get_by_role("tab", name="事件分布").click()
                frame_el.scroll_into_view_if_needed()
                wait_settled(page)
                page.screenshot(path=shot)
    finally:
        context.close()
    assert outside == [], f"the page tried to reach the internet: {outside[:5]}"
