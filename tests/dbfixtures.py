"""Database fixtures (imported by tests/db, tests/ui and tests/e2e conftests).

A missing database FAILS the run rather than skipping it: CI must not turn green with the
PostGIS tests silently skipped (the habit geopandas' own CI has).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import ROOT, TEST_URL


def _demo_hash() -> str:
    h = hashlib.sha256()
    for folder in ("data/demo", "data/boundaries"):
        for path in sorted((ROOT / folder).glob("*")):
            if path.is_file():
                h.update(path.name.encode())
                h.update(path.read_bytes())
    # the loader and everything the demo's roster goes through on its way in
    for path in [
        ROOT / "demo" / "load.py",
        ROOT / "db" / "demo_rows.py",
        ROOT / "db" / "roster_queries.py",
        *sorted((ROOT / "services" / "households").glob("roster_*.py")),
    ]:
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


@pytest.fixture(scope="session")
def db_url() -> str:
    from core.errors import DatabaseUnavailableError
    from db.engine import check_database
    from db.migrate import upgrade

    try:
        upgrade(TEST_URL)
        check_database(TEST_URL)
    except (DatabaseUnavailableError, Exception) as exc:  # noqa: BLE001
        pytest.fail(f"测试数据库不可用（{TEST_URL}）：{exc}", pytrace=False)
    return TEST_URL


_FINGERPRINT_SQL = (
    "SELECT (SELECT count(*) FROM grid_plans) || '/' || (SELECT count(*) FROM grid_cells) || '/'"
    " || (SELECT count(*) FROM households) || '/' || (SELECT count(*) FROM cases) || '/'"
    " || (SELECT count(*) FROM streets) || '/' || (SELECT count(*) FROM address_points)"
)


@pytest.fixture(scope="session")
def demo_db(db_url: str) -> str:
    """The test database holding exactly the demo town.

    Reloaded when the demo files or the import code changed, or when something committed
    rows on top of it (a browser test that published a plan, an interrupted run): the comment
    on the households table records the demo's hash and the row counts right after loading.
    """
    from db.engine import session_scope
    from demo.load import clear, load_into

    wanted = "demo:" + _demo_hash()
    with session_scope(db_url) as s:
        have = s.execute(text("SELECT obj_description('households'::regclass)")).scalar() or ""
        fingerprint = s.execute(text(_FINGERPRINT_SQL)).scalar()
        if have != f"{wanted}:{fingerprint}":
            clear(s)
            load_into(s, progress=lambda _m: None)
            fingerprint = s.execute(text(_FINGERPRINT_SQL)).scalar()
            s.execute(text(f"COMMENT ON TABLE households IS '{wanted}:{fingerprint}'"))
    return db_url


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    from db.engine import get_engine

    conn = get_engine(db_url).connect()
    outer = conn.begin()
    s = Session(bind=conn, join_transaction_mode="create_savepoint")
    try:
        yield s
    finally:
        s.close()
        outer.rollback()
        conn.close()


@pytest.fixture
def demo_session(demo_db: str, session: Session) -> Session:
    return session
