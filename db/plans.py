"""SQL of the grid plans (services/plans): plans, households, publishing (blocks and cells: db/plan_cells.py).

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
from collections.abc import Sequence
from typing import Any, Literal

import geopandas as gpd
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.vocab import DONE_STATES
from db.frames import read_frame, read_geoframe
from db.repositories import assign_cells

# The one lookup of the published plan, shared with other domains (explicit re-export).
from db.repositories import published_plan as published_plan  # noqa: E402

HouseholdSource = Literal["households", "household_points"]

_PLAN_COLUMNS = (
    "id, name, version_no, state, district_code, subdistrict_code, valid_from, valid_to, "
    "lock_version, note, created_by, created_at, updated_by, updated_at, published_by, "
    "publish_summary"
)


def _source(source: HouseholdSource) -> str:
    if source not in ("households", "household_points"):
        raise ValueError(source)
    return source


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
    return read_frame(
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
    return read_geoframe(
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
    return read_geoframe(
        session,
        "SELECT block_key, community_code, cell_code, geom FROM blocks "
        "WHERE plan_id = :plan_id ORDER BY block_key",
        {"plan_id": plan_id},
    )


def active_household_points(session: Session, *, source: HouseholdSource) -> gpd.GeoDataFrame:
    """household_id, geometry of every active household with a location."""
    return read_geoframe(
        session,
        f"SELECT id AS household_id, geom FROM {_source(source)} "  # noqa: S608 - checked
        "WHERE status = 'active' AND geom IS NOT NULL ORDER BY id",
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
