"""公示牌 PDF from hand-built geometry (no database): it is a PDF, it carries the code, the
leader's phone in full and the date in Chinese, and page 1 renders."""

from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
import subprocess

import geopandas as gpd
import pytest
import shapely

from services.notice_board import NoticeBoard, chinese_date, render_pdf

CODE = "610902001002003"
PHONE = "15952779677"


@pytest.fixture
def board() -> NoticeBoard:
    # a 300 m × 250 m cell near Ankang with a street along its north edge and a lane across it
    cell = gpd.GeoDataFrame(
        {"cell_code": [CODE]},
        geometry=[shapely.MultiPolygon([shapely.box(109.030, 32.680, 109.0332, 32.6822)])],
        crs="EPSG:4490",
    )
    streets = gpd.GeoDataFrame(
        {"name": ["东关正街", "桂花巷"], "kind": ["street", "lane"]},
        geometry=[
            shapely.MultiLineString([[(109.029, 32.6822), (109.0345, 32.6823)]]),
            shapely.MultiLineString([[(109.030, 32.6811), (109.0332, 32.6811)]]),
        ],
        crs="EPSG:4490",
    )
    return NoticeBoard(
        cell_code=CODE,
        cell_name="第003网格",
        community_name="培新街社区",
        leader_name="李红芳",
        leader_phone=PHONE,
        households=422,
        residents=1179,
        day=dt.date(2026, 11, 30),
        cell=cell,
        streets=streets,
    )


def test_chinese_date():
    assert chinese_date(dt.date(2026, 11, 30)) == "2026年11月30日"
    assert chinese_date(dt.date(2027, 1, 5)) == "2027年1月5日"


def test_the_pdf_carries_the_code_and_the_leaders_phone_in_full(board):
    pdf = render_pdf(board)
    assert pdf.startswith(b"%PDF")
    # the page stream is uncompressed and the code and phone are set in Helvetica
    assert f"({CODE})".encode() in pdf
    assert f"({PHONE})".encode() in pdf
    if importlib.util.find_spec("pypdf") is not None:
        import io

        from pypdf import PdfReader

        text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
        assert CODE in text and PHONE in text


def test_a_cell_without_a_leader_still_prints(board):
    from dataclasses import replace

    pdf = render_pdf(replace(board, leader_name=None, leader_phone=None))
    assert pdf.startswith(b"%PDF") and f"({CODE})".encode() in pdf


def test_page_one_renders(board, tmp_path):
    """Rendered with pdftoppm when it is installed (look at the PNG: map, code, leader)."""
    pdftoppm = shutil.which("pdftoppm")
    path = tmp_path / "board.pdf"
    path.write_bytes(render_pdf(board))
    if pdftoppm is None:
        if importlib.util.find_spec("pypdfium2") is None:
            pytest.skip("neither pdftoppm (poppler-utils) nor pypdfium2 installed")
        import pypdfium2

        image = pypdfium2.PdfDocument(str(path))[0].render(scale=1).to_pil()
        # A4 at 72 dpi, and not blank: the red title band and the map are there
        assert abs(image.size[0] - 595) <= 1 and abs(image.size[1] - 842) <= 1
        assert image.getpixel((300, 20))[:3] == (178, 34, 34)
        return
    subprocess.run(
        [pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
        check=True,
    )
    pngs = list(tmp_path.glob("p*.png"))
    assert pngs and pngs[0].stat().st_size > 5_000
