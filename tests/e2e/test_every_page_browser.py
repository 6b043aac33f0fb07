"""Every page of every role in headless Chromium, with no network (issue 11, "Done when").

Each demo account (services.demo_accounts, as ``make run`` creates them) logs in and opens
every page of its sidebar. On each settled page the test fails on:

- an exception box (Streamlit's, or the router's error boundary message);
- Streamlit's own English (its known strings, in text and in placeholders) and, generally,
  a run of two or more English words anywhere outside code;
- a raw enum value: any key of a core/vocab.py vocabulary shown as a word of its own;
- an ISO timestamp (``2026-10-20 09:00:00+08:00``, ``2026-10-20T09:00``) or a raw
  ``None``/``NaN``/``NaT``, in the page's text or in any visible table cell.

With LIANXIN_SCREENSHOTS set to a directory (docs/screenshots), it saves a full-page
screenshot of each page per role there as ``<role>-<page>.png``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from core import vocab
from tests.e2e.conftest import offline_page, wait_settled

pytestmark = pytest.mark.e2e

ROLES = ("planner", "leader", "grid_leader", "grid_worker", "clerk", "admin")

# Streamlit's own English, as its front end writes it (checked without any allowance).
STREAMLIT_ENGLISH = (
    "Drag and drop",
    "Browse files",
    "per file",
    "Select all",
    "Page not found",
    "Running the app",
    "Ask Google",
    "Ask ChatGPT",
    "This app has encountered an error",
    "Press Enter",
    "Choose an option",
    "Choose options",
    "No results",
    "Skip to main content",
)
# Two or more English words in a row, as a sentence has them. Words joined to others by a
# hyphen or an asterisk are a method's name (Getis-Ord Gi*), not a run of words.
ENGLISH_RUN = re.compile(r"(?<![\w*-])[A-Za-z]{2,}(?:[ \t]+[A-Za-z]{2,})+(?![\w*-])")
ENUM_KEYS = {
    key
    for table in (
        vocab.SERVICE_CATEGORIES,
        vocab.SERVICE_ITEMS,
        vocab.CASE_KINDS,
        vocab.CHANNELS,
        vocab.CASE_STATES,
        vocab.ESCALATION_LEVELS,
        vocab.SATISFACTION,
        vocab.SPECIAL_GROUPS,
        vocab.STAFF_ROLES,
        vocab.STREET_KINDS,
        vocab.GEOCODE_MATCH_TYPES,
        vocab.PLAN_STATES,
    )
    for key in table
}
WORD = re.compile(r"(?<![A-Za-z0-9_./:@-])[A-Za-z][A-Za-z_]*(?![A-Za-z0-9_]|[./:@-]\w)")
ISO = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"
    r"|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}(?::?\d{2})?|Z)"
    r"|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d+"
)
RAW_MISSING = re.compile(r"(?<![A-Za-z])(?:None|NaN|NaT|nan|<NA>)(?![A-Za-z])")

# The page's text as a person reads it: every text node of the app (hidden tabs and closed
# expanders too: they open with a click), except code, icon ligatures (material icons are
# drawn from words like "upload_file") and table canvases; the tables' cells separately,
# from the grid's accessible mirror of its visible rows; placeholders and labels of inputs.
_READ_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const skip = 'code, pre, script, style, svg, iframe, [data-testid="stIconMaterial"],'
    + ' [data-testid="stDataFrame"], .material-symbols-rounded, .material-icons';
  const text = [];
  const walker = document.createTreeWalker(app, NodeFilter.SHOW_TEXT);
  let n;
  while ((n = walker.nextNode())) {
    const p = n.parentElement;
    if (!p || p.closest(skip)) continue;
    const ff = getComputedStyle(p).fontFamily || '';
    if (ff.includes('Material')) continue;
    if (n.nodeValue.trim()) text.push(n.nodeValue.trim());
  }
  const cells = [...app.querySelectorAll('[data-testid="stDataFrame"] table td')]
    .map(td => td.textContent.trim()).filter(Boolean);
  const attrs = [...app.querySelectorAll('[placeholder], [aria-label]')]
    .map(el => (el.getAttribute('placeholder') || '') + ' ' + (el.getAttribute('aria-label') || ''));
  return {text, cells, attrs, exceptions: app.querySelectorAll('[data-testid="stException"]').length};
}"""


def _problems(seen: dict, page_title: str) -> list[str]:
    text = "\n".join(seen["text"])
    attrs = "\n".join(seen["attrs"])
    problems: list[str] = []
    if seen["exceptions"]:
        problems.append("Streamlit exception box")
    if "意外错误" in text and "事件号" in text:
        problems.append("the error boundary caught an exception")
    for english in STREAMLIT_ENGLISH:
        if english in text or english in attrs:
            problems.append(f"Streamlit English: {english!r}")
    runs = sorted(set(ENGLISH_RUN.findall(text)))
    if runs:
        problems.append(f"English text: {runs[:8]}")
    for where, values in (("text", seen["text"]), ("table", seen["cells"])):
        raw = sorted({w for v in values for w in WORD.findall(v) if w in ENUM_KEYS})
        if raw:
            problems.append(f"raw enum values in {where}: {raw[:8]}")
        iso = sorted({m for v in values for m in ISO.findall(v)})
        if iso:
            problems.append(f"ISO timestamps in {where}: {iso[:5]}")
        missing = sorted({v for v in values if RAW_MISSING.search(v)})
        if missing:
            problems.append(f"raw None/NaN in {where}: {missing[:5]}")
    return [f"{page_title}: {p}" for p in problems]


@pytest.fixture(scope="module")
def demo_accounts(demo_db) -> dict[str, tuple[str, str]]:  # noqa: ANN001
    """The demo's account per role, as ``make run`` seeds them (new passwords each time)."""
    from db.engine import session_scope
    from services import demo_accounts

    with session_scope(demo_db) as s:
        rows = demo_accounts.seed(session=s, by="pytest")
    return {r["role"]: (r["username"], r["password"]) for r in rows}


def _login(page, app_url: str, username: str, password: str) -> None:  # noqa: ANN001
    page.goto(app_url, wait_until="domcontentloaded")
    page.get_by_label("用户名").wait_for(timeout=60_000)
    wait_settled(page)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="退出").wait_for(timeout=90_000)
    wait_settled(page)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_role_is_chinese_and_shows_no_raw_value(
    role, app_url, browser, demo_accounts
):
    from app_pages.registry import pages_for

    shots = os.environ.get("LIANXIN_SCREENSHOTS")
    context, page, outside = offline_page(browser, app_url)
    problems: list[str] = []
    try:
        _login(page, app_url, *demo_accounts[role])
        nav = page.get_by_test_id("stSidebarNav")
        specs = pages_for(role)
        shown = [t.strip().split("\n")[-1] for t in nav.locator("a").all_inner_texts()]
        assert shown == [s.title for s in specs]  # the sidebar offers exactly the role's pages
        for spec in specs:
            nav.get_by_role("link", name=spec.title, exact=True).click()
            page.get_by_role("heading", name=spec.title).first.wait_for(timeout=90_000)
            wait_settled(page)
            problems += _problems(page.evaluate(_READ_JS), spec.title)
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)
                page.screenshot(
                    path=str(Path(shots) / f"{role}-{Path(spec.path).stem}.png"), full_page=True
                )
    finally:
        context.close()
    assert outside == [], f"requests left localhost: {outside[:5]}"
    assert problems == [], "\n".join(problems)
