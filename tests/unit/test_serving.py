"""The HAProxy configuration `lianxin serve` writes, checked by the real haproxy binary."""

from __future__ import annotations

import subprocess

import pytest

from cli.serving import WORKER_COOKIE, haproxy_binary, haproxy_config, workers_for
from core.errors import InvalidInputError


def _check(cfg: str, tmp_path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "haproxy.cfg"
    path.write_text(cfg, "utf-8")
    return subprocess.run(
        [haproxy_binary(), "-c", "-f", str(path)], capture_output=True, text=True, check=False
    )


def test_haproxy_accepts_the_generated_configuration(tmp_path):
    cfg = haproxy_config(workers_for(3, first_port=8511), bind="127.0.0.1", port=8501)
    proc = _check(cfg, tmp_path)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    # one server line per worker, each with its own stickiness cookie value
    for name, port in (("w1", 8511), ("w2", 8512), ("w3", 8513)):
        assert f"server {name} 127.0.0.1:{port} check cookie {name}" in cfg


def test_the_affinity_cookie_is_httponly_and_same_site_strict():
    cfg = haproxy_config(workers_for(2, first_port=9000), bind="0.0.0.0", port=8501)
    line = next(x for x in cfg.splitlines() if x.strip().startswith("cookie "))
    assert WORKER_COOKIE in line and "httponly" in line and "SameSite=Strict" in line


def test_the_api_is_routed_only_when_it_runs(tmp_path):
    without = haproxy_config(workers_for(1, first_port=9000), bind="127.0.0.1", port=8501)
    with_api = haproxy_config(
        workers_for(1, first_port=9000), bind="127.0.0.1", port=8501, api_port=8502
    )
    assert "/open311/" not in without
    assert "use_backend api if { path_beg /open311/ }" in with_api
    assert _check(with_api, tmp_path).returncode == 0


def test_zero_workers_is_refused_with_a_reason():
    with pytest.raises(InvalidInputError, match="至少 1 个"):
        workers_for(0, first_port=8511)
