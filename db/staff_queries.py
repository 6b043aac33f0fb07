"""Staff look-ups for set-up tools (demo accounts, the load benchmark): owner connection only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session


def active_staff(session: Session) -> list[dict[str, Any]]:
    """Every active staff member's number, role, community and cell (no names, no phones)."""
    rows = session.execute(
        text(
            "SELECT staff_no, role, community_code, cell_code FROM staff "
            "WHERE active ORDER BY role, staff_no"
        )
    ).mappings()
    return [dict(r) for r in rows]
