"""SQL for 动态调整 (services/plans/rebalance.py): the households to count, and the draft's blocks.

Named functions, no commits: the service owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.settings import SRID
from db.frames import read_geoframe

__all__ = [
    "codes_ever_used",
    "delete_blocks",
    "household_points_for_rebalance",
    "set_block_cells",
    "set_block_geometries",
]

# The door plate without its last room number, as the view of migration 0013 computes it.
_DOOR = r"regexp_replace(address, '[-—]?[0-9]+(室|号房)?$', '')"


def household_points_for_rebalance(session: Session) -> gpd.GeoDataFrame:
    """Active, placed households: ``household_id``, ``door``, ``weight``, ``geometry``.

    On the owner's connection straight from ``households``; on the app role's through the
    ``household_rebalance_points`` view (no names, no room numbers, a count of special groups).
    """
    owner = session.execute(
        text("SELECT tableowner = current_user FROM pg_tables WHERE tablename = 'households'")
    ).scalar()
    if owner:
        sql = (
            f"SELECT id AS household_id, {_DOOR} AS door, cardinality(special_groups) AS weight,"
            " geom FROM households WHERE status = 'active' AND geom IS NOT NULL ORDER BY id"
        )
    else:
        sql = (
            "SELECT id AS household_id, door, weight, geom FROM household_rebalance_points"
            " WHERE status = 'active' AND geom IS NOT NULL ORDER BY id"
        )
    return read_geoframe(session, sql)


def set_block_cells(session: Session, *, plan_id: int, cells: Iterable[tuple[str, str]]) -> None:
    """Give blocks (``block_key``, ``cell_code``) of a plan their new cell."""
    rows = [{"p": plan_id, "k": k, "c": c} for k, c in cells]
    if rows:
        session.execute(
            text("UPDATE blocks SET cell_code = :c WHERE plan_id = :p AND block_key = :k"), rows
        )


def delete_blocks(session: Session, *, plan_id: int, block_keys: Iterable[str]) -> None:
    """Remove blocks of a plan (a split compound, replaced by its parts)."""
    keys = sorted(set(block_keys))
    if keys:
        session.execute(
            text("DELETE FROM blocks WHERE plan_id = :p AND block_key = ANY(:k)"),
            {"p": plan_id, "k": keys},
        )


def codes_ever_used(session: Session, *, subdistrict_code: str) -> list[str]:
    """Every cell code any plan of the sub-district has held (a retired code is never reused)."""
    rows = session.execute(
        text(
            "SELECT DISTINCT c.cell_code FROM grid_cells c JOIN grid_plans p ON p.id = c.plan_id"
            " WHERE p.subdistrict_code = :sd ORDER BY 1"
        ),
        {"sd": subdistrict_code},
    ).scalars()
    return [str(r) for r in rows]


def set_block_geometries(
    session: Session, *, plan_id: int, geometries: Iterable[tuple[str, bytes]]
) -> None:
    """Replace blocks' outlines (WKB, EPSG:4490): a neighbour of a split compound gains the
    vertices where the lines between the compound's parts meet their shared edge."""
    rows = [{"p": plan_id, "k": k, "g": g} for k, g in geometries]
    if rows:
        session.execute(
            text(
                f"UPDATE blocks SET geom = ST_SetSRID(ST_GeomFromWKB(:g), {SRID})"
                " WHERE plan_id = :p AND block_key = :k"
            ),
            rows,
        )
