"""Every upload path checks its file in one place (services.uploads): the 窗口受理 hotline import,
the CLI's import-roster / import-hotline / geocode, and case attachments.

The zip bomb is a real .xlsx of about 400 KB whose one sheet expands to 400 MB, built the way
an attacker would (deflate squeezes a run of one letter 1,000-fold). The photo is a real JPEG with
GPS and camera EXIF written by Pillow.
"""

from __future__ import annotations

import hashlib
import io
import re
import tomllib
import tracemalloc
import zipfile

import pytest
from PIL import Image
from sqlalchemy import text

from cli.main import main
from core.errors import InvalidInputError
from tests.conftest import ROOT
from tests.security.hostile_files import MB, zip_bomb_xlsx


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> tuple[bytes, object]:
    data = zip_bomb_xlsx()
    path = tmp_path_factory.mktemp("bomb") / "12345工单.xlsx"
    path.write_bytes(data)
    return data, path


def test_the_bomb_is_small_and_expands_to_400_mb(bomb):
    data, _ = bomb
    assert len(data) < 1 * MB
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert sum(m.file_size for m in z.infolist()) >= 400 * MB


def test_the_hotline_import_refuses_the_bomb_before_expanding_it(bomb):
    from services.cases.hotline import read_hotline

    data, _ = bomb
    tracemalloc.start()
    try:
        with pytest.raises(InvalidInputError, match="压缩炸弹"):
            read_hotline("12345工单.xlsx", data=data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * MB  # the file's own 0.4 MB and a few copies, never the 400 MB


def test_the_windows_hotline_upload_is_checked_before_import():
    source = (ROOT / "app_pages" / "window.py").read_text(encoding="utf-8")
    hotline = source[source.index("HOTLINE_IMPORT") :]
    called = re.search(r"check_upload[(,]\s*upload\.name, upload\b", hotline)  # call or partial
    assert called and "upload.getvalue()" not in hotline


@pytest.mark.parametrize("command", [["import-roster"], ["import-hotline"], ["geocode"]])
def test_the_cli_refuses_the_bomb_with_exit_2(bomb, tmp_path, capsys, command):
    _, path = bomb
    args = [*command, str(path)]
    if command == ["geocode"]:
        args += ["-o", str(tmp_path / "o.csv")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "压缩炸弹" in err, err


def test_the_cli_refuses_a_renamed_executable_as_a_roster(tmp_path, capsys):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(b"MZ\x90\x00" + b"\x00" * 100)
    assert main(["import-roster", str(path)]) == 2
    assert "Windows 可执行文件" in capsys.readouterr().err


# --- attachments ------------------------------------------------------------------------------


def _photo_with_gps() -> bytes:
    im = Image.new("RGB", (320, 240), (180, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make
    exif[0x0110] = "EOS 5D Mark IV"  # Model
    exif[0x8825] = {1: "N", 2: (32.0, 41.0, 6.0), 3: "E", 4: (109.0, 1.0, 48.0)}  # GPS IFD
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def _intake(session, files):
    from services import cases

    return cases.intake(
        session=session,
        category="public_facilities",
        kind="promised",
        channel="window",
        description="路灯不亮",
        received_by="王敏",
        attachments=[cases.Attachment(n, d, None) for n, d in files],
    )


@pytest.mark.db
def test_a_photo_is_stored_without_its_gps_and_camera_and_with_its_sha256(demo_session):
    from services import cases

    photo = _photo_with_gps()
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825)  # the GPS is there
    rec = _intake(
        demo_session,
        [("现场.jpg", photo), ("说明.pdf", b"%PDF-1.4\n%%EOF\n"), ("表.docx", _docx())],
    )
    files = cases.attachments_of(rec.case_no, session=demo_session)
    assert list(files["file_name"]) == ["现场.jpg", "说明.pdf", "表.docx"]
    assert list(files["content_type"])[:2] == ["image/jpeg", "application/pdf"]
    stored = demo_session.execute(
        text("SELECT content, sha256 FROM case_attachments WHERE id = :i"),
        {"i": int(files.iloc[0]["id"])},
    ).one()
    content = bytes(stored.content)
    kept = Image.open(io.BytesIO(content))
    assert dict(kept.getexif()) == {} and b"Canon" not in content and b"EOS 5D" not in content
    assert kept.size == (320, 240)
    assert stored.sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.db
@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00", "不支持的文件类型 .exe"),
        ("page.html", b"<html><script>alert(1)</script></html>", "不支持的文件类型 .html"),
        ("照片.jpg", b"MZ\x90\x00\x03\x00\x00\x00", "不是图片"),
        ("证明.pdf", b"<html><script>alert(1)</script>", "与扩展名 .pdf 不符"),
        ("表.docx", b"MZ\x90\x00", "与扩展名 .docx 不符"),
        ("照片.png", b"", "文件是空的"),
    ],
)
def test_attachments_that_are_not_images_pdf_or_office_are_refused(
    demo_session, name, data, expected
):
    before = demo_session.execute(text("SELECT count(*) FROM cases")).scalar_one()
    with pytest.raises(InvalidInputError, match=expected):
        _intake(demo_session, [(name, data)])
    assert demo_session.execute(text("SELECT count(*) FROM cases")).scalar_one() == before


def test_the_uploader_says_the_real_limit():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == 20
    from app_pages.labels import cases as labels
    from services.uploads import MAX_UPLOAD_BYTES

    assert MAX_UPLOAD_BYTES == 20 * MB
    assert "20 MB" in labels.CASE_ATTACHMENTS_HELP and "20 MB" in labels.HOTLINE_FILE


def test_the_planners_layer_uploads_go_through_the_same_check(tmp_path):
    from services.uploads import GIS_LAYERS, check_upload

    source = (ROOT / "app_pages" / "plan_import.py").read_text(encoding="utf-8")
    assert "check_upload(upload.name, upload, allowed=GIS_LAYERS)" in source
    town = next((ROOT / "data" / "boundaries").glob("*.geojson"))
    assert check_upload(town.name, town.read_bytes(), allowed=GIS_LAYERS)
    with pytest.raises(InvalidInputError, match="Windows 可执行文件"):
        check_upload("街巷.geojson", b"MZ\x90\x00" * 10, allowed=GIS_LAYERS)
    with pytest.raises(InvalidInputError, match="压缩炸弹"):
        check_upload("街巷.zip", zip_bomb_xlsx(40 * MB), allowed=GIS_LAYERS)
