"""SQL of the cases domain (services/cases/): intake, steps, queues, timelines, hotline batches.

Repositories never commit: the service owns the transaction. Every write to ``cases`` is
guarded by the row's ``version`` (:func:`update_case` returns the rows it changed, 0 when
someone else acted first).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

import pandas as pd
from sqlalchemy import text
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.orm import Session

from core.settings import DISTRICT_CODE, SRID


def _frame(result: Result[Any]) -> pd.DataFrame:
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


# --------------------------------------------------------------------------------- locating
def cell_at(session: Session, *, lon: float, lat: float) -> tuple[str | None, str | None]:
    """(cell_code, community_code) of the published plan's cell containing the point.

    A point on a shared edge goes to the lowest cell code; a point in no cell still gets its
    community.
    """
    row = session.execute(
        text(
            f"""
            WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), {SRID}) AS g)
            SELECT
              (SELECT c.cell_code FROM grid_cells c
                 JOIN grid_plans pl ON pl.id = c.plan_id AND pl.state = 'published', p
                WHERE ST_Intersects(c.geom, p.g) ORDER BY c.cell_code LIMIT 1) AS cell_code,
              coalesce(
                (SELECT c.community_code FROM grid_cells c
                   JOIN grid_plans pl ON pl.id = c.plan_id AND pl.state = 'published', p
                  WHERE ST_Intersects(c.geom, p.g) ORDER BY c.cell_code LIMIT 1),
                (SELECT m.code FROM communities m, p WHERE ST_Intersects(m.geom, p.g)
                  ORDER BY m.code LIMIT 1)) AS community_code
            """
        ),
        {"lon": float(lon), "lat": float(lat)},
    ).one()
    return row.cell_code, row.community_code


def nearby_open_cases(
    session: Session,
    *,
    lon: float,
    lat: float,
    category: str,
    open_states: Sequence[str],
    since: dt.datetime,
    at: dt.datetime,
    radius_m: float,
) -> list[str]:
    """Case numbers of the category in ``open_states`` within ``radius_m`` metres, received in
    [since, at]; nearest first, at most 20.

    The distance is measured in the CGCS2000 3-degree Gauss–Krüger zone 108°E (EPSG:4545);
    ``ST_DWithin`` on the stored 4490 geometry with a degree pre-filter uses the GiST index.
    """
    rows = session.execute(
        text(
            f"""
            WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), {SRID}) AS g)
            SELECT c.case_no
            FROM cases c, p
            WHERE c.category = :cat
              AND c.state = ANY(:open)
              AND c.received_at >= :since AND c.received_at <= :at
              -- index-friendly pre-filter in degrees (50 m < 0.001° here), then metres
              AND ST_DWithin(c.geom, p.g, :deg)
              AND ST_DWithin(ST_Transform(c.geom, 4545), ST_Transform(p.g, 4545), :r)
            ORDER BY ST_Distance(ST_Transform(c.geom, 4545), ST_Transform(p.g, 4545)), c.case_no
            LIMIT 20
            """
        ),
        {
            "lon": float(lon),
            "lat": float(lat),
            "cat": category,
            "open": list(open_states),
            "since": since,
            "at": at,
            "deg": radius_m / 80_000.0 + 1e-4,  # generous: 1° of longitude ≈ 93 km at 32.7°N
            "r": float(radius_m),
        },
    ).all()
    return [r.case_no for r in rows]


def communities(session: Session) -> pd.DataFrame:
    """``code, name, has_station`` of every community, in code order."""
    return _frame(
        session.execute(text("SELECT code, name, has_station FROM communities ORDER BY code"))
    )


# --------------------------------------------------------------------------------- intake
def next_case_seq(session: Session, *, day: dt.date) -> int:
    """The next number of the day's case sequence (a database function, safe under load)."""
    return int(session.execute(text("SELECT lianxin_next_case_seq(:d)"), {"d": day}).scalar_one())


def household_exists(session: Session, *, household_id: int) -> bool:
    """Whether the household exists and the session may see it (row-level security)."""
    row = session.execute(
        text("SELECT id FROM households WHERE id = :id"), {"id": household_id}
    ).first()
    return row is not None


def insert_case(
    session: Session,
    *,
    case_no: str,
    kind: str,
    category: str,
    channel: str,
    description: str,
    citizen_name: str | None,
    citizen_phone: str | None,
    household_id: int | None,
    address: str | None,
    community_code: str | None,
    cell_code: str | None,
    lon: float | None,
    lat: float | None,
    received_at: dt.datetime,
    due_at: dt.datetime | None,
    received_by: str,
    service_item: str | None,
    external_ref: str | None,
) -> int:
    """Insert a received case (version 1, escalation at the grid) and return its id."""
    return int(
        session.execute(
            text(
                f"""
                INSERT INTO cases (district_code, case_no, kind, category, channel, state,
                    description, citizen_name, citizen_phone, household_id, address,
                    community_code, cell_code, geom, received_at, due_at, escalation_level,
                    rework_count, called_back, version, received_by, service_item, external_ref)
                VALUES (:d, :no, :kind, :cat, :ch, 'received', :desc, :name, :phone, :hh, :addr,
                    :community, :cell,
                    CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL
                         ELSE ST_SetSRID(ST_MakePoint(CAST(:lon AS float8),
                                                      CAST(:lat AS float8)), {SRID}) END,
                    :rec, :due, 'grid', 0, false, 1, :by, :item, :ref)
                RETURNING id
                """
            ),
            {
                "d": DISTRICT_CODE,
                "no": case_no,
                "kind": kind,
                "cat": category,
                "ch": channel,
                "desc": description,
                "name": citizen_name,
                "phone": citizen_phone,
                "hh": household_id,
                "addr": address,
                "community": community_code,
                "cell": cell_code,
                "lon": lon,
                "lat": lat,
                "rec": received_at,
                "due": due_at,
                "by": received_by,
                "item": service_item,
                "ref": external_ref,
            },
        ).scalar_one()
    )


def insert_attachment(
    session: Session,
    *,
    case_id: int,
    file_name: str,
    content_type: str | None,
    content: bytes,
    sha256: str,
    uploaded_by: str,
) -> None:
    session.execute(
        text(
            "INSERT INTO case_attachments (district_code, case_id, file_name, content_type, "
            "size_bytes, content, sha256, uploaded_by) "
            "VALUES (:d, :c, :f, :t, :s, :b, :h, :u)"
        ),
        {
            "d": DISTRICT_CODE,
            "c": case_id,
            "f": file_name[:255],
            "t": content_type,
            "s": len(content),
            "b": content,
            "h": sha256,
            "u": uploaded_by,
        },
    )


def attachments_of(session: Session, *, case_no: str) -> pd.DataFrame:
    """``id, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at``."""
    return _frame(
        session.execute(
            text(
                "SELECT a.id, a.file_name, a.content_type, a.size_bytes, a.sha256, "
                "a.uploaded_by, a.uploaded_at "
                "FROM case_attachments a JOIN cases c ON c.id = a.case_id "
                "WHERE c.case_no = :no ORDER BY a.id"
            ),
            {"no": case_no},
        )
    )


def insert_event(
    session: Session,
    *,
    case_id: int,
    seq: int | None,
    at: dt.datetime,
    actor: str,
    action: str,
    from_state: str | None,
    to_state: str,
    note: str | None,
    details: Mapping[str, Any],
) -> None:
    """One ``case_events`` row; ``seq=None`` takes the case's next number.

    The caller holds the case row's lock (the version-guarded UPDATE), so max+1 is safe.
    """
    session.execute(
        text(
            """
            INSERT INTO case_events (district_code, case_id, seq, at, actor, action,
                                     from_state, to_state, note, details)
            VALUES (:d, :case, coalesce(CAST(:seq AS integer),
                       (SELECT coalesce(max(seq), 0) + 1 FROM case_events WHERE case_id = :case)),
                    :at, :actor, :action, :f, :t, :note, CAST(:details AS jsonb))
            """
        ),
        {
            "d": DISTRICT_CODE,
            "case": case_id,
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": action,
            "f": from_state,
            "t": to_state,
            "note": note or None,
            "details": json.dumps(dict(details), ensure_ascii=False, default=str),
        },
    )


# --------------------------------------------------------------------------------- reading
_CASE_SQL = """
    SELECT c.id, c.case_no, c.kind, c.category, c.channel, c.state, c.description,
           c.citizen_name, c.citizen_phone, c.household_id, c.address, c.community_code,
           m.name AS community_name, c.cell_code, g.name AS cell_name,
           ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat,
           c.received_at, c.due_at, c.closed_at, c.handler_staff_id, s.name AS handler_name,
           c.department, c.escalation_level, c.rework_count, c.satisfaction, c.called_back,
           c.version, c.received_by, c.service_item, c.external_ref, c.check_note,
           last.action AS last_action, last.note AS last_note
    FROM cases c
    LEFT JOIN communities m ON m.code = c.community_code
    LEFT JOIN staff s ON s.id = c.handler_staff_id
    -- the latest step's note: a required note must be the new step's own (cases.flow)
    LEFT JOIN LATERAL (
        SELECT e.action, e.note FROM case_events e WHERE e.case_id = c.id
        ORDER BY e.seq DESC LIMIT 1) last ON true
    LEFT JOIN LATERAL (
        SELECT gc.name FROM grid_cells gc
        JOIN grid_plans p ON p.id = gc.plan_id AND p.state = 'published'
        WHERE gc.cell_code = c.cell_code LIMIT 1) g ON true
    WHERE c.case_no = :no
"""


def case_row(session: Session, *, case_no: str) -> Any:
    """The case's row with its community, cell, handler and last step; None when absent."""
    return session.execute(text(_CASE_SQL), {"no": case_no}).first()


def last_change(session: Session, *, case_id: int) -> Any:
    """``who, at, action, version`` of the case's latest step; None when absent."""
    return session.execute(
        text(
            """
            SELECT coalesce(s.name, e.actor) AS who, e.at, e.action, c.version
            FROM cases c
            LEFT JOIN LATERAL (SELECT * FROM case_events x WHERE x.case_id = c.id
                               ORDER BY x.seq DESC LIMIT 1) e ON true
            LEFT JOIN staff s ON s.staff_no = e.actor
            WHERE c.id = :id
            """
        ),
        {"id": case_id},
    ).first()


def staff_ids_matching(session: Session, *, who: str) -> list[int]:
    """Ids of the staff whose number or name is ``who`` (at most two: enough to see if unique)."""
    rows = session.execute(
        text("SELECT id FROM staff WHERE staff_no = :w OR name = :w LIMIT 2"), {"w": who}
    ).all()
    return [int(r.id) for r in rows]


def update_case(
    session: Session,
    *,
    case_id: int,
    expected_version: int,
    action: str,
    state: str,
    kind: str,
    due_at: dt.datetime | None,
    closed_at: dt.datetime | None,
    escalation_level: str,
    department: str | None,
    satisfaction: str | None,
    rework_count: int,
    check_note: str | None,
    handler_staff_id: int | None,
) -> int:
    """Write a step's result if the row still has ``expected_version``; the rows changed."""
    result = session.execute(
        text(
            """
            UPDATE cases SET state = :state, kind = :kind, due_at = :due, closed_at = :closed,
                   escalation_level = :level, department = :dept, satisfaction = :sat,
                   rework_count = :rework, check_note = :check, handler_staff_id = :handler,
                   called_back = CASE WHEN :action = 'rate' THEN true
                                      WHEN :action = 'reopen' THEN false
                                      ELSE called_back END,
                   version = version + 1
            WHERE id = :id AND version = :expected
            """
        ),
        {
            "state": state,
            "kind": kind,
            "due": due_at,
            "closed": closed_at,
            "level": escalation_level,
            "dept": department,
            "sat": satisfaction,
            "rework": rework_count,
            "check": check_note,
            "handler": handler_staff_id,
            "action": action,
            "id": case_id,
            "expected": expected_version,
        },
    )
    return int(cast(CursorResult[Any], result).rowcount)


def queue_rows(
    session: Session,
    *,
    states: Sequence[str],
    done_states: Sequence[str],
    at: dt.datetime,
    staff_id: int | None,
    actor: str | None,
    community_code: str | None,
    limit: int,
) -> pd.DataFrame:
    """Cases in ``states``, overdue first (due before ``at`` and not in ``done_states``)."""
    return _frame(
        session.execute(
            text(
                """
                SELECT c.case_no, c.received_at, c.due_at, c.kind, c.category, c.channel,
                       c.state, c.description, c.citizen_name, c.address,
                       m.name AS community_name, c.cell_code, s.name AS handler_name,
                       c.department, c.version,
                       (c.due_at IS NOT NULL AND c.due_at < :at
                            AND c.state <> ALL(:done)) AS overdue
                FROM cases c
                LEFT JOIN communities m ON m.code = c.community_code
                LEFT JOIN staff s ON s.id = c.handler_staff_id
                WHERE c.state = ANY(:states)
                  AND (CAST(:community AS text) IS NULL OR c.community_code = :community)
                  AND ((CAST(:staff AS integer) IS NULL AND CAST(:actor AS text) IS NULL)
                       OR c.handler_staff_id = :staff OR c.received_by = :actor)
                ORDER BY (c.due_at IS NOT NULL AND c.due_at < :at
                          AND c.state <> ALL(:done)) DESC,
                         c.due_at NULLS LAST, c.case_no
                LIMIT :limit
                """
            ),
            {
                "states": list(states),
                "done": list(done_states),
                "at": at,
                "staff": staff_id,
                "actor": actor,
                "community": community_code,
                "limit": int(limit),
            },
        )
    )


def timeline_rows(session: Session, *, case_id: int) -> pd.DataFrame:
    """``seq, at, actor, action, from_state, to_state, note, details`` in order; the actor by
    name when it is a staff number."""
    return _frame(
        session.execute(
            text(
                """
                SELECT e.seq, e.at, coalesce(s.name, e.actor) AS actor, e.action,
                       e.from_state, e.to_state, e.note, e.details
                FROM case_events e LEFT JOIN staff s ON s.staff_no = e.actor
                WHERE e.case_id = :id ORDER BY e.seq
                """
            ),
            {"id": case_id},
        )
    )


# --------------------------------------------------------------------------------- hotline
def hotline_refs_present(session: Session, *, refs: Sequence[str]) -> set[str]:
    """The hotline ticket numbers among ``refs`` that are already cases."""
    rows = session.execute(
        text(
            "SELECT external_ref FROM cases WHERE channel = 'hotline' AND external_ref = ANY(:refs)"
        ),
        {"refs": list(refs)},
    )
    return {r.external_ref for r in rows}


def insert_hotline_batch(session: Session, *, file_name: str, imported_by: str) -> int:
    """A new ``import_batches`` row of kind hotline (counts filled in at the end); its id."""
    return int(
        session.execute(
            text(
                "INSERT INTO import_batches (district_code, kind, file_name, imported_by, "
                "counts) VALUES (:d, 'hotline', :f, :u, '{}'::jsonb) RETURNING id"
            ),
            {"d": DISTRICT_CODE, "f": file_name, "u": imported_by},
        ).scalar_one()
    )


def set_batch_counts(session: Session, *, batch_id: int, counts: Mapping[str, int]) -> None:
    session.execute(
        text("UPDATE import_batches SET counts = CAST(:c AS jsonb) WHERE id = :id"),
        {"c": json.dumps(dict(counts)), "id": batch_id},
    )
