"""Decoding the text files offices send: CSV rosters, hotline exports, calendars, address lists.

Excel on a Chinese Windows saves "CSV" in the ANSI code page, GBK; newer Excel and WPS offer
"CSV UTF-8", with a byte-order mark. GB18030 is the national standard superset of GBK (and of
GB2312): it also has the rare characters of people's and places' names that GBK lacks (䶮, 𠮷),
so it is the one legacy codec tried, everywhere. UTF-8 goes first: GB18030 would accept most
UTF-8 bytes as the wrong characters, while UTF-8 refuses GB bytes.
"""

from __future__ import annotations

from core.errors import InvalidInputError

#: Tried in this order by every reader of office text files.
OFFICE_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gb18030")


def decode_office_text(data: bytes, *, where: str) -> str:
    """``data`` as text: UTF-8 (with or without BOM), else GB18030; a clear error otherwise.

    >>> decode_office_text("兴安路".encode("gbk"), where="花名册.csv")
    '兴安路'
    """
    for encoding in OFFICE_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInputError(
        f"{where}：无法识别文件编码，支持 UTF-8 与 GBK/GB18030；"
        "请在 Excel 中“另存为 → CSV UTF-8（逗号分隔）”后重试"
    )
