"""The 窗口受理 hotline import refuses a zip bomb in the browser (issue 10): a real 400 KB .xlsx
that expands to 400 MB, chosen in the page's file picker, is refused with a Chinese message
before the import button is even offered, and nothing is imported.
"""

from __future__ import annotations

import os
import secrets

import pytest
from sqlalchemy import text

from app_pages.labels import cases as labels
from tests.e2e.conftest import offline_page
from tests.e2e.test_plain_text_browser import _sign_in
from tests.e2e.test_window_browser import _go
from tests.security.hostile_files import zip_bomb_xlsx

pytestmark = pytest.mark.e2e


@pytest.fixture
def clerk(demo_db):
    from db.engine import session_scope
    from services import accounts

    name = f"t_e2e_bomb_{secrets.token_hex(3)}"
    password = "Zhabao-" + secrets.token_hex(6)
    with session_scope(demo_db) as s:
        accounts.create_user(
            name, session=s, role="clerk", display_name="上传测试员", password=password, by="pytest"
        )
    yield name, password
    with session_scope(demo_db) as s:
        s.execute(text("DELETE FROM users WHERE username = :u"), {"u": name})


def test_the_hotline_upload_refuses_a_zip_bomb(app_url, browser, clerk, demo_db, tmp_path):
    from db.engine import session_scope

    bomb = tmp_path / "12345工单导出.xlsx"
    bomb.write_bytes(zip_bomb_xlsx())
    with session_scope(demo_db) as s:
        before = s.execute(text("SELECT count(*) FROM import_batches")).scalar_one()
    context, page, outside = offline_page(browser, app_url)
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        _sign_in(page, *clerk)
        _go(page, "窗口受理")
        page.get_by_text(labels.HOTLINE_IMPORT).first.click()
        # the hotline's own uploader, inside its expander, once the expander has rendered it
        # (not the attachments' uploader above it)
        expander = page.locator("[data-testid='stExpander']").filter(has_text=labels.HOTLINE_IMPORT)
        expander.get_by_text(labels.HOTLINE_FILE).wait_for(timeout=30_000)
        expander.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(bomb)
        alert = page.locator("[data-testid='stAlert']").filter(has_text="压缩炸弹")
        alert.first.wait_for(timeout=60_000)
        page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=30_000)
        message = alert.first.inner_text()
        assert "12345工单导出.xlsx" in message and "已拒绝" in message
        assert page.get_by_role("button", name=labels.HOTLINE_BUTTON).count() == 0
        shot = os.environ.get("LIANXIN_SCREENSHOT_UPLOAD")
        if shot:
            alert.first.scroll_into_view_if_needed()
            page.screenshot(path=shot)
    finally:
        context.close()
    with session_scope(demo_db) as s:
        assert s.execute(text("SELECT count(*) FROM import_batches")).scalar_one() == before
    assert outside == []
