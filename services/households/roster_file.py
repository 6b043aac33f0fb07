"""A roster file read once: every sheet the import needs, and the cells that hold formulas.

The 住户导入 page reads the uploaded bytes into a :class:`RosterFile` once and hands that same
object to the mapping step, the preview and the import (issue 12: the file was parsed three
times). Pure (no database). Size, type-by-content and zip-bomb checks come first
(``services.uploads.table_bytes``), before any parser sees the bytes.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from core.errors import InvalidInputError
from core.text_files import decode_office_text
from services.uploads import table_bytes


@dataclass(frozen=True)
class RosterFile:
    """The parsed tables of one roster file.

    ``table`` is the first sheet (the roster), read as text without a header; ``other_sheets``
    the later sheets of an .xlsx by name, in workbook order (where a 家庭成员 sheet is looked
    for); ``formulas`` the (row, column) of first-sheet cells that hold a formula.
    """

    file_name: str
    suffix: str
    table: pd.DataFrame
    other_sheets: dict[str, pd.DataFrame] = field(default_factory=dict)
    formulas: frozenset[tuple[int, int]] = frozenset()


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _has_formula_tags(data: bytes) -> bool:
    """Whether any worksheet of the .xlsx holds a formula element (``<f>``), read from the
    inflated XML in 1 MB chunks: far cheaper than a second openpyxl parse, which is then only
    needed for the rosters that do have formulas."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            tail = b""
            with archive.open(name) as member:
                while chunk := member.read(1 << 20):
                    if _FORMULA_TAG.search(tail + chunk):
                        return True
                    tail = chunk[-16:]
    return False


def _formula_cells(data: bytes) -> set[tuple[int, int]]:
    """(row, column), 0-based like the table pandas reads, of every cell of the first sheet
    that holds a formula. pandas reads a formula's cached value (or nothing, for a file no
    spreadsheet program has recalculated): a silent guess, so the import refuses those rows.
    openpyxl with ``data_only=False`` keeps the formulas; read-only mode streams the sheet."""
    from openpyxl import load_workbook

    if not _has_formula_tags(data):
        return set()  # the usual roster: no formula anywhere, skip the second parse
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        ws = wb.worksheets[0]
        return {
            (int(cell.row) - 1, int(cell.column) - 1)
            for row in ws.iter_rows()
            for cell in row
            if getattr(cell, "data_type", None) == "f" and cell.row and cell.column
        }
    finally:
        wb.close()


def read_file(path: str | Path, data: bytes | None = None) -> RosterFile:
    """Read a roster file (.xlsx/.xlsm with all its sheets in one parse, .xls, .csv)."""
    path = Path(path)
    suffix = path.suffix.lower()
    data = table_bytes(path, data)  # size, type by content, zip bomb: before any parsing
    source: object = io.BytesIO(data)
    try:
        if suffix in (".xlsx", ".xlsm"):
            # sheet_name=None: one openpyxl load for every sheet (the member sheet included)
            sheets = pd.read_excel(
                source, header=None, dtype=str, engine="openpyxl", sheet_name=None
            )
            names = list(sheets)
            return RosterFile(
                file_name=path.name,
                suffix=suffix,
                table=sheets[names[0]] if names else pd.DataFrame(),
                other_sheets={n: sheets[n] for n in names[1:]},
                formulas=frozenset(_formula_cells(data)),
            )
        if suffix == ".xls":
            table = pd.read_excel(source, header=None, dtype=str, engine="xlrd")
            return RosterFile(file_name=path.name, suffix=suffix, table=table)
        if suffix == ".csv":
            text = decode_office_text(data, where=path.name)
            table = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False)
            return RosterFile(file_name=path.name, suffix=suffix, table=table)
    except InvalidInputError:
        raise
    except Exception as exc:  # openpyxl/xlrd raise many kinds for a damaged file
        raise InvalidInputError(
            f"{path.name}：无法读取表格（{type(exc).__name__}）。请确认是有效的 .xlsx/.xls/.csv 文件"
        ) from exc
    raise InvalidInputError(
        f"{path.name}：不支持的文件类型 {suffix or '(无扩展名)'}；支持 .xlsx、.xls、.csv"
    )
