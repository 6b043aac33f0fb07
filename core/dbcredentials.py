"""Passwords of the project's own PostgreSQL cluster, and the local URLs that carry them.

``lianxin db start`` generates one password for the owner role (``lianxin``) and one for the
app's restricted role (``lianxin_app``) the first time it runs, and keeps them in
``<data directory>/lianxin-credentials.json`` (mode 0600, readable only by whoever runs
lianxin). The cluster's ``pg_hba.conf`` then asks every TCP login for its scram-sha-256
password and refuses the superuser over TCP altogether (db/cluster.py).

Everything that connects to the own cluster (settings' default URLs, the test suite's
TEST_URL, the browser tests' app server, bench scripts) builds its URL here, so nobody types a
password. This module reads no settings (tests/conftest.py imports it before the settings are
loaded).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from urllib.parse import quote

CREDENTIALS_FILE = "lianxin-credentials.json"
OWNER_ROLE = "lianxin"
APP_ROLE = "lianxin_app"
ROLES = (OWNER_ROLE, APP_ROLE)


def _traversable_by_others(path: Path) -> bool:
    """Can a user who owns none of ``path``'s parents reach it (o+x on every directory)?"""
    for parent in [path, *path.parents]:
        try:
            if parent.exists() and not parent.stat().st_mode & 0o001:
                return False
        except OSError:
            return False
    return True


def default_pgdata(root: Path) -> str:
    """``<repo>/.pgdata``, unless the ``postgres`` user could not reach it.

    As root, initdb/pg_ctl run as ``postgres``; a checkout under a private directory (e.g.
    /root) is closed to that user, so the cluster then lives in /var/tmp, one per checkout.
    """
    if os.geteuid() != 0 or _traversable_by_others(root):
        return str(root / ".pgdata")
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:10]
    return f"/var/tmp/lianxin-{digest}/pgdata"


def pgdata_from_env(root: Path) -> Path:
    return Path(os.environ.get("LIANXIN_PGDATA") or default_pgdata(root))


def credentials_path(pgdata: Path) -> Path:
    return pgdata / CREDENTIALS_FILE


def read_credentials(pgdata: Path) -> dict[str, str]:
    """role → password, or {} before the first ``lianxin db start`` (or if unreadable)."""
    try:
        data = json.loads(credentials_path(pgdata).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {r: str(data[r]) for r in ROLES if isinstance(data, dict) and data.get(r)}


def write_credentials(pgdata: Path, passwords: dict[str, str]) -> None:
    """Replace the file atomically, created 0600 from the start (never world-readable)."""
    path = credentials_path(pgdata)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({r: passwords[r] for r in ROLES}, fh)
        fh.write("\n")
    os.replace(tmp, path)
    os.chmod(path, 0o600)


def local_url(
    database: str,
    *,
    port: int,
    user: str = OWNER_ROLE,
    pgdata: Path | None = None,
    driver: str = "postgresql+psycopg",
) -> str:
    """The own cluster's URL for ``user``, with its password when the file has one."""
    password = read_credentials(pgdata).get(user) if pgdata is not None else None
    auth = f"{user}:{quote(password, safe='')}" if password else user
    return f"{driver}://{auth}@127.0.0.1:{port}/{database}"
