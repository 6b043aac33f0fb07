"""Grid planning on files: blocks from streets, a coverage check, a proposal, a rebalance.

File in, file out, no database: each function reads the vector files it is given (paths, in
any format :func:`gis.io.read_vector` reads), calls the pure functions in ``gis/``, writes
the output layers where asked and returns what the caller reports. ``lianxin blocks``,
``check``, ``propose`` and ``rebalance`` are thin handlers over these. Unusable input raises
:class:`~core.errors.InvalidInputError`; warnings of the geometry (``UserWarning``) are left
for the caller to show.

This is a module of its own, not part of :mod:`services.plans`: that package works on the
plans stored in the database and importing it brings in the database layer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from core.errors import InvalidInputError
from gis.blocks import BlocksResult, blocks_from_streets
from gis.cells.proposal import ProposalResult, propose_cells
from gis.compounds import split_oversized_blocks
from gis.coverage.check import check_coverage
from gis.coverage.problems import KIND_LABELS
from gis.crs import DISPLAY_CRS
from gis.io import read_vector, write_layers
from gis.rebalance import RebalanceResult, rebalance
from gis.streets import (
    DEFAULT_HIGHWAYS,
    HIGHWAY_LABELS,
    StreetSelection,
    check_extent,
    select_streets,
)

__all__ = [
    "DEFAULT_HIGHWAYS",
    "HIGHWAY_LABELS",
    "ID_CANDIDATES",
    "KIND_LABELS",
    "BlocksRun",
    "CoverageRun",
    "ProposalRun",
    "check_cells_file",
    "make_blocks",
    "parse_highways",
    "problems_as_json",
    "propose_from_files",
    "rebalance_files",
]

ID_CANDIDATES = ("cell_id", "cell_code", "code", "name", "id", "网格编号", "网格编码", "网格名称")


@dataclass(frozen=True)
class BlocksRun:
    """What :func:`make_blocks` did: the street lines used and the blocks built from them."""

    selection: StreetSelection
    result: BlocksResult


@dataclass(frozen=True)
class CoverageRun:
    """What :func:`check_cells_file` found: the number of cells read and the problems
    (:func:`gis.coverage.check.check_coverage`'s frame)."""

    cells: int
    problems: gpd.GeoDataFrame


@dataclass(frozen=True)
class ProposalRun:
    """What :func:`propose_from_files` made: the proposal and, with a building field, one
    note per block cut into building groups."""

    result: ProposalResult
    split_notes: list[str] = field(default_factory=list)


def _optional(
    path: str | None, reader: Callable[..., gpd.GeoDataFrame], **kwargs: Any
) -> gpd.GeoDataFrame | None:
    return None if path is None else reader(path, **kwargs)


def parse_highways(value: str | None) -> frozenset[str] | None:
    """The OSM ``highway`` values of a comma-separated list: None (not given) is
    :data:`gis.streets.DEFAULT_HIGHWAYS`, ``"all"`` is None (every value)."""
    if value is None:
        return DEFAULT_HIGHWAYS
    items = {v.strip() for v in value.split(",") if v.strip()}
    if items == {"all"}:
        return None
    if not items:
        raise InvalidInputError("--highways 不能为空：请列出 highway 值，或写 all")
    return frozenset(items)


def make_blocks(
    *,
    streets: str,
    output: str,
    boundary: str | None = None,
    layer: str | None = None,
    gcj02: bool = False,
    snap_m: float = 2.0,
    min_block_width_m: float = 6.0,
    highways: str | None = None,
) -> BlocksRun:
    """Blocks from the street centrelines (or road polygons) in ``streets``, written to
    ``output`` as layers ``blocks``, ``dangles`` and, when the streets leave part of the
    boundary open, ``unenclosed``. ``highways`` is the list for :func:`parse_highways`."""
    street_lines = read_vector(
        streets, layer=layer, gcj02=gcj02, expected=("line", "polygon"), what="街巷"
    )
    outline = _optional(boundary, read_vector, gcj02=gcj02, expected="polygon", what="边界")
    selection = select_streets(street_lines, highways=parse_highways(highways))
    if outline is not None:
        check_extent(selection.lines, outline)
    result = blocks_from_streets(
        selection.lines,
        boundary=outline,
        snap_m=snap_m,
        min_block_width_m=min_block_width_m,
    )
    layers = {"blocks": result.blocks, "dangles": result.dangles}
    if len(result.unenclosed):
        layers["unenclosed"] = result.unenclosed
    write_layers(output, layers)
    return BlocksRun(selection=selection, result=result)


def _pick_id_field(cells: gpd.GeoDataFrame, wanted: str | None) -> str:
    if wanted is not None:
        if wanted not in cells.columns:
            raise InvalidInputError(
                f"网格文件没有字段 {wanted}，可用字段：{', '.join(map(str, cells.columns))}"
            )
        return wanted
    for name in ID_CANDIDATES:
        if name in cells.columns:
            return name
    cells["_row"] = [f"第{n + 1}个" for n in range(len(cells))]
    return "_row"


def check_cells_file(
    *,
    cells: str,
    boundary: str | None = None,
    households: str | None = None,
    communities: str | None = None,
    community_field: str | None = None,
    code_field: str | None = None,
    leader_field: str | None = None,
    min_households: int = 300,
    max_households: int = 500,
    gap_width_m: float = 1.0,
    sliver_width_m: float = 5.0,
    id_field: str | None = None,
    layer: str | None = None,
    gcj02: bool = False,
) -> CoverageRun:
    """Check the coverage of the cells in ``cells`` (gaps, overlaps, slivers, the boundary,
    household counts, duplicate codes, missing leaders). Cells are named by ``id_field``, or
    by the first of :data:`ID_CANDIDATES` they have, or by their row."""
    cell_frame = read_vector(cells, layer=layer, gcj02=gcj02, expected="polygon", what="网格")
    outline = _optional(boundary, read_vector, gcj02=gcj02, expected="polygon", what="边界")
    points = _optional(households, read_vector, gcj02=gcj02, expected="point", what="住户")
    areas = _optional(communities, read_vector, gcj02=gcj02, expected="polygon", what="社区")
    for name in (code_field, leader_field):
        if name is not None and name not in cell_frame.columns:
            raise InvalidInputError(
                f"{cells}：网格文件没有字段 {name}，可用字段：{', '.join(map(str, cell_frame.columns))}"
            )
    problems = check_coverage(
        cell_frame,
        boundary=outline,
        households=points,
        id_field=_pick_id_field(cell_frame, id_field),
        community_field=community_field,
        communities=areas,
        code_field=code_field,
        leader_field=leader_field,
        min_households=min_households,
        max_households=max_households,
        gap_width_m=gap_width_m,
        sliver_width_m=sliver_width_m,
    )
    return CoverageRun(cells=len(cell_frame), problems=problems)


def _json_num(x: object) -> float | None:
    return None if x is None or not np.isfinite(float(x)) else float(x)  # type: ignore[arg-type]


def problems_as_json(problems: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """The problems of :func:`check_cells_file` as JSON-ready dicts, geometry as GeoJSON in
    :data:`gis.crs.DISPLAY_CRS` (None when a problem has no place)."""
    shown = problems.to_crs(DISPLAY_CRS) if len(problems) else problems
    geo = [
        None if g is None or shapely.is_empty(g) else json.loads(shapely.to_geojson(g))
        for g in shown.geometry
    ]
    return [
        {
            "kind": row.kind,
            "severity": row.severity,
            "cell_ids": list(row.cell_ids),
            "area_m2": _json_num(row.area_m2),
            "width_m": _json_num(row.width_m),
            "message": row.message,
            "geometry": g,
        }
        for row, g in zip(problems.itertuples(index=False), geo, strict=True)
    ]


def propose_from_files(
    *,
    blocks: str,
    households: str,
    output: str,
    boundary: str | None = None,
    communities: str | None = None,
    community_field: str = "community_code",
    min_households: int = 300,
    max_households: int = 500,
    building_field: str | None = None,
    district_code: str = "610902",
    subdistrict_code: str = "001",
    layer: str | None = None,
    gcj02: bool = False,
) -> ProposalRun:
    """Group the blocks of ``blocks`` (only those inside ``boundary`` when given) into cells
    of ``min_households``–``max_households`` households, written to ``output`` as layer
    ``cells``. With ``building_field``, blocks over the maximum are first cut into building
    groups."""
    block_frame = read_vector(blocks, layer=layer, gcj02=gcj02, expected="polygon", what="街区")
    points = read_vector(households, gcj02=gcj02, expected="point", what="住户")
    if boundary is not None:
        outline = read_vector(boundary, gcj02=gcj02, expected="polygon", what="边界")
        region = shapely.union_all(np.asarray(outline.geometry.array))
        inside = shapely.within(
            shapely.point_on_surface(np.asarray(block_frame.geometry.array)), region
        )
        if not inside.any():
            raise InvalidInputError(f"{blocks}：没有任何街区在边界 {boundary} 之内")
        block_frame = block_frame.loc[inside].reset_index(drop=True)
    areas = _optional(communities, read_vector, gcj02=gcj02, expected="polygon", what="社区")
    split_notes: list[str] = []
    count_field = None
    if building_field is not None:
        if min_households > max_households:
            raise InvalidInputError(f"户数下限 {min_households} 大于上限 {max_households}")
        block_frame, points, split_notes = split_oversized_blocks(
            block_frame,
            points,
            building_field=building_field,
            max_households=max_households,
        )
        count_field = "households"
    result = propose_cells(
        block_frame,
        points,
        community_field=community_field,
        min_households=min_households,
        max_households=max_households,
        district_code=district_code,
        subdistrict_code=subdistrict_code,
        communities=areas,
        count_field=count_field,
    )
    write_layers(output, {"cells": result.cells})
    return ProposalRun(result=result, split_notes=split_notes)


def rebalance_files(
    *,
    blocks: str,
    households: str,
    cell_field: str,
    output: str,
    community_field: str = "community_code",
    building_field: str | None = None,
    weight_field: str | None = None,
    min_households: int = 300,
    max_households: int = 500,
    max_weight_excess: float = 0.5,
    layer: str | None = None,
    gcj02: bool = False,
) -> RebalanceResult:
    """Rebalance the plan carried by the blocks of ``blocks`` (their cell in ``cell_field``)
    against the household points, written to ``output`` as layers ``blocks`` and ``moves``
    (see :func:`gis.rebalance.rebalance`)."""
    block_frame = read_vector(blocks, layer=layer, gcj02=gcj02, expected="polygon", what="街区")
    points = read_vector(households, gcj02=gcj02, expected="point", what="住户")
    try:
        result = rebalance(
            block_frame,
            points,
            cell_field=cell_field,
            community_field=community_field,
            building_field=building_field,
            weight_field=weight_field,
            min_households=min_households,
            max_households=max_households,
            max_weight_excess=max_weight_excess,
        )
    except InvalidInputError as exc:
        raise InvalidInputError(f"{blocks}：{exc}") from exc
    write_layers(output, {"blocks": result.blocks, "moves": result.moves})
    return result
