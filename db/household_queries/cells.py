"""Named queries for one cell on its map: published cells and outlines, streets around a cell,
the cell's households, the cell at a point."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.settings import SRID
from db.frames import read_frame, read_geoframe

# Context around a cell on its map: streets within ~150 m of the cell's bounding box (degrees
# at 32.7°N: 0.0015° ≈ 140 m east–west, 165 m north–south).
CONTEXT_DEG = 0.0015


def published_cells(session: Session) -> pd.DataFrame:
    """cell_code, name, community_code, community_name of the published plan (no geometry)."""
    return read_frame(
        session,
        """
        SELECT c.cell_code, c.name, c.community_code, m.name AS community_name
        FROM grid_cells c
        JOIN grid_plans p ON p.id = c.plan_id AND p.state = 'published'
        JOIN communities m ON m.code = c.community_code
        ORDER BY c.cell_code
        """,
    )


def published_cell_outlines(session: Session) -> gpd.GeoDataFrame:
    """cell_code, name, community_name and geometry of every published cell (for maps)."""
    return read_geoframe(
        session,
        """
        SELECT c.cell_code, c.name, m.name AS community_name, c.geom
        FROM grid_cells c
        JOIN grid_plans p ON p.id = c.plan_id AND p.state = 'published'
        JOIN communities m ON m.code = c.community_code
        ORDER BY c.cell_code
        """,
    )


def all_streets(session: Session) -> gpd.GeoDataFrame:
    return read_geoframe(session, "SELECT id, name, kind, geom FROM streets ORDER BY id")


def cell(session: Session, *, cell_code: str) -> gpd.GeoDataFrame:
    """One cell of the published plan with its community, leader and active household count.

    The count is of the households the session may see (RLS); the CLI runs as the owner.
    """
    return read_geoframe(
        session,
        """
        SELECT c.cell_code, c.name, c.kind, c.community_code, m.name AS community_name,
               s.name AS leader_name, s.phone AS leader_phone, s.staff_no AS leader_staff_no,
               p.name AS plan_name,
               (SELECT count(*) FROM households h
                WHERE h.cell_code = c.cell_code AND h.status = 'active') AS households,
               (SELECT coalesce(sum(h.size), 0) FROM households h
                WHERE h.cell_code = c.cell_code AND h.status = 'active') AS residents,
               c.geom
        FROM grid_cells c
        JOIN grid_plans p ON p.id = c.plan_id AND p.state = 'published'
        JOIN communities m ON m.code = c.community_code
        LEFT JOIN staff s ON s.id = c.leader_staff_id
        WHERE c.cell_code = :code
        """,
        {"code": cell_code},
    )


def streets_around_cell(session: Session, *, cell_code: str) -> gpd.GeoDataFrame:
    """Streets and lanes near a cell, clipped to its bounding box grown by CONTEXT_DEG.

    ``ST_ClipByBox2D`` is a fast rectangle clip (no topology), enough for drawing.
    """
    return read_geoframe(
        session,
        """
        WITH box AS (
            SELECT ST_Expand(ST_Envelope(c.geom), :pad) AS b
            FROM grid_cells c JOIN grid_plans p ON p.id = c.plan_id AND p.state = 'published'
            WHERE c.cell_code = :code
        )
        SELECT s.id, s.name, s.kind,
               ST_Multi(ST_CollectionExtract(ST_ClipByBox2D(s.geom, box.b), 2)) AS geom
        FROM streets s, box
        WHERE s.geom && box.b
        ORDER BY CASE s.kind WHEN 'lane' THEN 0 ELSE 1 END, s.id
        """,
        {"code": cell_code, "pad": CONTEXT_DEG},
    )


def cell_households(session: Session, *, cell_code: str) -> pd.DataFrame:
    """The cell's households (any status) with lon/lat and the categories of their cases."""
    return read_frame(
        session,
        """
        SELECT h.id, h.head_name, h.sex, h.id_number, h.phone, h.size, h.address,
               h.community_code, h.cell_code, h.categories, h.special_groups, h.status,
               h.match_type, h.geocode_score,
               ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat,
               coalesce((SELECT array_agg(DISTINCT c.category) FROM cases c
                         WHERE c.household_id = h.id), '{}') AS case_categories
        FROM households h
        WHERE h.cell_code = :code
        ORDER BY h.address, h.id
        """,
        {"code": cell_code},
    )


def cell_at(session: Session, *, lon: float, lat: float) -> dict[str, Any] | None:
    """The published cell containing a point (on a shared edge: the lowest code), or None."""
    row = (
        session.execute(
            text(
                f"""
                SELECT c.cell_code, c.community_code, c.name
                FROM grid_cells c
                JOIN grid_plans p ON p.id = c.plan_id AND p.state = 'published'
                WHERE ST_Intersects(c.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), {SRID}))
                ORDER BY c.cell_code LIMIT 1
                """
            ),
            {"lon": lon, "lat": lat},
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None
