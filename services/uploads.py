"""Checks at the edges: uploaded files and free-text search fields.

Everything here refuses with an :class:`~core.errors.InvalidInputError` whose message says
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

import hashlib
import io
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO, Protocol

from core.errors import InvalidInputError
from core.text_files import OFFICE_ENCODINGS

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
    ".json": "GeoJSON",
}
GIS_LAYERS = (".geojson", ".json", ".gpkg", ".zip")  # the planner's streets and boundaries


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
    if ext in (".csv", ".geojson", ".json"):
        if b"\x00" in head:
            return False
        text = None
        for encoding in OFFICE_ENCODINGS:
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
        if ext in (".geojson", ".json"):
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


# --- case attachments -----------------------------------------------------------------------

IMAGE_TYPES = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".gif": "GIF", ".webp": "WEBP"}
OFFICE_ZIP = {".docx": "word/", ".xlsx": "xl/", ".pptx": "ppt/"}
OFFICE_OLE2 = (".doc", ".xls", ".ppt")
ATTACHMENT_TYPES = (*IMAGE_TYPES, ".pdf", *OFFICE_ZIP, *OFFICE_OLE2)
_MIME = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
}
MAX_IMAGE_PIXELS = 50_000_000  # a 50-megapixel photo; a decompression bomb is far larger


@dataclass(frozen=True)
class CheckedFile:
    """An attachment as it is stored: content (photos without EXIF), its type from the content,
    and the SHA-256 of the stored bytes, kept as evidence that the file was not changed."""

    file_name: str
    content: bytes
    content_type: str
    sha256: str


def _strip_image(name: str, content: bytes, kind: str) -> bytes:
    """The photo re-encoded by Pillow without its metadata (EXIF: GPS position, device, time).

    Pillow is the imaging library the Python world trusts for this; re-saving the pixels is the
    only sure way to drop every metadata block (EXIF, XMP, maker notes, PNG text chunks).
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as im:
            if im.format != kind:
                raise InvalidInputError(
                    f"{name}：文件内容是 {im.format} 图片，与扩展名不符，请改正扩展名后再上传"
                )
            if im.width * im.height > MAX_IMAGE_PIXELS:
                raise InvalidInputError(
                    f"{name}：图片 {im.width}×{im.height} 像素过大（最多 5,000 万像素）"
                )
            if kind == "GIF" and getattr(im, "n_frames", 1) > 1:
                im.seek(0)  # an animated GIF keeps its first frame
            upright = ImageOps.exif_transpose(im)  # keep the photo the right way up
            # Only the pixels cross over: frombytes carries no info, EXIF, XMP or ICC block.
            clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
            if "P" in upright.mode and upright.getpalette():
                clean.putpalette(upright.getpalette() or [])
            out = io.BytesIO()
            params: dict[str, object] = {"quality": 90} if kind in ("JPEG", "WEBP") else {}
            clean.save(out, format=kind, **params)
            return out.getvalue()
    except InvalidInputError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInputError(f"{name}：图片已损坏或不是图片，无法打开") from exc


def check_attachment(name: str, data: bytes | IO[bytes] | _Sized) -> CheckedFile:
    """An attachment fit to keep: an image, a PDF or an Office document, checked by content.

    Refuses anything else (``.exe``, ``.html``, a script renamed ``.jpg``); strips photos'
    EXIF; a .docx/.xlsx/.pptx goes through the same zip-bomb check as rosters.

    Examples
    --------
    >>> check_attachment("说明.pdf", b"%PDF-1.4 %%EOF").content_type
    'application/pdf'
    """
    label = f"附件 {os.path.basename(name or '')}"
    ext = check_file_name(name, allowed=ATTACHMENT_TYPES)
    base = os.path.basename(name.replace("\\", "/")).strip()
    size = _size_of(data)
    if size > MAX_UPLOAD_BYTES:
        raise InvalidInputError(
            f"{label}：大小 {_fmt_mb(size)}，超过上限 {_fmt_mb(MAX_UPLOAD_BYTES)}"
        )
    if size == 0:
        raise InvalidInputError(f"{label}：文件是空的")
    content = _read(data)
    head = content[:8192]
    wrong = InvalidInputError(
        f"{label}：文件内容与扩展名 {ext} 不符{_what_it_is(head)}。"
        "附件只接受照片（jpg/png/gif/webp）、PDF 和 Office 文档"
    )
    if ext in IMAGE_TYPES:
        content = _strip_image(label, content, IMAGE_TYPES[ext])
        mime = _MIME[IMAGE_TYPES[ext]]
    elif ext == ".pdf":
        if not head.startswith(b"%PDF-"):
            raise wrong
        mime = _MIME[ext]
    elif ext in OFFICE_ZIP:
        if not head.startswith(_ZIP):
            raise wrong
        check_archive(content, name=label)
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
        if "[Content_Types].xml" not in names or not any(
            n.startswith(OFFICE_ZIP[ext]) for n in names
        ):
            raise wrong
        mime = _MIME[ext]
    else:  # .doc/.xls/.ppt: the OLE2 compound file signature
        if not head.startswith(_OLE2):
            raise wrong
        mime = _MIME[ext]
    return CheckedFile(
        file_name=base,
        content=content,
        content_type=mime,
        sha256=hashlib.sha256(content).hexdigest(),
    )


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
