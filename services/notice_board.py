"""公示牌 (notice board): one printable A4 sheet per cell — map, code, leader, phone.

The map is drawn from the database's own geometry with reportlab graphics (cell outline,
streets and lanes around it); no tiles, so the sheet prints the same offline.

Font: reportlab embeds only TrueType-outline fonts, and the Noto CJK fonts Debian ships are
OpenType with CFF (PostScript) outlines, which reportlab refuses ("postscript outlines are not
supported"). So the Chinese text uses reportlab's built-in CID font **STSong-Light** (Adobe's
standard Simplified-Chinese font, UniGB-UCS2-H): no file needed, tiny PDFs, and every PDF
viewer and printer driver has or substitutes a Song face for it. An office that wants the
glyphs embedded passes ``font_path=`` a TrueType CJK font (e.g. WenQuanYi Zen Hei, .ttc with
``font_index``). The 15-digit code is set in Helvetica, so it is plain text in the page stream
(searchable, and checkable by a test).

A notice board is public: the grid leader's phone is printed in full (the point of the sheet
is that residents can call them); no resident's data appears on it.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pyproj
import shapely
from sqlalchemy.orm import Session

from core import clock
from core.errors import InvalidInputError, NotFoundError
from db.household_queries import cells as cell_queries
from gis.crs import METRIC_CRS

CJK_FONT = "STSong-Light"
LATIN_FONT = "Helvetica"
LATIN_BOLD = "Helvetica-Bold"
UNIT = "汉滨区老城街道办事处"


@dataclass(frozen=True)
class NoticeBoard:
    """Everything printed on one cell's sheet."""

    cell_code: str
    cell_name: str
    community_name: str
    leader_name: str | None
    leader_phone: str | None
    households: int
    residents: int
    day: dt.date
    cell: gpd.GeoDataFrame  # one row, EPSG:4490
    streets: gpd.GeoDataFrame  # name, kind; EPSG:4490


def chinese_date(day: dt.date) -> str:
    """2026年11月30日 (UI.md: dates in prose)."""
    return f"{day.year}年{day.month}月{day.day}日"


def load_notice_board(
    cell_code: str, *, session: Session, day: dt.date | None = None
) -> NoticeBoard:
    """Read a cell of the published plan for its notice board."""
    code = (cell_code or "").strip()
    if not (len(code) == 15 and code.isdigit()):
        raise InvalidInputError(f"网格编码应为15位数字，得到 {cell_code!r}")
    cell = cell_queries.cell(session, cell_code=code)
    if cell.empty:
        raise NotFoundError(f"已发布方案中没有网格 {code}")
    row = cell.iloc[0]
    streets = cell_queries.streets_around_cell(session, cell_code=code)
    return NoticeBoard(
        cell_code=code,
        cell_name=str(row["name"]),
        community_name=str(row["community_name"]),
        leader_name=row["leader_name"] if isinstance(row["leader_name"], str) else None,
        leader_phone=row["leader_phone"] if isinstance(row["leader_phone"], str) else None,
        households=int(row["households"]),
        residents=int(row["residents"]),
        day=day or clock.today(),
        cell=cell,
        streets=streets,
    )


def _register_fonts(font_path: str | None, font_index: int) -> str:
    from reportlab.pdfbase import pdfmetrics

    if font_path:
        from reportlab.pdfbase.ttfonts import TTFont

        name = "LianxinCJK"
        if name not in pdfmetrics.getRegisteredFontNames():
            try:
                pdfmetrics.registerFont(TTFont(name, font_path, subfontIndex=font_index))
            except Exception as exc:  # reportlab raises TTFError and plain errors alike
                raise InvalidInputError(
                    f"无法使用字体 {font_path}：{exc}。请提供 TrueType 轮廓的中文字体（.ttf/.ttc）"
                ) from exc
        return name
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT


def _map_drawing(board: NoticeBoard, *, width: float, height: float, font: str) -> Any:
    """The cell (outline, light fill), streets (grey) and lanes (light grey), with labels,
    a north arrow and a scale bar, fitted into width × height points."""
    from reportlab.graphics.shapes import Drawing, Line, Polygon, PolyLine, Rect, String
    from reportlab.lib import colors

    to_m = pyproj.Transformer.from_crs(board.cell.crs, METRIC_CRS, always_xy=True)
    cell_geom = shapely.transform(
        board.cell.geometry.iloc[0], lambda xy: _xy(to_m, xy), include_z=False
    )
    minx, miny, maxx, maxy = cell_geom.bounds
    pad = max(maxx - minx, maxy - miny) * 0.12 + 30
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    scale = min(width / (maxx - minx), height / (maxy - miny))
    ox = (width - (maxx - minx) * scale) / 2
    oy = (height - (maxy - miny) * scale) / 2

    def pts(coords: Any) -> list[float]:
        out: list[float] = []
        for x, y in coords:
            out += [ox + (x - minx) * scale, oy + (y - miny) * scale]
        return out

    d = Drawing(width, height)
    d.add(Rect(0, 0, width, height, fillColor=colors.HexColor("#f7f5f0"), strokeColor=None))
    for poly in getattr(cell_geom, "geoms", [cell_geom]):
        d.add(
            Polygon(
                pts(poly.exterior.coords),
                fillColor=colors.HexColor("#fde9c8"),
                strokeColor=None,
            )
        )
    styles = {"lane": ("#c8c8c8", 2.0), "street": ("#8c8c8c", 4.0), "road": ("#8c8c8c", 5.0)}
    labelled: set[str] = set()
    window = shapely.box(minx, miny, maxx, maxy)
    for name, kind, geom in zip(
        board.streets["name"], board.streets["kind"], board.streets.geometry, strict=True
    ):
        if geom is None or geom.is_empty:
            continue
        g = shapely.transform(geom, lambda xy: _xy(to_m, xy)).intersection(window)
        colour, w = styles.get(kind, styles["street"])
        for line in getattr(g, "geoms", [g]):
            if line.is_empty or line.geom_type != "LineString":
                continue
            d.add(
                PolyLine(
                    pts(line.coords),
                    strokeColor=colors.HexColor(colour),
                    strokeWidth=w,
                    strokeLineCap=1,
                    strokeLineJoin=1,
                )
            )
            if name not in labelled and line.length * scale > 60:
                mid = line.interpolate(0.5, normalized=True)
                lx, ly = pts([(mid.x, mid.y)])
                d.add(
                    String(
                        lx,
                        ly + 4,
                        str(name),
                        fontName=font,
                        fontSize=8 if kind == "lane" else 9,
                        fillColor=colors.HexColor("#444444"),
                        textAnchor="middle",
                    )
                )
                labelled.add(name)
    for poly in getattr(cell_geom, "geoms", [cell_geom]):
        d.add(
            Polygon(
                pts(poly.exterior.coords),
                fillColor=None,
                strokeColor=colors.HexColor("#b22222"),
                strokeWidth=3,
            )
        )
    # north arrow (top right)
    ax, ay = width - 24, height - 44
    d.add(Polygon([ax, ay + 30, ax - 7, ay + 8, ax + 7, ay + 8], fillColor=colors.black))
    d.add(String(ax, ay - 6, "N", fontName=LATIN_BOLD, fontSize=11, textAnchor="middle"))
    # scale bar (bottom left): a round number of metres about a fifth of the width
    target = (width / 5) / scale
    bar_m = max(b for b in (10, 20, 50, 100, 200, 500, 1000) if b <= max(target, 10))
    bar = bar_m * scale
    d.add(Line(12, 14, 12 + bar, 14, strokeWidth=2))
    for x in (12, 12 + bar):
        d.add(Line(x, 10, x, 18, strokeWidth=2))
    d.add(String(12 + bar / 2, 20, f"{bar_m} 米", fontName=font, fontSize=9, textAnchor="middle"))
    d.add(Rect(0, 0, width, height, fillColor=None, strokeColor=colors.HexColor("#999999")))
    return d


def _xy(transformer: pyproj.Transformer, xy: Any) -> Any:
    import numpy as np

    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def render_pdf(board: NoticeBoard, *, font_path: str | None = None, font_index: int = 0) -> bytes:
    """The notice board as a one-page A4 PDF (uncompressed page stream)."""
    from reportlab.graphics import renderPDF
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    font = _register_fonts(font_path, font_index)
    buffer = io.BytesIO()
    page_w, page_h = A4
    c = canvas.Canvas(buffer, pagesize=A4, pageCompression=0)
    c.setTitle(f"网格公示牌 {board.cell_code}")
    c.setSubject(f"{board.community_name} {board.cell_name} {board.cell_code}")
    c.setAuthor(UNIT)
    margin = 16 * mm

    # title band
    c.setFillColor(colors.HexColor("#b22222"))
    c.rect(0, page_h - 34 * mm, page_w, 34 * mm, stroke=0, fill=1)
    c.setFillColor(colors.white)
    c.setFont(font, 26)
    c.drawCentredString(page_w / 2, page_h - 17 * mm, "网格公示牌")
    c.setFont(font, 13)
    c.drawCentredString(
        page_w / 2,
        page_h - 27 * mm,
        f"{UNIT} · {board.community_name} · {board.cell_name}",
    )

    # the map
    map_top = page_h - 42 * mm
    map_h = 150 * mm
    drawing = _map_drawing(board, width=page_w - 2 * margin, height=map_h, font=font)
    renderPDF.draw(drawing, c, margin, map_top - map_h)

    # the facts, in a two-column table
    c.setFillColor(colors.black)
    y = map_top - map_h - 12 * mm
    rows: list[tuple[str, str, str]] = [
        ("网格编码", board.cell_code, LATIN_BOLD),
        ("所属社区", board.community_name, font),
        ("网格名称", board.cell_name, font),
        ("网 格 长", board.leader_name or "（待配备）", font),
        ("联系电话", board.leader_phone or "（待配备）", LATIN_BOLD),
        ("住户数量", f"{board.households:,} 户 · {board.residents:,} 人", font),
    ]
    for label, value, value_font in rows:
        c.setFont(font, 15)
        c.setFillColor(colors.HexColor("#555555"))
        c.drawString(margin + 4 * mm, y, label)
        c.setFillColor(colors.black)
        c.setFont(value_font, 17 if value_font == LATIN_BOLD else 16)
        c.drawString(margin + 38 * mm, y, value)
        c.setStrokeColor(colors.HexColor("#dddddd"))
        c.line(margin, y - 3 * mm, page_w - margin, y - 3 * mm)
        y -= 11 * mm

    # legend and footer
    c.setFont(font, 10)
    c.setFillColor(colors.HexColor("#555555"))
    lx = margin
    ly = 22 * mm
    for colour, label, width in (
        ("#b22222", "网格边界", 3),
        ("#8c8c8c", "街、路", 4),
        ("#c8c8c8", "巷", 2),
    ):
        c.setStrokeColor(colors.HexColor(colour))
        c.setLineWidth(width)
        c.line(lx, ly + 1.2 * mm, lx + 10 * mm, ly + 1.2 * mm)
        c.drawString(lx + 12 * mm, ly, label)
        lx += 34 * mm
    c.setLineWidth(1)
    c.setFont(font, 11)
    c.setFillColor(colors.black)
    c.drawString(margin, 12 * mm, "网中有格，格中定人，各负其责。有事请找网格长。")
    c.drawRightString(page_w - margin, 12 * mm, f"{UNIT}  {chinese_date(board.day)}")
    c.showPage()
    c.save()
    return buffer.getvalue()


def notice_board_pdf(
    cell_code: str,
    *,
    session: Session,
    day: dt.date | None = None,
    font_path: str | None = None,
    font_index: int = 0,
) -> bytes:
    """Read a cell and render its notice board (what the page and the CLI call)."""
    board = load_notice_board(cell_code, session=session, day=day)
    return render_pdf(board, font_path=font_path, font_index=font_index)


def export_notice_board(cell_code: str, *, session: Session, actor: Any) -> bytes:
    """The notice board PDF for a logged-in user, with an audit row: it carries the grid
    leader's name and phone, personal data that leaves the system on paper (issue 10)."""
    from services import audit

    pdf = notice_board_pdf(cell_code, session=session)
    audit.record(
        session=session,
        username=actor.username,
        action=audit.EXPORT,
        target=f"notice_board:{cell_code}",
        detail={"format": "pdf", "bytes": len(pdf)},
        client=getattr(actor, "client", None),
    )
    return pdf
