"""Version stamps for the cross-user caches (services.shared_cache).

A stamp changes whenever the data a cached thing was built from changes, so a cache keyed by
it can never serve a layer older than what the database holds.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def published_plan_stamp(session: Session) -> tuple[int, int] | None:
    """(id, lock_version) of the published plan, or None. Every edit bumps lock_version and a
    new publication changes the id."""
    row = session.execute(
        text("SELECT id, lock_version FROM grid_plans WHERE state = 'published' LIMIT 1")
    ).first()
    return None if row is None else (int(row.id), int(row.lock_version))


def streets_stamp(session: Session) -> tuple[int, int, int]:
    """(count, max id, newest row version) of the streets: an import, a deletion or an alias
    edit (a new row version, ``xmin``) changes it."""
    row = session.execute(
        text(
            "SELECT count(*) AS n, coalesce(max(id), 0) AS m,"
            " coalesce(max(xmin::text::bigint), 0) AS x FROM streets"
        )
    ).one()
    return int(row.n), int(row.m), int(row.x)
