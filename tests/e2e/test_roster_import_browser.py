"""住户导入 in the browser (issue 12: the upload is read once and shared by the mapping step,
the preview and the import). A roster typed the way offices type them: a title row above the
headers, a column nobody told the app about (楼栋长), a row with a door plate, one with a
plate missing its number, and a blank line. Through the mapping step (the unknown column left
「不导入」) to the import, whose counts are what the database then holds.
"""

from __future__ import annotations

import os
import secrets

import openpyxl
import pytest
from sqlalchemy import text

from app_pages.labels import households as labels
from tests.e2e.conftest import offline_page, wait_settled
from tests.e2e.logins import browser_login, temporary_account
from tests.e2e.test_window_browser import _go

pytestmark = pytest.mark.e2e


def test_an_admin_imports_a_roster_with_a_title_row_and_an_unknown_column(
    app_url, browser, demo_db, tmp_path
):
    from db.engine import session_scope

    tag = secrets.token_hex(2)
    with session_scope(demo_db) as s:
        plate = s.execute(
            text(
                "SELECT a.street_name || a.house_number || '号' FROM address_points a "
                "WHERE a.house_number ~ '^[0-9]+$' AND NOT EXISTS (SELECT 1 FROM address_points b "
                "WHERE b.street_name = a.street_name AND b.house_number = a.house_number "
                "AND b.id <> a.id) ORDER BY a.id LIMIT 1"
            )
        ).scalar_one()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["老城街道住户花名册（2026年12月）"])
    sheet.append(["序号", "户主姓名", "联系电话", "现住址", "家庭人口", "楼栋长"])
    sheet.append([1, f"浏览器甲{tag}", "13900001111", plate, 3, "王师傅"])
    sheet.append([2, f"浏览器乙{tag}", "13900002222", "兴安路", 2, "王师傅"])
    sheet.append([None] * 6)
    path = tmp_path / "住户花名册.xlsx"
    book.save(path)

    context, page, outside = offline_page(browser, app_url)
    try:
        with temporary_account(demo_db, role="admin") as (username, password):
            browser_login(page, app_url, username, password)
            page.get_by_role("button", name="退出").wait_for(timeout=60_000)
            _go(page, labels.PAGE_ROSTER_IMPORT)
            page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(path)
            # the mapping step offers the unknown column, with the recognised ones listed
            page.get_by_text(labels.IMPORT_MAPPING).first.wait_for(timeout=60_000)
            wait_settled(page)
            assert page.get_by_text("已识别的列").count() >= 1
            page.get_by_role("button", name=labels.IMPORT_BUTTON).click()
            done = page.locator("[data-testid='stAlert']").filter(has_text="待核实")
            done.first.wait_for(timeout=120_000)
            wait_settled(page)
            message = done.first.inner_text()
            shot = os.environ.get("LIANXIN_SCREENSHOT_ROSTER")  # docs/screenshots, by hand
            if shot:
                done.first.scroll_into_view_if_needed()
                page.screenshot(path=shot)
    finally:
        context.close()
    with session_scope(demo_db) as s:
        rows = dict(
            s.execute(
                text("SELECT head_name, status FROM households WHERE head_name LIKE :p"),
                {"p": f"浏览器%{tag}"},
            ).all()
        )
        s.execute(text("DELETE FROM households WHERE head_name LIKE :p"), {"p": f"浏览器%{tag}"})
    assert rows == {f"浏览器甲{tag}": "active", f"浏览器乙{tag}": "review"}
    assert labels.IMPORT_SUCCESS.format(imported=1, review=1, rejected=0) in message
    assert outside == []
