"""Lifecycle of the project's own PostGIS cluster (``lianxin db start|stop|status|reset``).

The cluster lives in ``.pgdata/`` on a private port (54329 unless LIANXIN_PG_PORT says otherwise)
and listens on 127.0.0.1 only. No login is trusted (``pg_hba.conf``, written by
:func:`configure_auth`):

- over TCP, ``lianxin`` (owner) and ``lianxin_app`` (the pages' restricted role) log in with
  scram-sha-256 passwords that ``start`` generates once and keeps in
  ``<data directory>/lianxin-credentials.json`` (0600; core/dbcredentials.py);
- the superuser ``postgres`` cannot log in over TCP at all; it administers the cluster through
  the Unix socket in the data directory (mode 0700), by peer authentication of the OS user
  that runs the server;
- a cluster made by an older lianxin (trust on 127.0.0.1) is upgraded in place by ``start``.

It is a developer's and a demo's database; point DATABASE_URL at a production server.

``initdb`` and ``pg_ctl`` refuse to run as root, so when we are root they run as the
``postgres`` system user (``runuser -u postgres --``) on a directory that user owns.
Every failure a user can meet (busy port, stale postmaster.pid, missing PostGIS, unreachable
server) becomes a :class:`DatabaseUnavailableError` with one line saying how to fix it.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

from core import dbcredentials
from core.errors import DatabaseUnavailableError
from core.settings import Settings

HBA_MARKER = "# lianxin: passwords (scram-sha-256) over TCP, no superuser over TCP"
IDENT_MAP = "lianxin_admin"

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


def _run(
    cmd: list[str], *, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        _as_postgres(cmd), capture_output=True, text=True, check=False, input=stdin
    )
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
            # Socket for the server's OS user only, nothing over TCP until configure_auth.
            "--auth-local=peer",
            "--auth-host=reject",
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


def _server_os_user() -> str:
    """The OS user that runs the server (and may administer it through the socket)."""
    if os.geteuid() == 0:
        return "postgres"
    return pwd.getpwuid(os.geteuid()).pw_name


def hba_text() -> str:
    return (
        f"{HBA_MARKER}\n"
        "# TYPE  DATABASE  USER      ADDRESS        METHOD\n"
        f"local   all       postgres                 peer map={IDENT_MAP}\n"
        "local   all       all                      scram-sha-256\n"
        "host    all       postgres  127.0.0.1/32   reject\n"
        "host    all       postgres  ::1/128        reject\n"
        "host    all       all       127.0.0.1/32   scram-sha-256\n"
        "host    all       all       ::1/128        scram-sha-256\n"
    )


def _write_owned_like_pgdata(s: Settings, name: str, content: str) -> None:
    path = s.pgdata / name
    path.write_text(content, encoding="utf-8")
    st = s.pgdata.stat()
    if os.geteuid() == 0:
        os.chown(path, st.st_uid, st.st_gid)
    os.chmod(path, 0o600)


def configure_auth(s: Settings) -> bool:
    """Write pg_hba.conf/pg_ident.conf unless they are already ours; True when changed."""
    hba = s.pgdata / "pg_hba.conf"
    try:
        current = hba.read_text(encoding="utf-8")
    except OSError:
        current = ""
    if current == hba_text():
        return False
    _write_owned_like_pgdata(s, "pg_hba.conf", hba_text())
    _write_owned_like_pgdata(
        s,
        "pg_ident.conf",
        "# lianxin: the OS user running the server administers it as postgres (socket only)\n"
        f"{IDENT_MAP}   {_server_os_user()}   postgres\n",
    )
    return True


def _new_password() -> str:
    return secrets.token_urlsafe(24)


def _set_passwords(s: Settings, passwords: dict[str, str]) -> None:
    """Create the two login roles if needed and give them ``passwords`` (one transaction).

    The SQL goes through psql's standard input, so no password shows in a process list.
    """
    statements = ["SET password_encryption = 'scram-sha-256';", "BEGIN;"]
    for role in dbcredentials.ROLES:
        pw = passwords[role]
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,}", pw):
            raise DatabaseUnavailableError(
                f"{dbcredentials.credentials_path(s.pgdata)} 中的密码格式不对"
            )
        attrs = (
            "LOGIN CREATEROLE"
            if role == dbcredentials.OWNER_ROLE
            else "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
        )
        statements.append(
            f"SELECT 'CREATE ROLE {role} {attrs}' WHERE NOT EXISTS "
            f"(SELECT 1 FROM pg_roles WHERE rolname = '{role}') \\gexec"
        )
        statements.append(f"ALTER ROLE {role} PASSWORD '{pw}';")
    statements.append("COMMIT;")
    _run(
        [
            str(pg_bin() / "psql"),
            "-h",
            str(s.socket_dir),
            "-p",
            str(s.pg_port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-tAq",
            "-v",
            "ON_ERROR_STOP=1",
        ],
        stdin="\n".join(statements) + "\n",
    )


def ensure_passwords(s: Settings) -> bool:
    """Generate the credentials file on first use, and (re)apply its passwords to the roles.

    True when the file was created now."""
    passwords = dbcredentials.read_credentials(s.pgdata)
    created = set(passwords) != set(dbcredentials.ROLES)
    if created:
        passwords = {r: passwords.get(r) or _new_password() for r in dbcredentials.ROLES}
        dbcredentials.write_credentials(s.pgdata, passwords)
    _set_passwords(s, passwords)
    return created


def rotate_passwords(s: Settings) -> str:
    """New passwords for both roles: the file is rewritten only once the roles have them."""
    if not is_running(s):
        raise DatabaseUnavailableError("数据库未在运行：请先运行 lianxin db start")
    passwords = {r: _new_password() for r in dbcredentials.ROLES}
    _set_passwords(s, passwords)
    dbcredentials.write_credentials(s.pgdata, passwords)
    return str(dbcredentials.credentials_path(s.pgdata))


def _reload(s: Settings) -> None:
    _run([str(pg_bin() / "pg_ctl"), "-D", str(s.pgdata), "-w", "reload"])


def start(s: Settings) -> list[str]:
    """Start (initialising on first use) the project's cluster; return what was done."""
    notes: list[str] = []
    bin_dir = pg_bin()
    if not _postgis_installed(bin_dir):
        raise DatabaseUnavailableError(f"PostgreSQL 已安装但缺少 PostGIS 扩展。请安装：{APT_HINT}")
    if not (s.pgdata / "PG_VERSION").exists():
        _init_cluster(s, bin_dir)
        notes.append(f"已在 {s.pgdata} 初始化数据库集群")
    auth_changed = configure_auth(s)
    if auth_changed:
        notes.append("已启用密码登录（scram-sha-256），postgres 超级用户不能经 TCP 登录")
    if is_running(s):
        if auth_changed:
            _reload(s)
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
    if ensure_passwords(s):
        notes.append(
            f"已生成数据库密码，保存在 {dbcredentials.credentials_path(s.pgdata)}（仅本用户可读）"
        )
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
