"""Cell codes (网格编码) and the order cells are numbered in.

Cell codes follow Beijing DB11/T 2157-2023: 6 digits district (GB/T 2260) + 3 sub-district +
3 community + 3 cell sequence = 15 digits.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import shapely

from core.errors import InvalidInputError

__all__ = ["CellCode", "cell_code", "number_cells", "validate_cell_code"]


class CellCode(NamedTuple):
    """The four parts of a 15-digit cell code."""

    district: str
    subdistrict: str
    community: str
    cell: str


def _part(value: object, *, digits: int, name: str) -> str:
    if isinstance(value, bool):
        raise InvalidInputError(f"{name}必须是 {digits} 位数字，收到 {value!r}")
    if isinstance(value, int | np.integer):
        if not 0 < int(value) < 10**digits:
            raise InvalidInputError(f"{name}必须在 1–{10**digits - 1} 之间，收到 {value}")
        return f"{int(value):0{digits}d}"
    text = str(value).strip()
    if len(text) != digits or not text.isascii() or not text.isdigit():
        raise InvalidInputError(f"{name}必须是 {digits} 位数字，收到 {value!r}")
    return text


def cell_code(
    district_code: str | int,
    subdistrict_code: str | int,
    community_seq: str | int,
    cell_seq: str | int,
) -> str:
    """Compose a 15-digit cell code (网格编码).

    Parameters
    ----------
    district_code : str or int
        6-digit district code (GB/T 2260), e.g. ``"610902"`` for 汉滨区.
    subdistrict_code : str or int
        3-digit sub-district code, or an int 1–999.
    community_seq : str or int
        3-digit community number, or an int 1–999.
    cell_seq : str or int
        3-digit cell number within the community, or an int 1–999.

    Returns
    -------
    str

    Examples
    --------
    >>> cell_code("610902", "001", 12, 3)
    '610902001012003'
    """
    code = (
        _part(district_code, digits=6, name="区县代码")
        + _part(subdistrict_code, digits=3, name="街道代码")
        + _part(community_seq, digits=3, name="社区序号")
        + _part(cell_seq, digits=3, name="网格序号")
    )
    validate_cell_code(code)
    return code


def validate_cell_code(code: str) -> CellCode:
    """Check a 15-digit cell code and split it into its parts.

    Raises
    ------
    core.errors.InvalidInputError
        Not 15 ASCII digits, a district code starting with 0, or a sub-district, community or
        cell number of ``000``.

    Examples
    --------
    >>> validate_cell_code("610902001012003").cell
    '003'
    """
    text = str(code).strip()
    if len(text) != 15 or not text.isascii() or not text.isdigit():
        raise InvalidInputError(
            f"网格编码 {code!r} 必须是 15 位数字（6 位区县 + 3 位街道 + 3 位社区 + 3 位网格）"
        )
    parts = CellCode(text[:6], text[6:9], text[9:12], text[12:])
    if parts.district[0] == "0":
        raise InvalidInputError(f"网格编码 {text} 的区县代码 {parts.district} 无效")
    for value, name in (
        (parts.subdistrict, "街道"),
        (parts.community, "社区"),
        (parts.cell, "网格"),
    ):
        if value == "000":
            raise InvalidInputError(f"网格编码 {text} 的{name}序号不能为 000")
    return parts


def number_cells(geometries: np.ndarray) -> np.ndarray:
    """Order cells west→east, then north→south, like lines of text.

    Rows are bands of height √(median cell area) counted down from the northernmost centroid;
    within a row cells run west→east by centroid. Returns the 1-based sequence of each input.
    """
    n = len(geometries)
    if n == 0:
        return np.empty(0, dtype=int)
    c = shapely.get_coordinates(shapely.centroid(geometries))
    band = math.sqrt(max(float(np.median(shapely.area(geometries))), 1e-9))
    row = np.floor((c[:, 1].max() - c[:, 1]) / band)
    order = np.lexsort((c[:, 0], row))
    seq = np.empty(n, dtype=int)
    seq[order] = np.arange(1, n + 1)
    return seq
