"""One documented settings object, read from the environment once.

| variable            | default                                   | meaning                                  |
|---------------------|-------------------------------------------|------------------------------------------|
| DATABASE_URL        | the project's own cluster (see db/cluster) | SQLAlchemy URL of the PostGIS database   |
| TEST_DATABASE_URL   | the project's own cluster, db lianxin_test | database the test suite may wipe         |
| LIANXIN_PG_PORT     | 54329                                     | port of the project's own cluster        |
| LIANXIN_PGDATA      | <repo>/.pgdata (or /var/tmp/lianxin-*)    | data directory of the project's cluster  |
| LIANXIN_DEMO        | 1                                         | label the data 示例数据 in the UI          |
| APP_DATABASE_URL    | DATABASE_URL with the user lianxin_app    | the pages' restricted (row-level) login  |

The own cluster's URLs carry the passwords ``lianxin db start`` generated and keeps in
``<LIANXIN_PGDATA>/lianxin-credentials.json`` (core/dbcredentials.py), so no one types one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from core import dbcredentials

ROOT = Path(__file__).resolve().parents[1]
#: The coordinate system of every stored geometry (CGCS2000, EPSG:4490).
SRID = 4490
#: The district the office belongs to (汉滨区).
DISTRICT_CODE = "610902"


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


def local_url(
    database: str, *, port: int, user: str = "lianxin", pgdata: Path | None = None
) -> str:
    """The own cluster's URL for ``user``, with the password from the credentials file."""
    return dbcredentials.local_url(
        database, port=port, user=user, pgdata=pgdata or dbcredentials.pgdata_from_env(ROOT)
    )


def load_settings() -> Settings:
    port = int(os.environ.get("LIANXIN_PG_PORT", "54329"))
    pgdata = dbcredentials.pgdata_from_env(ROOT)
    db_url = os.environ.get("DATABASE_URL") or ""
    own = local_url("lianxin", port=port, pgdata=pgdata)
    return Settings(
        root=ROOT,
        pg_port=port,
        pgdata=pgdata,
        database_url=_sqlalchemy_url(db_url) if db_url else own,
        test_database_url=_sqlalchemy_url(os.environ["TEST_DATABASE_URL"])
        if os.environ.get("TEST_DATABASE_URL")
        else local_url("lianxin_test", port=port, pgdata=pgdata),
        uses_own_cluster=not db_url,
        demo=os.environ.get("LIANXIN_DEMO", "1") != "0",
        app_database_url=_sqlalchemy_url(os.environ["APP_DATABASE_URL"])
        if os.environ.get("APP_DATABASE_URL")
        else app_url_for(_sqlalchemy_url(db_url) if db_url else own, port=port, pgdata=pgdata),
    )


APP_ROLE = "lianxin_app"


def app_url_for(url: str, *, port: int | None = None, pgdata: Path | None = None) -> str:
    """The same database as ``url``, logged in as the app's restricted role.

    On the project's own cluster (127.0.0.1 on its port) the URL carries the app role's
    password from the credentials file. An external server gets no password here: set
    APP_DATABASE_URL for it.
    """
    from urllib.parse import quote, urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    own_port = port or int(os.environ.get("LIANXIN_PG_PORT", "54329"))
    password = None
    if parts.hostname == "127.0.0.1" and parts.port == own_port:
        creds = dbcredentials.read_credentials(pgdata or dbcredentials.pgdata_from_env(ROOT))
        password = creds.get(APP_ROLE)
    auth = f"{APP_ROLE}:{quote(password, safe='')}" if password else APP_ROLE
    return urlunsplit(parts._replace(netloc=f"{auth}@{host}"))


default_pgdata = dbcredentials.default_pgdata  # where it always was, for existing callers


def _sqlalchemy_url(url: str) -> str:
    """Accept libpq-style postgres:// URLs and make them use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


settings = load_settings()
