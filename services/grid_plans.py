"""Grid plans (网格方案): drafts, edits, checks, publishing and exports.

A plan is a versioned set of cells for the sub-district: draft → published → retired.
Cells of a draft are built from blocks (街区): a cell's geometry is always the union of its
blocks, recomputed with :func:`shapely.coverage_union_all` after every block edit so shared
edges stay exact. Every edit names the ``lock_version`` the editor saw and bumps it with
``UPDATE … WHERE id = :id AND lock_version = :expected``; a stale version raises
:class:`~core.errors.ConflictError` saying who changed the plan and when, and writes
nothing. Publishing refuses blocking problems, needs a written note for warnings, retires the
previous plan, re-assigns every household and open case in the same transaction, and returns
the diff.

No Streamlit here: the pages, tests and (later) the CLI call these functions with a session
(``session=`` keyword) and turn the project's errors into messages.

Which connection
----------------
The functions work on both kinds of session:

- the owner's (:func:`db.engine.session_scope`; tests, CLI) reads ``households`` directly and
  re-assigns through :func:`db.repositories.assign_cells`;
- the app role's (:func:`db.access.acting_session`; row-level security) reads household
  *locations* through the anonymous ``household_points`` view and re-assigns through the
  SECURITY DEFINER function ``lianxin_assign_cells`` (planners and admins only). Names in the
  publish diff then appear only where the acting role may read them.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import tempfile
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
import shapely.ops
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.errors import (
    ConflictError,
    GeometryError,
    InvalidInputError,
    LianxinError,
    NotFoundError,
)
from db import repositories
from gis.blocks import blocks_from_streets, working_crs
from gis.cells import cell_code, number_cells, propose_cells, validate_cell_code
from gis.coverage import BLOCKING_KINDS, KIND_LABELS, WARNING_KINDS, check_coverage
from gis.crs import STORAGE_CRS
from gis.streets import DEFAULT_HIGHWAYS, StreetSelection, check_extent, select_streets

__all__ = [
    "EXPORT_FORMATS",
    "STATE_LABELS",
    "EditResult",
    "DANGLES_TO_CONFIRM",
    "ENCLOSED_SHARE_TO_WARN",
    "ImportNeedsConfirmation",
    "ImportResult",
    "PlanGeodata",
    "PlanInfo",
    "PublishResult",
    "assign_leader",
    "check_plan",
    "create_draft_from_published",
    "export_filename",
    "export_plan",
    "get_plan",
    "import_streets_into_draft",
    "leader_options",
    "list_plans",
    "merge_cells",
    "move_block",
    "plan_geodata",
    "publish",
    "publish_preview",
    "replace_cell_geometry",
    "split_cell_by_blocks",
    "split_cell_by_line",
]

SRID = 4490
EDITABLE_STATES = ("draft", "validated")
STATE_LABELS = {"draft": "草稿", "validated": "已校验", "published": "已发布", "retired": "已停用"}
#: fmt → (file suffix, MIME type)
EXPORT_FORMATS = {
    "gpkg": (".gpkg", "application/geopackage+sqlite3"),
    "geojson": (".geojson", "application/geo+json"),
    "shp": (".shp.zip", "application/zip"),
}
_MAX_LISTED = 8  # blocking problems named in a refusal before "……等 N 个"
_DEG_TOL = 1e-9  # about 0.1 mm in degrees: snapping tolerance for split pieces


P = ParamSpec("P")
R = TypeVar("R")


def _atomic(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a write in a savepoint: when it raises, nothing it wrote stays (not even the
    lock_version bump), whatever the caller does with the session afterwards."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        session = kwargs["session"] if "session" in kwargs else args[0]
        with session.begin_nested():  # type: ignore[attr-defined]
            return fn(*args, **kwargs)

    return wrapper


# ---------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class PlanInfo:
    """One row of ``grid_plans``."""

    id: int
    name: str
    version_no: int
    state: str
    district_code: str
    subdistrict_code: str
    valid_from: dt.datetime | None
    valid_to: dt.datetime | None
    lock_version: int
    note: str | None
    created_by: str | None
    created_at: dt.datetime | None
    updated_by: str | None
    updated_at: dt.datetime | None
    published_by: str | None = None
    publish_summary: dict[str, Any] = field(default_factory=dict)

    @property
    def editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)


@dataclass(frozen=True)
class PlanGeodata:
    """What a plan looks like on a map, in EPSG:4490.

    ``cells``: cell_code, name, community_code, community_name, leader_staff_id, leader_name,
    households (active household points inside, counted in PostGIS), blocks (count), geometry.
    ``blocks``: block_key, community_code, cell_code, geometry.
    """

    cells: gpd.GeoDataFrame
    blocks: gpd.GeoDataFrame


@dataclass(frozen=True)
class EditResult:
    """An edit that was saved: the plan's new lock_version and what happened, in Chinese."""

    plan_id: int
    lock_version: int
    message: str


@dataclass(frozen=True)
class ImportResult:
    """A draft built from imported streets: the plan, the dangles, proposal problems.

    ``enclosed_share`` is the share of the boundary closed by the streets themselves (None for
    road polygons); ``unenclosed`` the rest, as polygons in EPSG:4490; ``selection`` what the
    street filter kept and left out.
    """

    plan: PlanInfo
    blocks: int
    cells: int
    dangles: gpd.GeoDataFrame
    proposal_problems: pd.DataFrame
    enclosed_share: float | None = None
    unenclosed: gpd.GeoDataFrame | None = None
    selection: StreetSelection | None = None


#: More dangling street ends than this and the import asks the planner before making a draft.
DANGLES_TO_CONFIRM = 100
#: Streets closing less of the boundary than this share are reported, with where the rest is.
ENCLOSED_SHARE_TO_WARN = 0.95


class ImportNeedsConfirmation(LianxinError):
    """The street file gives a result the planner should look at before a draft is made.

    Nothing was written. ``dangles`` holds the dangling street ends (EPSG:4490); call again
    with ``confirm=True`` to make the draft anyway.
    """

    def __init__(
        self,
        message: str,
        *,
        dangles: gpd.GeoDataFrame,
        blocks: int,
        selection: StreetSelection | None = None,
    ) -> None:
        super().__init__(message)
        self.dangles = dangles
        self.blocks = blocks
        self.selection = selection


@dataclass(frozen=True)
class PublishResult:
    """What publishing changed.

    ``moved``: one row per household whose cell changed — household_id, head_name (None where
    the acting role may not read names), old_cell_code, new_cell_code.
    ``by_cell``: per old → new cell pair, the number of households moving.
    """

    plan: PlanInfo
    retired_plan_id: int | None
    households_assigned: int
    cases_assigned: int
    moved: pd.DataFrame
    by_cell: pd.DataFrame
    warnings_accepted: int
    # the version number of the plan this one replaced (None: there was none); not
    # ``plan.version_no - 1``: drafts that were never published take numbers too
    retired_version_no: int | None = None

    @property
    def households_moved(self) -> int:
        return len(self.moved)


# ---------------------------------------------------------------------------------------------
# Reading plans

_PLAN_COLUMNS = (
    "id, name, version_no, state, district_code, subdistrict_code, valid_from, valid_to, "
    "lock_version, note, created_by, created_at, updated_by, updated_at, published_by, "
    "publish_summary"
)


def _plan_from(row: Any) -> PlanInfo:
    values = dict(row)
    values["publish_summary"] = values.get("publish_summary") or {}
    return PlanInfo(**values)


def get_plan(session: Session, plan_id: int) -> PlanInfo:
    """The plan ``plan_id``; :class:`NotFoundError` when there is none."""
    row = (
        session.execute(
            text(f"SELECT {_PLAN_COLUMNS} FROM grid_plans WHERE id = :id"),  # noqa: S608
            {"id": plan_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFoundError(f"找不到网格方案 {plan_id}：它可能已被删除，请刷新页面")
    return _plan_from(row)


def list_plans(session: Session) -> pd.DataFrame:
    """Every plan, newest version first, with its number of cells and blocks."""
    result = session.execute(
        text(
            f"""
            SELECT {_PLAN_COLUMNS},
                   (SELECT count(*) FROM grid_cells c WHERE c.plan_id = p.id) AS cells,
                   (SELECT count(*) FROM blocks b WHERE b.plan_id = p.id) AS block_count
            FROM grid_plans p ORDER BY subdistrict_code, version_no DESC
            """  # noqa: S608 - constant column list
        )
    )
    df = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    df["state_label"] = df["state"].map(STATE_LABELS)
    return df


def _household_source(session: Session) -> str:
    """``households`` on the owner's connection, the anonymous view on the app role's.

    Row-level security hides every household row from a planner; the view gives them the
    locations (no names) they need to count and check.
    """
    owner = session.execute(
        text("SELECT tableowner = current_user FROM pg_tables WHERE tablename = 'households'")
    ).scalar()
    return "households" if owner else "household_points"


def plan_geodata(session: Session, plan_id: int) -> PlanGeodata:
    """Cells (with leader and households counted by location) and blocks of a plan.

    Households are counted by point in polygon against *this* plan's cells (a draft's cells
    are not yet anybody's ``cell_code``); a point on a shared edge counts once, for the lowest
    code, as when publishing.
    """
    get_plan(session, plan_id)
    source = _household_source(session)
    cells = repositories._gdf(
        session,
        f"""
        WITH hits AS (
            SELECT DISTINCT ON (h.id) h.id, c.cell_code
            FROM {source} h
            JOIN grid_cells c ON c.plan_id = :plan_id AND ST_Intersects(c.geom, h.geom)
            WHERE h.status = 'active' AND h.geom IS NOT NULL
            ORDER BY h.id, c.cell_code
        ), hh AS (SELECT cell_code, count(*) AS households FROM hits GROUP BY cell_code),
        bl AS (
            SELECT cell_code, count(*) AS blocks FROM blocks WHERE plan_id = :plan_id
            GROUP BY cell_code
        )
        SELECT c.cell_code, c.name, c.community_code, m.name AS community_name,
               c.leader_staff_id, s.name AS leader_name,
               coalesce(hh.households, 0)::int AS households,
               coalesce(bl.blocks, 0)::int AS blocks, c.geom
        FROM grid_cells c
        JOIN communities m ON m.code = c.community_code
        LEFT JOIN staff s ON s.id = c.leader_staff_id
        LEFT JOIN hh ON hh.cell_code = c.cell_code
        LEFT JOIN bl ON bl.cell_code = c.cell_code
        WHERE c.plan_id = :plan_id
        ORDER BY c.cell_code
        """,  # noqa: S608 - source is one of two constants
        {"plan_id": plan_id},
    )
    cells["leader_staff_id"] = cells["leader_staff_id"].astype("Int64")
    blocks = repositories._gdf(
        session,
        "SELECT block_key, community_code, cell_code, geom FROM blocks "
        "WHERE plan_id = :plan_id ORDER BY block_key",
        {"plan_id": plan_id},
    )
    return PlanGeodata(cells=cells, blocks=blocks)


def _households(session: Session) -> gpd.GeoDataFrame:
    source = _household_source(session)
    return repositories._gdf(
        session,
        f"SELECT id AS household_id, geom FROM {source} "  # noqa: S608 - constant
        "WHERE status = 'active' AND geom IS NOT NULL ORDER BY id",
    )


def _subdistrict(session: Session, code: str) -> gpd.GeoDataFrame:
    sd = repositories.subdistricts(session)
    return sd[sd["code"] == code]


def _communities(session: Session, subdistrict_code: str) -> gpd.GeoDataFrame:
    comm = repositories.communities(session)
    comm = comm[comm["subdistrict_code"] == subdistrict_code]
    return comm.rename(columns={"code": "community_code"}).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Checking


def check_plan(
    session: Session,
    plan_id: int,
    *,
    min_households: int = 300,
    max_households: int = 500,
    geodata: PlanGeodata | None = None,
) -> gpd.GeoDataFrame:
    """Check a plan's cells with :func:`gis.coverage.check_coverage`.

    The boundary is the plan's sub-district; each cell must lie in its own community, contain
    ``min_households``–``max_households`` active households, have a unique code and a grid
    leader, and every active household with a location must fall in a cell.

    Returns
    -------
    GeoDataFrame
        One row per problem (``kind``, ``kind_label``, ``cell_ids``, ``area_m2``,
        ``width_m``, ``message``, ``severity``, geometry in EPSG:4490); empty when clean.
    """
    plan = get_plan(session, plan_id)
    data = geodata or plan_geodata(session, plan_id)
    cells = data.cells.copy()
    cells["leader"] = cells["leader_name"].astype("string")
    boundary = _subdistrict(session, plan.subdistrict_code)
    problems = check_coverage(
        cells[["cell_code", "community_code", "leader", "geometry"]],
        boundary=boundary if len(boundary) else None,
        households=_households(session),
        id_field="cell_code",
        community_field="community_code",
        communities=_communities(session, plan.subdistrict_code),
        code_field="cell_code",
        leader_field="leader",
        min_households=min_households,
        max_households=max_households,
    )
    problems.insert(1, "kind_label", problems["kind"].map(KIND_LABELS).astype(object))
    return problems


def _blocking(problems: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return problems[problems["kind"].isin(BLOCKING_KINDS)]


def _warnings(problems: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return problems[problems["kind"].isin(WARNING_KINDS)]


# ---------------------------------------------------------------------------------------------
# Optimistic concurrency


def _fmt_time(moment: dt.datetime | None) -> str:
    if moment is None:
        return "刚才"
    local = moment.astimezone(dt.timezone(dt.timedelta(hours=8)))
    return f"{local:%Y-%m-%d %H:%M}"


def _bump(
    session: Session,
    plan_id: int,
    expected_lock_version: int,
    actor: str | None,
    *,
    states: Sequence[str] = EDITABLE_STATES,
) -> int:
    """Take the plan for this edit: bump ``lock_version`` iff it is still ``expected``.

    Runs first in every edit, so a conflicting editor's row lock makes the second edit wait
    and then see the new version, instead of both writing.
    """
    new = session.execute(
        text(
            "UPDATE grid_plans SET lock_version = lock_version + 1, updated_by = :actor, "
            "updated_at = now() WHERE id = :id AND lock_version = :expected "
            "AND state = ANY(:states) RETURNING lock_version"
        ),
        {"id": plan_id, "expected": expected_lock_version, "actor": actor, "states": list(states)},
    ).scalar()
    if new is not None:
        return int(new)
    plan = get_plan(session, plan_id)
    if plan.state not in states:
        raise ConflictError(
            f"方案“{plan.name}”{plan.state_label}，不能再修改；请先由已发布方案生成新草稿"
        )
    who = plan.updated_by or "其他人"
    raise ConflictError(
        f"方案已被 {who} 于 {_fmt_time(plan.updated_at)} 修改（版本 {plan.lock_version}，"
        f"您看到的是版本 {expected_lock_version}），请刷新后再改"
    )


# ---------------------------------------------------------------------------------------------
# Creating drafts


def _next_version(session: Session, subdistrict_code: str) -> int:
    return int(
        session.execute(
            text(
                "SELECT coalesce(max(version_no), 0) + 1 FROM grid_plans "
                "WHERE subdistrict_code = :sd"
            ),
            {"sd": subdistrict_code},
        ).scalar_one()
    )


def _insert_plan(
    session: Session, *, district: str, subdistrict: str, name: str | None, created_by: str | None
) -> int:
    version = _next_version(session, subdistrict)
    sd_name = session.execute(
        text("SELECT name FROM subdistricts WHERE code = :c"), {"c": subdistrict}
    ).scalar()
    title = name or f"{sd_name or subdistrict}网格方案 第{version}版（草稿）"
    return int(
        session.execute(
            text(
                "INSERT INTO grid_plans (district_code, subdistrict_code, name, version_no, "
                "state, created_by, updated_by, updated_at, lock_version) VALUES "
                "(:d, :sd, :name, :v, 'draft', :by, :by, now(), 1) RETURNING id"
            ),
            {"d": district, "sd": subdistrict, "name": title[:100], "v": version, "by": created_by},
        ).scalar_one()
    )


@_atomic
def create_draft_from_published(
    session: Session,
    created_by: str | None,
    *,
    subdistrict_code: str | None = None,
    source_plan_id: int | None = None,
    name: str | None = None,
) -> PlanInfo:
    """Copy a plan's blocks and cells (the published one by default) into a new draft.

    The draft gets the next version number of the sub-district and the same cell codes,
    names, leaders and geometries, so it checks exactly as its source does.
    """
    if source_plan_id is None:
        pub = repositories.published_plan(session, subdistrict_code=subdistrict_code)
        if pub is None:
            raise NotFoundError("还没有已发布的网格方案可复制：请先导入街巷生成草稿")
        source_plan_id = int(pub["id"])
    src = get_plan(session, source_plan_id)
    plan_id = _insert_plan(
        session,
        district=src.district_code,
        subdistrict=src.subdistrict_code,
        name=name,
        created_by=created_by,
    )
    session.execute(
        text(
            "INSERT INTO blocks (district_code, plan_id, block_key, community_code, cell_code, "
            "geom) SELECT district_code, :new, block_key, community_code, cell_code, geom "
            "FROM blocks WHERE plan_id = :src"
        ),
        {"new": plan_id, "src": source_plan_id},
    )
    session.execute(
        text(
            "INSERT INTO grid_cells (district_code, plan_id, community_code, cell_code, name, "
            "kind, leader_staff_id, geom) SELECT district_code, :new, community_code, cell_code, "
            "name, kind, leader_staff_id, geom FROM grid_cells WHERE plan_id = :src"
        ),
        {"new": plan_id, "src": source_plan_id},
    )
    return get_plan(session, plan_id)


@_atomic
def import_streets_into_draft(
    session: Session,
    plan_id: int | None,
    streets_gdf: gpd.GeoDataFrame,
    boundary_gdf: gpd.GeoDataFrame | None = None,
    snap_m: float = 2.0,
    *,
    created_by: str | None = None,
    expected_lock_version: int | None = None,
    propose: bool = True,
    min_households: int = 300,
    max_households: int = 500,
    min_block_width_m: float = 6.0,
    highways: Iterable[str] | None = DEFAULT_HIGHWAYS,
    confirm: bool = False,
) -> ImportResult:
    """Build blocks from imported streets/lanes and put them, grouped into cells, in a draft.

    Parameters
    ----------
    plan_id : int or None
        The draft to fill (its blocks and cells are replaced; needs
        ``expected_lock_version``), or None for a new draft.
    streets_gdf : GeoDataFrame
        Street/lane centrelines or road surfaces, with a CRS (see
        :func:`gis.blocks.blocks_from_streets`).
    boundary_gdf : GeoDataFrame, optional
        The territory; the sub-district's outline from the database by default.
    snap_m : float, default 2.0
        Dangling street ends this close to another street are joined.
    propose : bool, default True
        Group blocks into cells of ``min_households``–``max_households`` households with
        :func:`gis.cells.propose_cells` (households from the database); False makes one cell
        per block.
    highways : iterable of str or None, default :data:`gis.streets.DEFAULT_HIGHWAYS`
        OSM ``highway`` values used as block outlines (files without a ``highway`` attribute
        are used whole); see :func:`gis.streets.select_streets`.
    confirm : bool, default False
        Make the draft even when the streets leave more than :data:`DANGLES_TO_CONFIRM`
        dangling ends; without it such a result raises :class:`ImportNeedsConfirmation`.

    Returns
    -------
    ImportResult

    Raises
    ------
    core.errors.GeometryError
        The streets do not reach the boundary (one line naming both extents), or enclose
        nothing.
    ImportNeedsConfirmation
        Hundreds of dangles and ``confirm`` is False. Nothing is written.
    """
    if plan_id is None:
        pub = repositories.published_plan(session)
        sd = repositories.subdistricts(session)
        if pub is not None:
            subdistrict = str(pub["subdistrict_code"])
        elif len(sd):
            subdistrict = str(sd["code"].iloc[0])
        else:
            raise NotFoundError("数据库里没有街道（subdistricts），无法建立网格方案")
        district = subdistrict[:6]
    else:
        if expected_lock_version is None:
            raise InvalidInputError("向已有草稿导入时必须给出 expected_lock_version")
        target = get_plan(session, plan_id)
        subdistrict, district = target.subdistrict_code, target.district_code

    if boundary_gdf is None or len(boundary_gdf) == 0:
        boundary_gdf = _subdistrict(session, subdistrict)
        if not len(boundary_gdf):
            raise NotFoundError(f"找不到街道 {subdistrict} 的边界，请上传边界文件")
    if streets_gdf.crs is None:
        raise GeometryError("街巷图层没有坐标系")
    selection = select_streets(
        streets_gdf, highways=None if highways is None else frozenset(highways)
    )
    streets = selection.lines.to_crs(STORAGE_CRS)
    boundary = boundary_gdf.to_crs(STORAGE_CRS)
    check_extent(streets, boundary)
    result = blocks_from_streets(
        streets, boundary=boundary, snap_m=snap_m, min_block_width_m=min_block_width_m
    )
    blocks = result.blocks
    if not len(blocks):
        raise GeometryError("由这些街巷没有围出任何街区：请检查街巷是否与边界相交、是否闭合")
    n_dangles = int((result.dangles["kind"] == "dangle").sum())
    if n_dangles > DANGLES_TO_CONFIRM and not confirm:
        raise ImportNeedsConfirmation(
            f"街巷文件留下 {n_dangles:,} 个断头线（端点在 {snap_m:g} 米内不与任何街巷或边界相接），"
            f"由此生成的 {len(blocks):,} 个街区可能有误：请先在地图上查看断头线，"
            "修改街巷文件或加大吸附距离；确认无误再生成草稿",
            dangles=result.dangles.to_crs(STORAGE_CRS),
            blocks=len(blocks),
            selection=selection,
        )
    blocks = blocks.assign(block_key=[f"B{n:04d}" for n in range(1, len(blocks) + 1)])
    communities = _communities(session, subdistrict)
    blocks["community_code"] = pd.Series(
        _largest_overlap(blocks, communities), index=blocks.index, dtype=object
    )
    outside = blocks["community_code"].isna()
    problems = pd.DataFrame(
        columns=["kind", "community_code", "block_ids", "households", "message"]
    )
    if outside.all():
        raise GeometryError(
            f"生成的 {len(blocks):,} 个街区都不在街道 {subdistrict} 的任何社区内：请检查边界文件"
            "是否就是本街道的边界"
        )
    if outside.any():
        # No 15-digit code exists for a block outside every community: say so, leave it out.
        problems = pd.DataFrame(_outside_community_problems(blocks[outside]))
        blocks = blocks.loc[~outside].copy()
    if propose:
        proposal = propose_cells(
            blocks,
            _households(session),
            community_field="community_code",
            min_households=min_households,
            max_households=max_households,
            district_code=district,
            subdistrict_code=subdistrict[-3:],
            block_id_field="block_key",
        )
        problems = pd.concat(
            [problems, proposal.problems] if len(problems) else [proposal.problems],
            ignore_index=True,
        )
        cell_of = {b: row.cell_code for row in proposal.cells.itertuples() for b in row.block_ids}
    else:
        cell_of = _one_cell_per_block(blocks, district, subdistrict[-3:])
    # Object dtype, whatever the proposal covered: when it took no block, ``map`` alone would
    # give an all-NaN float column that refuses the 15-digit codes assigned below.
    blocks["cell_code"] = pd.Series(
        [cell_of.get(str(k)) for k in blocks["block_key"]], index=blocks.index, dtype=object
    )
    # A block no proposed cell took (too many households, isolated) gets a cell of its own,
    # so the draft still covers the territory; the check then shows its household count.
    loose = blocks["cell_code"].isna()
    if loose.any():
        taken = set(cell_of.values())
        for i in np.flatnonzero(loose.to_numpy()):
            comm = str(blocks["community_code"].iloc[i])
            code = _free_code(taken, district, subdistrict[-3:], comm)
            taken.add(code)
            blocks.loc[blocks.index[i], "cell_code"] = code

    if plan_id is None:
        plan_id = _insert_plan(
            session, district=district, subdistrict=subdistrict, name=None, created_by=created_by
        )
    else:
        assert expected_lock_version is not None
        _bump(session, plan_id, expected_lock_version, created_by)
        session.execute(text("DELETE FROM grid_cells WHERE plan_id = :p"), {"p": plan_id})
        session.execute(text("DELETE FROM blocks WHERE plan_id = :p"), {"p": plan_id})
    _insert_blocks(session, plan_id, district, blocks)
    codes = sorted(set(blocks["cell_code"]))
    for code in codes:
        comm = str(blocks.loc[blocks["cell_code"] == code, "community_code"].iloc[0])
        _insert_cell(session, plan_id, district, comm, code)
    _rebuild_cells(session, plan_id, codes)
    return ImportResult(
        plan=get_plan(session, plan_id),
        blocks=len(blocks),
        cells=len(codes),
        dangles=result.dangles,
        proposal_problems=problems,
        enclosed_share=result.enclosed_share,
        unenclosed=result.unenclosed.to_crs(STORAGE_CRS),
        selection=selection,
    )


def _outside_community_problems(blocks: gpd.GeoDataFrame) -> list[dict[str, object]]:
    work = working_crs(blocks.crs, blocks.total_bounds)
    area = shapely.area(np.asarray(blocks.to_crs(work).geometry.array))
    spots = shapely.point_on_surface(np.asarray(blocks.to_crs(STORAGE_CRS).geometry.array))
    return [
        {
            "kind": "outside_community",
            "community_code": None,
            "block_ids": [str(key)],
            "households": np.nan,
            "message": f"街区 {key}（{a:,.0f} 平方米，位于经度 {p.x:.5f}、纬度 {p.y:.5f}）"
            "不在任何社区内，没有可用的网格编码，未编入草稿：请核对边界或社区边界",
        }
        for key, a, p in zip(blocks["block_key"], area, spots, strict=True)
    ]


def _largest_overlap(blocks: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> list[str | None]:
    """The community each block overlaps most; None for a block mostly outside all of them."""
    if not len(communities):
        raise NotFoundError("数据库里没有社区边界，无法判断街区所属社区")
    b = np.asarray(blocks.geometry.array)
    work = working_crs(blocks.crs, shapely.total_bounds(b))
    bw = np.asarray(blocks.to_crs(work).geometry.array)
    cw = np.asarray(communities.to_crs(work).geometry.array)
    left, right = shapely.STRtree(cw).query(bw, predicate="intersects")
    area = shapely.area(shapely.intersection(bw[left], cw[right]))
    best = np.full(len(bw), -1)
    best_area = np.zeros(len(bw))
    for i, j, a in zip(left, right, area, strict=True):
        if a > best_area[i]:
            best[i], best_area[i] = j, a
    codes = communities["community_code"].astype(str).to_numpy()
    # A block mostly outside every community has no community: no nearest-community guess.
    inside = np.zeros(len(bw))
    np.add.at(inside, left, area)
    own = shapely.area(bw)
    return [
        str(codes[j]) if j >= 0 and inside[i] >= 0.5 * own[i] else None for i, j in enumerate(best)
    ]


def _one_cell_per_block(blocks: gpd.GeoDataFrame, district: str, sd3: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for comm, part in blocks.groupby("community_code"):
        seq = number_cells(np.asarray(part.geometry.array))
        for key, s in zip(part["block_key"], seq, strict=True):
            out[str(key)] = cell_code(district, sd3, str(comm)[-3:], int(s))
    return out


def _free_code(taken: Iterable[str], district: str, sd3: str, community: str) -> str:
    prefix = f"{district}{sd3}{community[-3:]}"
    used = {int(c[-3:]) for c in taken if c.startswith(prefix)}
    for n in range(1, 1000):
        if n not in used:
            return cell_code(district, sd3, community[-3:], n)
    raise InvalidInputError(f"社区 {community} 的网格编号已用完（最多 999 个网格）")


def _insert_blocks(session: Session, plan_id: int, district: str, blocks: gpd.GeoDataFrame) -> None:
    rows = [
        {
            "d": district,
            "p": plan_id,
            "k": str(r.block_key),
            "c": str(r.community_code),
            "cell": str(r.cell_code),
            "g": shapely.to_wkb(r.geometry, hex=True),
        }
        for r in blocks.to_crs(STORAGE_CRS).itertuples()
    ]
    if rows:
        session.execute(
            text(
                "INSERT INTO blocks (district_code, plan_id, block_key, community_code, cell_code,"
                " geom) VALUES (:d, :p, :k, :c, :cell, ST_SetSRID(ST_GeomFromWKB("
                "decode(:g, 'hex')), 4490))"
            ),
            rows,
        )


def _insert_cell(session: Session, plan_id: int, district: str, community: str, code: str) -> None:
    validate_cell_code(code)
    session.execute(
        text(
            "INSERT INTO grid_cells (district_code, plan_id, community_code, cell_code, name, geom)"
            " VALUES (:d, :p, :c, :code, :name, ST_GeomFromText('MULTIPOLYGON EMPTY', 4490))"
        ),
        {"d": district, "p": plan_id, "c": community, "code": code, "name": f"第{code[-3:]}网格"},
    )


# ---------------------------------------------------------------------------------------------
# Cell geometry from blocks


def _union_of_blocks(geoms: np.ndarray) -> shapely.Geometry:
    """The cell's outline: a coverage union keeps edges shared with neighbours exact."""
    geoms = geoms[~(pd.isna(geoms) | shapely.is_empty(geoms))]
    if not len(geoms):
        return shapely.MultiPolygon()
    if len(geoms) > 1 and shapely.coverage_is_valid(geoms):
        merged = shapely.coverage_union_all(geoms)
    else:  # a drawn block may overlap others; the check reports it, the union must not fail
        merged = shapely.union_all(shapely.make_valid(geoms))
    parts = [p for p in shapely.get_parts(merged) if shapely.get_type_id(p) == 3 and not p.is_empty]
    return shapely.MultiPolygon(parts)


def _rebuild_cells(session: Session, plan_id: int, codes: Iterable[str]) -> list[str]:
    """Recompute the geometry of ``codes`` from their blocks; delete cells left empty.

    Returns the codes of the cells deleted.
    """
    codes = sorted(set(codes))
    if not codes:
        return []
    blocks = repositories._gdf(
        session,
        "SELECT cell_code, geom FROM blocks WHERE plan_id = :p AND cell_code = ANY(:codes)",
        {"p": plan_id, "codes": codes},
    )
    removed = []
    for code in codes:
        geoms = np.asarray(blocks.loc[blocks["cell_code"] == code].geometry.array)
        if not len(geoms):
            session.execute(
                text("DELETE FROM grid_cells WHERE plan_id = :p AND cell_code = :c"),
                {"p": plan_id, "c": code},
            )
            removed.append(code)
            continue
        session.execute(
            text(
                "UPDATE grid_cells SET geom = ST_SetSRID(ST_GeomFromWKB(decode(:g, 'hex')), 4490)"
                " WHERE plan_id = :p AND cell_code = :c"
            ),
            {"g": shapely.to_wkb(_union_of_blocks(geoms), hex=True), "p": plan_id, "c": code},
        )
    return removed


def _cell(session: Session, plan_id: int, code: str) -> dict[str, Any]:
    row = (
        session.execute(
            text(
                "SELECT cell_code, community_code, name, district_code FROM grid_cells "
                "WHERE plan_id = :p AND cell_code = :c"
            ),
            {"p": plan_id, "c": code},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFoundError(f"方案中没有网格 {code}，请刷新页面")
    return dict(row)


def _cell_blocks(session: Session, plan_id: int, code: str) -> gpd.GeoDataFrame:
    return repositories._gdf(
        session,
        "SELECT id, block_key, community_code, cell_code, geom FROM blocks "
        "WHERE plan_id = :p AND cell_code = :c ORDER BY block_key",
        {"p": plan_id, "c": code},
    )


def _same_community(cell_a: dict[str, Any], cell_b: dict[str, Any]) -> None:
    if cell_a["community_code"] != cell_b["community_code"]:
        raise InvalidInputError(
            f"网格 {cell_a['cell_code']} 与 {cell_b['cell_code']} 属于不同社区"
            f"（{cell_a['community_code']} / {cell_b['community_code']}）：网格不能跨社区"
        )


def _new_cell_code(session: Session, plan_id: int, like: dict[str, Any]) -> str:
    taken = session.execute(
        text("SELECT cell_code FROM grid_cells WHERE plan_id = :p"), {"p": plan_id}
    ).scalars()
    parts = validate_cell_code(like["cell_code"])
    return _free_code(list(taken), parts.district, parts.subdistrict, str(like["community_code"]))


# ---------------------------------------------------------------------------------------------
# Edits


@_atomic
def move_block(
    session: Session,
    *,
    plan_id: int,
    block_key: str,
    to_cell_code: str,
    expected_lock_version: int,
    actor: str | None,
) -> EditResult:
    """Move one block to another cell of the same community; both cells are re-drawn."""
    lock = _bump(session, plan_id, expected_lock_version, actor)
    row = (
        session.execute(
            text(
                "SELECT block_key, community_code, cell_code FROM blocks "
                "WHERE plan_id = :p AND block_key = :k"
            ),
            {"p": plan_id, "k": block_key},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFoundError(f"方案中没有街区 {block_key}，请刷新页面")
    target = _cell(session, plan_id, to_cell_code)
    if row["cell_code"] == to_cell_code:
        raise InvalidInputError(f"街区 {block_key} 已经在网格 {to_cell_code} 中")
    if row["community_code"] != target["community_code"]:
        raise InvalidInputError(
            f"街区 {block_key} 属于社区 {row['community_code']}，网格 {to_cell_code} 属于社区 "
            f"{target['community_code']}：网格不能跨社区"
        )
    session.execute(
        text("UPDATE blocks SET cell_code = :c WHERE plan_id = :p AND block_key = :k"),
        {"c": to_cell_code, "p": plan_id, "k": block_key},
    )
    removed = _rebuild_cells(session, plan_id, [row["cell_code"], to_cell_code])
    msg = f"已把街区 {block_key} 从网格 {row['cell_code']} 移到网格 {to_cell_code}"
    if removed:
        msg += f"；网格 {'、'.join(removed)} 已没有街区，已删除"
    return EditResult(plan_id, lock, msg)


@_atomic
def merge_cells(
    session: Session,
    *,
    plan_id: int,
    keep_cell_code: str,
    absorb_cell_code: str,
    expected_lock_version: int,
    actor: str | None,
) -> EditResult:
    """Merge ``absorb_cell_code`` into ``keep_cell_code`` (same community); the code of the
    absorbed cell is retired in this plan."""
    if keep_cell_code == absorb_cell_code:
        raise InvalidInputError("请选择两个不同的网格进行合并")
    lock = _bump(session, plan_id, expected_lock_version, actor)
    keep = _cell(session, plan_id, keep_cell_code)
    gone = _cell(session, plan_id, absorb_cell_code)
    _same_community(keep, gone)
    n = len(
        session.execute(
            text(
                "UPDATE blocks SET cell_code = :k WHERE plan_id = :p AND cell_code = :a "
                "RETURNING id"
            ),
            {"k": keep_cell_code, "p": plan_id, "a": absorb_cell_code},
        ).all()
    )
    session.execute(
        text("DELETE FROM grid_cells WHERE plan_id = :p AND cell_code = :a"),
        {"p": plan_id, "a": absorb_cell_code},
    )
    _rebuild_cells(session, plan_id, [keep_cell_code])
    return EditResult(
        plan_id,
        lock,
        f"已把网格 {absorb_cell_code}（{n} 个街区）并入网格 {keep_cell_code}",
    )


@_atomic
def split_cell_by_blocks(
    session: Session,
    *,
    plan_id: int,
    cell_code: str,
    block_keys: Sequence[str],
    expected_lock_version: int,
    actor: str | None,
    new_cell_code: str | None = None,
) -> EditResult:
    """Split a cell: ``block_keys`` (some of its blocks, not all) become a new cell.

    The new cell gets the next free code of the community unless ``new_cell_code`` is given;
    it has no grid leader until one is assigned.
    """
    keys = sorted(set(block_keys))
    if not keys:
        raise InvalidInputError("请选择要分出去的街区")
    lock = _bump(session, plan_id, expected_lock_version, actor)
    cell = _cell(session, plan_id, cell_code)
    have = set(_cell_blocks(session, plan_id, cell_code)["block_key"])
    foreign = [k for k in keys if k not in have]
    if foreign:
        raise InvalidInputError(f"街区 {'、'.join(foreign)} 不在网格 {cell_code} 中")
    if set(keys) == have:
        raise InvalidInputError(f"不能把网格 {cell_code} 的全部街区都分出去：至少留下一个")
    new = _claim_code(session, plan_id, cell, new_cell_code)
    _insert_cell(session, plan_id, cell["district_code"], cell["community_code"], new)
    session.execute(
        text(
            "UPDATE blocks SET cell_code = :n WHERE plan_id = :p AND cell_code = :c "
            "AND block_key = ANY(:keys)"
        ),
        {"n": new, "p": plan_id, "c": cell_code, "keys": keys},
    )
    _rebuild_cells(session, plan_id, [cell_code, new])
    return EditResult(
        plan_id, lock, f"已从网格 {cell_code} 分出 {len(keys)} 个街区，组成新网格 {new}"
    )


def _claim_code(session: Session, plan_id: int, cell: dict[str, Any], wanted: str | None) -> str:
    if wanted is None:
        return _new_cell_code(session, plan_id, cell)
    parts = validate_cell_code(wanted)
    if parts.community != str(cell["community_code"])[-3:]:
        raise InvalidInputError(
            f"新网格编码 {wanted} 的社区序号 {parts.community} 与社区 {cell['community_code']} 不符"
        )
    exists = session.execute(
        text("SELECT 1 FROM grid_cells WHERE plan_id = :p AND cell_code = :c"),
        {"p": plan_id, "c": wanted},
    ).scalar()
    if exists:
        raise InvalidInputError(f"网格编码 {wanted} 已在本方案中使用，请换一个")
    return wanted


@_atomic
def split_cell_by_line(
    session: Session,
    *,
    plan_id: int,
    cell_code: str,
    line: shapely.Geometry,
    expected_lock_version: int,
    actor: str | None,
    line_crs: Any = "EPSG:4326",
) -> EditResult:
    """Split a cell along a drawn line into two cells.

    Blocks the line crosses are cut in two (keys ``<key>-1``, ``<key>-2``); the part of the
    cell on the side with the smaller area becomes a new cell. The line must cross the cell
    completely and cut it into exactly two parts. Cutting happens in the storage CRS so every
    vertex the cut does not create stays bit-for-bit as it was; the new vertices are snapped
    onto the neighbouring blocks' edges so the blocks still form an exact coverage.
    """
    if line is None or shapely.get_type_id(line) not in (1, 5) or line.is_empty:
        raise GeometryError("分割线必须是一条线（在地图上用“画线”工具绘制）")
    if pyproj.CRS.from_user_input(line_crs) != pyproj.CRS.from_user_input(STORAGE_CRS):
        # EPSG:4326 and 4490 differ by centimetres; treat the drawn line as CGCS2000 lon/lat.
        if not pyproj.CRS.from_user_input(line_crs).is_geographic:
            line = gpd.GeoSeries([line], crs=line_crs).to_crs(STORAGE_CRS).iloc[0]
    lock = _bump(session, plan_id, expected_lock_version, actor)
    cell = _cell(session, plan_id, cell_code)
    outline = session.execute(
        text("SELECT ST_AsBinary(geom) FROM grid_cells WHERE plan_id = :p AND cell_code = :c"),
        {"p": plan_id, "c": cell_code},
    ).scalar()
    if outline is None:
        raise GeometryError(f"网格 {cell_code} 没有几何图形，无法分割")
    whole = shapely.from_wkb(bytes(outline))
    sides = [p for p in shapely.get_parts(shapely.ops.split(whole, line)) if p.area > 0]
    if len(sides) < 2:
        raise GeometryError(
            f"分割线没有完整穿过网格 {cell_code}：请从网格外画到网格外，把它分成两部分"
        )
    if len(sides) > 2:
        raise GeometryError(
            f"分割线把网格 {cell_code} 分成了 {len(sides)} 部分：请画一条只把它分成两部分的线"
        )
    small = min(sides, key=lambda g: g.area)
    shapely.prepare(small)

    blocks = _cell_blocks(session, plan_id, cell_code)
    whole_to_new: list[str] = []
    cut_ids: list[int] = []
    cut_keys: list[str] = []
    cut_geoms: list[shapely.Geometry] = []
    cut_to_new: list[bool] = []
    for row in blocks.itertuples():
        geom = row.geometry
        parts = [p for p in shapely.get_parts(shapely.ops.split(geom, line)) if p.area > 0]
        if len(parts) <= 1:
            if small.contains(geom.point_on_surface()):
                whole_to_new.append(str(row.block_key))
            continue
        cut_ids.append(int(row.id))
        for n, part in enumerate(parts, 1):
            cut_keys.append(f"{row.block_key}-{n}"[:40])
            cut_geoms.append(part)
            cut_to_new.append(bool(small.contains(part.point_on_surface())))
    moving = len(whole_to_new) + sum(cut_to_new)
    staying = len(blocks) - len(whole_to_new) - len(cut_ids) + cut_to_new.count(False)
    if moving == 0 or staying == 0:
        raise GeometryError(f"分割线没有把网格 {cell_code} 的街区分成两组，请重画")

    # New vertices (where the line crosses block edges) must exist on both sides of each edge.
    pieces = np.asarray(cut_geoms, dtype=object)
    ref = shapely.MultiPoint()
    if len(pieces):
        cuts = shapely.intersection(line, shapely.union_all(shapely.boundary(pieces)))
        ref = shapely.multipoints(shapely.get_coordinates(cuts))
        pieces = shapely.snap(pieces, ref, _DEG_TOL)
    new = _new_cell_code(session, plan_id, cell)
    _insert_cell(session, plan_id, cell["district_code"], cell["community_code"], new)
    if cut_ids:
        session.execute(text("DELETE FROM blocks WHERE id = ANY(:ids)"), {"ids": cut_ids})
        frame = gpd.GeoDataFrame(
            {
                "block_key": cut_keys,
                "community_code": [cell["community_code"]] * len(cut_keys),
                "cell_code": [new if to_new else cell_code for to_new in cut_to_new],
            },
            geometry=list(pieces),
            crs=STORAGE_CRS,
        )
        _insert_blocks(session, plan_id, cell["district_code"], frame)
    if whole_to_new:
        session.execute(
            text("UPDATE blocks SET cell_code = :n WHERE plan_id = :p AND block_key = ANY(:k)"),
            {"n": new, "p": plan_id, "k": whole_to_new},
        )
    _snap_neighbours(session, plan_id, line, ref)
    _rebuild_cells(session, plan_id, _cells_touching(session, plan_id, line) | {cell_code, new})
    return EditResult(
        plan_id,
        lock,
        f"已沿分割线把网格 {cell_code} 分成两格（新网格 {new}）；切开了 {len(cut_ids)} 个街区",
    )


def _snap_neighbours(
    session: Session, plan_id: int, line: shapely.Geometry, ref: shapely.Geometry
) -> None:
    """Insert the cut's new vertices into any block whose edge they lie on (neighbours)."""
    near = repositories._gdf(
        session,
        "SELECT id, geom FROM blocks WHERE plan_id = :p AND "
        "ST_Intersects(geom, ST_SetSRID(ST_GeomFromWKB(decode(:g, 'hex')), 4490))",
        {"p": plan_id, "g": shapely.to_wkb(line, hex=True)},
    )
    for row in near.itertuples():
        snapped = shapely.snap(row.geometry, ref, _DEG_TOL)
        if not snapped.equals_exact(row.geometry, 0):
            session.execute(
                text(
                    "UPDATE blocks SET geom = ST_SetSRID(ST_GeomFromWKB(decode(:g, 'hex')), 4490)"
                    " WHERE id = :id"
                ),
                {"g": shapely.to_wkb(snapped, hex=True), "id": int(row.id)},
            )


def _cells_touching(session: Session, plan_id: int, line: shapely.Geometry) -> set[str]:
    rows = session.execute(
        text(
            "SELECT DISTINCT cell_code FROM blocks WHERE plan_id = :p AND "
            "ST_Intersects(geom, ST_SetSRID(ST_GeomFromWKB(decode(:g, 'hex')), 4490))"
        ),
        {"p": plan_id, "g": shapely.to_wkb(line, hex=True)},
    ).scalars()
    return {str(c) for c in rows if c}


@_atomic
def replace_cell_geometry(
    session: Session,
    *,
    plan_id: int,
    cell_code: str,
    polygon: shapely.Geometry,
    expected_lock_version: int,
    actor: str | None,
    polygon_crs: Any = "EPSG:4326",
) -> EditResult:
    """Replace a cell's outline by a drawn polygon.

    The cell's blocks are replaced by one drawn block (key ``D<cell_code>``) so the rule
    "a cell is the union of its blocks" still holds. Nothing is clipped: the check then shows
    what the new outline broke (a gap where it fell short, an overlap where it reached into a
    neighbour, a cell outside its community).
    """
    if polygon is None or polygon.is_empty or shapely.get_type_id(polygon) not in (3, 6):
        raise GeometryError("请在地图上画一个面（多边形或矩形）作为网格的新范围")
    crs = pyproj.CRS.from_user_input(polygon_crs)
    if not crs.is_geographic:
        polygon = gpd.GeoSeries([polygon], crs=crs).to_crs(STORAGE_CRS).iloc[0]
    if not polygon.is_valid:
        raise GeometryError(
            f"画的面无效（{shapely.is_valid_reason(polygon)}）：边界不能自相交，请重画"
        )
    if shapely.get_type_id(polygon) == 6:
        polygon = max(shapely.get_parts(polygon), key=lambda g: g.area)
    lock = _bump(session, plan_id, expected_lock_version, actor)
    cell = _cell(session, plan_id, cell_code)
    n = len(
        session.execute(
            text("DELETE FROM blocks WHERE plan_id = :p AND cell_code = :c RETURNING id"),
            {"p": plan_id, "c": cell_code},
        ).all()
    )
    frame = gpd.GeoDataFrame(
        {
            "block_key": [f"D{cell_code}"],
            "community_code": [cell["community_code"]],
            "cell_code": [cell_code],
        },
        geometry=[polygon],
        crs=STORAGE_CRS,
    )
    _insert_blocks(session, plan_id, cell["district_code"], frame)
    _rebuild_cells(session, plan_id, [cell_code])
    return EditResult(plan_id, lock, f"已用所画的面替换网格 {cell_code} 的范围（原有 {n} 个街区）")


def leader_options(session: Session) -> pd.DataFrame:
    """Active grid leaders who could lead a cell: id, name, community_code, staff_no."""
    result = session.execute(
        text(
            "SELECT id, name, community_code, staff_no FROM staff "
            "WHERE role = 'grid_leader' AND active ORDER BY community_code, name"
        )
    )
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


@_atomic
def assign_leader(
    session: Session,
    *,
    plan_id: int,
    cell_code: str,
    staff_id: int | None,
    expected_lock_version: int,
    actor: str | None,
) -> EditResult:
    """Name (or, with None, remove) a cell's grid leader."""
    lock = _bump(session, plan_id, expected_lock_version, actor)
    _cell(session, plan_id, cell_code)
    name = None
    if staff_id is not None:
        name = session.execute(
            text("SELECT name FROM staff WHERE id = :id AND active"), {"id": staff_id}
        ).scalar()
        if name is None:
            raise NotFoundError(f"找不到在岗人员 {staff_id}")
    session.execute(
        text("UPDATE grid_cells SET leader_staff_id = :s WHERE plan_id = :p AND cell_code = :c"),
        {"s": staff_id, "p": plan_id, "c": cell_code},
    )
    msg = f"网格 {cell_code} 的网格长：{name}" if name else f"已取消网格 {cell_code} 的网格长"
    return EditResult(plan_id, lock, msg)


# ---------------------------------------------------------------------------------------------
# Publishing


def _refusal(problems: gpd.GeoDataFrame) -> str:
    counts = problems["kind"].map(KIND_LABELS).value_counts()
    head = "、".join(f"{k} {v} 处" for k, v in counts.items())
    lines = [f"方案还有 {len(problems)} 个必须修改的问题，不能发布（{head}）："]
    lines += [f"· {m}" for m in problems["message"].head(_MAX_LISTED)]
    if len(problems) > _MAX_LISTED:
        lines.append(f"……等 {len(problems)} 个")
    return "\n".join(lines)


def _assignments(session: Session) -> pd.DataFrame:
    source = _household_source(session)
    result = session.execute(
        text(
            f"SELECT p.id AS household_id, p.cell_code, h.head_name FROM {source} p "  # noqa: S608
            "LEFT JOIN households h ON h.id = p.id WHERE p.geom IS NOT NULL"
        )
    )
    return pd.DataFrame(result.fetchall(), columns=["household_id", "cell_code", "head_name"])


def publish_preview(session: Session, plan_id: int) -> pd.DataFrame:
    """Households whose cell would change if ``plan_id`` were published now.

    Columns household_id, old_cell_code, new_cell_code (no names: this is for the
    confirmation step, which counts them).
    """
    source = _household_source(session)
    result = session.execute(
        text(
            f"""
            SELECT DISTINCT ON (h.id) h.id AS household_id, h.cell_code AS old_cell_code,
                   c.cell_code AS new_cell_code
            FROM {source} h
            JOIN grid_cells c ON c.plan_id = :p AND ST_Intersects(c.geom, h.geom)
            WHERE h.geom IS NOT NULL
            ORDER BY h.id, c.cell_code
            """  # noqa: S608 - constant
        ),
        {"p": plan_id},
    )
    df = pd.DataFrame(result.fetchall(), columns=["household_id", "old_cell_code", "new_cell_code"])
    return df[df["old_cell_code"].fillna("") != df["new_cell_code"]].reset_index(drop=True)


@_atomic
def publish(
    session: Session,
    *,
    plan_id: int,
    note: str | None,
    actor: str | None,
    expected_lock_version: int,
    min_households: int = 300,
    max_households: int = 500,
) -> PublishResult:
    """Publish a draft: check it, retire the current plan, re-assign households and cases.

    Raises
    ------
    ConflictError
        Someone changed the plan since the caller saw ``expected_lock_version``, or the plan
        is not a draft.
    InvalidInputError
        Blocking problems remain (each one listed), or warnings remain and ``note`` is empty.
    """
    lock = _bump(session, plan_id, expected_lock_version, actor)  # also row-locks the plan
    plan = get_plan(session, plan_id)
    problems = check_plan(
        session, plan_id, min_households=min_households, max_households=max_households
    )
    blocking = _blocking(problems)
    if len(blocking):
        raise InvalidInputError(_refusal(blocking))
    warnings = _warnings(problems)
    note = (note or "").strip()
    if len(warnings) and not note:
        counts = "、".join(
            f"{k} {v} 处" for k, v in warnings["kind"].map(KIND_LABELS).value_counts().items()
        )
        raise InvalidInputError(
            f"方案有 {len(warnings)} 个提示性问题（{counts}）：请在“发布说明”中写明为何接受后再发布"
        )

    before = _assignments(session)
    retiring = session.execute(
        text(
            "SELECT id, version_no FROM grid_plans WHERE subdistrict_code = :sd "
            "AND state = 'published' AND id <> :id FOR UPDATE"
        ),
        {"sd": plan.subdistrict_code, "id": plan_id},
    ).first()
    current = retiring.id if retiring is not None else None
    session.execute(
        text(
            "UPDATE grid_plans SET state = 'retired', valid_to = now(), updated_by = :actor, "
            "updated_at = now(), lock_version = lock_version + 1 "
            "WHERE subdistrict_code = :sd AND state = 'published' AND id <> :id"
        ),
        {"sd": plan.subdistrict_code, "id": plan_id, "actor": actor},
    )
    session.execute(
        text(
            "UPDATE grid_plans SET state = 'published', valid_from = now(), valid_to = NULL, "
            "note = :note, published_by = :actor, "
            "name = regexp_replace(name, '（草稿）$', '') WHERE id = :id"
        ),
        {"id": plan_id, "note": note or None, "actor": actor},
    )
    n_households, n_cases = _assign(session, plan_id)
    after = _assignments(session)
    diff = before.merge(after, on="household_id", suffixes=("_old", "_new"))
    moved = diff[diff["cell_code_old"].fillna("") != diff["cell_code_new"].fillna("")]
    moved = pd.DataFrame(
        {
            "household_id": moved["household_id"].astype(int),
            "head_name": moved["head_name_new"].where(moved["head_name_new"].notna(), None),
            "old_cell_code": moved["cell_code_old"],
            "new_cell_code": moved["cell_code_new"],
        }
    ).sort_values(["old_cell_code", "new_cell_code", "household_id"], na_position="first")
    moved = moved.reset_index(drop=True)
    by_cell = (
        moved.groupby(["old_cell_code", "new_cell_code"], dropna=False)
        .size()
        .rename("households")
        .reset_index()
        .sort_values("households", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
    summary = {
        "households_assigned": n_households,
        "cases_assigned": n_cases,
        "households_moved": len(moved),
        "warnings_accepted": len(warnings),
        "retired_plan_id": current,
        "retired_version_no": retiring.version_no if retiring is not None else None,
        "lock_version": lock,
    }
    session.execute(
        text("UPDATE grid_plans SET publish_summary = CAST(:s AS jsonb) WHERE id = :id"),
        {"s": json.dumps(summary), "id": plan_id},
    )
    return PublishResult(
        plan=get_plan(session, plan_id),
        retired_plan_id=int(current) if current is not None else None,
        households_assigned=n_households,
        cases_assigned=n_cases,
        moved=moved,
        by_cell=by_cell,
        warnings_accepted=len(warnings),
        retired_version_no=int(retiring.version_no) if retiring is not None else None,
    )


def _assign(session: Session, plan_id: int) -> tuple[int, int]:
    if _household_source(session) == "households":
        households = repositories.assign_cells(session, plan_id=plan_id, table="households")
        cases = repositories.assign_cells(
            session, plan_id=plan_id, table="cases", where="x.state NOT IN ('closed','rated')"
        )
        return households, cases
    row = session.execute(
        text("SELECT households, cases FROM lianxin_assign_cells(:p)"), {"p": plan_id}
    ).one()
    return int(row.households), int(row.cases)


# ---------------------------------------------------------------------------------------------
# Export


_SHP_NAMES = {
    "community_code": "comm_code",
    "community_name": "comm_name",
    "leader_name": "leader",
    "households": "households",
}


def export_plan(session: Session, plan_id: int, fmt: str) -> bytes:
    """The plan's cells and blocks as a GeoPackage (``gpkg``), GeoJSON (``geojson``, cells
    only) or zipped Shapefile (``shp``), in EPSG:4490.

    Cells carry cell_code, name, community_code, community_name, leader_name, households;
    Shapefile field names are cut to 10 characters by the format itself.
    """
    if fmt not in EXPORT_FORMATS:
        raise InvalidInputError(f"不支持的导出格式 {fmt!r}，可选：{', '.join(EXPORT_FORMATS)}")
    data = plan_geodata(session, plan_id)
    cells = data.cells.drop(columns=["leader_staff_id"]).copy()
    cells["leader_name"] = (
        cells["leader_name"].astype(object).where(cells["leader_name"].notna(), "")
    )
    blocks = data.blocks
    if fmt == "shp":  # dBase field names have at most 10 characters
        cells = cells.rename(columns=_SHP_NAMES)
        blocks = blocks.rename(columns=_SHP_NAMES)
    layers: dict[str, gpd.GeoDataFrame] = {"cells": cells}
    if fmt != "geojson":
        layers["blocks"] = blocks
    suffix = EXPORT_FORMATS[fmt][0]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"plan{suffix}"
        from gis.io import write_layers

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's notes on field widths
            write_layers(out, layers)
        return out.read_bytes()


def export_filename(version_no: int, subdistrict_code: str, fmt: str) -> str:
    """``网格方案_第2版_610902001.gpkg`` and so on."""
    return f"网格方案_第{version_no}版_{subdistrict_code}{EXPORT_FORMATS[fmt][0]}"
