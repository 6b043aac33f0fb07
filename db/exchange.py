"""SQL of the case exchange (services/cases/exchange.py): cases with their steps, out and in.

Runs on the owner's connection (the CLI): an export covers every case of the district, an
import writes cases as the upper platform handed them over.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.settings import SRID

_EXPORT_SQL = """
SELECT c.id, c.district_code, c.case_no, c.kind, c.category, c.service_item, c.channel,
       c.external_ref, c.state, c.description, c.citizen_name, c.citizen_phone,
       c.address, c.community_code, cm.name AS community_name, c.cell_code,
       g.name AS cell_name, ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat,
       c.received_at, c.due_at, c.closed_at, c.escalation_level, c.rework_count,
       c.satisfaction, c.check_note,
       coalesce(c.department,
                CASE WHEN s.id IS NOT NULL THEN
                    coalesce(sm.name, '') || coalesce(sg.name, '') END) AS handling_unit,
       coalesce((SELECT json_agg(json_build_object(
                    'seq', e.seq, 'at', e.at, 'action', e.action, 'from_state', e.from_state,
                    'to_state', e.to_state, 'actor', coalesce(es.name, e.actor), 'note', e.note)
                 ORDER BY e.seq)
                 FROM case_events e LEFT JOIN staff es ON es.staff_no = e.actor
                 WHERE e.case_id = c.id), '[]'::json) AS steps
FROM cases c
LEFT JOIN communities cm ON cm.code = c.community_code
LEFT JOIN LATERAL (
    SELECT gc.name FROM grid_cells gc JOIN grid_plans p ON p.id = gc.plan_id
    AND p.state = 'published' WHERE gc.cell_code = c.cell_code LIMIT 1) g ON true
LEFT JOIN staff s ON s.id = c.handler_staff_id
LEFT JOIN communities sm ON sm.code = s.community_code
LEFT JOIN LATERAL (
    SELECT gc.name FROM grid_cells gc JOIN grid_plans p ON p.id = gc.plan_id
    AND p.state = 'published' WHERE gc.cell_code = s.cell_code LIMIT 1) sg ON true
WHERE (CAST(:since AS timestamptz) IS NULL
       OR c.received_at >= :since
       OR EXISTS (SELECT 1 FROM case_events x WHERE x.case_id = c.id AND x.at >= :since))
  AND (CAST(:until AS timestamptz) IS NULL OR c.received_at < :until)
ORDER BY c.received_at, c.case_no
"""


def cases_for_export(
    session: Session, *, since: dt.datetime | None, until: dt.datetime | None = None
) -> list[Any]:
    """Cases received, or with a step, since ``since``; with their steps as a JSON list."""
    return list(session.execute(text(_EXPORT_SQL), {"since": since, "until": until}).all())


def existing_case(session: Session, case_no: str) -> Any:
    return session.execute(
        text("SELECT id, received_at, category, channel FROM cases WHERE case_no = :no"),
        {"no": case_no},
    ).first()


def insert_case(session: Session, row: Mapping[str, Any]) -> int:
    return int(
        session.execute(
            text(
                f"""
                INSERT INTO cases (district_code, case_no, kind, category, channel, state,
                    description, citizen_name, citizen_phone, address, community_code,
                    cell_code, geom, received_at, due_at, closed_at, escalation_level,
                    department, rework_count, satisfaction, called_back, check_note, version,
                    received_by, service_item, external_ref)
                VALUES (:district_code, :case_no, :kind, :category, :channel, :state,
                    :description, :citizen_name, :citizen_phone, :address, :community_code,
                    :cell_code,
                    CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL
                         ELSE ST_SetSRID(ST_MakePoint(CAST(:lon AS float8),
                                                      CAST(:lat AS float8)), {SRID}) END,
                    :received_at, :due_at, :closed_at, :escalation_level, :department,
                    :rework_count, :satisfaction, :called_back, :check_note, 1, :received_by,
                    :service_item, :external_ref)
                RETURNING id
                """
            ),
            dict(row),
        ).scalar_one()
    )


def insert_steps(
    session: Session, *, case_id: int, district_code: str, steps: Sequence[Mapping[str, Any]]
) -> None:
    for step in steps:
        session.execute(
            text(
                "INSERT INTO case_events (district_code, case_id, seq, at, actor, action, "
                "from_state, to_state, note, details) VALUES (:d, :case, :seq, :at, :actor, "
                ":action, :f, :t, :note, CAST(:details AS jsonb))"
            ),
            {
                "d": district_code,
                "case": case_id,
                "seq": step["seq"],
                "at": step["at"],
                "actor": step["actor"],
                "action": step["action"],
                "f": step.get("from_state"),
                "t": step["to_state"],
                "note": step.get("note"),
                "details": json.dumps({"imported": True}, ensure_ascii=False),
            },
        )
