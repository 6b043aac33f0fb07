"""Named queries of the roster import (services.households.roster_import): the importer's scope,
the batch row, the cell under each point, the keys held elsewhere, and the upsert.

Repositories never commit: the calling service owns the transaction. On the app's connection
row-level security (migrations 0002, 0008) decides what may be written; these queries add no
scope of their own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.settings import SRID


def acting_scope(session: Session) -> Any:
    """(role, cells, community, username) of the acting session, from the same functions the
    row-level policies use. On the owner's connection no login token is set: all are NULL."""
    return session.execute(
        text(
            "SELECT lianxin_current_role() AS role, lianxin_current_cells() AS cells, "
            "lianxin_current_community() AS community, "
            "lianxin_current_username() AS username"
        )
    ).one()


def create_batch(
    session: Session, *, district_code: str, file_name: str, imported_by: str | None, total: int
) -> int:
    """A new ``import_batches`` row for a roster; its id."""
    return int(
        session.execute(
            text(
                "INSERT INTO import_batches (district_code, kind, file_name, imported_by, counts) "
                "VALUES (:d, 'roster', :f, :u, CAST(:c AS jsonb)) RETURNING id"
            ),
            {
                "d": district_code,
                "f": file_name,
                "u": imported_by,
                "c": json.dumps({"total": total}),
            },
        ).scalar_one()
    )


def set_batch_counts(session: Session, *, batch_id: int, counts: dict[str, int]) -> None:
    session.execute(
        text("UPDATE import_batches SET counts = CAST(:c AS jsonb) WHERE id = :id"),
        {"id": batch_id, "c": json.dumps(counts)},
    )


def cells_at_points(
    session: Session, *, plan_id: int, lons: Sequence[float], lats: Sequence[float]
) -> list[Any]:
    """The cell of the plan under each point, one query: rows (i, cell_code, community_code,
    place) with ``i`` the 1-based position in ``lons``/``lats``; a point in no cell has no row.

    A point on a shared edge belongs to the lowest cell code, as in ``repositories.assign_cells``.
    """
    if not lons:
        return []
    return list(
        session.execute(
            text(
                f"""
                SELECT DISTINCT ON (p.i) p.i, c.cell_code, c.community_code,
                       coalesce(m.name, c.community_code) || ' ' || c.name AS place
                FROM unnest(CAST(:lon AS float8[]), CAST(:lat AS float8[]))
                     WITH ORDINALITY AS p(lon, lat, i)
                JOIN grid_cells c ON c.plan_id = :plan_id
                 AND ST_Intersects(c.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), {SRID}))
                LEFT JOIN communities m ON m.code = c.community_code
                ORDER BY p.i, c.cell_code
                """  # noqa: S608 - SRID is a code constant
            ),
            {"lon": list(lons), "lat": list(lats), "plan_id": plan_id},
        )
    )


def keys_elsewhere(session: Session, *, batch_id: int, keys: Sequence[str]) -> set[str]:
    """Those of ``keys`` on households the acting session cannot see (migrations 0007, 0008).
    Asked once per batch, for the batch's own rows; the database leaves an audit row."""
    if not keys:
        return set()
    found = session.execute(
        text("SELECT lianxin_household_keys_elsewhere(:b, CAST(:keys AS text[]))"),
        {"b": int(batch_id), "keys": sorted(set(keys))},
    ).scalar_one()
    return set(found or ())


# One statement for the whole batch (jsonb_to_recordset), so RETURNING can say of each row
# whether it was inserted or updated: (xmax = 0) holds for a freshly inserted tuple only.
# A household's cell and community come with it (found before writing, by cells_at_points);
# a row that has none keeps the ones it had.
_UPSERT = text(
    f"""
    INSERT INTO households (district_code, household_key, head_name, sex, id_number, phone, size,
        address, cell_code, community_code, geom, match_type, geocode_score, matched_text,
        special_groups, categories, status, review_reason, note, import_batch_id, source_row)
    SELECT r.district_code, r.household_key, r.head_name, r.sex, r.id_number, r.phone, r.size,
        r.address, r.cell_code, r.community_code,
        CASE WHEN r.lon IS NULL THEN NULL
             ELSE ST_SetSRID(ST_MakePoint(r.lon, r.lat), {SRID}) END,
        r.match_type, r.score, r.matched, r.special_groups, '{{}}', r.status, r.review_reason,
        r.note, r.batch_id, r.source_row
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
        district_code text, household_key text, head_name text, sex text, id_number text,
        phone text, size int, address text, cell_code text, community_code text, lon float8,
        lat float8, match_type text, score float8, matched text, special_groups text[],
        status text, review_reason text, note text, batch_id int, source_row int)
    ON CONFLICT (district_code, household_key) DO UPDATE SET
        head_name = EXCLUDED.head_name, sex = EXCLUDED.sex, id_number = EXCLUDED.id_number,
        phone = EXCLUDED.phone, size = EXCLUDED.size, address = EXCLUDED.address,
        cell_code = coalesce(EXCLUDED.cell_code, households.cell_code),
        community_code = CASE WHEN EXCLUDED.cell_code IS NULL THEN households.community_code
                              ELSE EXCLUDED.community_code END,
        geom = EXCLUDED.geom, match_type = EXCLUDED.match_type,
        geocode_score = EXCLUDED.geocode_score, matched_text = EXCLUDED.matched_text,
        special_groups = EXCLUDED.special_groups, status = EXCLUDED.status,
        review_reason = EXCLUDED.review_reason, note = EXCLUDED.note,
        import_batch_id = EXCLUDED.import_batch_id, source_row = EXCLUDED.source_row,
        updated_at = now()
    RETURNING household_key, (xmax = 0) AS inserted
    """  # noqa: S608 - SRID is a code constant
)


def upsert_households(session: Session, rows: list[dict[str, Any]]) -> dict[str, bool]:
    """Insert or update households by (district_code, household_key): key → inserted?"""
    if not rows:
        return {}
    result = session.execute(_UPSERT, {"rows": json.dumps(rows, ensure_ascii=False)})
    return {r.household_key: bool(r.inserted) for r in result}


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
