"""SQL of a plan's blocks and cells (services/plans: cells, edits, leaders).

Named functions with typed parameters, no commits: the service owns the transaction.
Geometries go in and out in EPSG:4490 (:data:`core.settings.SRID`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.settings import SRID
from db.frames import read_frame, read_geoframe

# A geometry parameter :g (hex WKB) in the storage CRS.
_GEOM = f"ST_SetSRID(ST_GeomFromWKB(decode(:g, 'hex')), {SRID})"


def _hex(geom: shapely.Geometry) -> str:
    return str(shapely.to_wkb(geom, hex=True))


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
    return read_geoframe(
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
    return read_geoframe(
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
    return read_geoframe(
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
    return read_frame(
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
