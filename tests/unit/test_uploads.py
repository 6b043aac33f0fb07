"""Bad input at the edges is refused with a clear message before anything is parsed."""

from __future__ import annotations

import io
import zipfile

import pytest

from core.errors import InvalidInputError
from services.uploads import (
    MAX_UPLOAD_BYTES,
    MB,
    check_archive,
    check_length,
    check_upload,
    clean_search_text,
)


def _xlsx(extra: dict[str, bytes] | None = None, *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


def _real_xlsx() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["户主姓名", "身份证号", "电话"])  # type: ignore[union-attr]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class LazyUpload:
    """Looks like Streamlit's UploadedFile of 200 MB without holding 200 MB anywhere."""

    def __init__(self, size: int) -> None:
        self.size = size

    def read(self, n: int = -1) -> bytes:
        raise AssertionError("the size check must come before reading")


def test_a_real_workbook_and_a_csv_pass():
    assert check_upload("名单.xlsx", _real_xlsx())[:2] == b"PK"
    assert check_upload("名单.csv", "姓名,电话\n张三,13800000000\n".encode("gb18030"))


def test_a_200_mb_file_is_refused_by_its_size_without_being_read():
    with pytest.raises(InvalidInputError, match=r"200\.0 MB，超过上限 20\.0 MB"):
        check_upload("大名单.xlsx", LazyUpload(200 * MB))


def test_a_stream_is_measured_not_read():
    stream = io.BytesIO(b"x" * (MAX_UPLOAD_BYTES + 1))
    with pytest.raises(InvalidInputError, match="超过上限"):
        check_upload("a.csv", stream)


@pytest.mark.parametrize(
    ("name", "data", "what"),
    [
        ("名单.xlsx", b"MZ\x90\x00" + b"\x00" * 200, "Windows 可执行文件"),
        ("名单.xlsx", b"%PDF-1.7\n" + b"0" * 100, "PDF"),
        ("名单.xls", b"PK\x03\x04" + b"\x00" * 100, ""),
        ("名单.csv", b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "Linux"),
        ("街道.gpkg", b"{}", ""),
        ("街道.geojson", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "PNG"),
    ],
)
def test_a_renamed_binary_is_refused(name, data, what):
    with pytest.raises(InvalidInputError, match="文件内容不是") as err:
        check_upload(name, data)
    assert what in str(err.value)
    assert "不要只改扩展名" in str(err.value)


def test_a_zip_that_is_not_a_workbook_is_refused_as_xlsx():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(InvalidInputError, match="不是 Excel 工作簿"):
        check_upload("名单.xlsx", buf.getvalue())


def test_a_zip_bomb_posing_as_xlsx_is_refused_before_inflating():
    # 300 MB of zeros deflates to about 300 KB: refused by the declared total size.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\x00" * MB
            for _ in range(300):
                member.write(chunk)
    data = buf.getvalue()
    assert len(data) < MAX_UPLOAD_BYTES
    with pytest.raises(InvalidInputError, match="疑似压缩炸弹"):
        check_upload("名单.xlsx", data)


def test_a_small_bomb_is_caught_by_its_ratio():
    data = _xlsx({"xl/sharedStrings.xml": b"A" * (50 * MB)})
    with pytest.raises(InvalidInputError, match="压缩比异常"):
        check_archive(data, name="名单.xlsx", require_xlsx=True)


def test_path_traversal_in_an_archive_is_refused():
    data = _xlsx({"../../etc/passwd": b"x"})
    with pytest.raises(InvalidInputError, match="不安全的路径"):
        check_upload("shapes.zip", data)


def test_a_corrupt_zip_is_refused():
    with pytest.raises(InvalidInputError, match="压缩结构已损坏"):
        check_upload("名单.xlsx", b"PK\x03\x04" + b"garbage" * 10)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("virus.exe", "不支持的文件类型 .exe"),
        ("名单", "无扩展名"),
        ("a" * 300 + ".csv", "文件名过长"),
        ("名单\x00.csv", "控制字符"),
        ("", "文件名为空"),
    ],
)
def test_bad_file_names_are_refused(name, message):
    with pytest.raises(InvalidInputError, match=message):
        check_upload(name, b"a,b\n")


def test_an_empty_file_is_refused():
    with pytest.raises(InvalidInputError, match="空的"):
        check_upload("a.csv", b"")


@pytest.mark.parametrize(
    "text",
    [
        "张三' OR '1'='1",
        "1; DROP TABLE households",
        "大北街 -- comment",
        "x UNION SELECT id_number FROM residents",
        "/* */",
    ],
)
def test_search_text_carrying_sql_is_refused(text):
    with pytest.raises(InvalidInputError, match="不允许"):
        clean_search_text(text)


@pytest.mark.parametrize(
    "text", ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "张三<b>"]
)
def test_search_text_carrying_html_is_refused(text):
    with pytest.raises(InvalidInputError, match="HTML"):
        clean_search_text(text)


def test_over_long_search_text_is_refused():
    with pytest.raises(InvalidInputError, match="过长（51 个字，最多 50 个）"):
        clean_search_text("张" * 51)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  大北街  12号 ", "大北街 12号"),
        ("ＡＢＣ１２３", "ABC123"),  # full-width typed on a Chinese keyboard
        ("新城街道·东坝社区3栋2单元", "新城街道·东坝社区3栋2单元"),
        ("household:12", "household:12"),
        ("0915-3212345", "0915-3212345"),
        ("", ""),
        (None, ""),
    ],
)
def test_ordinary_search_text_passes(text, expected):
    assert clean_search_text(text) == expected


def test_control_characters_and_newlines_are_refused():
    with pytest.raises(InvalidInputError, match="一行"):
        clean_search_text("张三\n李四")


def test_over_long_values_are_refused_with_the_field_name():
    with pytest.raises(InvalidInputError, match="户主姓名过长（51 个字，最多 50 个），未保存"):
        check_length("王" * 51, field="户主姓名", max_len=50)
    assert check_length(" 王五 ", field="户主姓名", max_len=50) == "王五"
