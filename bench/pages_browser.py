"""Single user, every page, in the browser: ``python -m bench.pages_browser`` (issue 15).

Headless Chromium (Playwright) logs in once per role and opens every page of its sidebar by
clicking its link; the time runs from the click until the page is settled: the run is over
(the same test as tests/e2e/conftest.py's ``wait_settled``: the app root says ``notRunning``,
no status widget, no stale element) and, on a page with a map, the folium iframe has drawn
its Leaflet map (a vector or a loaded tile inside ``.leaflet-container``). Each login walks
its pages twice: the first open of each page, then a second open. ``--repeat`` logins per
role; the table shows median and worst. Results go to bench/out/pages_browser.json.

The server is one bare ``streamlit run serve.py`` against a copy of the demo database
(bench.load), as in bench.pages.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any

from bench.load import OUT, Account, make_load_database, server
from bench.pages import GOAL_S, role_accounts

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

# tests/e2e/conftest.py's _SETTLED_JS, plus Streamlit's status widget gone.
SETTLED_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')
    && !document.querySelector('[data-stale="true"]');
}"""
# A map iframe has drawn once its Leaflet container holds a vector path or a loaded tile.
MAP_DRAWN_JS = """() => {
  const c = document.querySelector('.leaflet-container');
  if (!c) return false;
  return !!c.querySelector('.leaflet-interactive, .leaflet-overlay-pane svg path,'
    + ' .leaflet-overlay-pane canvas, img.leaflet-tile-loaded');
}"""


def settle(page: Any, *, timeout_s: float = 90.0, quiet_ms: int = 300) -> bool:
    """Wait until settled (and every map drawn); returns whether the page had a map."""
    deadline = time.monotonic() + timeout_s
    while True:
        page.wait_for_function(SETTLED_JS, timeout=max(1_000, (deadline - time.monotonic()) * 1e3))
        page.wait_for_timeout(quiet_ms)  # a component may start a second run right away
        if page.evaluate(SETTLED_JS) or time.monotonic() > deadline:
            break
    frames = [
        f
        for f in page.frames
        if f != page.main_frame and f.url.startswith("http") and "component" in f.url
    ]
    had_map = False
    for f in frames:
        try:
            if not f.evaluate("() => !!document.querySelector('.leaflet-container')"):
                # folium renders its HTML inside the component after load: give it a moment
                f.wait_for_selector(".leaflet-container", timeout=3_000)
        except Exception:  # noqa: BLE001 - not a map component
            continue
        had_map = True
        f.wait_for_function(MAP_DRAWN_JS, timeout=max(1_000, (deadline - time.monotonic()) * 1e3))
    return had_map


def login(page: Any, url: str, account: Account) -> float:
    t0 = time.monotonic()
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_label("用户名").wait_for(timeout=60_000)
    settle(page)
    page.get_by_label("用户名").fill(account.username)
    page.get_by_label("密码").fill(account.password)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="退出").wait_for(timeout=90_000)
    settle(page)
    return time.monotonic() - t0


def sweep(browser: Any, url: str, account: Account, *, repeat: int) -> list[dict[str, Any]]:
    from app_pages.registry import pages_for

    rows: list[dict[str, Any]] = []
    titles = [spec.title for spec in pages_for(account.role)]
    for _ in range(repeat):
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        page = context.new_page()
        try:
            s = login(page, url, account)
            rows.append({"role": account.role, "page": "登录→首页", "open": "first", "s": s})
            nav = page.get_by_test_id("stSidebarNav")
            for kind in ("first", "second"):
                for title in titles:
                    link = nav.get_by_role("link", name=title, exact=True)
                    t0 = time.monotonic()
                    link.click()
                    page.get_by_role("heading", name=title).first.wait_for(timeout=90_000)
                    had_map = settle(page)
                    rows.append(
                        {
                            "role": account.role,
                            "page": title,
                            "open": kind,
                            "s": time.monotonic() - t0,
                            "map": had_map,
                        }
                    )
                    print(f"{account.role} {title} {kind} {rows[-1]['s']:.2f}", flush=True)
        finally:
            context.close()
    return rows


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, str], list[float]] = {}
    maps: dict[tuple[str, str, str], bool] = {}
    for r in rows:
        key = (r["role"], r["page"], r["open"])
        groups.setdefault(key, []).append(r["s"])
        maps[key] = maps.get(key, False) or bool(r.get("map"))
    return [
        {
            "role": k[0],
            "page": k[1],
            "open": k[2],
            "n": len(v),
            "median_s": round(statistics.median(v), 3),
            "max_s": round(max(v), 3),
            "map": maps[k],
        }
        for k, v in groups.items()
    ]


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser(prog="python -m bench.pages_browser")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--roles", default="", help="comma-separated roles (default: all)")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    db_url = make_load_database()
    accounts = role_accounts(db_url)
    if args.roles:
        accounts = [a for a in accounts if a.role in args.roles.split(",")]
    rows: list[dict[str, Any]] = []
    with server(db_url, workers=1, proxy=False) as (url, _pids), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            sweep(browser, url, accounts[-1], repeat=1)  # warm the process (imports, caches)
            for account in accounts:
                rows += sweep(browser, url, account, repeat=args.repeat)
        finally:
            browser.close()
    table = summarise(rows)
    (OUT / "pages_browser.json").write_text(
        json.dumps(table, ensure_ascii=False, indent=1), "utf-8"
    )
    print("| 角色 | 页面 | 打开 | 地图 | 中位数 s | 最慢 s | < 1.5 s |")
    print("|---|---|---|---|---|---|---|")
    for t in table:
        ok = "是" if t["max_s"] < GOAL_S else "**否**"
        print(
            f"| {t['role']} | {t['page']} | {'首次' if t['open'] == 'first' else '再次'} "
            f"| {'有' if t['map'] else ''} | {t['median_s']:.2f} | {t['max_s']:.2f} | {ok} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
