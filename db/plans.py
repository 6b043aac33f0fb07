"""SQL of the grid plans (services/plans): plans, their blocks and cells, publishing.

Named functions with typed parameters, no commits: the service owns the transaction.
Geometries go in and out in EPSG:4490 (:data:`core.settings.SRID`).

Which household table
---------------------
The owner's connection reads ``households`` directly; the app role's (row-level security)
reads household *locations* through the anonymous ``household_points`` view. The services ask
:func:`household_source` once and hand its answer (one of two names, checked here) back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.settings import SRID
from core.vocab import DONE_STATES
from db.repositories import _df, _gdf, assign_cells

# The one lookup of the published plan, shared with other domains (explicit re-export).
from db.repositories import published_plan as published_plan  # noqa: E402

HouseholdSource = Literal["households", "household_points"]

_PLAN_COLUMNS = (
    "id, name, version_no, state, district_code, subdistrict_code, valid_from, valid_to, "
    "lock_version, note, created_by, created_at, updated_by, updated_at, published_by, "
    "publish_summary"
)
# A geometry parameter :g (hex WKB) in the storage CRS.
_GEOM = f"ST_SetSRID(ST_GeomFromWKB(decode(:g, 'hex')), {SRID})"


def _source(source: HouseholdSource) -> str:
    if source not in ("households", "household_points"):
        raise ValueError(source)
    return source


def _hex(geom: shapely.Geometry) -> str:
    return str(shapely.to_wkb(geom, hex=True))


# ---------------------------------------------------------------------------------------------
# Plans


def plan_row(session: Session, *, plan_id: int) -> dict[str, Any] | None:
    """One row of ``grid_plans`` as a dict, None when there is none."""
    row = (
        session.execute(
            text(f"SELECT {_PLAN_COLUMNS} FROM grid_plans WHERE id = :id"),  # noqa: S608
            {"id": plan_id},
        )
        .mappings()
        .first()
    )
    return None if row is None else dict(row)


def plan_rows(session: Session) -> pd.DataFrame:
    """Every plan, newest version first, with ``cells`` and ``block_count``."""
    return _df(
        session,
        f"""
        SELECT {_PLAN_COLUMNS},
               (SELECT count(*) FROM grid_cells c WHERE c.plan_id = p.id) AS cells,
               (SELECT count(*) FROM blocks b WHERE b.plan_id = p.id) AS block_count
        FROM grid_plans p ORDER BY subdistrict_code, version_no DESC
        """,  # noqa: S608 - constant column list
    )


def household_source(session: Session) -> HouseholdSource:
    """``households`` on the owner's connection, the anonymous view on the app role's."""
    owner = session.execute(
        text("SELECT tableowner = current_user FROM pg_tables WHERE tablename = 'households'")
    ).scalar()
    return "households" if owner else "household_points"


def bump_lock_version(
    session: Session,
    *,
    plan_id: int,
    expected_lock_version: int,
    actor: str | None,
    states: Sequence[str],
) -> int | None:
    """Bump ``lock_version`` iff it is still ``expected`` and the plan in ``states``; the new
    version, or None when the plan changed (or is in another state)."""
    new = session.execute(
        text(
            "UPDATE grid_plans SET lock_version = lock_version + 1, updated_by = :actor, "
            "updated_at = now() WHERE id = :id AND lock_version = :expected "
            "AND state = ANY(:states) RETURNING lock_version"
        ),
        {"id": plan_id, "expected": expected_lock_version, "actor": actor, "states": list(states)},
    ).scalar()
    return None if new is None else int(new)


def next_version_no(session: Session, *, subdistrict_code: str) -> int:
    return int(
        session.execute(
            text(
                "SELECT coalesce(max(version_no), 0) + 1 FROM grid_plans "
                "WHERE subdistrict_code = :sd"
            ),
            {"sd": subdistrict_code},
        ).scalar_one()
    )


def subdistrict_name(session: Session, *, code: str) -> str | None:
    name = session.execute(
        text("SELECT name FROM subdistricts WHERE code = :c"), {"c": code}
    ).scalar()
    return None if name is None else str(name)


def insert_draft(
    session: Session,
    *,
    district_code: str,
    subdistrict_code: str,
    name: str,
    version_no: int,
    created_by: str | None,
) -> int:
    """A new draft plan (lock_version 1); its id."""
    return int(
        session.execute(
            text(
                "INSERT INTO grid_plans (district_code, subdistrict_code, name, version_no, "
                "state, created_by, updated_by, updated_at, lock_version) VALUES "
                "(:d, :sd, :name, :v, 'draft', :by, :by, now(), 1) RETURNING id"
            ),
            {
                "d": district_code,
                "sd": subdistrict_code,
                "name": name,
                "v": version_no,
                "by": created_by,
            },
        ).scalar_one()
    )


def copy_plan_contents(session: Session, *, source_plan_id: int, new_plan_id: int) -> None:
    """Copy every block and cell (codes, names, leaders, geometries) of one plan to another."""
    params = {"new": new_plan_id, "src": source_plan_id}
    session.execute(
        text(
            "INSERT INTO blocks (district_code, plan_id, block_key, community_code, cell_code, "
            "geom) SELECT district_code, :new, block_key, community_code, cell_code, geom "
            "FROM blocks WHERE plan_id = :src"
        ),
        params,
    )
    session.execute(
        text(
            "INSERT INTO grid_cells (district_code, plan_id, community_code, cell_code, name, "
            "kind, leader_staff_id, geom) SELECT district_code, :new, community_code, cell_code, "
            "name, kind, leader_staff_id, geom FROM grid_cells WHERE plan_id = :src"
        ),
        params,
    )


def delete_plan_contents(session: Session, *, plan_id: int) -> None:
    """Delete every cell and block of a plan."""
    session.execute(text("DELETE FROM grid_cells WHERE plan_id = :p"), {"p": plan_id})
    session.execute(text("DELETE FROM blocks WHERE plan_id = :p"), {"p": plan_id})


# ---------------------------------------------------------------------------------------------
# Reading a plan's geometry and households


def cells_with_counts(
    session: Session, *, plan_id: int, source: HouseholdSource
) -> gpd.GeoDataFrame:
    """A plan's cells with community and leader names, households (point in polygon against
    this plan's cells; a point on a shared edge counts once, for the lowest code) and blocks."""
    return _gdf(
        session,
        f"""
        WITH hits AS (
            SELECT DISTINCT ON (h.id) h.id, c.cell_code
            FROM {_source(source)} h
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
        """,  # noqa: S608 - source is one of two checked names
        {"plan_id": plan_id},
    )


def plan_blocks(session: Session, *, plan_id: int) -> gpd.GeoDataFrame:
    """block_key, community_code, cell_code, geometry of a plan's blocks."""
    return _gdf(
        session,
        "SELECT block_key, community_code, cell_code, geom FROM blocks "
        "WHERE plan_id = :plan_id ORDER BY block_key",
        {"plan_id": plan_id},
    )


def active_household_points(session: Session, *, source: HouseholdSource) -> gpd.GeoDataFrame:
    """household_id, geometry of every active household with a location."""
    return _gdf(
        session,
        f"SELECT id AS household_id, geom FROM {_source(source)} "  # noqa: S608 - checked
        "WHERE status = 'active' AND geom IS NOT NULL ORDER BY id",
    )


# ---------------------------------------------------------------------------------------------
# Blocks and cells


def insert_blocks(
    session: Session, *, plan_id: int, district_code: str, blocks: gpd.GeoDataFrame
) -> None:
    """Insert blocks (block_key, community_code, cell_code, geometry in EPSG:4490)."""
    rows = [
        {
            "d": district_code,
            "p": plan_id,
            "k": str(r.block_key),
            "c": str(r.community_code),
            "cell": str(r.cell_code),
            "g": _hex(r.geometry),
        }
        for r in blocks.itertuples()
    ]
    if rows:
        session.execute(
            text(
                "INSERT INTO blocks (district_code, plan_id, block_key, community_code, cell_code,"
                f" geom) VALUES (:d, :p, :k, :c, :cell, {_GEOM})"
            ),
            rows,
        )


def insert_empty_cell(
    session: Session,
    *,
    plan_id: int,
    district_code: str,
    community_code: str,
    cell_code: str,
    name: str,
) -> None:
    """A cell with an empty geometry (its blocks draw it later)."""
    session.execute(
        text(
            "INSERT INTO grid_cells (district_code, plan_id, community_code, cell_code, name, geom)"
            f" VALUES (:d, :p, :c, :code, :name, ST_GeomFromText('MULTIPOLYGON EMPTY', {SRID}))"
        ),
        {"d": district_code, "p": plan_id, "c": community_code, "code": cell_code, "name": name},
    )


def blocks_of_cells(
    session: Session, *, plan_id: int, cell_codes: Sequence[str]
) -> gpd.GeoDataFrame:
    """cell_code, geometry of the blocks of ``cell_codes``."""
    return _gdf(
        session,
        "SELECT cell_code, geom FROM blocks WHERE plan_id = :p AND cell_code = ANY(:codes)",
        {"p": plan_id, "codes": list(cell_codes)},
    )


def delete_cell(session: Session, *, plan_id: int, cell_code: str) -> None:
    session.execute(
        text("DELETE FROM grid_cells WHERE plan_id = :p AND cell_code = :c"),
        {"p": plan_id, "c": cell_code},
    )


def set_cell_geometry(
    session: Session, *, plan_id: int, cell_code: str, geometry: shapely.Geometry
) -> None:
    session.execute(
        text(f"UPDATE grid_cells SET geom = {_GEOM} WHERE plan_id = :p AND cell_code = :c"),
        {"g": _hex(geometry), "p": plan_id, "c": cell_code},
    )


def cell_row(session: Session, *, plan_id: int, cell_code: str) -> dict[str, Any] | None:
    """cell_code, community_code, name, district_code of one cell; None when there is none."""
    row = (
        session.execute(
            text(
                "SELECT cell_code, community_code, name, district_code FROM grid_cells "
                "WHERE plan_id = :p AND cell_code = :c"
            ),
            {"p": plan_id, "c": cell_code},
        )
        .mappings()
        .first()
    )
    return None if row is None else dict(row)


def cell_blocks(session: Session, *, plan_id: int, cell_code: str) -> gpd.GeoDataFrame:
    """id, block_key, community_code, cell_code, geometry of one cell's blocks."""
    return _gdf(
        session,
        "SELECT id, block_key, community_code, cell_code, geom FROM blocks "
        "WHERE plan_id = :p AND cell_code = :c ORDER BY block_key",
        {"p": plan_id, "c": cell_code},
    )


def cell_codes(session: Session, *, plan_id: int) -> list[str]:
    rows = session.execute(
        text("SELECT cell_code FROM grid_cells WHERE plan_id = :p"), {"p": plan_id}
    ).scalars()
    return [str(c) for c in rows]


def cell_exists(session: Session, *, plan_id: int, cell_code: str) -> bool:
    return bool(
        session.execute(
            text("SELECT 1 FROM grid_cells WHERE plan_id = :p AND cell_code = :c"),
            {"p": plan_id, "c": cell_code},
        ).scalar()
    )


def cell_outline(session: Session, *, plan_id: int, cell_code: str) -> shapely.Geometry | None:
    wkb = session.execute(
        text("SELECT ST_AsBinary(geom) FROM grid_cells WHERE plan_id = :p AND cell_code = :c"),
        {"p": plan_id, "c": cell_code},
    ).scalar()
    return None if wkb is None else shapely.from_wkb(bytes(wkb))


def block_row(session: Session, *, plan_id: int, block_key: str) -> dict[str, Any] | None:
    """block_key, community_code, cell_code of one block; None when there is none."""
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
    return None if row is None else dict(row)


def move_blocks(
    session: Session,
    *,
    plan_id: int,
    block_keys: Iterable[str],
    to_cell_code: str,
    from_cell_code: str | None = None,
) -> None:
    """Put ``block_keys`` (of ``from_cell_code`` only, when given) into ``to_cell_code``."""
    session.execute(
        text(
            "UPDATE blocks SET cell_code = :n WHERE plan_id = :p AND block_key = ANY(:keys) "
            "AND (CAST(:c AS text) IS NULL OR cell_code = :c)"
        ),
        {"n": to_cell_code, "p": plan_id, "c": from_cell_code, "keys": list(block_keys)},
    )


def move_cell_blocks(
    session: Session, *, plan_id: int, from_cell_code: str, to_cell_code: str
) -> int:
    """Put every block of one cell into another; how many moved."""
    return len(
        session.execute(
            text(
                "UPDATE blocks SET cell_code = :k WHERE plan_id = :p AND cell_code = :a "
                "RETURNING id"
            ),
            {"k": to_cell_code, "p": plan_id, "a": from_cell_code},
        ).all()
    )


def delete_blocks_by_id(session: Session, *, block_ids: Sequence[int]) -> None:
    session.execute(text("DELETE FROM blocks WHERE id = ANY(:ids)"), {"ids": list(block_ids)})


def delete_cell_blocks(session: Session, *, plan_id: int, cell_code: str) -> int:
    """Delete a cell's blocks; how many there were."""
    return len(
        session.execute(
            text("DELETE FROM blocks WHERE plan_id = :p AND cell_code = :c RETURNING id"),
            {"p": plan_id, "c": cell_code},
        ).all()
    )


def blocks_crossing(
    session: Session, *, plan_id: int, geometry: shapely.Geometry
) -> gpd.GeoDataFrame:
    """id, geometry of the plan's blocks that ``geometry`` intersects."""
    return _gdf(
        session,
        f"SELECT id, geom FROM blocks WHERE plan_id = :p AND ST_Intersects(geom, {_GEOM})",
        {"p": plan_id, "g": _hex(geometry)},
    )


def cells_crossing(session: Session, *, plan_id: int, geometry: shapely.Geometry) -> set[str]:
    """Codes of the cells whose blocks ``geometry`` intersects."""
    rows = session.execute(
        text(
            "SELECT DISTINCT cell_code FROM blocks WHERE plan_id = :p AND "
            f"ST_Intersects(geom, {_GEOM})"
        ),
        {"p": plan_id, "g": _hex(geometry)},
    ).scalars()
    return {str(c) for c in rows if c}


def set_block_geometry(session: Session, *, block_id: int, geometry: shapely.Geometry) -> None:
    session.execute(
        text(f"UPDATE blocks SET geom = {_GEOM} WHERE id = :id"),
        {"g": _hex(geometry), "id": block_id},
    )


# ---------------------------------------------------------------------------------------------
# Leaders


def grid_leaders(session: Session) -> pd.DataFrame:
    """Active grid leaders: id, name, community_code, staff_no."""
    return _df(
        session,
        "SELECT id, name, community_code, staff_no FROM staff "
        "WHERE role = 'grid_leader' AND active ORDER BY community_code, name",
    )


def active_staff_name(session: Session, *, staff_id: int) -> str | None:
    name = session.execute(
        text("SELECT name FROM staff WHERE id = :id AND active"), {"id": staff_id}
    ).scalar()
    return None if name is None else str(name)


def set_cell_leader(
    session: Session, *, plan_id: int, cell_code: str, staff_id: int | None
) -> None:
    session.execute(
        text("UPDATE grid_cells SET leader_staff_id = :s WHERE plan_id = :p AND cell_code = :c"),
        {"s": staff_id, "p": plan_id, "c": cell_code},
    )


# ---------------------------------------------------------------------------------------------
# Publishing


def household_assignments(session: Session, *, source: HouseholdSource) -> pd.DataFrame:
    """household_id, cell_code, head_name (None where the role may not read it)."""
    result = session.execute(
        text(
            f"SELECT p.id AS household_id, p.cell_code, h.head_name FROM {_source(source)} p "  # noqa: S608
            "LEFT JOIN households h ON h.id = p.id WHERE p.geom IS NOT NULL"
        )
    )
    return pd.DataFrame(result.fetchall(), columns=["household_id", "cell_code", "head_name"])


def cells_by_point(session: Session, *, plan_id: int, source: HouseholdSource) -> pd.DataFrame:
    """household_id, old_cell_code, new_cell_code: each placed household's cell now and in
    ``plan_id`` (lowest code on a shared edge)."""
    result = session.execute(
        text(
            f"""
            SELECT DISTINCT ON (h.id) h.id AS household_id, h.cell_code AS old_cell_code,
                   c.cell_code AS new_cell_code
            FROM {_source(source)} h
            JOIN grid_cells c ON c.plan_id = :p AND ST_Intersects(c.geom, h.geom)
            WHERE h.geom IS NOT NULL
            ORDER BY h.id, c.cell_code
            """  # noqa: S608 - checked
        ),
        {"p": plan_id},
    )
    return pd.DataFrame(
        result.fetchall(), columns=["household_id", "old_cell_code", "new_cell_code"]
    )


def lock_other_published(
    session: Session, *, subdistrict_code: str, plan_id: int
) -> tuple[int, int] | None:
    """Row-lock the sub-district's published plan other than ``plan_id``: (id, version_no)."""
    row = session.execute(
        text(
            "SELECT id, version_no FROM grid_plans WHERE subdistrict_code = :sd "
            "AND state = 'published' AND id <> :id FOR UPDATE"
        ),
        {"sd": subdistrict_code, "id": plan_id},
    ).first()
    return None if row is None else (int(row.id), int(row.version_no))


def retire_published(
    session: Session, *, subdistrict_code: str, plan_id: int, actor: str | None
) -> None:
    """Retire the sub-district's published plans other than ``plan_id``."""
    session.execute(
        text(
            "UPDATE grid_plans SET state = 'retired', valid_to = now(), updated_by = :actor, "
            "updated_at = now(), lock_version = lock_version + 1 "
            "WHERE subdistrict_code = :sd AND state = 'published' AND id <> :id"
        ),
        {"sd": subdistrict_code, "id": plan_id, "actor": actor},
    )


def mark_published(session: Session, *, plan_id: int, note: str | None, actor: str | None) -> None:
    """Publish a plan from now on; its name loses the trailing “（草稿）”."""
    session.execute(
        text(
            "UPDATE grid_plans SET state = 'published', valid_from = now(), valid_to = NULL, "
            "note = :note, published_by = :actor, "
            "name = regexp_replace(name, '（草稿）$', '') WHERE id = :id"
        ),
        {"id": plan_id, "note": note, "actor": actor},
    )


def set_publish_summary(session: Session, *, plan_id: int, summary: dict[str, Any]) -> None:
    session.execute(
        text("UPDATE grid_plans SET publish_summary = CAST(:s AS jsonb) WHERE id = :id"),
        {"s": json.dumps(summary), "id": plan_id},
    )


def assign_to_plan(session: Session, *, plan_id: int, source: HouseholdSource) -> tuple[int, int]:
    """Re-assign every household and open case by point in polygon to ``plan_id``'s cells:
    directly on the owner's connection, through ``lianxin_assign_cells`` on the app role's.
    Returns (households, cases) assigned."""
    if source == "households":
        done = ", ".join(f"'{s}'" for s in DONE_STATES)  # constants of core.vocab
        households = assign_cells(session, plan_id=plan_id, table="households")
        cases = assign_cells(
            session, plan_id=plan_id, table="cases", where=f"x.state NOT IN ({done})"
        )
        return households, cases
    row = session.execute(
        text("SELECT households, cases FROM lianxin_assign_cells(:p)"), {"p": plan_id}
    ).one()
    return int(row.households), int(row.cases)
