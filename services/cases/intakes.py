"""Receiving a case (受理): locate it, look for duplicates, number it, set its deadline.

A case is located like a household: an address (geocoded with the database's gazetteer) or a
map pin gives a point; PostGIS puts the point in a cell of the published grid plan.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from core.errors import InvalidInputError, NotFoundError
from core.vocab import (
    CASE_KINDS,
    CHANNELS,
    DONE_STATES,
    OPEN_STATES,
    SERVICE_CATEGORIES,
    SERVICE_ITEMS,
)
from db import cases as queries
from db import repositories
from services.calendar import WorkCalendar
from services.cases import flow
from services.cases.deadlines import case_number
from services.cases.records import Attachment, CaseRecord, Located, aware
from services.cases.steps import act, get_case, working_calendar
from services.uploads import check_attachment

# Geocodes at least this precise place a case in a cell; rougher ones keep the address only
# (a street-level point could fall in the wrong cell).
PLACED_MATCH_TYPES = ("door_plate", "interpolated", "compound")


# --------------------------------------------------------------------------------- locating
def cell_at(*, session: Session, lon: float, lat: float) -> tuple[str | None, str | None]:
    """(cell_code, community_code) of the published plan's cell containing the point.

    A point on a shared edge goes to the lowest cell code, as in
    :func:`db.repositories.assign_cells`; a point in no cell still gets its community.
    """
    return queries.cell_at(session, lon=lon, lat=lat)


def locate(
    *,
    session: Session,
    address: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    gazetteer: Any = None,
) -> Located:
    """Locate a case from a map pin (wins) or an address (geocoded).

    Parameters
    ----------
    session : Session
    address : str, optional
        Free text such as ``大北街社区纱帽石53号``.
    lon, lat : float, optional
        A map pin in EPSG:4490/4326 (the same within centimetres here).
    gazetteer : gis.gazetteer.geocoder.Gazetteer, optional
        Reuse a gazetteer (pages cache one); built from the database otherwise.
    """
    if lon is not None and lat is not None:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidInputError(f"坐标 ({lon}, {lat}) 不是有效的经纬度")
        cell, community = queries.cell_at(session, lon=lon, lat=lat)
        return Located(float(lon), float(lat), cell, community, "pin", 1.0, None)
    if not address or not address.strip():
        return Located(None, None, None, None, "none")
    if gazetteer is None:
        from services.geocoding import gazetteer_from_session

        gazetteer = gazetteer_from_session(session=session)
    hit = gazetteer.geocode(address)
    if math.isnan(hit.lon) or math.isnan(hit.lat):
        return Located(None, None, None, None, "unmatched", 0.0, None)
    cell, community = queries.cell_at(session, lon=hit.lon, lat=hit.lat)
    if hit.match_type not in PLACED_MATCH_TYPES:
        cell = None  # too rough for a cell; the community is still right
    if getattr(hit, "conflict", None):
        cell = community = None  # the address contradicts itself: a person decides where
    return Located(
        float(hit.lon), float(hit.lat), cell, community, hit.match_type, hit.score, hit.matched
    )


def duplicates_at_intake(
    *,
    session: Session,
    lon: float | None,
    lat: float | None,
    category: str,
    at: dt.datetime | None = None,
    radius_m: float = 50.0,
    days: float = 30,
) -> list[str]:
    """Possible duplicates of a new case: same category, open, within ``radius_m`` metres,
    received in the last ``days`` days; nearest first.

    The distance is measured in the CGCS2000 3-degree Gauss–Krüger zone 108°E (EPSG:4545);
    ``ST_DWithin`` on the stored 4490 geometry with a degree pre-filter uses the GiST index.
    """
    if lon is None or lat is None:
        return []
    moment = aware(at)
    return queries.nearby_open_cases(
        session,
        lon=float(lon),
        lat=float(lat),
        category=category,
        open_states=[s for s in OPEN_STATES if s not in DONE_STATES],
        since=moment - dt.timedelta(days=days),
        at=moment,
        radius_m=radius_m,
    )


def community_options(*, session: Session) -> pd.DataFrame:
    """``code, name, has_station`` of every community, in code order (for pickers)."""
    return queries.communities(session)


# --------------------------------------------------------------------------------- intake
def _check_choice(value: str, allowed: Mapping[str, Any], what: str) -> None:
    if value not in allowed:
        choices = "、".join(
            f"{k}（{v[0] if isinstance(v, tuple) else v}）" for k, v in allowed.items()
        )
        raise InvalidInputError(f"{what} {value!r} 无效，可选：{choices}")


def check_request(
    *,
    category: str,
    kind: str,
    channel: str,
    description: str,
    received_by: str,
    service_item: str | None = None,
    on_the_spot: bool = False,
) -> tuple[str, str]:
    """The intake rules, before anything is located or written: (category, description).

    The category may be left to the service item's; the description is stripped.

    Raises
    ------
    InvalidInputError
        An unknown category, kind, channel or service item; no description; no clerk; a
        case settled on the spot (当场办结) that is not a 即办件.
    """
    if service_item is not None:
        _check_choice(service_item, SERVICE_ITEMS, "服务事项")
        if not category:
            category = SERVICE_ITEMS[service_item][1]
    _check_choice(category, SERVICE_CATEGORIES, "类别")
    _check_choice(kind, CASE_KINDS, "办件类型")
    _check_choice(channel, CHANNELS, "受理渠道")
    description = (description or "").strip()
    if not description:
        raise InvalidInputError("请填写诉求内容（事项描述）")
    if not received_by or not received_by.strip():
        raise InvalidInputError("受理必须注明经办人")
    if on_the_spot and kind != "immediate":
        raise InvalidInputError(f"只有即办件可以当场办结，本件为{CASE_KINDS[kind]}")
    return category, description


@dataclass(frozen=True)
class WindowCheck:
    """What the window shows before it receives a case: where it is and its possible
    duplicates; handed back to :func:`intake` (``located=``, ``duplicates_found=``)."""

    located: Located
    duplicates: list[str]


def window_check(
    *,
    session: Session,
    category: str,
    kind: str,
    channel: str,
    description: str,
    received_by: str,
    service_item: str | None = None,
    on_the_spot: bool = False,
    address: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    gazetteer: Any = None,
) -> WindowCheck:
    """Check a window request by the intake rules (:func:`check_request`), then locate it and
    look for possible duplicates: each runs once, and :func:`intake` reuses the result."""
    category, _ = check_request(
        category=category,
        kind=kind,
        channel=channel,
        description=description,
        received_by=received_by,
        service_item=service_item,
        on_the_spot=on_the_spot,
    )
    where = locate(session=session, address=address, lon=lon, lat=lat, gazetteer=gazetteer)
    duplicates = duplicates_at_intake(
        session=session, lon=where.lon, lat=where.lat, category=category
    )
    return WindowCheck(where, duplicates)


def window_base_layers(*, session: Session) -> tuple[Any, Any]:
    """(communities, streets) GeoDataFrames for the window's pin map."""
    return repositories.communities(session), repositories.streets(session)


def intake(
    *,
    session: Session,
    category: str,
    kind: str,
    channel: str,
    description: str,
    received_by: str,
    citizen_name: str | None = None,
    citizen_phone: str | None = None,
    household_id: int | None = None,
    address: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    community_code: str | None = None,
    service_item: str | None = None,
    external_ref: str | None = None,
    received_at: dt.datetime | None = None,
    attachments: Sequence[Attachment] = (),
    close_on_the_spot_note: str | None = None,
    calendar: WorkCalendar | None = None,
    rules: Mapping[Any, object] | None = None,
    gazetteer: Any = None,
    located: Located | None = None,
    duplicates_found: Sequence[str] | None = None,
    missing_materials: Sequence[str] = (),
) -> CaseRecord:
    """Receive a case (受理): number, deadline from the calendar, cell from PostGIS, event 1.

    Parameters
    ----------
    session : Session
        The caller's transaction; nothing is committed here.
    category, kind, channel : str
        Keys of ``SERVICE_CATEGORIES``, ``CASE_KINDS``, ``CHANNELS``. With ``service_item``
        (a key of ``SERVICE_ITEMS``) the category may be left to the item's.
    description : str
        What the citizen asks; required.
    received_by : str
        Who took the case (the clerk's or cadre's name).
    citizen_name, citizen_phone, household_id : optional
    address, lon, lat : optional
        Location: a pin wins over an address; see :func:`locate`.
    community_code : str, optional
        The station's community (community-station mode) when the location gives none.
    external_ref : str, optional
        The hotline's ticket number (工单编号).
    received_at : datetime, optional
        Default now (Asia/Shanghai).
    attachments : sequence of Attachment
    close_on_the_spot_note : str, optional
        A 即办件 settled at the window: closes it at once with this note (当场办结).
    calendar, rules
        Working calendar and local time limits (see :func:`services.cases.deadlines.due_at_for`).
    located : Located, optional
        An already located point (the hotline import geocodes in bulk; the window page has
        shown it to the clerk).
    duplicates_found : sequence of str, optional
        The possible duplicates already found for ``located`` (see :func:`window_check`);
        looked up here when None.
    missing_materials : sequence of str
        The materials of the 一次性告知 list the citizen did not bring (kept on the intake
        event, printed on the receipt).

    Returns
    -------
    CaseRecord
        With ``calendar_warning`` when the deadline's year has no holiday schedule, and
        ``duplicates``: possible duplicates found at intake (same category, open, 50 m, 30 days).
    """
    category, description = check_request(
        category=category,
        kind=kind,
        channel=channel,
        description=description,
        received_by=received_by,
        service_item=service_item,
        on_the_spot=close_on_the_spot_note is not None,
    )
    # Every attachment is checked by content (images, PDF, Office only) before anything is
    # written; photos lose their EXIF; the stored bytes' SHA-256 is kept as evidence.
    files = [check_attachment(item.file_name, item.content) for item in attachments]
    cal = working_calendar(calendar)
    at = aware(received_at)
    where = located or locate(
        session=session, address=address, lon=lon, lat=lat, gazetteer=gazetteer
    )
    community = where.community_code or community_code
    if household_id is not None and not queries.household_exists(
        session, household_id=household_id
    ):
        raise NotFoundError(f"住户 {household_id} 不存在或无权查看")

    case_no = case_number(at.date(), queries.next_case_seq(session, day=at.date()))
    snap = flow.new_case(case_no, kind, category, at, calendar=cal, rules=rules)
    duplicates = (
        duplicates_at_intake(
            session=session, lon=where.lon, lat=where.lat, category=category, at=at
        )
        if duplicates_found is None
        else list(duplicates_found)
    )
    case_id = queries.insert_case(
        session,
        case_no=case_no,
        kind=kind,
        category=category,
        channel=channel,
        description=description,
        citizen_name=(citizen_name or "").strip() or None,
        citizen_phone=(citizen_phone or "").strip() or None,
        household_id=household_id,
        address=(address or "").strip() or None,
        community_code=community,
        cell_code=where.cell_code,
        lon=where.lon,
        lat=where.lat,
        received_at=at,
        due_at=snap.due_at,
        received_by=received_by.strip(),
        service_item=service_item,
        external_ref=(external_ref or "").strip() or None,
    )
    details: dict[str, Any] = {"channel": channel, "kind": kind, "category": category}
    if snap.due_at is not None:
        details["due_at"] = snap.due_at.isoformat()
    if where.match_type != "none":
        details["located_by"] = where.match_type
    if duplicates:
        details["possible_duplicates"] = duplicates
    missing = [str(m).strip() for m in missing_materials if str(m).strip()]
    if missing:
        details["missing_materials"] = missing
    queries.insert_event(
        session,
        case_id=case_id,
        seq=1,
        at=at,
        actor=received_by.strip(),
        action="receive",
        from_state=None,
        to_state="received",
        note=f"受理：{description[:200]}",
        details=details,
    )
    for item in files:
        queries.insert_attachment(
            session,
            case_id=case_id,
            file_name=item.file_name,
            content_type=item.content_type,
            content=item.content,
            sha256=item.sha256,
            uploaded_by=received_by.strip(),
        )
    if close_on_the_spot_note is not None:
        act(
            session=session,
            case_no=case_no,
            action="close_on_the_spot",
            expected_version=1,
            actor=received_by.strip(),
            note=close_on_the_spot_note,
            at=at,
            calendar=cal,
        )
    record = get_case(case_no, session=session)
    warning = cal.coverage_warning(snap.due_at) if snap.due_at is not None else None
    return replace(record, calendar_warning=warning, duplicates=duplicates)
