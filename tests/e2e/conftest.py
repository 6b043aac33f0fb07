"""Browser fixtures: one ``streamlit run`` of the app and one headless Chromium for the run.

The app serves the test database with the demo loaded. Pages are opened through
:func:`offline_page`, which aborts and records every request that would leave localhost, so
each test can assert the app needs no internet.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.dbfixtures import db_url, demo_db, demo_session, session  # noqa: F401

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


@pytest.fixture(scope="session")
def app_url(demo_db: str) -> Iterator[str]:  # noqa: F811
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port)]
        + ["--server.headless", "true"],
        cwd=ROOT,
        env=dict(os.environ, DATABASE_URL=demo_db),
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
        output = proc.stdout.read().decode() if proc.stdout else ""
        pytest.fail("streamlit did not start: " + output[-2000:])
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: run make test (it installs chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


# --- settled state (area: tests that hold on a busy machine) ----------------------------------
# Streamlit marks its app root with the script's run state and every element left over from
# the previous run with data-stale="true"; the status widget shows while a run is going.
_SETTLED_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')
    && !document.querySelector('[data-stale="true"]');
}"""


def wait_settled(page: Any, *, timeout_ms: int = 90_000, quiet_ms: int = 600) -> None:
    """Wait until the app has finished its run and stays finished for ``quiet_ms``.

    A component (a map, a table's selection) can start a second run right after the first;
    the quiet period catches that. Use it after every click that reruns the page, before
    reading what is on screen, and read through :func:`live` so that no stale copy of an
    element from the previous run is found.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        left = max(1_000, int((deadline - time.monotonic()) * 1000))
        page.wait_for_function(_SETTLED_JS, timeout=left)
        page.wait_for_timeout(quiet_ms)
        if page.evaluate(_SETTLED_JS) or time.monotonic() > deadline:
            return


def live(page: Any) -> Any:
    """The app's main area without elements left stale by the previous run."""
    return page.locator(
        "[data-testid='stMain'] [data-testid='stElementContainer']:not([data-stale='true'])"
    )


def offline_page(browser: Any, base_url: str, **context_options: Any) -> tuple[Any, Any, list[str]]:
    """A new browser context and page whose requests outside localhost are aborted.

    Returns (context, page, outside): ``outside`` collects the URLs that were refused.
    """
    options = {"viewport": {"width": 1400, "height": 900}, "locale": "zh-CN", **context_options}
    context = browser.new_context(**options)
    outside: list[str] = []

    def route(r: Any) -> None:
        url = r.request.url
        host = url.split("/")[2].split(":")[0] if "://" in url else ""
        if host in ("127.0.0.1", "localhost") or url.startswith(("data:", "blob:", "about:")):
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    context.route("**/*", route)
    return context, context.new_page(), outside
