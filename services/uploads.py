"""Checks at the edges: uploaded files and free-text search fields.

Everything here refuses with an :class:`~lianxin.errors.InvalidInputError` whose message says
what is wrong and what is allowed, *before* anything is parsed or written:

- size first (from the upload's declared size, without reading 200 MB into memory);
- the extension must be one we accept, and the first bytes must match it (a renamed
  ``.exe`` or PDF is not a spreadsheet);
- an archive (``.xlsx`` is a zip) must not expand past a cap, absolutely or by ratio
  (a zip bomb): the central directory's declared sizes are checked before any inflation.
  Python's ``zipfile`` never inflates more than the declared size of a member (it fails
  the CRC instead), so the declared sizes are an honest upper bound for what readers load;
- search text is short, one line, and only characters a name or an address needs, so SQL
  and HTML never reach a query or a page (queries are parameterised anyway).
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
import zipfile
from typing import IO, Protocol

from lianxin.errors import InvalidInputError

MB = 1024 * 1024
MAX_UPLOAD_BYTES = 20 * MB
MAX_UNCOMPRESSED_BYTES = 200 * MB
MAX_RATIO = 100  # declared uncompressed ÷ compressed; real spreadsheets stay under ~20
MAX_MEMBERS = 10_000
ALLOWED = (".xlsx", ".xls", ".csv", ".zip", ".gpkg", ".geojson")
TABLES = (".xlsx", ".xls", ".csv")  # rosters, hotline exports, address lists
CLI_MAX_BYTES = 100 * MB  # a file given to the CLI by an operator (the page's limit is 20 MB)
MAX_NAME_LENGTH = 200

_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SQLITE = b"SQLite format 3\x00"
_KNOWN_BINARIES = {
    b"MZ": "Windows 可执行文件",
    b"\x7fELF": "Linux 可执行文件",
    b"%PDF": "PDF 文档",
    b"\x89PNG": "PNG 图片",
    b"\xff\xd8\xff": "JPEG 图片",
    b"Rar!": "RAR 压缩包",
    b"7z\xbc\xaf": "7z 压缩包",
    b"\x1f\x8b": "gzip 压缩包",
}
_KIND_NAMES = {
    ".xlsx": "Excel（.xlsx）",
    ".xls": "Excel 97-2003（.xls）",
    ".csv": "CSV 文本",
    ".zip": "zip 压缩包",
    ".gpkg": "GeoPackage",
    ".geojson": "GeoJSON",
}


class _Sized(Protocol):
    size: int

    def read(self, n: int = -1) -> bytes: ...


def _fmt_mb(n: int) -> str:
    return f"{n / MB:,.1f} MB"


def _size_of(data: bytes | IO[bytes] | _Sized) -> int:
    """The upload's size without reading it (Streamlit's UploadedFile has ``.size``)."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return len(data)
    size = getattr(data, "size", None)
    if isinstance(size, int):
        return size
    stream = data
    pos = stream.tell()  # type: ignore[union-attr]
    end = stream.seek(0, os.SEEK_END)  # type: ignore[union-attr]
    stream.seek(pos)  # type: ignore[union-attr]
    return int(end) - int(pos)


def _read(data: bytes | IO[bytes] | _Sized) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    if hasattr(data, "getvalue"):
        return bytes(data.getvalue())
    if hasattr(data, "seek"):
        data.seek(0)
    return bytes(data.read())


def check_file_name(name: str, *, allowed: tuple[str, ...] = ALLOWED) -> str:
    """The file's extension (lower case) if the name is acceptable."""
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    if not base:
        raise InvalidInputError("文件名为空")
    if len(base) > MAX_NAME_LENGTH:
        raise InvalidInputError(f"文件名过长（{len(base)} 个字符，最多 {MAX_NAME_LENGTH}）")
    if any(unicodedata.category(c) == "Cc" for c in base):
        raise InvalidInputError("文件名含有控制字符，请重命名后再上传")
    ext = os.path.splitext(base)[1].lower()
    if ext not in allowed:
        kinds = "、".join(allowed)
        raise InvalidInputError(f"{base}：不支持的文件类型 {ext or '（无扩展名）'}：只接受 {kinds}")
    return ext


def _content_matches(ext: str, head: bytes) -> bool:
    if ext in (".xlsx", ".zip"):
        return head.startswith(_ZIP)
    if ext == ".xls":
        return head.startswith(_OLE2)
    if ext == ".gpkg":
        return head.startswith(_SQLITE)
    if ext in (".csv", ".geojson"):
        if b"\x00" in head:
            return False
        text = None
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = head.decode(encoding)
                break
            except UnicodeDecodeError:
                # the head may end in the middle of a multi-byte character
                try:
                    text = head[:-3].decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
        if text is None:
            return False
        if ext == ".geojson":
            return text.lstrip().startswith("{")
        return True
    return False


def _what_it_is(head: bytes) -> str:
    for magic, name in _KNOWN_BINARIES.items():
        if head.startswith(magic):
            return f"，看起来是{name}"
    return ""


def check_archive(
    data: bytes,
    *,
    name: str,
    max_uncompressed_bytes: int = MAX_UNCOMPRESSED_BYTES,
    max_ratio: int = MAX_RATIO,
    require_xlsx: bool = False,
) -> None:
    """Refuse a zip (or .xlsx) that would expand too far, from its central directory only."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InvalidInputError(f"{name}：压缩结构已损坏，无法读取（{exc}）") from exc
    if len(members) > MAX_MEMBERS:
        raise InvalidInputError(
            f"{name}：压缩包内文件过多（{len(members):,} 个，最多 {MAX_MEMBERS:,}）"
        )
    total = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members)
    if total > max_uncompressed_bytes:
        raise InvalidInputError(
            f"{name}：解压后共 {_fmt_mb(total)}，超过上限 {_fmt_mb(max_uncompressed_bytes)}"
            "（疑似压缩炸弹），已拒绝"
        )
    if total > 1 * MB and total > max_ratio * max(packed, 1):
        raise InvalidInputError(
            f"{name}：压缩比异常（{total / max(packed, 1):,.0f} 倍，正常表格不超过 {max_ratio} 倍，"
            "疑似压缩炸弹），已拒绝"
        )
    for m in members:
        if m.filename.startswith(("/", "\\")) or ".." in m.filename.replace("\\", "/").split("/"):
            raise InvalidInputError(f"{name}：压缩包内有不安全的路径 {m.filename!r}，已拒绝")
    if require_xlsx:
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
            raise InvalidInputError(
                f"{name}：不是 Excel 工作簿（.xlsx 内缺少 xl/ 部分）。请在 Excel 中另存为 .xlsx 后再上传"
            )


def check_upload(
    name: str,
    data: bytes | IO[bytes] | _Sized,
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
    allowed: tuple[str, ...] = ALLOWED,
    max_uncompressed_bytes: int = MAX_UNCOMPRESSED_BYTES,
) -> bytes:
    """Return the upload's bytes if it is acceptable; raise InvalidInputError otherwise.

    Examples
    --------
    >>> check_upload("名单.csv", "姓名,电话\\n张三,13800000000\\n".encode())[:6].decode()
    '姓名'
    """
    ext = check_file_name(name, allowed=allowed)
    size = _size_of(data)
    if size > max_bytes:
        raise InvalidInputError(
            f"{name}：文件大小 {_fmt_mb(size)}，超过上限 {_fmt_mb(max_bytes)}。"
            "请拆分后分批上传，或只保留需要的列"
        )
    if size == 0:
        raise InvalidInputError(f"{name}：文件是空的")
    content = _read(data)
    if len(content) > max_bytes:  # the declared size lied
        raise InvalidInputError(f"{name}：文件大小超过上限 {_fmt_mb(max_bytes)}")
    head = content[:8192]
    if not _content_matches(ext, head):
        raise InvalidInputError(
            f"{name}：文件内容不是{_KIND_NAMES.get(ext, ext)}{_what_it_is(head)}。"
            "请上传真正的该类型文件（不要只改扩展名）"
        )
    if ext in (".xlsx", ".zip"):
        check_archive(
            content,
            name=name,
            max_uncompressed_bytes=max_uncompressed_bytes,
            require_xlsx=ext == ".xlsx",
        )
    return content


def check_path(
    path: str | os.PathLike[str],
    *,
    allowed: tuple[str, ...] = ALLOWED,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_uncompressed_bytes: int = MAX_UNCOMPRESSED_BYTES,
) -> bytes:
    """:func:`check_upload` for a file on disk (the CLI): the same checks, the size taken from
    the file system before a byte is read."""
    p = os.fspath(path)
    name = os.path.basename(p)
    check_file_name(name, allowed=allowed)
    try:
        size = os.stat(p).st_size
        if size > max_bytes:
            raise InvalidInputError(
                f"{name}：文件大小 {_fmt_mb(size)}，超过上限 {_fmt_mb(max_bytes)}。"
                "请拆分后分批导入，或只保留需要的列"
            )
        with open(p, "rb") as f:
            data = f.read(max_bytes + 1)
    except FileNotFoundError as exc:
        raise InvalidInputError(f"找不到文件 {p}") from exc
    except IsADirectoryError as exc:
        raise InvalidInputError(f"{p} 是一个文件夹，不是文件") from exc
    except OSError as exc:
        raise InvalidInputError(f"无法读取 {p}（{exc.strerror or exc}）") from exc
    return check_upload(
        name,
        data,
        allowed=allowed,
        max_bytes=max_bytes,
        max_uncompressed_bytes=max_uncompressed_bytes,
    )


def table_bytes(path: str | os.PathLike[str], data: bytes | None) -> bytes:
    """The bytes of a table (roster, hotline export, address list) after the checks: an upload's
    bytes through :func:`check_upload`, a file on disk through :func:`check_path`. Every reader
    of such tables calls this first, so no path into the system skips it."""
    name = os.path.basename(os.fspath(path))
    if data is not None:
        return check_upload(name, data, allowed=TABLES)
    return check_path(path, allowed=TABLES, max_bytes=CLI_MAX_BYTES)


# --- text fields ----------------------------------------------------------------------------

SEARCH_MAX = 50
# What a name, an address, a case number or a phone needs: CJK, letters, digits, spaces and
# - · # ( ) / and their full-width forms. No quotes, semicolons, angle brackets or wildcards.
_SEARCH_OK = re.compile(r"[\w\s\-·#（）()/、，,.．:：号栋单元室]+")
_SQL_HINT = re.compile(r"(--|/\*|\*/|;|'|\"|\b(select|union|drop|insert|delete|update)\b)", re.I)


def clean_search_text(
    text: str | None, *, max_len: int = SEARCH_MAX, field: str = "搜索内容"
) -> str:
    """Trimmed, NFKC-normalised search text, or InvalidInputError saying what is wrong.

    >>> clean_search_text("  大北街 12号 ")
    '大北街 12号'
    """
    value = unicodedata.normalize("NFKC", text or "").strip()
    if not value:
        return ""
    if len(value) > max_len:
        raise InvalidInputError(f"{field}过长（{len(value)} 个字，最多 {max_len} 个）")
    if "\n" in value or "\r" in value or any(unicodedata.category(c) == "Cc" for c in value):
        raise InvalidInputError(f"{field}只能是一行文字，不能含控制字符")
    if "<" in value or ">" in value:
        raise InvalidInputError(f"{field}不能含有 < 或 >（不接受 HTML）")
    if _SQL_HINT.search(value):
        raise InvalidInputError(
            f"{field}含有不允许的符号或语句（如引号、分号、--）：只能输入姓名、地址、编号或电话"
        )
    bad = sorted({c for c in value if not _SEARCH_OK.fullmatch(c)})
    if bad:
        shown = " ".join(bad[:5])
        raise InvalidInputError(
            f"{field}含有不允许的字符 {shown}：只能输入汉字、字母、数字、空格和 - · # ( ) / :"
        )
    return re.sub(r"\s+", " ", value)


def check_length(value: str | None, *, field: str, max_len: int) -> str:
    """A text value no longer than ``max_len`` characters (the column's width), stripped."""
    text = (value or "").strip()
    if len(text) > max_len:
        raise InvalidInputError(f"{field}过长（{len(text)} 个字，最多 {max_len} 个），未保存")
    return text
