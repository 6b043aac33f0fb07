"""The project's own PostgreSQL: no login over TCP without a password, none at all as postgres.

Real servers, real libpq (psycopg): the running test cluster, and a throwaway cluster made
the way older lianxin made them (trust on 127.0.0.1), upgraded in place by ``cluster.start``.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import uuid
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from core import dbcredentials
from core.settings import ROOT, settings

PORT = settings.pg_port
LIANXIN = Path(sys.executable).with_name("lianxin")  # the console script of this venv
ROLES = ("postgres", "lianxin", "lianxin_app")


def _connect(user: str, password: str | None, port: int = PORT, db: str = "lianxin_test") -> None:
    kwargs = {"password": password} if password is not None else {}
    with psycopg.connect(
        host="127.0.0.1", port=port, user=user, dbname=db, connect_timeout=5, **kwargs
    ) as conn:
        conn.execute("SELECT 1")


def _refused(user: str, password: str | None, port: int = PORT) -> str:
    env_pw = os.environ.pop("PGPASSWORD", None)
    try:
        with pytest.raises(psycopg.OperationalError) as info:
            _connect(user, password, port)
    finally:
        if env_pw is not None:
            os.environ["PGPASSWORD"] = env_pw
    return str(info.value)


@pytest.mark.parametrize("user", ROLES)
def test_no_tcp_login_without_a_password(db_url, user, monkeypatch):
    monkeypatch.setenv("PGPASSFILE", "/nonexistent")
    message = _refused(user, None)
    assert "no password supplied" in message or "rejects connection" in message


@pytest.mark.parametrize("user", ["lianxin", "lianxin_app"])
def test_a_wrong_password_is_refused(db_url, user, monkeypatch):
    monkeypatch.setenv("PGPASSFILE", "/nonexistent")
    assert "password authentication failed" in _refused(user, "not-the-password")


def test_the_superuser_cannot_log_in_over_tcp_even_with_a_password(db_url, monkeypatch):
    monkeypatch.setenv("PGPASSFILE", "/nonexistent")
    creds = dbcredentials.read_credentials(settings.pgdata)
    for guess in (creds["lianxin"], creds["lianxin_app"], "postgres", ""):
        assert "rejects connection" in _refused("postgres", guess)


def test_the_credentials_file_is_private_and_its_passwords_work(db_url):
    path = dbcredentials.credentials_path(settings.pgdata)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    creds = dbcredentials.read_credentials(settings.pgdata)
    assert set(creds) == {"lianxin", "lianxin_app"} and creds["lianxin"] != creds["lianxin_app"]
    for user, password in creds.items():
        _connect(user, password)


@pytest.mark.parametrize("role,expected", [("owner", "lianxin"), ("app", "lianxin_app")])
def test_lianxin_db_url_prints_a_working_libpq_url(db_url, role, expected):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "APP_DATABASE_URL")}
    out = subprocess.run(
        [str(LIANXIN), "db", "url", "--role", role, "--database", "lianxin_test"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    ).stdout.strip()
    assert out.startswith(f"postgresql://{expected}:")
    with psycopg.connect(out, connect_timeout=5) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (expected,)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_old_trust_cluster_is_upgraded_in_place_by_db_start():
    """initdb --auth=trust, as lianxin did before; then ``cluster.start`` on it."""
    from db import cluster

    base = Path(f"/var/tmp/lianxin-sec-{uuid.uuid4().hex[:8]}")
    pgdata = base / "pgdata"
    s = replace(settings, pgdata=pgdata, pg_port=_free_port())
    bin_dir = cluster.pg_bin()
    try:
        base.mkdir(parents=True)
        os.chmod(base, 0o755)
        pgdata.mkdir()
        if os.geteuid() == 0:
            shutil.chown(pgdata, "postgres", "postgres")
        os.chmod(pgdata, 0o700)
        cluster._run(
            [str(bin_dir / "initdb"), "-D", str(pgdata), "--auth=trust", "--username=postgres"]
        )
        with open(pgdata / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(
                f"\nport = {s.pg_port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{pgdata}'\nfsync = off\n"
            )
        cluster._run(
            [str(bin_dir / "pg_ctl"), "-D", str(pgdata), "-l", str(pgdata / "log"), "-w", "start"]
        )
        _connect("postgres", None, s.pg_port, "postgres")  # the old hole, before the upgrade
        cluster.start(s)
        for user in ROLES:
            assert _refused(user, None, s.pg_port)
        creds = dbcredentials.read_credentials(pgdata)
        _connect("lianxin", creds["lianxin"], s.pg_port, "lianxin")
        _connect("lianxin_app", creds["lianxin_app"], s.pg_port, "lianxin")
        # And again, on the now-upgraded, stopped cluster: the same passwords keep working.
        cluster.stop(s)
        cluster.start(s)
        assert dbcredentials.read_credentials(pgdata) == creds
        _connect("lianxin", creds["lianxin"], s.pg_port, "lianxin")
        # Rotation: the old password stops working, the file holds the new one.
        cluster.rotate_passwords(s)
        new = dbcredentials.read_credentials(pgdata)
        assert new["lianxin"] != creds["lianxin"]
        assert "password authentication failed" in _refused("lianxin", creds["lianxin"], s.pg_port)
        _connect("lianxin", new["lianxin"], s.pg_port, "lianxin")
    finally:
        if (pgdata / "postmaster.pid").exists():
            cluster.stop(s)
        shutil.rmtree(base, ignore_errors=True)
