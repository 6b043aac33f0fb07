"""Files an attacker would send, built the way they would build them (shared by the upload
tests, the browser test and bench/bench_edges.py)."""

from __future__ import annotations

import io
import zipfile

MB = 1024 * 1024


def zip_bomb_xlsx(expanded: int = 400 * MB) -> bytes:
    """A real .xlsx of about 400 KB whose one sheet expands to ``expanded`` bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        )
        z.writestr(
            "xl/workbook.xml",
            "<workbook><sheets><sheet name='工单' r:id='rId1'/></sheets></workbook>",
        )
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            # One cell of 400 million "A"s: a run deflate packs about 1,000-fold.
            sheet.write(b'<worksheet><sheetData><row><c t="inlineStr"><is><t>')
            chunk = b"A" * MB
            for _ in range(expanded // MB):
                sheet.write(chunk)
            sheet.write(b"</t></is></c></row></sheetData></worksheet>")
    return buf.getvalue()
