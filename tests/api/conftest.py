"""The Open311 API, served for real: uvicorn on a free port against the test database.

Keys are made with the service the CLI uses (``services.api_keys.add_key``) and committed;
at the end the cases the API received, its keys and their accounts are deleted again, so the
demo's fingerprint (tests/dbfixtures.py) still matches and the next run does not reload it.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text

from tests.conftest import ROOT
from tests.dbfixtures import db_url, demo_db, demo_session, session  # noqa: F401

PREFIX = "t-o311-"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Api:
    base: str  # …/open311/v2
    db_url: str

    def key(self, *, role: str = "clerk", channel: str = "hotline", rate: int = 100_000) -> str:
        """A fresh committed key of ``role``."""
        from db.engine import session_scope
        from services.api_keys import add_key

        with session_scope(self.db_url) as s:
            new = add_key(
                PREFIX + secrets.token_hex(4),
                session=s,
                role=role,
                channel=channel,
                rate_per_minute=rate,
                by="pytest",
            )
        return new.key

    def revoke(self, key: str) -> None:
        from db.access import token_hash
        from db.engine import session_scope
        from services.api_keys import revoke_key

        with session_scope(self.db_url) as s:
            name = s.execute(
                text("SELECT name FROM api_keys WHERE key_hash = :h"), {"h": token_hash(key)}
            ).scalar_one()
            revoke_key(name, session=s, by="pytest")


def _cleanup(url: str) -> None:
    from db.engine import session_scope

    with session_scope(url) as s:
        s.execute(
            text(
                "DELETE FROM cases WHERE received_by IN (SELECT u.username FROM users u "
                "WHERE u.username LIKE :p)"
            ),
            {"p": f"api.{PREFIX}%"},
        )
        s.execute(text("DELETE FROM api_keys WHERE name LIKE :p"), {"p": f"{PREFIX}%"})
        s.execute(text("DELETE FROM users WHERE username LIKE :p"), {"p": f"api.{PREFIX}%"})


@pytest.fixture(scope="session")
def api(demo_db: str) -> Iterator[Api]:  # noqa: F811
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": demo_db, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("APP_DATABASE_URL", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    root = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(root + "/healthz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            proc.kill()
            pytest.fail(f"API 服务未能启动：{err[-2000:]}", pytrace=False)
        time.sleep(0.3)
    try:
        yield Api(root + "/open311/v2", demo_db)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        _cleanup(demo_db)


@pytest.fixture(scope="session")
def clerk_key(api: Api) -> str:
    return api.key(role="clerk")


@pytest.fixture(scope="session")
def place(demo_db: str) -> dict[str, object]:  # noqa: F811
    """A door plate of the demo town, its point and the cell the services put it in."""
    from db.engine import session_scope
    from services import cases

    with session_scope(demo_db) as s:
        row = s.execute(
            text(
                "SELECT a.street_name || a.house_number || '号' AS address, ST_X(a.geom) AS lon, "
                "ST_Y(a.geom) AS lat FROM address_points a ORDER BY a.id LIMIT 1 OFFSET 40"
            )
        ).one()
        where = cases.locate(session=s, lon=row.lon, lat=row.lat)
    assert where.cell_code is not None
    return {
        "address": row.address,
        "lon": row.lon,
        "lat": row.lat,
        "cell_code": where.cell_code,
        "community_code": where.community_code,
    }
