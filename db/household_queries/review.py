"""Named queries for the review queue (待核实): households waiting for a person, streets and door
plates to place them by, placing them, and handing one over to another cell
(migration 0010_household_members)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.settings import SRID
from db.frames import read_frame


def review_households(session: Session, *, min_score: float) -> pd.DataFrame:
    """Households waiting for a person: status 'review', or placed with a score below
    ``min_score``. Lowest score first."""
    return read_frame(
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
    return read_frame(session, "SELECT id, name, kind, aliases FROM streets ORDER BY id")


def door_plates_on(session: Session, *, street_name: str) -> pd.DataFrame:
    """house_number, lon, lat, community_code of a street's door plates."""
    return read_frame(
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
                f"""
                SELECT s.id, s.name, s.kind,
                       ST_Distance(s.geom::geography,
                                   ST_SetSRID(ST_MakePoint(:lon, :lat), {SRID})::geography) AS m
                FROM streets s
                ORDER BY s.geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), {SRID})
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
            f"""
            INSERT INTO address_points (district_code, street_id, street_name, house_number,
                                        community_code, geom)
            VALUES (:d, (SELECT id FROM streets WHERE name = :s ORDER BY id LIMIT 1), :s, :n,
                    :c, ST_SetSRID(ST_MakePoint(:lon, :lat), {SRID}))
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
            f"""
            UPDATE households SET geom = ST_SetSRID(ST_MakePoint(:lon, :lat), {SRID}),
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
    return read_frame(
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
