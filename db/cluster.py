"""Lifecycle of the project's own PostGIS cluster (``lianxin db start|stop|status|reset``).

The cluster lives in ``.pgdata/`` on a private port (54329 unless LIANXIN_PG_PORT says otherwise),
listens on 127.0.0.1 only, and trusts local connections: it is a developer's and a demo's
database, not a production server (point DATABASE_URL at one for that).

``initdb`` and ``pg_ctl`` refuse to run as root, so when we are root they run as the
``postgres`` system user (``runuser -u postgres --``) on a directory that user owns.
Every failure a user can meet (busy port, stale postmaster.pid, missing PostGIS, unreachable
server) becomes a :class:`DatabaseUnavailableError` with one line saying how to fix it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

from lianxin.errors import DatabaseUnavailableError
from lianxin.settings import Settings

PG_BIN_CANDIDATES = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin")
APT_HINT = "sudo apt-get install -y postgresql-15-postgis-3（或运行 make run，它会自动安装）"


def pg_bin() -> Path:
    for candidate in PG_BIN_CANDIDATES:
        if (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    raise DatabaseUnavailableError(f"找不到 PostgreSQL 15 服务器程序（pg_ctl）。请安装：{APT_HINT}")


def _postgis_installed(bin_dir: Path) -> bool:
    share = subprocess.run(
        [str(bin_dir / "pg_config"), "--sharedir"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return bool(share) and Path(share, "extension", "postgis.control").exists()


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _run(cmd: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(_as_postgres(cmd), capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise DatabaseUnavailableError(
            f"{Path(cmd[0]).name} 失败：{detail[-1] if detail else proc.returncode}"
        )
    return proc


def _port_busy(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_running(s: Settings) -> bool:
    pidfile = s.pgdata / "postmaster.pid"
    if not pidfile.exists():
        return False
    try:
        pid = int(pidfile.read_text().splitlines()[0])
    except (ValueError, IndexError, OSError):
        return False
    return _pid_alive(pid)


def _clear_stale_pid(s: Settings) -> str | None:
    pidfile = s.pgdata / "postmaster.pid"
    if pidfile.exists() and not is_running(s):
        pidfile.unlink()
        return "已删除过期的 postmaster.pid（上次数据库未正常关闭）"
    return None


def _init_cluster(s: Settings, bin_dir: Path) -> None:
    s.pgdata.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        try:
            pg = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise DatabaseUnavailableError(
                f"系统中没有 postgres 用户，无法以非 root 身份运行 initdb。请安装：{APT_HINT}"
            ) from exc
        os.chown(s.pgdata, pg.pw_uid, pg.pw_gid)
        os.chmod(s.pgdata, 0o700)
        probe = subprocess.run(
            ["runuser", "-u", "postgres", "--", "test", "-w", str(s.pgdata)], check=False
        )
        if probe.returncode != 0:
            raise DatabaseUnavailableError(
                f"postgres 用户无法写入 {s.pgdata}（上级目录不可访问）。"
                "请把项目放在所有用户可进入的目录，或设置 LIANXIN_PGDATA=/var/tmp/lianxin-pgdata"
            )
    _run(
        [
            str(bin_dir / "initdb"),
            "-D",
            str(s.pgdata),
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--auth=trust",
            "--username=postgres",
        ]
    )
    with open(s.pgdata / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write(
            "\n# lianxin: private, loopback-only development cluster\n"
            f"port = {s.pg_port}\n"
            "listen_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{s.pgdata}'\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            "shared_buffers = 256MB\nwork_mem = 32MB\nmaintenance_work_mem = 256MB\n"
            "max_connections = 60\n"
        )


def start(s: Settings) -> list[str]:
    """Start (initialising on first use) the project's cluster; return what was done."""
    notes: list[str] = []
    bin_dir = pg_bin()
    if not _postgis_installed(bin_dir):
        raise DatabaseUnavailableError(f"PostgreSQL 已安装但缺少 PostGIS 扩展。请安装：{APT_HINT}")
    if not (s.pgdata / "PG_VERSION").exists():
        _init_cluster(s, bin_dir)
        notes.append(f"已在 {s.pgdata} 初始化数据库集群")
    if is_running(s):
        notes.append(f"数据库已在运行（端口 {s.pg_port}）")
    else:
        stale = _clear_stale_pid(s)
        if stale:
            notes.append(stale)
        if _port_busy(s.pg_port):
            raise DatabaseUnavailableError(
                f"端口 {s.pg_port} 已被其他程序占用。请停止它，或换一个端口：LIANXIN_PG_PORT=54339 make run"
            )
        _run(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(s.pgdata),
                "-l",
                str(s.pgdata / "server.log"),
                "-o",
                f"-p {s.pg_port}",
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
        notes.append(f"数据库已启动（127.0.0.1:{s.pg_port}）")
    _wait_ready(s)
    for db in ("lianxin", "lianxin_test"):
        if _ensure_database(s, db):
            notes.append(f"已创建数据库 {db}（含 PostGIS 扩展）")
    return notes


def _psql(s: Settings, sql: str, *, db: str = "postgres") -> str:
    bin_dir = pg_bin()
    proc = _run(
        [
            str(bin_dir / "psql"),
            "-h",
            str(s.socket_dir),
            "-p",
            str(s.pg_port),
            "-U",
            "postgres",
            "-d",
            db,
            "-tAq",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ]
    )
    return proc.stdout.strip()


def _wait_ready(s: Settings, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            _psql(s, "SELECT 1")
            return
        except DatabaseUnavailableError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def _ensure_database(s: Settings, db: str) -> bool:
    if not _psql(s, "SELECT 1 FROM pg_roles WHERE rolname='lianxin'"):
        # The owner role: creates the schema and runs migrations. The app's restricted role
        # (no BYPASSRLS) is created by the migrations that add row-level security.
        _psql(s, "CREATE ROLE lianxin LOGIN CREATEROLE")
    created = False
    if not _psql(s, f"SELECT 1 FROM pg_database WHERE datname='{db}'"):
        _psql(s, f"CREATE DATABASE {db} OWNER lianxin")
        created = True
    _psql(s, "CREATE EXTENSION IF NOT EXISTS postgis", db=db)
    return created


def stop(s: Settings) -> str:
    if not is_running(s):
        _clear_stale_pid(s)
        return "数据库未在运行"
    _run([str(pg_bin() / "pg_ctl"), "-D", str(s.pgdata), "-m", "fast", "-w", "stop"])
    return "数据库已停止"


def status(s: Settings) -> str:
    if not (s.pgdata / "PG_VERSION").exists():
        return f"尚未初始化（{s.pgdata}）。运行 lianxin db start"
    if is_running(s):
        return f"运行中：127.0.0.1:{s.pg_port}，数据目录 {s.pgdata}"
    return f"已停止：数据目录 {s.pgdata}。运行 lianxin db start"


def destroy(s: Settings) -> None:
    """Stop the cluster and delete its data directory (``lianxin db reset``)."""
    if is_running(s):
        stop(s)
    if s.pgdata.exists():
        shutil.rmtree(s.pgdata)


def copy_database(s: Settings, *, source: str, target: str) -> None:
    """Replace ``target`` with a copy of ``source`` (PostgreSQL's template copy, seconds even
    for the demo town). For benchmarks that change data: the copy takes the changes."""
    for name in (source, target):
        if not name.replace("_", "").isalnum():
            raise DatabaseUnavailableError(f"数据库名 {name!r} 无效：只能含字母、数字和下划线")
    _psql(
        s,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname IN ('{source}', '{target}') AND pid <> pg_backend_pid()",
    )
    _psql(s, f"DROP DATABASE IF EXISTS {target}")
    _psql(s, f"CREATE DATABASE {target} TEMPLATE {source} OWNER lianxin")
