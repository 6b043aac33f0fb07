"""我的网格 in headless Chromium with no network: a grid leader logs in, sees their cell on
the map with its legend, and downloads the cell's notice board as a PDF."""

from __future__ import annotations

import os
import secrets

import pytest
from sqlalchemy import text

from tests.e2e.conftest import offline_page

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def leader(demo_db):
    from db.engine import session_scope
    from services import accounts

    username = f"t_e2e_cell_{secrets.token_hex(3)}"
    with session_scope(demo_db) as s:
        row = s.execute(
            text(
                "SELECT s.staff_no, c.cell_code, c.name FROM grid_cells c "
                "JOIN grid_plans p ON p.id = c.plan_id AND p.state = 'published' "
                "JOIN staff s ON s.id = c.leader_staff_id WHERE s.cell_code = c.cell_code "
                "ORDER BY c.cell_code LIMIT 1"
            )
        ).one()
        password = accounts.create_user(
            username, session=s, role="grid_leader", staff_no=row.staff_no, by="pytest"
        )
    yield {
        "username": username,
        "password": password,
        "cell_code": row.cell_code,
        "cell_name": row.name,
    }
    with session_scope(demo_db) as s:
        s.execute(text("DELETE FROM users WHERE username = :u"), {"u": username})


def test_a_grid_leader_sees_their_cell_and_downloads_the_notice_board(
    app_url,
    browser,
    leader,
):
    context, page, outside = offline_page(browser, app_url)
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        page.get_by_label("用户名").wait_for(timeout=60_000)
        page.get_by_label("用户名").fill(leader["username"])
        page.get_by_label("密码").fill(leader["password"])
        page.get_by_role("button", name="登录").click()
        nav = page.locator('[data-testid="stSidebarNav"] a', has_text="我的网格").first
        nav.wait_for(timeout=60_000)
        nav.click()
        page.get_by_text(f"网格编码 {leader['cell_code']}").wait_for(timeout=60_000)
        assert leader["cell_name"] in page.locator("h1").first.inner_text()

        frame_el = page.locator(
            "iframe[title*='st_folium'], iframe[title*='streamlit_folium']"
        ).first
        frame_el.wait_for(timeout=60_000)
        frame = frame_el.content_frame
        frame.locator(".lianxin-legend").wait_for(timeout=60_000)
        legend = frame.locator(".lianxin-legend").inner_text()
        assert "住户（按重点人群）" in legend and "本网格边界" in legend
        assert frame.locator(".leaflet-control-scale").count() == 1
        assert frame.locator("canvas").count() >= 1  # households drawn on a canvas

        with page.expect_download(timeout=60_000) as info:
            page.get_by_role("button", name="下载公示牌（PDF）").click()
        path = info.value.path()
        with open(path, "rb") as fh:
            pdf = fh.read()
        assert pdf.startswith(b"%PDF") and f"({leader['cell_code']})".encode() in pdf

        shot = os.environ.get("LIANXIN_SCREENSHOT")
        if shot:
            page.screenshot(path=shot, full_page=True)
    finally:
        context.close()
    assert outside == [], f"the page tried to reach the internet: {outside[:5]}"


def test_a_grid_leader_opens_a_household_file_and_sees_its_members(
    app_url,
    browser,
    leader,
    demo_db,
):
    """一户一档 in the browser: the 家庭成员 tab holds a table of members, not 暂无记录."""
    from db.engine import session_scope

    with session_scope(demo_db) as s:
        head = s.execute(
            text(
                "SELECT head_name, address FROM households WHERE cell_code = :c AND size >= 3 "
                "AND status = 'active' ORDER BY id LIMIT 1"
            ),
            {"c": leader["cell_code"]},
        ).one()
    context, page, outside = offline_page(browser, app_url)
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        page.get_by_label("用户名").wait_for(timeout=60_000)
        page.get_by_label("用户名").fill(leader["username"])
        page.get_by_label("密码").fill(leader["password"])
        page.get_by_role("button", name="登录").click()
        nav = page.locator('[data-testid="stSidebarNav"] a', has_text="我的网格").first
        nav.wait_for(timeout=60_000)
        nav.click()
        page.get_by_text(f"网格编码 {leader['cell_code']}").wait_for(timeout=60_000)
        picker = page.get_by_label("选择住户查看档案")
        picker.click()
        page.keyboard.type(f"{head.head_name} · {head.address}")
        page.get_by_role("option").first.wait_for(timeout=30_000)
        page.keyboard.press("Enter")
        page.get_by_role("heading", name=f"一户一档：{head.head_name}").wait_for(timeout=60_000)
        tab = page.get_by_role("tab", name="家庭成员")
        tab.wait_for(timeout=30_000)
        panel = page.get_by_role("tabpanel").first
        panel.locator("[data-testid='stDataFrame']").first.wait_for(timeout=60_000)
        assert panel.get_by_text("暂无记录", exact=True).count() == 0
        shot = os.environ.get("LIANXIN_SCREENSHOT_MEMBERS")
        if shot:
            panel.scroll_into_view_if_needed()
            page.screenshot(path=shot, full_page=True)
    finally:
        context.close()
    assert outside == [], f"the page tried to reach the internet: {outside[:5]}"
