"""``lianxin users add|list|disable|reset-password|grant|unlock|seed-demo`` — accounts (as the owner).

Every change is an audit row (action ``permission_change``) under the name ``cli:<OS user>``.
Passwords are generated (and printed once) unless ``--password-stdin`` gives one.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from core.errors import InvalidInputError
from core.settings import settings

ROLES = ("planner", "leader", "grid_leader", "grid_worker", "clerk", "admin")


def operator_name() -> str:
    """Who ran the command, for the audit log and the 'by' columns: ``cli:<OS user>``."""
    try:
        return f"cli:{getpass.getuser()}"[:50]
    except (KeyError, OSError):
        return "cli"


def _password(args: argparse.Namespace) -> str | None:
    if getattr(args, "password_stdin", False):
        line = sys.stdin.readline().rstrip("\n")
        if not line:
            raise InvalidInputError("标准输入中没有密码")
        return line
    return None


def _add(args: argparse.Namespace) -> int:
    from services import accounts, auth
    from services.sessions import check_database, owner

    check_database()
    given = _password(args)
    with owner() as s:
        password = accounts.create_user(
            args.username,
            session=s,
            role=args.role,
            display_name=args.name,
            password=given,
            staff_no=args.staff_no,
            community_code=args.community,
            by=operator_name(),
        )
    print(f"已创建账号 {args.username}（{auth.ROLE_NAMES[args.role]}）")
    if not given:
        print(f"初始密码：{password}（只显示这一次，请转交本人并提醒修改）")
    return 0


def _list(args: argparse.Namespace) -> int:
    from services.accounts import list_users
    from services.auth import ROLE_NAMES
    from services.sessions import check_database, owner

    check_database()
    with owner() as s:
        users = list_users(session=s)
    if users.empty:
        print("还没有账号：lianxin users add 用户名 --role …")
        return 0
    for row in users.to_dict("records"):
        scope = " · ".join(
            str(x) for x in (row["community_code"], row["cell_code"]) if isinstance(x, str) and x
        )
        state = "启用" if row["active"] else "停用"
        locked = ""
        role = ROLE_NAMES.get(str(row["role"]), str(row["role"]))
        print(
            f"{row['username']:<20} {role:<8} {row['display_name']:<12} "
            f"{scope or '全街道':<28} {state}{locked}"
        )
    return 0


def _disable(args: argparse.Namespace) -> int:
    from services import accounts
    from services.sessions import check_database, owner

    check_database()
    with owner() as s:
        accounts.disable_user(args.username, session=s, by=operator_name())
    print(f"已停用账号 {args.username}，其登录已全部失效")
    return 0


def _reset(args: argparse.Namespace) -> int:
    from services import accounts
    from services.sessions import check_database, owner

    check_database()
    given = _password(args)
    with owner() as s:
        password = accounts.reset_password(
            args.username, session=s, password=given, by=operator_name()
        )
    print(f"已重置 {args.username} 的密码并解除登录限速；其登录已全部失效")
    if not given:
        print(f"新密码：{password}（只显示这一次）")
    return 0


def _unlock(args: argparse.Namespace) -> int:
    from services import accounts
    from services.sessions import check_database, owner

    check_database()
    with owner() as s:
        waiting = accounts.login_backoff(args.username, session=s)
        lifted = accounts.unlock(
            args.username, session=s, client_addr=args.client, by=operator_name()
        )
    if not lifted:
        print(f"{args.username} 没有登录限速，无需解除")
        return 0
    for row in waiting.to_dict("records"):
        if args.client is None or row["client_addr"] == args.client:
            print(f"  {row['client_addr']:<20} 连续错误 {row['failures']} 次")
    print(f"已解除 {args.username} 的登录限速（{lifted} 个来源地址）")
    return 0


def _grant(args: argparse.Namespace) -> int:
    from services import accounts, auth
    from services.sessions import check_database, owner

    check_database()
    with owner() as s:
        accounts.grant(
            args.username,
            session=s,
            role=args.role,
            community_code=args.community,
            staff_no=args.staff_no,
            by=operator_name(),
        )
    print(f"已把 {args.username} 的角色设为 {auth.ROLE_NAMES[args.role]}；其登录已全部失效")
    return 0


def _seed_demo(args: argparse.Namespace) -> int:
    from services import demo_accounts
    from services.sessions import check_database, owner

    if not settings.demo:
        raise InvalidInputError("LIANXIN_DEMO=0：不是示例环境，拒绝创建示例账号（请用 users add）")
    check_database()
    with owner() as s:
        rows = demo_accounts.seed(session=s, by=operator_name())
    print("示例账号（示例数据专用，密码每次运行 make run 重新生成）：")
    for r in rows:
        print(
            f"  {r['role_name']:<8} 用户名 {r['username']:<18} 密码 {r['password']}  {r['scope']}"
        )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "users", help="账号：add | list | disable | reset-password | grant | unlock"
    )
    sub = p.add_subparsers(dest="users_command", metavar="ACTION", required=True)

    a = sub.add_parser("add", help="创建账号（打印一次生成的初始密码）")
    a.add_argument("username")
    a.add_argument("--role", required=True, choices=ROLES)
    a.add_argument("--name", help="显示名（默认取人员表中的姓名）")
    a.add_argument("--staff-no", help="工号：网格长/网格员必填，其网格取自人员表")
    a.add_argument("--community", help="社区编码：窗口工作人员所在社区（中心留空）")
    a.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码")
    a.set_defaults(handler=_add)

    sub.add_parser("list", help="列出账号").set_defaults(handler=_list)

    d = sub.add_parser("disable", help="停用账号（立即登出）")
    d.add_argument("username")
    d.set_defaults(handler=_disable)

    r = sub.add_parser("reset-password", help="重置密码并解除登录限速")
    r.add_argument("username")
    r.add_argument("--password-stdin", action="store_true", help="从标准输入读取新密码")
    r.set_defaults(handler=_reset)

    g = sub.add_parser("grant", help="修改角色与范围（立即登出）")
    g.add_argument("username")
    g.add_argument("--role", required=True, choices=ROLES)
    g.add_argument("--community", help="社区编码（传空字符串表示街道中心）")
    g.add_argument("--staff-no", help="工号")
    g.set_defaults(handler=_grant)

    u = sub.add_parser("unlock", help="解除登录限速（连续输错密码后的等待）")
    u.add_argument("username")
    u.add_argument("--client", help="只解除这个来源地址（默认全部）")
    u.set_defaults(handler=_unlock)

    sd = sub.add_parser("seed-demo", help="示例环境：每个角色一个示例账号，打印密码")
    sd.set_defaults(handler=_seed_demo)
