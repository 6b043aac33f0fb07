"""Serve Lianxin to an office: N Streamlit workers behind HAProxy, on one port.

One Streamlit process runs every user's script in threads under one GIL, so a Tuesday morning
of 60 staff queues behind itself. ``lianxin serve`` starts several workers (one per core by
default) on private loopback ports and puts HAProxy, from Debian's packages, in front:

* **Sticky sessions.** A Streamlit session lives in one worker's memory (widget state, the
  websocket), so every request of a browser tab must reach the worker that holds it. HAProxy
  inserts its own cookie (``lianxin_worker``) naming the worker; nginx's open-source build has no
  cookie stickiness (only ``ip_hash``, which sends a whole office behind one NAT address to one
  worker), which is why HAProxy was chosen.
* **Websockets** pass through HAProxy's HTTP mode unchanged (``timeout tunnel``).
* **A login survives a change of worker**: the login lives in the database and in an HttpOnly
  cookie, so if a worker restarts the tab simply lands on another one, still logged in.
* **Static assets** (Leaflet, plugins, Streamlit's own hashed bundles) are compressed and served
  with long cache lifetimes; the map assets carry a version in their URL (``layers.offline``).

The dashboard's month summaries are refreshed by a background loop (``lianxin stats refresh
--every``) started here, so no page request pays for a city-scale refresh.

:func:`haproxy_config` is a pure function of its arguments, tested on its own; :func:`serve`
supervises the processes and stops all of them when any one of them ends.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.errors import InvalidInputError

WORKER_COOKIE = "lianxin_worker"
HAPROXY = "haproxy"


@dataclass(frozen=True)
class Worker:
    name: str
    port: int


def workers_for(count: int, *, first_port: int) -> list[Worker]:
    if count < 1:
        raise InvalidInputError(f"进程数 {count} 无效：至少 1 个")
    return [Worker(name=f"w{i + 1}", port=first_port + i) for i in range(count)]


def haproxy_config(
    workers: Sequence[Worker],
    *,
    bind: str,
    port: int,
    api_port: int | None = None,
) -> str:
    """The HAProxy configuration that serves ``workers`` on ``bind:port``.

    ``api_port``: where the Open311 API listens on loopback, if it runs; HAProxy then also
    forwards ``/open311/`` on the main port (one address for the office's firewall).
    """
    servers = "\n".join(
        f"    server {w.name} 127.0.0.1:{w.port} check cookie {w.name}" for w in workers
    )
    api = ""
    if api_port:
        api = f"""
backend api
    server api1 127.0.0.1:{api_port} check
"""
    api_route = "    use_backend api if { path_beg /open311/ }\n" if api_port else ""
    return f"""# Written by `lianxin serve`; edit cli/serving.py, not this file.
global
    maxconn 4096
    log stderr format short local0 warning

defaults
    mode http
    log global
    option httplog
    option dontlognull
    timeout connect 5s
    timeout client 60s
    timeout server 120s
    # Streamlit keeps one websocket per browser tab open for the whole visit.
    timeout tunnel 8h
    timeout http-request 30s

frontend lianxin
    bind {bind}:{port}
    # Long cache lifetimes for what never changes under its URL: Streamlit's hashed bundles and
    # the map assets (their URLs carry the package version, see layers/offline.py).
    http-request set-var(txn.path) path
    acl hashed_bundle var(txn.path) -m beg /static/js/ /static/css/ /static/media/
    acl map_asset var(txn.path) -m beg /app/static/vendor/
    http-response set-header Cache-Control "public, max-age=31536000, immutable" if hashed_bundle
    http-response set-header Cache-Control "public, max-age=31536000, immutable" if map_asset
    compression algo gzip
    compression type text/html text/css text/javascript application/javascript application/json image/svg+xml
    http-response set-header X-Lianxin-Worker %[srv_name]
{api_route}    default_backend streamlit

backend streamlit
    balance leastconn
    # Sticky sessions: a Streamlit session lives in one worker (see the module docstring).
    cookie {WORKER_COOKIE} insert indirect nocache httponly attr "SameSite=Strict"
    option httpchk GET /_stcore/health
    http-check expect status 200
{servers}
{api}"""


def _wait_healthy(port: int, *, timeout_s: float, path: str = "/_stcore/health") -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def haproxy_binary() -> str:
    found = shutil.which(HAPROXY) or (
        "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
    )
    if not found:
        raise InvalidInputError(
            "找不到 HAProxy：sudo apt-get install -y haproxy（make run 会自动安装）"
        )
    return found


def serve(
    *,
    root: Path,
    workers: int,
    port: int,
    bind: str,
    first_worker_port: int,
    api_port: int | None,
    refresh_every_s: int,
    run_dir: Path,
) -> int:
    """Start the workers, the refresher, the API (if asked) and HAProxy; wait; stop them all."""
    pool = workers_for(workers, first_port=first_worker_port)
    run_dir.mkdir(parents=True, exist_ok=True)
    cfg = run_dir / "haproxy.cfg"
    cfg.write_text(haproxy_config(pool, bind=bind, port=port, api_port=api_port), "utf-8")
    haproxy = haproxy_binary()
    check = subprocess.run([haproxy, "-c", "-q", "-f", str(cfg)], capture_output=True, text=True)
    if check.returncode != 0:
        raise InvalidInputError(f"HAProxy 配置无效：{(check.stderr or check.stdout).strip()}")

    py = sys.executable
    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    env = dict(os.environ)

    def start(name: str, cmd: list[str]) -> None:
        children.append((name, subprocess.Popen(cmd, cwd=root, env=env)))

    for w in pool:
        start(
            f"streamlit {w.name}",
            # serve.py: app.py plus the login-cookie route (app_pages/session_cookie.py)
            [py, "-m", "streamlit", "run", "serve.py", "--server.port", str(w.port)]
            + ["--server.address", "127.0.0.1", "--server.headless", "true"],
        )
    if refresh_every_s > 0:
        start(
            "refresh",
            [py, "-m", "cli.main", "stats", "refresh", "--every", str(refresh_every_s)],
        )
    if api_port:
        # the Open311 API (api/__main__.py) on API_HOST:api_port; HAProxy also routes
        # /open311/ on the main port to it
        env["API_PORT"] = str(api_port)
        start("api", [py, "-m", "api"])
    if api_port:
        print(f"Open311 接口：http://127.0.0.1:{api_port}/open311/v2/discovery.json", flush=True)
    for w in pool:
        if not _wait_healthy(w.port, timeout_s=90):
            _stop(children)
            raise InvalidInputError(f"Streamlit 进程 {w.name}（端口 {w.port}）未能启动")
    if api_port and not _wait_healthy(api_port, timeout_s=60, path="/open311/v2/discovery.json"):
        _stop(children)
        raise InvalidInputError(f"Open311 接口（端口 {api_port}）未能启动")
    start("haproxy", [haproxy, "-W", "-db", "-f", str(cfg)])
    print(
        f"连心网已启动：http://{'localhost' if bind in ('0.0.0.0', '127.0.0.1') else bind}:{port}"
        f"（{len(pool)} 个 Streamlit 进程，HAProxy 粘性会话）",
        flush=True,
    )

    stopping = False

    def _on_signal(_sig: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        while not stopping:
            for name, proc in children:
                if proc.poll() is not None:
                    print(f"{name} 已退出（{proc.returncode}），全部停止", file=sys.stderr)
                    stopping = True
                    break
            time.sleep(0.5)
    finally:
        _stop(children)
    return 0


def _stop(children: list[tuple[str, subprocess.Popen[bytes]]]) -> None:
    for _, proc in children:
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + 10
    for _, proc in children:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
