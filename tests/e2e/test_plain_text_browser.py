"""Citizens' text is plain text in the browser (issue 10): a case whose description, citizen
name and attachment name are Markdown images and links renders them as literal text on its
page in 我的待办, and the browser requests nothing outside localhost (the image would be
fetched by every viewer otherwise).
"""

from __future__ import annotations

import io
import os
import secrets

import pytest
from PIL import Image
from sqlalchemy import text

from tests.e2e.conftest import offline_page
from tests.e2e.test_window_browser import _go

pytestmark = pytest.mark.e2e

ATTACK = "![t](http://evil.example/x.png) [点我](http://evil.example)"


def _sign_in(page, username: str, password: str) -> None:  # noqa: ANN001
    """Log in, waiting for the login form as long as a busy machine needs (the shared helper
    gives up after 5 s and assumes there is no login page)."""
    page.get_by_role("button", name="登录").wait_for(timeout=90_000)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="退出").wait_for(timeout=90_000)


@pytest.fixture
def attack_case(demo_db):
    """A clerk's account and a case typed by an attacker, both removed afterwards."""
    from db.engine import session_scope
    from services import accounts, cases

    name = f"t_e2e_plain_{secrets.token_hex(3)}"
    password = "Chunwenben-" + secrets.token_hex(6)
    photo = io.BytesIO()
    Image.new("RGB", (4, 4)).save(photo, "JPEG")
    with session_scope(demo_db) as s:
        accounts.create_user(
            name,
            session=s,
            role="clerk",
            display_name="纯文本测试员",
            password=password,
            by="pytest",
        )
        record = cases.intake(
            session=s,
            category="public_facilities",
            kind="promised",
            channel="window",
            description=ATTACK,
            received_by="窗口测试员",
            citizen_name="[钱](http://evil.example/who)",
            address="<img src=http://evil.example/a.png>纱帽石53号",
            attachments=[
                cases.Attachment("![p](evil.png) [点我](javascript:alert(1)).jpg", photo.getvalue())
            ],
        )
    yield name, password, record.case_no
    with session_scope(demo_db) as s:
        s.execute(text("DELETE FROM cases WHERE case_no = :n"), {"n": record.case_no})
        s.execute(text("DELETE FROM users WHERE username = :u"), {"u": name})


def test_a_markdown_image_and_link_in_a_case_are_shown_as_text(app_url, browser, attack_case):
    username, password, case_no = attack_case
    context, page, outside = offline_page(browser, app_url)
    try:
        page.goto(app_url, wait_until="domcontentloaded")
        _sign_in(page, username, password)
        _go(page, "我的待办")
        page.get_by_label("按案件编号打开").fill(case_no)
        page.keyboard.press("Enter")
        page.get_by_role("heading", name=case_no).first.wait_for(timeout=60_000)
        page.get_by_text("办理记录").wait_for(timeout=30_000)
        main = page.locator("[data-testid='stMain']").first
        main.get_by_text(ATTACK, exact=False).first.wait_for(timeout=30_000)
        page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=30_000)
        body = main.inner_text()
        assert "![t](http://evil.example/x.png)" in body and "[点我](http://evil.example)" in body
        assert "[钱](http://evil.example/who)" in body
        assert "![p](evil.png) [点我](javascript:alert(1)).jpg" in body
        assert "<img src=http://evil.example/a.png>纱帽石53号" in body
        evil_img = main.locator("img[src*='evil.example']").count()
        evil_link = main.locator("a[href*='evil.example'], a[href^='javascript']").count()
        evil_img += main.locator("img[src*='evil.png']").count()
        shot = os.environ.get("LIANXIN_SCREENSHOT_PLAIN_TEXT")
        if shot:
            page.screenshot(path=shot, full_page=True)
    finally:
        context.close()
    assert (evil_img, evil_link) == (0, 0)
    assert outside == [], f"the page tried to reach the internet: {outside[:5]}"
