"""Named spatial queries. Repositories never commit: the calling service owns the transaction.

Geometries come back as GeoDataFrames in EPSG:4490 (the storage CRS).
"""

from __future__ import annotations

import geopandas as gpd
from sqlalchemy import text
from sqlalchemy.orm import Session

from db.frames import read_geoframe


def published_plan(session: Session, *, subdistrict_code: str | None = None) -> dict | None:
    row = (
        session.execute(
            text(
                "SELECT id, name, version_no, valid_from, subdistrict_code FROM grid_plans "
                "WHERE state = 'published' AND (CAST(:sd AS text) IS NULL OR subdistrict_code = :sd) "
                "ORDER BY valid_from DESC LIMIT 1"
            ),
            {"sd": subdistrict_code},
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def communities(session: Session) -> gpd.GeoDataFrame:
    return read_geoframe(
        session,
        "SELECT code, name, subdistrict_code, has_station, geom FROM communities ORDER BY code",
    )


def subdistricts(session: Session) -> gpd.GeoDataFrame:
    return read_geoframe(
        session, "SELECT code, name, district_code, geom FROM subdistricts ORDER BY code"
    )


def streets(session: Session) -> gpd.GeoDataFrame:
    return read_geoframe(session, "SELECT id, name, kind, aliases, geom FROM streets ORDER BY id")


def door_plates(session: Session) -> gpd.GeoDataFrame:
    return read_geoframe(
        session,
        "SELECT street_name, house_number, community_code, geom FROM address_points ORDER BY id",
    )


def compounds(session: Session) -> gpd.GeoDataFrame:
    return read_geoframe(
        session,
        "SELECT name, street_name, house_number, community_code, geom FROM compounds ORDER BY id",
    )


def cells_with_counts(session: Session, *, plan_id: int) -> gpd.GeoDataFrame:
    """Cells of a plan with leader, household and open/overdue case counts.

    Counts are aggregated per cell in PostGIS (GROUP BY on the indexed cell_code), so the
    browser only ever receives one row per cell. They come from the aggregate views of
    migration 0002, which every logged-in role may read: a leader sees the counts without
    being able to read a single household row.
    """
    return read_geoframe(
        session,
        """
        WITH hh AS (
            SELECT cell_code, sum(households) AS households,
                   sum(special_households) AS special_households
            FROM household_counts_by_cell GROUP BY cell_code
        ), cs AS (
            SELECT cell_code, sum(open_cases) AS open_cases, sum(overdue_cases) AS overdue_cases
            FROM case_counts_by_cell GROUP BY cell_code
        )
        SELECT c.cell_code, c.name, c.community_code, m.name AS community_name,
               s.name AS leader_name, s.phone AS leader_phone,
               coalesce(hh.households, 0) AS households,
               coalesce(hh.special_households, 0) AS special_households,
               coalesce(cs.open_cases, 0) AS open_cases,
               coalesce(cs.overdue_cases, 0) AS overdue_cases,
               c.geom
        FROM grid_cells c
        JOIN communities m ON m.code = c.community_code
        LEFT JOIN staff s ON s.id = c.leader_staff_id
        LEFT JOIN hh ON hh.cell_code = c.cell_code
        LEFT JOIN cs ON cs.cell_code = c.cell_code
        WHERE c.plan_id = :plan_id
        ORDER BY c.cell_code
        """,
        {"plan_id": plan_id},
    )


def assign_cells(session: Session, *, plan_id: int, table: str, where: str = "TRUE") -> int:
    """Point-in-polygon: set ``cell_code``/``community_code`` of rows in ``table`` from the plan.

    A point on a shared edge goes to one cell only (the lowest code), so no household is
    counted twice. Uses the GiST indexes on both geometries.
    """
    if table not in ("households", "cases"):
        raise ValueError(table)
    result = session.execute(
        text(
            f"""
            UPDATE {table} t
            SET cell_code = hit.cell_code, community_code = hit.community_code
            FROM (
                SELECT DISTINCT ON (x.id) x.id, c.cell_code, c.community_code
                FROM {table} x
                JOIN grid_cells c ON c.plan_id = :plan_id AND ST_Intersects(c.geom, x.geom)
                WHERE x.geom IS NOT NULL AND ({where})
                ORDER BY x.id, c.cell_code
            ) hit
            WHERE t.id = hit.id
            """  # noqa: S608 - table is whitelisted above, where is code-supplied
        ),
        {"plan_id": plan_id},
    )
    return int(getattr(result, "rowcount", 0) or 0)  # a CursorResult for an UPDATE


def table_counts(session: Session) -> dict[str, int]:
    tables = (
        "communities",
        "streets",
        "address_points",
        "grid_cells",
        "staff",
        "households",
        "cases",
        "case_events",
        "visits",
        "callbacks",
    )
    sql = " UNION ALL ".join(f"SELECT '{t}' AS tbl, count(*) AS n FROM {t}" for t in tables)
    return {row.tbl: int(row.n) for row in session.execute(text(sql))}
