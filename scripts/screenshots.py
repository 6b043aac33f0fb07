"""Screenshots of each role's pages in headless Chromium with the network blocked.

    .venv/bin/python scripts/screenshots.py            # against the running dev database

Starts its own ``streamlit run`` on a free port, logs in with temporary accounts (removed
afterwards) and writes docs/screenshots/<page>.png. A look at what users see, not a test.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# role → (staff_no or None, [(sidebar title, file name, wait ms)])
SHOTS = {
    "leader": (None, [("领导驾驶舱", "dashboard", 9000), ("统计与月报", "case_stats", 6000)]),
    "planner": (None, [("方案编辑", "planner", 9000)]),
    "grid_leader": ("S034", [("我的网格", "my_cell", 9000), ("下访日", "visit_day", 5000)]),
    "clerk": (None, [("窗口受理", "window", 5000), ("我的待办", "case_queue", 6000)]),
}
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def main() -> int:
    from playwright.sync_api import sync_playwright
    from sqlalchemy import text

    from db.engine import session_scope
    from services import accounts

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1)
            break
        except OSError:
            time.sleep(0.3)
    out = ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    made: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            for role, (staff_no, pages) in SHOTS.items():
                name = f"shot_{role}_{secrets.token_hex(2)}"
                with session_scope() as s:
                    password = accounts.create_user(
                        name, session=s, role=role, staff_no=staff_no, by="screenshots"
                    )
                made.append(name)
                ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
                ctx.route(
                    "**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url else r.abort()
                )
                page = ctx.new_page()
                page.goto(url)
                page.get_by_label("用户名").fill(name)
                page.get_by_label("密码").fill(password)
                page.get_by_role("button", name="登录").click()
                page.get_by_role("button", name="退出").wait_for(timeout=60_000)
                for title, file_name, wait_ms in pages:
                    page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
                    page.wait_for_timeout(wait_ms)
                    page.screenshot(path=str(out / f"{file_name}.png"), full_page=False)
                    print(f"{role}: {title} → docs/screenshots/{file_name}.png")
                ctx.close()
            browser.close()
    finally:
        proc.terminate()
        with session_scope() as s:
            for name in made:
                s.execute(
                    text(
                        "DELETE FROM user_sessions WHERE user_id IN (SELECT id FROM users WHERE username = :u)"
                    ),
                    {"u": name},
                )
                s.execute(text("DELETE FROM users WHERE username = :u"), {"u": name})
    return 0


if __name__ == "__main__":
    os.environ.setdefault("LIANXIN_DEMO", "1")
    sys.exit(main())
