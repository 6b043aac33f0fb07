"""End to end in headless Chromium with no network: 总览 draws the cell polygons.

The app runs as a real ``streamlit run`` process against the test database; every request
that leaves localhost is aborted and recorded, and the test fails if there was one.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(demo_db):
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=demo_db)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("streamlit did not start: " + proc.stdout.read().decode()[-2000:])
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: run make test (it installs chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


def _offline_page(browser, base_url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    outside: list[str] = []

    def route(r):  # noqa: ANN001
        host = r.request.url.split("/")[2] if "://" in r.request.url else ""
        if host.split(":")[0] in ("127.0.0.1", "localhost") or r.request.url.startswith(
            ("data:", "blob:", "about:")
        ):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return context, context.new_page(), outside


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
        context, page, outside = _offline_page(browser, app_url)
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
            page.wait_for_timeout(1500)
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
