"""Engines and sessions. Only the database layer imports SQLAlchemy.

A service owns the transaction::

    with session_scope() as session:     # commits on success, rolls back on error
        households.import_rows(session=session, ...)

Pages, the API and the command line do not come here: they open their sessions through
:mod:`services.sessions` (``acting(token)``, ``owner()``, ``check_database()``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import DatabaseUnavailableError
from core.settings import settings


@lru_cache(maxsize=4)
def get_engine(url: str | None = None) -> Engine:
    return create_engine(
        url or settings.database_url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        # Beijing time for every session: dates and "this week" are the office's, and
        # timestamps come back as +08:00 (the database still stores absolute instants).
        connect_args={"connect_timeout": 5, "options": "-c timezone=Asia/Shanghai"},
    )


def how_to_start(url: str | None = None) -> str:
    if settings.uses_own_cluster and (url is None or url == settings.database_url):
        return "请先启动项目自带的数据库：make run（或 .venv/bin/lianxin db start）"
    return "请检查 DATABASE_URL 指向的 PostGIS 服务器是否可达、用户名与密码是否正确"


def check_database(url: str | None = None) -> None:
    """Raise DatabaseUnavailableError (one line, with the fix) unless the DB is usable."""
    engine = get_engine(url)
    try:
        with engine.connect() as conn:
            has_postgis = conn.execute(
                text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")
            ).scalar()
            has_schema = conn.execute(text("SELECT to_regclass('public.grid_cells')")).scalar()
    except OperationalError as exc:
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailableError(
            f"无法连接数据库（{engine.url.render_as_string(hide_password=True)}：{first}）。"
            + how_to_start(url)
        ) from exc
    if not has_postgis:
        raise DatabaseUnavailableError(
            "数据库缺少 PostGIS 扩展：请以超级用户执行 CREATE EXTENSION postgis;"
        )
    if not has_schema:
        raise DatabaseUnavailableError("数据库尚未建表：请运行 .venv/bin/lianxin db migrate")


@lru_cache(maxsize=4)
def _factory(url: str | None) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(url), expire_on_commit=False)


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """The one shape of every transaction here: commit on success, roll back on any error,
    close always (:func:`session_scope`, :func:`db.access.acting_session`)."""
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A transaction on the owner's connection: commit on success, roll back on any error."""
    with unit_of_work(_factory(url)()) as session:
        yield session
