"""``lianxin db start|stop|status|reset|migrate|url|rotate-passwords`` — the project's own
PostGIS."""

from __future__ import annotations

import argparse

from core.errors import DatabaseUnavailableError
from core.settings import settings


def _start(args: argparse.Namespace) -> int:
    from db import cluster

    if settings.uses_own_cluster:
        for note in cluster.start(settings):
            print(note)
    else:
        print("使用 DATABASE_URL 指定的数据库，不启动本地集群")
    _migrate(args)
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import OperationalError

    from core.settings import load_settings
    from db.engine import get_engine, how_to_start
    from db.migrate import upgrade

    # Read again: ``start`` may just have written the passwords the URLs carry.
    current = load_settings()
    urls = [current.database_url]
    if current.uses_own_cluster:
        urls.append(current.test_database_url)
    for url in urls:
        try:
            with get_engine(url).connect():
                pass
            upgrade(url)
        except OperationalError as exc:
            raise DatabaseUnavailableError(
                f"无法连接 {get_engine(url).url.render_as_string(hide_password=True)}。"
                + how_to_start(url)
            ) from exc
    print("数据库结构已是最新")
    return 0


def _stop(args: argparse.Namespace) -> int:
    from db import cluster

    print(cluster.stop(settings))
    return 0


def _status(args: argparse.Namespace) -> int:
    from db import cluster

    if not settings.uses_own_cluster:
        from db.engine import check_database

        check_database()
        print("DATABASE_URL 可连接，PostGIS 与表结构就绪")
        return 0
    print(cluster.status(settings))
    return 0 if cluster.is_running(settings) else 1


def _reset(args: argparse.Namespace) -> int:
    from db import cluster

    if not settings.uses_own_cluster:
        raise DatabaseUnavailableError(
            "reset 只用于项目自带的数据库；不会删除 DATABASE_URL 指向的库"
        )
    if not args.yes:
        print(f"将删除 {settings.pgdata} 中的全部数据并重建。确认请加 --yes")
        return 1
    cluster.destroy(settings)
    print("已删除本地数据库")
    return _start(args)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _url(args: argparse.Namespace) -> int:
    """A libpq URL with its credentials, for psql and other tools (``psql "$(lianxin db url)"``)."""
    from core.settings import load_settings

    current = load_settings()
    if args.role == "app":
        url = current.app_database_url
        if args.database and current.uses_own_cluster:
            from core.settings import app_url_for

            url = app_url_for(
                current.database_url.rsplit("/", 1)[0] + f"/{args.database}",
                port=current.pg_port,
                pgdata=current.pgdata,
            )
    else:
        url = current.database_url
        if args.database and current.uses_own_cluster:
            url = url.rsplit("/", 1)[0] + f"/{args.database}"
    if current.uses_own_cluster and ":" not in url.split("//", 1)[1].split("@", 1)[0]:
        raise DatabaseUnavailableError("还没有数据库密码：请先运行 lianxin db start")
    print(_libpq(url))
    return 0


def _rotate(args: argparse.Namespace) -> int:
    from db import cluster

    if not settings.uses_own_cluster:
        raise DatabaseUnavailableError(
            "rotate-passwords 只用于项目自带的数据库；外部服务器的密码请在该服务器上修改"
        )
    path = cluster.rotate_passwords(settings)
    print(f"已为 lianxin 与 lianxin_app 换用新密码，保存在 {path}")
    print("正在运行的应用与测试请重启，以使用新密码")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "db", help="项目自带的 PostGIS 数据库：start|stop|status|reset|migrate|url|rotate-passwords"
    )
    sub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    sub.add_parser("start", help="初始化（首次）并启动数据库，建库、装 PostGIS、迁移").set_defaults(
        handler=_start
    )
    sub.add_parser("stop", help="停止数据库").set_defaults(handler=_stop)
    sub.add_parser("status", help="数据库状态").set_defaults(handler=_status)
    sub.add_parser("migrate", help="把表结构升级到最新").set_defaults(handler=_migrate)
    u = sub.add_parser("url", help="打印带密码的 libpq 连接串（psql、其他工具用）")
    u.add_argument("--role", choices=("owner", "app"), default="owner", help="owner 或 app 角色")
    u.add_argument("--database", help="库名（默认 lianxin；测试库为 lianxin_test）")
    u.set_defaults(handler=_url)
    sub.add_parser(
        "rotate-passwords", help="为 lianxin 与 lianxin_app 生成新密码并写入凭据文件"
    ).set_defaults(handler=_rotate)
    r = sub.add_parser("reset", help="删除本地数据库并重建（不可恢复）")
    r.add_argument("--yes", action="store_true", help="确认删除")
    r.set_defaults(handler=_reset)
