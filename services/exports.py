"""Every spreadsheet the app or the CLI writes goes through here, so none can attack its reader.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel and LibreOffice as a formula: a household named ``=HYPERLINK("http://x","y")`` becomes a
live link, ``=WEBSERVICE(…)`` sends the sheet's data away (OWASP, "CSV Injection"). Text typed by
citizens and clerks reaches rolls, rejected rows, hotline results and reports, so:

- in .xlsx every text value is written as a *string* cell (openpyxl would otherwise store a
  leading ``=`` as a formula) and, when it starts with one of those characters, with Excel's
  "quote prefix" style, so editing the cell later does not turn it into a formula either;
  the text itself is unchanged;
- in .csv such text gets a leading ``'`` (OWASP's advice; a CSV has no cell types);
- numbers stay numbers (``-3`` as a number is not neutralised), only text is.

openpyxl is the library pandas itself uses for .xlsx; writing cells ourselves rather than through
``DataFrame.to_excel`` is what lets one function decide the type of every cell.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.clock import UTC8
from core.errors import InvalidInputError

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell, MergedCell
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Text that a spreadsheet reads as a plain number or a placeholder, not as a formula: left alone
# in CSV so a phone written "-" or an amount "-12.5" keeps its meaning.
_HARMLESS = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)|[-—]+")
# XML 1.0 forbids these; openpyxl raises IllegalCharacterError on them (a pasted control char
# in a case description would otherwise break the whole export).
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")
TZ = UTC8


def is_formula_like(text: str) -> bool:
    """True if a spreadsheet would read ``text`` as a formula (OWASP CSV-injection triggers).

    >>> is_formula_like('=HYPERLINK("http://x","y")'), is_formula_like("-"), is_formula_like("张三")
    (True, False, False)
    """
    return text.startswith(FORMULA_TRIGGERS) and not _HARMLESS.fullmatch(text)


def csv_text(value: Any) -> Any:
    """A value safe for a CSV cell: formula-like text gets OWASP's leading ``'``."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def _plain(value: Any) -> Any:
    """A Python value openpyxl can store: no numpy scalars, NaN/NaT → empty, lists joined."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None if math.isnan(value) else str(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(TZ).replace(tzinfo=None)  # Excel has no time zones
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return "、".join(str(v) for v in value)
    if isinstance(value, (bool, int, float, dt.date, dt.time, dt.timedelta, str)):
        return value
    return str(value)


def put(ws: Worksheet, row: int, column: int, value: Any) -> Cell | MergedCell:
    """Write one cell: text is always a string cell (never a formula), numbers stay numbers."""
    cell = ws.cell(row=row, column=column)
    value = _plain(value)
    if isinstance(value, str):
        text = _ILLEGAL.sub("", value)
        cell.value = text
        cell.data_type = "s"  # openpyxl made "=…" a formula and "#N/A" an error: undo both
        if text.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def append(ws: Worksheet, values: Iterable[Any]) -> int:
    """Append a row through :func:`put` (an empty list leaves an empty row, as openpyxl's
    ``append`` does); return its row number."""
    row = ws._current_row + 1  # type: ignore[attr-defined]  # openpyxl's own "last row" counter, the one its append uses
    for column, value in enumerate(values, start=1):
        put(ws, row, column, value)
    ws._current_row = row  # type: ignore[attr-defined]
    return row


def new_workbook(sheet: str) -> tuple[Workbook, Worksheet]:
    """A workbook with one sheet named ``sheet`` (cut to Excel's 31 characters)."""
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook always has one worksheet
    ws.title = re.sub(r"[\[\]:*?/\\]", "_", sheet)[:31] or "Sheet1"
    return wb, ws


def workbook_bytes(wb: Workbook) -> bytes:
    """Save ``wb``; any formula that slipped in (a cell written around :func:`put`) is made text.

    Nothing in Lianxin writes formulas on purpose, so this last pass is safe and is what makes
    "no export carries a formula" hold for every writer.
    """
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type in ("f", "e") and isinstance(cell.value, str):
                    put(ws, cell.row, cell.column, cell.value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def table_xlsx(
    frame: pd.DataFrame,
    *,
    title: str,
    sheet: str,
    subtitles: Sequence[str] = (),
    footer: str | None = None,
    widths: Sequence[float] | Mapping[str, float] | None = None,
    number_formats: Mapping[str, str] | None = None,
    freeze: bool = False,
) -> bytes:
    """A table as the office files it: a title row (unit, scope, period, date), optional
    sub-title rows, the column headers, one row per record, and an optional footer row.

    Every cell goes through :func:`put`. ``widths`` are by position or by column name;
    ``number_formats`` map a column name to an Excel format (``"0.0%"``).

    Examples
    --------
    >>> from openpyxl import load_workbook
    >>> data = table_xlsx(pd.DataFrame({"户主姓名": ["=1+1"]}), title="标题", sheet="表")
    >>> cell = load_workbook(io.BytesIO(data))["表"]["A3"]
    >>> cell.value, cell.data_type
    ('=1+1', 's')
    """
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb, ws = new_workbook(sheet)
    put(ws, 1, 1, title).font = Font(bold=True, size=14)
    row = 1
    for line in subtitles:
        row += 1
        put(ws, row, 1, line)
    row += 1
    header_row = row
    columns = [str(c) for c in frame.columns]
    for j, name in enumerate(columns, start=1):
        cell = put(ws, row, j, name)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for values in frame.itertuples(index=False, name=None):
        row += 1
        for j, value in enumerate(values, start=1):
            put(ws, row, j, value)
    if footer is not None:
        put(ws, row + 1, 1, footer)
    if isinstance(widths, Mapping):
        for name, width in widths.items():
            if name in columns:
                ws.column_dimensions[get_column_letter(columns.index(name) + 1)].width = width
    elif widths is not None:
        for j, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = width
    for name, fmt in (number_formats or {}).items():
        if name in columns:
            j = columns.index(name) + 1
            for r in range(header_row + 1, header_row + 1 + len(frame)):
                ws.cell(row=r, column=j).number_format = fmt
    if freeze:
        ws.freeze_panes = f"A{header_row + 1}"
    return workbook_bytes(wb)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as UTF-8 CSV with a BOM (so Excel reads Chinese), formula-like text quoted."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([csv_text(str(c)) for c in frame.columns])
    for values in frame.itertuples(index=False, name=None):
        row = []
        for value in values:
            plain = _plain(value)
            row.append("" if plain is None else csv_text(plain))
        writer.writerow(row)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def write_table(frame: pd.DataFrame, path: Path, *, sheet: str = "Sheet1") -> None:
    """Write a table to ``path`` as .xlsx or .csv (by its suffix), through the safe writers."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        wb, ws = new_workbook(sheet)
        append(ws, [str(c) for c in frame.columns])
        for values in frame.itertuples(index=False, name=None):
            append(ws, values)
        data = workbook_bytes(wb)
    elif suffix == ".csv":
        data = csv_bytes(frame)
    else:
        raise InvalidInputError(
            f"{path}：输出文件只能是 .xlsx 或 .csv，得到 {suffix or '无扩展名'}"
        )
    path.write_bytes(data)
