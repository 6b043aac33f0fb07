"""Households: roster import (nothing lost, nothing invented), cell assignment, look-ups.

``import_roster`` is one transaction: rows are read and checked (services.rosters), geocoded with
the database's gazetteer, upserted by a stable key, and put in their cell by PostGIS
point-in-polygon. Every input row ends in exactly one of: imported (new or updated), waiting for
review (geocoded too roughly to place in a cell), or rejected with a reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from db import repositories
from services.rosters import read_roster, validate_roster

DISTRICT_CODE = "610902"
# A geocode at least this precise puts a household straight on the map; anything rougher waits
# for a person (street- or community-level points could fall in the wrong cell).
PLACED_MATCH_TYPES = ("door_plate", "interpolated")
MIN_PLACED_SCORE = 0.6

REVIEW_REASONS = {
    "street": "地址只匹配到街巷，未找到门牌",
    "community": "地址只匹配到社区",
    "unmatched": "地址无法匹配",
}


@dataclass
class ImportReport:
    file_name: str
    total: int
    inserted: int = 0
    updated: int = 0
    review: int = 0
    rejected: int = 0
    batch_id: int | None = None
    rejected_rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    review_rows: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def imported(self) -> int:
        return self.inserted + self.updated

    def summary(self) -> str:
        return (
            f"导入 {self.imported:,} 户（新增 {self.inserted:,}，更新 {self.updated:,}）；"
            f"待核实 {self.review:,} 户；退回 {self.rejected:,} 行"
        )


def import_roster(
    path: str | Path,
    *,
    session: Session,
    data: bytes | None = None,
    mapping: dict[str, str] | None = None,
    gazetteer: Any = None,
    imported_by: str | None = None,
) -> ImportReport:
    """Import a roster file into ``households`` inside the caller's transaction."""
    from services.geocoding import gazetteer_from_session

    roster = read_roster(path, data=data, mapping=mapping)
    checked = validate_roster(roster)
    report = ImportReport(file_name=roster.file_name, total=len(checked))
    rejected = checked[checked["problem"].notna()].copy()
    good = checked[checked["problem"].isna()].copy()

    gazetteer = gazetteer or gazetteer_from_session(session)
    geo = gazetteer.geocode_many(good["address"].tolist())
    geo.index = good.index
    good = good.join(geo[["lon", "lat", "match_type", "score", "matched"]])
    placed = good["match_type"].isin(PLACED_MATCH_TYPES) & (good["score"] >= MIN_PLACED_SCORE)
    good["status"] = placed.map({True: "active", False: "review"})
    good["review_reason"] = [
        None if ok else REVIEW_REASONS.get(mt, f"匹配分数低（{score:.2f}）")
        for ok, mt, score in zip(placed, good["match_type"], good["score"], strict=True)
    ]

    plan = repositories.published_plan(session)
    batch_id = session.execute(
        text(
            "INSERT INTO import_batches (district_code, kind, file_name, imported_by, counts) "
            "VALUES (:d, 'roster', :f, :u, '{}') RETURNING id"
        ),
        {"d": DISTRICT_CODE, "f": roster.file_name, "u": imported_by},
    ).scalar_one()

    existing = set(
        session.execute(
            text("SELECT household_key FROM households WHERE district_code = :d"),
            {"d": DISTRICT_CODE},
        ).scalars()
    )
    rows = [_row_params(r, batch_id) for r in good.itertuples(index=False)]
    if rows:
        session.execute(_UPSERT, rows)
    if plan is not None:
        repositories.assign_cells(
            session,
            plan_id=plan["id"],
            table="households",
            where=f"x.import_batch_id = {int(batch_id)} AND x.status = 'active'",
        )
        # A point that falls in no cell of the plan is not "on the map in its cell": a person
        # decides (an address beyond the known door plates is extrapolated past the street end).
        outside = session.execute(
            text(
                "UPDATE households SET status = 'review', review_reason = :reason "
                "WHERE import_batch_id = :b AND status = 'active' AND cell_code IS NULL "
                "RETURNING household_key"
            ),
            {"b": batch_id, "reason": "定位点不在任何网格内"},
        ).scalars()
        moved = good["household_key"].isin(set(outside))
        good.loc[moved, "status"] = "review"
        good.loc[moved, "review_reason"] = "定位点不在任何网格内"
        placed = placed & ~moved
    is_existing = good["household_key"].isin(existing)
    report.inserted = int((placed & ~is_existing).sum())
    report.updated = int((placed & is_existing).sum())
    report.review = int((~placed).sum())
    report.rejected = len(rejected)
    session.execute(
        text("UPDATE import_batches SET counts = CAST(:c AS jsonb) WHERE id = :id"),
        {
            "id": batch_id,
            "c": json.dumps(
                {
                    "total": report.total,
                    "inserted": report.inserted,
                    "updated": report.updated,
                    "review": report.review,
                    "rejected": report.rejected,
                }
            ),
        },
    )
    report.batch_id = int(batch_id)
    report.rejected_rows = rejected
    report.review_rows = good[~placed]
    if report.inserted + report.updated + report.review + report.rejected != report.total:
        raise AssertionError("导入计数不守恒")  # nothing may be lost
    return report


_UPSERT = text(
    """
    INSERT INTO households (district_code, household_key, head_name, sex, id_number, phone, size,
        address, community_code, geom, match_type, geocode_score, matched_text, special_groups,
        categories, status, review_reason, note, import_batch_id, source_row)
    VALUES (:district_code, :household_key, :head_name, :sex, :id_number, :phone, :size,
        :address, NULL,
        CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL
             ELSE ST_SetSRID(ST_MakePoint(CAST(:lon AS float8), CAST(:lat AS float8)), 4490) END,
        :match_type, :score, :matched, :special_groups, '{}', :status, :review_reason, :note,
        :batch_id, :source_row)
    ON CONFLICT (district_code, household_key) DO UPDATE SET
        head_name = EXCLUDED.head_name, sex = EXCLUDED.sex, id_number = EXCLUDED.id_number,
        phone = EXCLUDED.phone, size = EXCLUDED.size, address = EXCLUDED.address,
        geom = EXCLUDED.geom, match_type = EXCLUDED.match_type,
        geocode_score = EXCLUDED.geocode_score, matched_text = EXCLUDED.matched_text,
        special_groups = EXCLUDED.special_groups, status = EXCLUDED.status,
        review_reason = EXCLUDED.review_reason, note = EXCLUDED.note,
        import_batch_id = EXCLUDED.import_batch_id, source_row = EXCLUDED.source_row,
        updated_at = now()
    """
)


def _row_params(r: Any, batch_id: int) -> dict[str, Any]:
    lon = None if pd.isna(r.lon) else float(r.lon)
    lat = None if pd.isna(r.lat) else float(r.lat)
    return {
        "district_code": DISTRICT_CODE,
        "household_key": r.household_key,
        "head_name": r.head_name,
        "sex": r.sex or None,
        "id_number": r.id_number or None,
        "phone": r.phone or None,
        "size": int(r.size),
        "address": r.address,
        "lon": lon,
        "lat": lat,
        "match_type": r.match_type,
        "score": float(r.score),
        "matched": r.matched or None,
        "special_groups": list(r.tags),
        "status": r.status,
        "review_reason": r.review_reason,
        "note": r.note or None,
        "batch_id": batch_id,
        "source_row": int(r.excel_row),
    }
