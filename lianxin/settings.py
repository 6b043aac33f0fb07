"""One documented settings object, read from the environment once.

| variable            | default                                   | meaning                                  |
|---------------------|-------------------------------------------|------------------------------------------|
| DATABASE_URL        | the project's own cluster (see db/cluster) | SQLAlchemy URL of the PostGIS database   |
| TEST_DATABASE_URL   | the project's own cluster, db lianxin_test | database the test suite may wipe         |
| LIANXIN_PG_PORT     | 54329                                     | port of the project's own cluster        |
| LIANXIN_PGDATA      | <repo>/.pgdata (or /var/tmp/lianxin-*)    | data directory of the project's cluster  |
| LIANXIN_DEMO        | 1                                         | label the data 示例数据 in the UI          |
| APP_DATABASE_URL    | DATABASE_URL with the user lianxin_app    | the pages' restricted (row-level) login  |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Settings:
    root: Path
    pg_port: int
    pgdata: Path
    database_url: str
    test_database_url: str
    uses_own_cluster: bool
    demo: bool
    app_database_url: str = ""  # the pages' restricted role (README, 安全 / Security)

    @property
    def socket_dir(self) -> Path:
        return self.pgdata


def local_url(database: str, *, port: int, user: str = "lianxin") -> str:
    return f"postgresql+psycopg://{user}@127.0.0.1:{port}/{database}"


def load_settings() -> Settings:
    port = int(os.environ.get("LIANXIN_PG_PORT", "54329"))
    pgdata = Path(os.environ.get("LIANXIN_PGDATA") or default_pgdata(ROOT))
    db_url = os.environ.get("DATABASE_URL") or ""
    return Settings(
        root=ROOT,
        pg_port=port,
        pgdata=pgdata,
        database_url=_sqlalchemy_url(db_url) if db_url else local_url("lianxin", port=port),
        test_database_url=_sqlalchemy_url(os.environ["TEST_DATABASE_URL"])
        if os.environ.get("TEST_DATABASE_URL")
        else local_url("lianxin_test", port=port),
        uses_own_cluster=not db_url,
        demo=os.environ.get("LIANXIN_DEMO", "1") != "0",
        app_database_url=_sqlalchemy_url(os.environ["APP_DATABASE_URL"])
        if os.environ.get("APP_DATABASE_URL")
        else app_url_for(_sqlalchemy_url(db_url) if db_url else local_url("lianxin", port=port)),
    )


APP_ROLE = "lianxin_app"


def app_url_for(url: str) -> str:
    """The same database as ``url``, logged in as the app's restricted role (no password).

    Right for the project's own cluster (trust auth on 127.0.0.1). An external server with
    password authentication needs APP_DATABASE_URL instead.
    """
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{APP_ROLE}@{host}"))


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
    import hashlib

    digest = hashlib.sha256(str(root).encode()).hexdigest()[:10]
    return f"/var/tmp/lianxin-{digest}/pgdata"


def _sqlalchemy_url(url: str) -> str:
    """Accept libpq-style postgres:// URLs and make them use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


settings = load_settings()
