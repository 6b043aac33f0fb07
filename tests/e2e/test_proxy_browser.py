"""`lianxin serve`: two Streamlit workers behind HAProxy on one port, as `make run` serves them.

Real HAProxy, real Streamlit workers, real Chromium: the proxy keeps a tab on one worker
(sticky cookie), passes the websocket through, compresses and long-caches static assets.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import _free_port, offline_page

pytestmark = pytest.mark.e2e


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()


@pytest.fixture(scope="module")
def proxy_url(demo_db: str) -> Iterator[str]:  # noqa: F811
    port, first = _free_port(), _free_port()
    # two consecutive free ports for the workers
    while True:
        try:
            import socket

            with socket.socket() as s:
                s.bind(("127.0.0.1", first + 1))
            break
        except OSError:
            first = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--workers", "2", "--port", str(port)]
        + ["--bind", "127.0.0.1", "--first-worker-port", str(first), "--refresh-every", "0"],
        cwd=ROOT,
        env=dict(os.environ, DATABASE_URL=demo_db),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if _get(url + "/_stcore/health")[0] == 200:
                break
        except OSError:
            time.sleep(0.5)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        out = proc.stdout.read().decode() if proc.stdout else ""
        pytest.fail("lianxin serve did not start: " + out[-3000:])
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def test_the_proxy_pins_a_tab_to_a_worker_with_an_httponly_cookie(proxy_url):
    _, headers, _ = _get(proxy_url + "/")
    cookie = headers.get("set-cookie", "")
    assert cookie.startswith("lianxin_worker=w"), cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    # with the cookie, every request of that tab goes to the same worker
    served = {
        _get(proxy_url + "/_stcore/health", {"Cookie": f"lianxin_worker={w}"})[1][
            "x-lianxin-worker"
        ]
        for w in ("w1", "w2", "w1", "w2")
    }
    assert served == {"w1", "w2"}, "both workers serve, each its own tabs"


def test_map_assets_come_compressed_with_a_long_cache_lifetime(proxy_url):
    # as a browser asks after its first page: with the tab's affinity cookie (a response that
    # sets the cookie is marked private, so no shared cache keeps one tab's cookie)
    status, headers, body = _get(
        proxy_url + "/app/static/vendor/leaflet/leaflet.js?v=1",
        {"Accept-Encoding": "gzip", "Cookie": "lianxin_worker=w1"},
    )
    assert status == 200
    assert headers.get("content-encoding") == "gzip"
    assert "max-age=31536000" in headers.get("cache-control", "")
    import gzip

    assert b"Leaflet" in gzip.decompress(body)[:2000]


def test_the_app_works_in_a_browser_through_the_proxy(browser, proxy_url):
    context, page, outside = offline_page(browser, proxy_url)
    try:
        page.goto(proxy_url, wait_until="domcontentloaded")
        # the login form arrives over Streamlit's websocket, through HAProxy
        page.get_by_label("用户名").wait_for(timeout=90_000)
        assert outside == []
    finally:
        context.close()


def test_two_workers_serve_one_logged_in_user_across_a_reload(browser, proxy_url, demo_db):
    """The tab's worker changes (a restart, or the proxy moving it): the login holds, because
    it lives in the database and the HttpOnly cookie, not in one worker's memory."""
    from tests.e2e.logins import temporary_account
    from tests.e2e.test_login_reload_browser import fill_login, logged_in, login_cookie

    with temporary_account(demo_db, role="leader") as (username, password):
        context, page, outside = offline_page(browser, proxy_url)
        try:
            first = page.goto(proxy_url, wait_until="domcontentloaded")
            assert first is not None
            fill_login(page, username, password)
            logged_in(page)
            assert login_cookie(context) is not None
            worker = next(c["value"] for c in context.cookies() if c["name"] == "lianxin_worker")
            other = "w2" if worker == "w1" else "w1"
            context.add_cookies(
                [{"name": "lianxin_worker", "value": other, "url": proxy_url + "/"}]
            )
            again = page.reload(wait_until="domcontentloaded")
            assert again is not None and again.headers.get("x-lianxin-worker") == other
            logged_in(page)  # 退出 is there: the other worker knows this login
            assert outside == []
        finally:
            context.close()
