"""The gazetteer from the database: streets, door plates, communities and compounds."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from db import repositories


def gazetteer_from_session(*, session: Session) -> Any:
    """Build a :class:`gis.gazetteer.geocoder.Gazetteer` from what the database holds."""
    from gis.gazetteer.geocoder import Gazetteer

    streets = repositories.streets(session)
    streets["aliases"] = ["|".join(a) if a is not None else "" for a in streets["aliases"]]
    return Gazetteer.from_frames(
        streets=streets,
        door_plates=repositories.door_plates(session),
        communities=repositories.communities(session),
        compounds=repositories.compounds(session),
    )


def load_gazetteer() -> Any:
    """Gazetteer for the CLI (``lianxin geocode`` without file options)."""
    from db.engine import check_database, session_scope

    check_database()
    with session_scope() as session:
        return gazetteer_from_session(session=session)
