"""SQL of the Open311 GeoReport API (services/cases/open311/) and the case exchange.

Public reads return no personal field: no citizen name, phone, e-mail or address, and the
point is the *cell's* (``ST_PointOnSurface`` of the published cell, else of the community) —
never the case's own point, so a shrinking bbox cannot triangulate a door plate. The bbox
filter runs on that same public point.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.settings import SRID


def insert_request(
    session: Session, *, token: str, case_no: str, api_key_id: int | None, media_url: str | None
) -> None:
    session.execute(
        text(
            "INSERT INTO open311_requests (token, case_id, api_key_id, media_url) "
            "SELECT CAST(:t AS uuid), c.id, :k, :m FROM cases c WHERE c.case_no = :no"
        ),
        {"t": token, "no": case_no, "k": api_key_id, "m": media_url},
    )


def set_citizen_email(session: Session, *, case_no: str, email: str | None) -> None:
    session.execute(
        text("UPDATE cases SET citizen_email = :e WHERE case_no = :no"),
        {"e": email, "no": case_no},
    )


def case_no_for_token(session: Session, token: str) -> str | None:
    return session.execute(
        text(
            "SELECT c.case_no FROM open311_requests r JOIN cases c ON c.id = r.case_id "
            "WHERE r.token = CAST(:t AS uuid)"
        ),
        {"t": token},
    ).scalar()


_COMMON = """(CAST(:nos AS text[]) IS NULL OR c.case_no = ANY (CAST(:nos AS text[])))
      AND (CAST(:cats AS text[]) IS NULL OR c.category = ANY (CAST(:cats AS text[])))
      AND (CAST(:states AS text[]) IS NULL OR c.state = ANY (CAST(:states AS text[])))
      AND (CAST(:since AS timestamptz) IS NULL OR c.received_at >= :since)
      AND (CAST(:until AS timestamptz) IS NULL OR c.received_at <= :until)"""

_PUBLIC_SQL = f"""
WITH env AS (
    SELECT CASE WHEN CAST(:xmin AS float8) IS NULL THEN NULL
                ELSE ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, {SRID}) END AS g
), in_box AS MATERIALIZED (
    -- cells whose public point is in the bbox (only when a bbox is given)
    SELECT g.cell_code FROM grid_cells g
    JOIN grid_plans p ON p.id = g.plan_id AND p.state = 'published', env
    WHERE env.g IS NOT NULL AND g.geom && env.g
      AND ST_Intersects(ST_PointOnSurface(g.geom), env.g)
), communities_in_box AS MATERIALIZED (
    SELECT m.code FROM communities m, env
    WHERE env.g IS NOT NULL AND m.geom && env.g
      AND ST_Intersects(ST_PointOnSurface(m.geom), env.g)
), picked AS MATERIALIZED (
    -- three branches so each can use its index: no bbox (received_at), cells in the bbox
    -- (cell_code), unplaced cases of communities in the bbox (community_code)
    (SELECT c.* FROM cases c WHERE {{common}} AND CAST(:xmin AS float8) IS NULL
     ORDER BY c.received_at DESC, c.case_no DESC LIMIT :limit)
    UNION ALL
    (SELECT c.* FROM cases c WHERE {{common}}
       AND c.cell_code = ANY (ARRAY(SELECT cell_code FROM in_box))
     ORDER BY c.received_at DESC, c.case_no DESC LIMIT :limit)
    UNION ALL
    (SELECT c.* FROM cases c WHERE {{common}} AND c.cell_code IS NULL
       AND c.community_code = ANY (ARRAY(SELECT code FROM communities_in_box))
     ORDER BY c.received_at DESC, c.case_no DESC LIMIT :limit)
), cells AS MATERIALIZED (
    SELECT DISTINCT ON (g.cell_code) g.cell_code, g.name, ST_PointOnSurface(g.geom) AS pt
    FROM grid_cells g JOIN grid_plans p ON p.id = g.plan_id AND p.state = 'published'
    WHERE g.cell_code IN (SELECT cell_code FROM picked)
    ORDER BY g.cell_code
)
SELECT c.case_no, c.category, c.kind, c.state, c.description, c.channel, c.service_item,
       c.received_at, c.due_at, c.closed_at, c.department, c.escalation_level, c.satisfaction,
       c.cell_code, c.community_code, cl.name AS cell_name, m.name AS community_name,
       c.citizen_name,
       ST_X(coalesce(cl.pt, ST_PointOnSurface(m.geom))) AS lon,
       ST_Y(coalesce(cl.pt, ST_PointOnSurface(m.geom))) AS lat,
       hs.cell_code AS handler_cell_code, hc.name AS handler_cell_name,
       hm.name AS handler_community_name,
       e.at AS updated_at, e.action AS last_action,
       r.token, r.media_url
FROM picked c
LEFT JOIN cells cl ON cl.cell_code = c.cell_code
LEFT JOIN communities m ON m.code = c.community_code
LEFT JOIN staff hs ON hs.id = c.handler_staff_id
LEFT JOIN LATERAL (
    SELECT g.name FROM grid_cells g JOIN grid_plans p ON p.id = g.plan_id
    AND p.state = 'published' WHERE g.cell_code = hs.cell_code LIMIT 1) hc ON true
LEFT JOIN communities hm ON hm.code = hs.community_code
LEFT JOIN LATERAL (
    SELECT x.at, x.action FROM case_events x WHERE x.case_id = c.id
    ORDER BY x.seq DESC LIMIT 1) e ON true
LEFT JOIN open311_requests r ON r.case_id = c.id
ORDER BY c.received_at DESC, c.case_no DESC
LIMIT :limit
""".replace("{common}", _COMMON)


def public_requests(
    session: Session,
    *,
    case_nos: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    states: Sequence[str] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    limit: int = 1000,
) -> list[Any]:
    """Cases as GeoReport shows them, newest first (RLS applies: the acting key's scope).

    ``citizen_name`` comes back only so the service can scrub it out of the description; it
    never leaves the service.
    """
    xmin, ymin, xmax, ymax = bbox if bbox else (None, None, None, None)
    result = session.execute(
        text(_PUBLIC_SQL),
        {
            "nos": list(case_nos) if case_nos else None,
            "cats": list(categories) if categories else None,
            "states": list(states) if states else None,
            "since": since,
            "until": until,
            "xmin": xmin,
            "ymin": ymin,
            "xmax": xmax,
            "ymax": ymax,
            "limit": int(limit),
        },
    )
    return list(result.all())


def city_size(session: Session) -> tuple[int, int]:
    """(cases, cells of the published plans), for the benchmark's report."""
    row = session.execute(
        text(
            "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM grid_cells g "
            "JOIN grid_plans p ON p.id = g.plan_id AND p.state = 'published')"
        )
    ).one()
    return int(row[0]), int(row[1])
