"""Grid plans' records: what the services of ``services/plans`` take and return."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

import geopandas as gpd
import pandas as pd

from core.errors import LianxinError
from gis.streets import StreetSelection

EDITABLE_STATES = ("draft", "validated")
STATE_LABELS = {"draft": "草稿", "validated": "已校验", "published": "已发布", "retired": "已停用"}
#: fmt → (file suffix, MIME type)
EXPORT_FORMATS = {
    "gpkg": (".gpkg", "application/geopackage+sqlite3"),
    "geojson": (".geojson", "application/geo+json"),
    "shp": (".shp.zip", "application/zip"),
}

P = ParamSpec("P")
R = TypeVar("R")


def atomic(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a write in a savepoint: when it raises, nothing it wrote stays (not even the
    lock_version bump), whatever the caller does with the session afterwards."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        session = kwargs["session"]
        with session.begin_nested():  # type: ignore[attr-defined]
            return fn(*args, **kwargs)

    return wrapper


# ---------------------------------------------------------------------------------------------


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


def plan_from(row: dict[str, Any]) -> PlanInfo:
    values = dict(row)
    values["publish_summary"] = values.get("publish_summary") or {}
    return PlanInfo(**values)
