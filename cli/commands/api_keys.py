"""``lianxin api-keys add|list|revoke`` — keys of client systems on the Open311 API.

The key is printed once at ``add``; only its SHA-256 is stored. Every change is an audit row
(action ``permission_change``, target ``api_key:<name>``) under ``cli:<OS user>``.
"""

from __future__ import annotations

import argparse

from cli.commands.users import operator_name


def _add(args: argparse.Namespace) -> int:
    from services.api_keys import add_key
    from services.sessions import check_database, owner

    check_database()
    with owner() as s:
        new = add_key(
            args.name,
            session=s,
            role=args.role,
            channel=args.channel,
            rate_per_minute=args.rate,
            display_name=args.display_name,
            by=operator_name(),
        )
    print(
        f"已创建接口密钥 {new.name}（账号 {new.username}，角色 {new.role}，渠道 {new.channel}，"
        f"每分钟 {new.rate_per_minute:,} 次）"
    )
    print(f"密钥：{new.key}")
    print("（只显示这一次：数据库只保存它的 SHA-256。请转交对接系统，遗失后吊销并重新发放）")
    return 0


def _list(args: argparse.Namespace) -> int:
    import pandas as pd

    from services.api_keys import list_keys
    from services.sessions import check_database, owner

    check_database()
    with owner() as s:
        keys = list_keys(session=s)
    if keys.empty:
        print("还没有接口密钥：lianxin api-keys add 名称 --role clerk --channel hotline")
        return 0
    for row in keys.to_dict("records"):
        state = (
            f"已吊销 {row['revoked_at']:%Y-%m-%d %H:%M}"
            if not pd.isna(row["revoked_at"])
            else "有效"
        )
        seen = (
            f"最近使用 {row['last_seen_at']:%Y-%m-%d %H:%M}"
            if not pd.isna(row["last_seen_at"])
            else ""
        )
        print(
            f"{row['name']:<20} {row['key_prefix']}…  {row['role']:<7} {row['channel']:<9} "
            f"{int(row['rate_per_minute']):>6,}/分钟  创建 {row['created_at']:%Y-%m-%d}  "
            f"{state} {seen}".rstrip()
        )
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from services.api_keys import revoke_key
    from services.sessions import check_database, owner

    check_database()
    with owner() as s:
        revoke_key(args.name, session=s, by=operator_name())
    print(f"已吊销接口密钥 {args.name}：立即失效")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("api-keys", help="Open311 接口密钥（新增、列表、吊销）")
    sub = parser.add_subparsers(dest="api_keys_command", metavar="ACTION", required=True)

    add = sub.add_parser("add", help="为一个对接系统发放密钥（只显示一次）")
    add.add_argument("name", help="密钥名称，如 hotline-12345、city-platform")
    add.add_argument(
        "--role",
        default="clerk",
        choices=("clerk", "leader"),
        help="clerk：可提交并查询诉求；leader：只查询（默认 clerk）",
    )
    add.add_argument(
        "--channel",
        default="hotline",
        choices=("hotline", "platform"),
        help="诉求的受理渠道：hotline（12345热线）或 platform（城市运管服平台）",
    )
    add.add_argument("--rate", type=int, default=600, help="每分钟最多调用次数（默认 600）")
    add.add_argument("--display-name", help="账号显示名（默认“接口：名称”）")
    add.set_defaults(handler=_add)

    lst = sub.add_parser("list", help="列出密钥（不显示密钥本身）")
    lst.set_defaults(handler=_list)

    rev = sub.add_parser("revoke", help="吊销密钥，立即失效")
    rev.add_argument("name")
    rev.set_defaults(handler=_revoke)
