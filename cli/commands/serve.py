"""``lianxin serve`` — N Streamlit workers behind HAProxy on one port (see cli/serving.py)."""

from __future__ import annotations

import argparse
import os

from core.settings import settings


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve",
        help="启动网页服务：多个 Streamlit 进程 + HAProxy（粘性会话），统一端口",
        description="启动网页服务：多个 Streamlit 进程在本机回环端口上，由 HAProxy 统一对外提供服务。",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("LIANXIN_WORKERS") or os.cpu_count() or 1),
        help="Streamlit 进程数（默认：CPU 核数，或环境变量 LIANXIN_WORKERS）",
    )
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8501))
    p.add_argument(
        "--bind",
        default=os.environ.get("LIANXIN_BIND", "0.0.0.0"),
        help="对外监听地址（默认 0.0.0.0：本机与内网其他电脑均可访问）",
    )
    p.add_argument(
        "--first-worker-port",
        type=int,
        default=int(os.environ.get("LIANXIN_WORKER_PORT") or 8511),
        help="第一个 Streamlit 进程的回环端口，其余依次加一（默认 8511）",
    )
    p.add_argument(
        "--api-port",
        type=int,
        default=int(os.environ.get("API_PORT") or 0),
        help="同时启动 Open311 接口服务的端口（0 表示不启动）",
    )
    p.add_argument(
        "--refresh-every",
        type=int,
        default=60,
        metavar="SECONDS",
        help="后台刷新驾驶舱月度汇总的间隔秒数（0 表示不刷新）",
    )
    p.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    from cli.serving import serve

    return serve(
        root=settings.root,
        workers=args.workers,
        port=args.port,
        bind=args.bind,
        first_worker_port=args.first_worker_port,
        api_port=args.api_port or None,
        refresh_every_s=args.refresh_every,
        run_dir=settings.root / ".run",
    )
