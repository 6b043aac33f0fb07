"""The records of the cases domain: a located point, an attachment, a case as pages show it.

Moments are Beijing time (:mod:`core.clock`); :func:`aware` reads a database or user moment
in it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from core import clock
from services.cases import flow
from services.cases.flow import CaseSnapshot


def aware(moment: dt.datetime | None) -> dt.datetime:
    """``moment`` in Beijing time (a naive one is taken as Beijing's); now when None."""
    if moment is None:
        return clock.now()
    if moment.tzinfo is None:
        return moment.replace(tzinfo=clock.BEIJING)
    return moment.astimezone(clock.BEIJING)


@dataclass(frozen=True)
class Attachment:
    """A file handed in with a case (a photo, a copy of a certificate)."""

    file_name: str
    content: bytes
    content_type: str | None = None


@dataclass(frozen=True)
class Located:
    """Where a case is: point (EPSG:4490), cell and community, and how it was found."""

    lon: float | None
    lat: float | None
    cell_code: str | None
    community_code: str | None
    match_type: str  # pin / door_plate / interpolated / street / community / unmatched / none
    score: float | None = None
    matched: str | None = None

    @property
    def has_point(self) -> bool:
        return self.lon is not None and self.lat is not None


@dataclass(frozen=True)
class CaseRecord:
    """One case as the pages show it, with its snapshot for the state machine."""

    id: int
    snapshot: CaseSnapshot
    channel: str
    description: str
    citizen_name: str | None
    citizen_phone: str | None
    household_id: int | None
    address: str | None
    community_code: str | None
    community_name: str | None
    cell_code: str | None
    cell_name: str | None
    lon: float | None
    lat: float | None
    received_by: str | None
    service_item: str | None
    external_ref: str | None
    handler_staff_id: int | None
    handler_name: str | None
    called_back: bool
    calendar_warning: str | None = None
    duplicates: list[str] = field(default_factory=list)

    @property
    def case_no(self) -> str:
        return self.snapshot.case_no

    @property
    def state(self) -> str:
        return self.snapshot.state

    @property
    def version(self) -> int:
        return self.snapshot.version

    @property
    def due_at(self) -> dt.datetime | None:
        return self.snapshot.due_at

    def is_overdue(self, at: dt.datetime | None = None) -> bool:
        return flow.is_overdue(self.snapshot, aware(at))


def record_from_row(row: Any) -> CaseRecord:
    """A :class:`CaseRecord` from a :func:`db.cases.case_row` row."""
    snap = CaseSnapshot(
        case_no=row.case_no,
        kind=row.kind,
        category=row.category,
        received_at=aware(row.received_at),
        due_at=aware(row.due_at) if row.due_at is not None else None,
        state=row.state,
        closed_at=aware(row.closed_at) if row.closed_at is not None else None,
        escalation_level=row.escalation_level or "grid",
        department=row.department,
        assignee=row.handler_name or row.department,
        satisfaction=row.satisfaction,
        check_note=row.check_note,
        rework_count=int(row.rework_count or 0),
        version=int(row.version or 1),
        last_action=row.last_action,
        last_note=row.last_note,
    )
    return CaseRecord(
        id=int(row.id),
        snapshot=snap,
        channel=row.channel,
        description=row.description,
        citizen_name=row.citizen_name,
        citizen_phone=row.citizen_phone,
        household_id=row.household_id,
        address=row.address,
        community_code=row.community_code,
        community_name=row.community_name,
        cell_code=row.cell_code,
        cell_name=row.cell_name,
        lon=row.lon,
        lat=row.lat,
        received_by=row.received_by,
        service_item=row.service_item,
        external_ref=row.external_ref,
        handler_staff_id=row.handler_staff_id,
        handler_name=row.handler_name,
        called_back=bool(row.called_back),
    )
