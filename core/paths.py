"""Output paths the CLI is asked to write, checked before any work is done.

Finding out after a ten-minute import that ``/proc/…`` or a read-only share cannot take the
rejected-rows file would lose the operator's time and leave them a traceback; the check probes
the path the way the write will (create the folder, open for append) and says why not.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from core.errors import InvalidInputError

_WHY = {
    errno.ENOENT: "所在文件夹不存在且无法创建",
    errno.EACCES: "没有写入权限",
    errno.EPERM: "不允许写入",
    errno.EROFS: "只读文件系统",
    errno.ENOSPC: "磁盘已满",
    errno.ENOTDIR: "路径中有一段不是文件夹",
}


def why(exc: OSError) -> str:
    """An OSError's reason in Chinese (the system's own words when it is not a usual one)."""
    return _WHY.get(exc.errno or 0, exc.strerror or type(exc).__name__)


def check_writable(path: str | os.PathLike[str]) -> Path:
    """``path`` if a file can be written there; InvalidInputError naming why not otherwise."""
    p = Path(path)
    if p.is_dir():
        raise InvalidInputError(f"无法写出 {p}：这是一个文件夹，请给出文件名")
    existed = p.exists()
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        with p.open("ab"):
            pass
    except OSError as exc:
        raise InvalidInputError(f"无法写出 {p}（{why(exc)}）：请换一个可写的位置") from exc
    if not existed:
        p.unlink(missing_ok=True)
    return p
