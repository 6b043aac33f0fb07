"""One documented settings object, read from the environment once.

| variable            | default                                   | meaning                                  |
|---------------------|-------------------------------------------|------------------------------------------|
| DATABASE_URL        | the project's own cluster (see db/cluster) | SQLAlchemy URL of the PostGIS database   |
| TEST_DATABASE_URL   | the project's own cluster, db lianxin_test | database the test suite may wipe         |
| LIANXIN_PG_PORT     | 54329                                     | port of the project's own cluster        |
| LIANXIN_PGDATA      | <repo>/.pgdata                            | data directory of the project's cluster  |
| LIANXIN_DEMO        | 1                                         | label the data 示例数据 in the UI          |
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

    @property
    def socket_dir(self) -> Path:
        return self.pgdata


def local_url(database: str, *, port: int, user: str = "lianxin") -> str:
    return f"postgresql+psycopg://{user}@127.0.0.1:{port}/{database}"


def load_settings() -> Settings:
    port = int(os.environ.get("LIANXIN_PG_PORT", "54329"))
    pgdata = Path(os.environ.get("LIANXIN_PGDATA", str(ROOT / ".pgdata")))
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
    )


def _sqlalchemy_url(url: str) -> str:
    """Accept libpq-style postgres:// URLs and make them use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


settings = load_settings()
