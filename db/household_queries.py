"""Named queries for one cell's households, the household file and the review queue.

Repositories never commit: the calling service owns the transaction. On the app's connection
row-level security decides which households, residents, visits, cases and callbacks come back;
these queries add no scope of their own beyond the cell asked for.

Geometries come back as GeoDataFrames in EPSG:4490 (the storage CRS), points as lon/lat columns.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

SRID = 4490
# Context around a cell on its map: streets within ~150 m of the cell's bounding box (degrees
# at 32.7°N: 0.0015° ≈ 140 m east–west, 165 m north–south).
CONTEXT_DEG = 0.0015


def _gdf(session: Session, sql: str, params: dict[str, Any] | None = None) -> gpd.GeoDataFrame:
    gdf = gpd.read_postgis(
        text(sql), session.connection(), geom_col="geom", params=params or {}, crs=SRID
    )
    return gdf.rename_geometry("geometry")


def _df(session: Session, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    result = session.execute(text(sql), params or {})
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


# --- cells -----------------------------------------------------------------------------------


def published_cells(session: Session) -> pd.DataFrame:
    """cell_code, name, community_code, community_name of the published plan (no geometry)."""
    return _df(
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
    return _gdf(
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
    return _gdf(session, "SELECT id, name, kind, geom FROM streets ORDER BY id")


def cell(session: Session, *, cell_code: str) -> gpd.GeoDataFrame:
    """One cell of the published plan with its community, leader and active household count.

    The count is of the households the session may see (RLS); the CLI runs as the owner.
    """
    return _gdf(
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
    return _gdf(
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
    return _df(
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
                """
                SELECT c.cell_code, c.community_code, c.name
                FROM grid_cells c
                JOIN grid_plans p ON p.id = c.plan_id AND p.state = 'published'
                WHERE ST_Intersects(c.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4490))
                ORDER BY c.cell_code LIMIT 1
                """
            ),
            {"lon": lon, "lat": lat},
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


# --- the household file ----------------------------------------------------------------------


def household_visits(session: Session, *, household_id: int) -> pd.DataFrame:
    return _df(
        session,
        """
        SELECT v.visit_date, s.name AS staff_name, v.outcome, v.note, c.case_no
        FROM visits v
        LEFT JOIN staff s ON s.id = v.staff_id
        LEFT JOIN cases c ON c.id = v.case_id
        WHERE v.household_id = :id
        ORDER BY v.visit_date DESC, v.id DESC
        """,
        {"id": household_id},
    )


def household_cases(session: Session, *, household_id: int) -> pd.DataFrame:
    return _df(
        session,
        """
        SELECT c.id, c.case_no, c.kind, c.category, c.state, c.received_at, c.due_at,
               c.closed_at, c.satisfaction, c.description
        FROM cases c
        WHERE c.household_id = :id
        ORDER BY c.received_at DESC, c.id DESC
        """,
        {"id": household_id},
    )


def household_callbacks(session: Session, *, household_id: int) -> pd.DataFrame:
    return _df(
        session,
        """
        SELECT b.called_at, c.case_no, s.name AS staff_name, b.reached, b.satisfaction,
               b.comment
        FROM callbacks b
        JOIN cases c ON c.id = b.case_id
        LEFT JOIN staff s ON s.id = b.staff_id
        WHERE c.household_id = :id
        ORDER BY b.called_at DESC, b.id DESC
        """,
        {"id": household_id},
    )


def household_history(session: Session, *, household_id: int) -> pd.DataFrame:
    return _df(
        session,
        """
        SELECT at, actor, change, detail FROM household_changes
        WHERE household_id = :id ORDER BY at DESC, id DESC
        """,
        {"id": household_id},
    )


def insert_household_change(
    session: Session,
    *,
    household_id: int,
    actor: str | None,
    change: str,
    detail: str = "{}",
) -> None:
    """One line of a household file's history; ``detail`` is JSON text."""
    session.execute(
        text(
            "INSERT INTO household_changes (district_code, household_id, actor, change, detail) "
            "SELECT h.district_code, h.id, :actor, :change, CAST(:detail AS jsonb) "
            "FROM households h WHERE h.id = :id"
        ),
        {"id": household_id, "actor": actor, "change": change, "detail": detail},
    )


# --- the review queue ------------------------------------------------------------------------


def review_households(session: Session, *, min_score: float) -> pd.DataFrame:
    """Households waiting for a person: status 'review', or placed with a score below
    ``min_score``. Lowest score first."""
    return _df(
        session,
        """
        SELECT h.id, h.head_name, h.phone, h.address, h.status, h.review_reason, h.match_type,
               h.geocode_score, h.matched_text, h.community_code, h.cell_code,
               ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat, h.import_batch_id, h.source_row
        FROM households h
        WHERE h.status = 'review' OR coalesce(h.geocode_score, 0) < :min_score
        ORDER BY coalesce(h.geocode_score, 0), h.id
        """,
        {"min_score": min_score},
    )


def household_for_review(session: Session, *, household_id: int) -> dict[str, Any] | None:
    row = (
        session.execute(
            text(
                "SELECT id, district_code, address, status, cell_code, community_code, "
                "match_type, geocode_score FROM households WHERE id = :id"
            ),
            {"id": household_id},
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def streets_table(session: Session) -> pd.DataFrame:
    """id, name, kind, aliases of every street (no geometry): the fuzzy-suggestion list."""
    return _df(session, "SELECT id, name, kind, aliases FROM streets ORDER BY id")


def door_plates_on(session: Session, *, street_name: str) -> pd.DataFrame:
    """house_number, lon, lat, community_code of a street's door plates."""
    return _df(
        session,
        """
        SELECT house_number, ST_X(geom) AS lon, ST_Y(geom) AS lat, community_code
        FROM address_points WHERE street_name = :s ORDER BY id
        """,
        {"s": street_name},
    )


def nearest_street(
    session: Session, *, lon: float, lat: float, within_m: float
) -> dict[str, Any] | None:
    """The street nearest a point, if within ``within_m`` metres (geography distance)."""
    row = (
        session.execute(
            text(
                """
                SELECT s.id, s.name, s.kind,
                       ST_Distance(s.geom::geography,
                                   ST_SetSRID(ST_MakePoint(:lon, :lat), 4490)::geography) AS m
                FROM streets s
                ORDER BY s.geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4490)
                LIMIT 1
                """
            ),
            {"lon": lon, "lat": lat},
        )
        .mappings()
        .first()
    )
    if row is None or float(row["m"]) > within_m:
        return None
    return dict(row)


def add_street_alias(session: Session, *, street_name: str, alias: str) -> bool:
    """Add ``alias`` to a street's aliases unless it is there already or is the registered
    name of a street (itself or another); True when added."""
    result = session.execute(
        text(
            "UPDATE streets SET aliases = array_append(aliases, CAST(:a AS varchar(50))) "
            "WHERE name = :s AND NOT (CAST(:a AS varchar(50)) = ANY (aliases)) "
            # never shadow another street's registered name
            "AND NOT EXISTS (SELECT 1 FROM streets o WHERE o.name = :a)"
        ),
        {"s": street_name, "a": alias},
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def insert_door_plate(
    session: Session,
    *,
    district_code: str,
    street_name: str,
    house_number: str,
    lon: float,
    lat: float,
    community_code: str | None,
) -> bool:
    """A new door plate at a point; True when inserted (False: the plate already existed)."""
    result = session.execute(
        text(
            """
            INSERT INTO address_points (district_code, street_id, street_name, house_number,
                                        community_code, geom)
            VALUES (:d, (SELECT id FROM streets WHERE name = :s ORDER BY id LIMIT 1), :s, :n,
                    :c, ST_SetSRID(ST_MakePoint(:lon, :lat), 4490))
            ON CONFLICT ON CONSTRAINT uq_door_plate DO NOTHING
            """
        ),
        {
            "d": district_code,
            "s": street_name,
            "n": house_number,
            "c": community_code,
            "lon": lon,
            "lat": lat,
        },
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def place_household(
    session: Session,
    *,
    household_id: int,
    lon: float,
    lat: float,
    cell_code: str,
    community_code: str,
    matched_text: str,
) -> int:
    """Put a household on the map in its cell: status active, manual match, score 1."""
    result = session.execute(
        text(
            """
            UPDATE households SET geom = ST_SetSRID(ST_MakePoint(:lon, :lat), 4490),
                cell_code = :cell, community_code = :comm, status = 'active',
                review_reason = NULL, match_type = 'manual', geocode_score = 1.0,
                matched_text = :matched, updated_at = now()
            WHERE id = :id
            """
        ),
        {
            "id": household_id,
            "lon": lon,
            "lat": lat,
            "cell": cell_code,
            "comm": community_code,
            "matched": matched_text,
        },
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- family members (家庭成员) ----------------------------------------------------------------


def household_ids_by_key(
    session: Session, *, district_code: str, keys: list[str]
) -> dict[str, int]:
    """household_key → id for those of ``keys`` the acting session can see."""
    if not keys:
        return {}
    rows = session.execute(
        text(
            "SELECT household_key, id FROM households "
            "WHERE district_code = :d AND household_key = ANY (CAST(:keys AS text[]))"
        ),
        {"d": district_code, "keys": keys},
    )
    return {str(k): int(i) for k, i in rows}


def replace_residents(
    session: Session,
    *,
    district_code: str,
    household_ids: list[int],
    residents: list[dict[str, Any]],
) -> None:
    """Make ``residents`` the members of ``household_ids`` (each dict: household_id, name,
    relation, id_number, phone). Under RLS the residents policy follows the household."""
    if household_ids:
        session.execute(
            text("DELETE FROM residents WHERE household_id = ANY (CAST(:ids AS bigint[]))"),
            {"ids": household_ids},
        )
    if residents:
        session.execute(
            text(
                "INSERT INTO residents (district_code, household_id, name, relation, "
                "id_number, phone) VALUES (:d, :household_id, :name, :relation, :id_number, "
                ":phone)"
            ),
            [{"d": district_code, **r} for r in residents],
        )


# --- handover between cells (待核实, migration 0010_household_members) -------------------------


def hand_over_household(
    session: Session, *, household_id: int, lon: float, lat: float, matched: str | None
) -> str:
    """Move a household the acting grid leader may see to the (other) cell at the point, still
    in review, and tell that cell (SECURITY DEFINER function; it checks who acts). Returns the
    receiving cell's code."""
    return str(
        session.execute(
            text("SELECT lianxin_hand_over_household(:h, :lon, :lat, :m)"),
            {"h": household_id, "lon": lon, "lat": lat, "m": matched},
        ).scalar_one()
    )


def open_handovers(session: Session) -> pd.DataFrame:
    """Unresolved handovers the acting session sees (RLS: to or from its cells), newest first:
    id, household_id, head_name, address, from_cell, to_cell, by_username, at."""
    return _df(
        session,
        """
        SELECT x.id, x.household_id, h.head_name, h.address, x.from_cell, x.to_cell,
               x.by_username, x.at
        FROM household_handovers x JOIN households h ON h.id = x.household_id
        WHERE x.resolved_at IS NULL
        ORDER BY x.at DESC, x.id DESC
        """,
    )


def resolve_handovers(session: Session, *, household_id: int) -> int:
    """Mark the household's open handovers resolved (the receiving cell placed it)."""
    result = session.execute(
        text(
            "UPDATE household_handovers SET resolved_at = now() "
            "WHERE household_id = :h AND resolved_at IS NULL"
        ),
        {"h": household_id},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def confirmed_at_address(
    session: Session, *, district_code: str, pairs: list[tuple[str, str]]
) -> set[str]:
    """Those household keys of ``pairs`` (key, address) whose household a person placed by
    hand (待核实, a 核实定位 change) while it had exactly this address text."""
    if not pairs:
        return set()
    rows = session.execute(
        text(
            """
            SELECT h.household_key FROM households h
            JOIN unnest(CAST(:keys AS text[]), CAST(:addrs AS text[])) AS p(k, a)
              ON p.k = h.household_key AND p.a = h.address
            WHERE h.district_code = :d AND h.status = 'active'
              AND EXISTS (SELECT 1 FROM household_changes c
                          WHERE c.household_id = h.id AND c.change = '核实定位')
            """
        ),
        {"d": district_code, "keys": [k for k, _ in pairs], "addrs": [a for _, a in pairs]},
    )
    return {str(k) for (k,) in rows}
