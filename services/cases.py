"""Cases in the database: intake, actions with an audit trail, queues, timelines, duplicates.

The pure rules live in :mod:`services.case_flow` (states, actions, deadlines) and
:mod:`services.calendar` (working days); this module loads a case, applies one rule and writes
the result in the caller's transaction. Every change is a ``case_events`` row (who, when, from,
to, note), and every write to ``cases`` is guarded by the row's ``version``::

    UPDATE cases SET … , version = version + 1 WHERE id = :id AND version = :expected

Zero rows updated means someone else acted first: :class:`~core.errors.ConflictError` names
who and when, and nothing of this action is written (the caller's transaction rolls back).

A case is located like a household: an address (geocoded with the database's gazetteer) or a
map pin gives a point; PostGIS puts the point in a cell of the published grid plan.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import text
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from core.errors import ConflictError, InvalidInputError, NotFoundError
from core.vocab import (
    CASE_KINDS,
    CHANNELS,
    DONE_STATES,
    OPEN_STATES,
    SERVICE_CATEGORIES,
    SERVICE_ITEMS,
)
from services import case_flow
from services.calendar import WorkCalendar
from services.case_flow import ACTIONS, CaseSnapshot
from services.uploads import MAX_UPLOAD_BYTES, CheckedFile, check_attachment

__all__ = [
    "DISTRICT_CODE",
    "TZ",
    "Attachment",
    "CaseRecord",
    "Located",
    "ServicePoint",
    "act",
    "allowed_actions_for",
    "attachments_of",
    "community_options",
    "duplicates_at_intake",
    "get_case",
    "intake",
    "locate",
    "materials_for",
    "queue",
    "service_point",
    "timeline",
]

DISTRICT_CODE = "610902"
TZ = ZoneInfo("Asia/Shanghai")
# Geocodes at least this precise place a case in a cell; rougher ones keep the address only
# (a street-level point could fall in the wrong cell).
PLACED_MATCH_TYPES = ("door_plate", "interpolated", "compound")
MAX_ATTACHMENT_BYTES = MAX_UPLOAD_BYTES  # one limit for every upload (20 MB)
_DEFAULT_CALENDAR: WorkCalendar | None = None


def _calendar(calendar: WorkCalendar | None) -> WorkCalendar:
    global _DEFAULT_CALENDAR
    if calendar is not None:
        return calendar
    if _DEFAULT_CALENDAR is None:
        _DEFAULT_CALENDAR = WorkCalendar()
    return _DEFAULT_CALENDAR


def now() -> dt.datetime:
    """The current time in the office's time zone (aware)."""
    return dt.datetime.now(TZ)


def _aware(moment: dt.datetime | None) -> dt.datetime:
    if moment is None:
        return now()
    if moment.tzinfo is None:
        return moment.replace(tzinfo=TZ)
    return moment.astimezone(TZ)


# --------------------------------------------------------------------------------- records
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
        return case_flow.is_overdue(self.snapshot, _aware(at))


# --------------------------------------------------------------------------------- office
@dataclass(frozen=True)
class ServicePoint:
    """Where a case is taken, as a receipt names it: name, phone, opening hours."""

    name: str
    phone: str
    hours: str | None = None
    example: bool = False  # the shipped demo value, not yet the office's own

    @property
    def phone_label(self) -> str:
        """The phone as a receipt prints it: ``0915-3212345（示例）`` while it is the demo's."""
        return f"{self.phone}（示例）" if self.example else self.phone


def service_point(community_code: str | None = None, *, path: Any = None) -> ServicePoint:
    """The service point's public details from ``data/office.json`` (local practice).

    A community station listed under ``stations`` has its own entry; any other station, and
    the centre, use the centre's. The file's ``example`` flag marks the demo's values.

    >>> service_point().phone_label.endswith("（示例）")
    True
    """
    data = _office(str(path) if path else None)
    centre = data.get("centre") or {}
    entry = (data.get("stations") or {}).get(str(community_code)) if community_code else None
    entry = entry or centre
    phone = str(entry.get("phone") or centre.get("phone") or "").strip()
    if not phone:
        raise InvalidInputError("data/office.json 未配置服务点电话（centre.phone）")
    return ServicePoint(
        name=str(entry.get("name") or centre.get("name") or ""),
        phone=phone,
        hours=entry.get("hours") or centre.get("hours"),
        example=bool(data.get("example", False)),
    )


def _office(path: str | None) -> dict[str, Any]:
    from pathlib import Path

    source = Path(path) if path else Path(__file__).resolve().parents[1] / "data/office.json"
    try:
        return cast(dict[str, Any], json.loads(source.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"{source.name}：无法读取服务点配置（{exc}）") from exc


# --------------------------------------------------------------------------------- materials
def materials_for(category: str, *, service_item: str | None = None, path: Any = None) -> list[str]:
    """The materials a citizen must bring (一次性告知) for a category or service item.

    Read from ``data/service_materials.json``: the service item's own list when it has one,
    else the category's, else the general list.

    Examples
    --------
    >>> "本人有效身份证件原件" in materials_for("minimum_allowance")[0]
    True
    """
    data = _materials(str(path) if path else None)
    if service_item and service_item in data.get("service_items", {}):
        return list(data["service_items"][service_item]["materials"])
    if category in data.get("categories", {}):
        return list(data["categories"][category]["materials"])
    return list(data.get("general", []))


_MATERIALS_CACHE: dict[str | None, dict[str, Any]] = {}


def _materials(path: str | None) -> dict[str, Any]:
    if path not in _MATERIALS_CACHE:
        from pathlib import Path

        file = (
            Path(path)
            if path
            else Path(__file__).resolve().parents[1] / ("data/service_materials.json")
        )
        try:
            _MATERIALS_CACHE[path] = json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise NotFoundError(f"找不到办事材料清单 {file}") from None
        except json.JSONDecodeError as exc:
            raise InvalidInputError(
                f"办事材料清单 {file} 格式错误：第{exc.lineno}行 {exc.msg}"
            ) from None
    return _MATERIALS_CACHE[path]


# --------------------------------------------------------------------------------- locating
def cell_at(session: Session, *, lon: float, lat: float) -> tuple[str | None, str | None]:
    """(cell_code, community_code) of the published plan's cell containing the point.

    A point on a shared edge goes to the lowest cell code, as in
    :func:`db.repositories.assign_cells`; a point in no cell still gets its community.
    """
    row = session.execute(
        text(
            """
            WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) AS g)
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


def locate(
    session: Session,
    *,
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
    gazetteer : gis.gazetteer.Gazetteer, optional
        Reuse a gazetteer (pages cache one); built from the database otherwise.
    """
    if lon is not None and lat is not None:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidInputError(f"坐标 ({lon}, {lat}) 不是有效的经纬度")
        cell, community = cell_at(session, lon=lon, lat=lat)
        return Located(float(lon), float(lat), cell, community, "pin", 1.0, None)
    if not address or not address.strip():
        return Located(None, None, None, None, "none")
    if gazetteer is None:
        from services.geocoding import gazetteer_from_session

        gazetteer = gazetteer_from_session(session)
    hit = gazetteer.geocode(address)
    if math.isnan(hit.lon) or math.isnan(hit.lat):
        return Located(None, None, None, None, "unmatched", 0.0, None)
    cell, community = cell_at(session, lon=hit.lon, lat=hit.lat)
    if hit.match_type not in PLACED_MATCH_TYPES:
        cell = None  # too rough for a cell; the community is still right
    if getattr(hit, "conflict", None):
        cell = community = None  # the address contradicts itself: a person decides where
    return Located(
        float(hit.lon), float(hit.lat), cell, community, hit.match_type, hit.score, hit.matched
    )


# --------------------------------------------------------------------------------- intake
def _check_choice(value: str, allowed: Mapping[str, Any], what: str) -> None:
    if value not in allowed:
        choices = "、".join(
            f"{k}（{v[0] if isinstance(v, tuple) else v}）" for k, v in allowed.items()
        )
        raise InvalidInputError(f"{what} {value!r} 无效，可选：{choices}")


def _next_case_no(session: Session, day: dt.date) -> str:
    seq = session.execute(text("SELECT lianxin_next_case_seq(:d)"), {"d": day}).scalar_one()
    return case_flow.case_number(day, int(seq))


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
        Working calendar and local time limits (see :func:`services.case_flow.due_at_for`).
    located : Located, optional
        An already located point (the hotline import geocodes in bulk).
    missing_materials : sequence of str
        The materials of the 一次性告知 list the citizen did not bring (kept on the intake
        event, printed on the receipt).

    Returns
    -------
    CaseRecord
        With ``calendar_warning`` when the deadline's year has no holiday schedule, and
        ``duplicates``: possible duplicates found at intake (same category, open, 50 m, 30 days).
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
    if close_on_the_spot_note is not None and kind != "immediate":
        raise InvalidInputError(f"只有即办件可以当场办结，本件为{CASE_KINDS[kind]}")
    # Every attachment is checked by content (images, PDF, Office only) before anything is
    # written; photos lose their EXIF; the stored bytes' SHA-256 is kept as evidence.
    files = [check_attachment(item.file_name, item.content) for item in attachments]
    cal = _calendar(calendar)
    at = _aware(received_at)
    where = located or locate(session, address=address, lon=lon, lat=lat, gazetteer=gazetteer)
    community = where.community_code or community_code
    if household_id is not None:
        hh = session.execute(
            text("SELECT id FROM households WHERE id = :id"), {"id": household_id}
        ).first()
        if hh is None:
            raise NotFoundError(f"住户 {household_id} 不存在或无权查看")

    case_no = _next_case_no(session, at.date())
    snap = case_flow.new_case(case_no, kind, category, at, calendar=cal, rules=rules)
    duplicates = (
        duplicates_at_intake(session, lon=where.lon, lat=where.lat, category=category, at=at)
        if where.has_point
        else []
    )
    case_id = session.execute(
        text(
            """
            INSERT INTO cases (district_code, case_no, kind, category, channel, state,
                description, citizen_name, citizen_phone, household_id, address,
                community_code, cell_code, geom, received_at, due_at, escalation_level,
                rework_count, called_back, version, received_by, service_item, external_ref)
            VALUES (:d, :no, :kind, :cat, :ch, 'received', :desc, :name, :phone, :hh, :addr,
                :community, :cell,
                CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL
                     ELSE ST_SetSRID(ST_MakePoint(CAST(:lon AS float8), CAST(:lat AS float8)),
                                     4490) END,
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
            "name": (citizen_name or "").strip() or None,
            "phone": (citizen_phone or "").strip() or None,
            "hh": household_id,
            "addr": (address or "").strip() or None,
            "community": community,
            "cell": where.cell_code,
            "lon": where.lon,
            "lat": where.lat,
            "rec": at,
            "due": snap.due_at,
            "by": received_by.strip(),
            "item": service_item,
            "ref": (external_ref or "").strip() or None,
        },
    ).scalar_one()
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
    _insert_event(
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
        _insert_attachment(session, case_id=case_id, checked=item, by=received_by.strip())
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
    record = get_case(session, case_no)
    warning = cal.coverage_warning(snap.due_at) if snap.due_at is not None else None
    return _with(record, calendar_warning=warning, duplicates=duplicates)


def _with(record: CaseRecord, **changes: Any) -> CaseRecord:
    from dataclasses import replace

    return replace(record, **changes)


def _insert_attachment(session: Session, *, case_id: int, checked: CheckedFile, by: str) -> None:
    session.execute(
        text(
            "INSERT INTO case_attachments (district_code, case_id, file_name, content_type, "
            "size_bytes, content, sha256, uploaded_by) "
            "VALUES (:d, :c, :f, :t, :s, :b, :h, :u)"
        ),
        {
            "d": DISTRICT_CODE,
            "c": case_id,
            "f": checked.file_name[:255],
            "t": checked.content_type,
            "s": len(checked.content),
            "b": checked.content,
            "h": checked.sha256,
            "u": by,
        },
    )


def attachments_of(session: Session, case_no: str) -> pd.DataFrame:
    """``file_name, content_type, size_bytes, uploaded_by, uploaded_at`` of a case's files."""
    result = session.execute(
        text(
            "SELECT a.id, a.file_name, a.content_type, a.size_bytes, a.sha256, a.uploaded_by, "
            "a.uploaded_at "
            "FROM case_attachments a JOIN cases c ON c.id = a.case_id WHERE c.case_no = :no "
            "ORDER BY a.id"
        ),
        {"no": case_no},
    )
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def _insert_event(
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
    # seq: the caller holds the case row's lock (the version-guarded UPDATE), so max+1 is safe.
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
    -- the latest step's note: a required note must be the new step's own (case_flow)
    LEFT JOIN LATERAL (
        SELECT e.action, e.note FROM case_events e WHERE e.case_id = c.id
        ORDER BY e.seq DESC LIMIT 1) last ON true
    LEFT JOIN LATERAL (
        SELECT gc.name FROM grid_cells gc
        JOIN grid_plans p ON p.id = gc.plan_id AND p.state = 'published'
        WHERE gc.cell_code = c.cell_code LIMIT 1) g ON true
"""


def _record(row: Any) -> CaseRecord:
    snap = CaseSnapshot(
        case_no=row.case_no,
        kind=row.kind,
        category=row.category,
        received_at=_aware(row.received_at),
        due_at=_aware(row.due_at) if row.due_at is not None else None,
        state=row.state,
        closed_at=_aware(row.closed_at) if row.closed_at is not None else None,
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


def get_case(session: Session, case_no: str) -> CaseRecord:
    """The case with this number; :class:`NotFoundError` when absent (or not visible)."""
    row = session.execute(
        text(_CASE_SQL + " WHERE c.case_no = :no"), {"no": (case_no or "").strip()}
    ).first()
    if row is None:
        raise NotFoundError(f"案件 {case_no} 不存在或无权查看")
    return _record(row)


def allowed_actions_for(record: CaseRecord) -> list[str]:
    """The actions the case allows now (see :func:`services.case_flow.allowed_actions`)."""
    return case_flow.allowed_actions(record.snapshot)


# --------------------------------------------------------------------------------- acting
def _last_change(session: Session, case_id: int) -> tuple[str, dt.datetime | None, int]:
    row = session.execute(
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
    if row is None:
        return "他人", None, -1
    action = ACTIONS.get(row.action, "受理" if row.action == "receive" else row.action or "")
    who = f"{row.who or '他人'}（{action}）" if action else (row.who or "他人")
    return who, row.at, int(row.version)


def _conflict(session: Session, record: CaseRecord, expected: int) -> ConflictError:
    who, at, actual = _last_change(session, record.id)
    when = f"于 {_aware(at):%Y-%m-%d %H:%M} " if at is not None else ""
    return ConflictError(
        f"案件 {record.case_no} 已被 {who} {when}修改（您看到的是第{expected}版，"
        f"现在是第{actual}版）。您的操作未保存，请刷新后查看最新情况再操作。"
    )


def _resolve_staff(session: Session, who: str) -> int | None:
    rows = session.execute(
        text("SELECT id FROM staff WHERE staff_no = :w OR name = :w LIMIT 2"), {"w": who}
    ).all()
    return int(rows[0].id) if len(rows) == 1 else None


def act(
    *,
    session: Session,
    case_no: str,
    action: str,
    expected_version: int,
    actor: str,
    note: str = "",
    at: dt.datetime | None = None,
    calendar: WorkCalendar | None = None,
    rules: Mapping[Any, object] | None = None,
    **details: Any,
) -> CaseRecord:
    """Apply one action to a case and record it, guarded by the version the user saw.

    Parameters
    ----------
    session : Session
        The caller's transaction.
    case_no : str
    action : str
        A key of :data:`services.case_flow.ACTIONS`.
    expected_version : int
        The version shown on the user's screen.
    actor : str
        Who acts.
    note : str
        Required as the check note for 结案 and as the reason for 退回 / 重办.
    at : datetime, optional
        Default now.
    **details
        Per action, see :func:`services.case_flow.transition` (``to=``, ``satisfaction=``,
        ``level=``, ``department=``, ``working_days=``). ``dispatch(to=…)`` takes a staff number
        or name (the case then shows in that person's queue) or a department's name.

    Raises
    ------
    ConflictError
        The case changed since ``expected_version`` — names who and when; nothing is written.
    InvalidInputError
        The action is not allowed now (the message says what is), or a note is missing.
    NotFoundError
        No such case.
    """
    record = get_case(session, case_no)
    if record.version != expected_version:
        raise _conflict(session, record, expected_version)
    moment = _aware(at)
    new, event = case_flow.transition(
        record.snapshot,
        action,
        actor=actor,
        at=moment,
        note=note,
        calendar=_calendar(calendar),
        rules=rules,
        **details,
    )
    handler = record.handler_staff_id
    department = new.department
    if action == "dispatch":
        staff_id = _resolve_staff(session, str(details.get("to", "")).strip())
        if staff_id is not None:
            handler = staff_id
        else:
            department = new.assignee
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
            "state": new.state,
            "kind": new.kind,
            "due": new.due_at,
            "closed": new.closed_at,
            "level": new.escalation_level,
            "dept": department,
            "sat": new.satisfaction,
            "rework": new.rework_count,
            "check": new.check_note,
            "handler": handler,
            "action": action,
            "id": record.id,
            "expected": expected_version,
        },
    )
    if (
        cast(CursorResult[Any], result).rowcount == 0
    ):  # someone committed a change between our read and this write
        raise _conflict(session, record, expected_version)
    _insert_event(
        session,
        case_id=record.id,
        seq=None,
        at=event.at,
        actor=event.actor,
        action=event.action,
        from_state=event.from_state,
        to_state=event.to_state,
        note=event.note,
        details=event.details,
    )
    return get_case(session, case_no)


# --------------------------------------------------------------------------------- lists
def queue(
    session: Session,
    *,
    staff_id: int | None = None,
    actor: str | None = None,
    community_code: str | None = None,
    states: Sequence[str] = OPEN_STATES,
    overdue_only: bool = False,
    at: dt.datetime | None = None,
    limit: int = 500,
) -> pd.DataFrame:
    """Open cases to work on, most urgent first (overdue, then nearest deadline).

    Parameters
    ----------
    staff_id, actor : optional
        "My queue": cases dispatched to this staff member or received by this person.
        Without either, every case in scope.
    community_code : str, optional
        Community-station mode: only this community's cases.
    states : sequence of str
        Default: the open states.
    overdue_only : bool
    at : datetime, optional
        The moment "overdue" is judged at (default now).

    Returns
    -------
    DataFrame
        ``case_no, received_at, due_at, kind, category, channel, state, description,
        citizen_name, address, community_name, cell_code, handler_name, version, overdue,
        hours_left``.
    """
    moment = _aware(at)
    params: dict[str, Any] = {
        "states": list(states),
        "at": moment,
        "staff": staff_id,
        "actor": actor,
        "community": community_code,
        "limit": int(limit),
    }
    result = session.execute(
        text(
            """
            SELECT c.case_no, c.received_at, c.due_at, c.kind, c.category, c.channel, c.state,
                   c.description, c.citizen_name, c.address, m.name AS community_name,
                   c.cell_code, s.name AS handler_name, c.department, c.version,
                   (c.due_at IS NOT NULL AND c.due_at < :at
                        AND c.state NOT IN ('closed','rated')) AS overdue
            FROM cases c
            LEFT JOIN communities m ON m.code = c.community_code
            LEFT JOIN staff s ON s.id = c.handler_staff_id
            WHERE c.state = ANY(:states)
              AND (CAST(:community AS text) IS NULL OR c.community_code = :community)
              AND ((CAST(:staff AS integer) IS NULL AND CAST(:actor AS text) IS NULL)
                   OR c.handler_staff_id = :staff OR c.received_by = :actor)
            ORDER BY (c.due_at IS NOT NULL AND c.due_at < :at
                      AND c.state NOT IN ('closed','rated')) DESC,
                     c.due_at NULLS LAST, c.case_no
            LIMIT :limit
            """
        ),
        params,
    )
    df = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    if overdue_only and not df.empty:
        df = df[df["overdue"].astype(bool)].reset_index(drop=True)
    if not df.empty:
        due = pd.to_datetime(df["due_at"], utc=True)
        df["hours_left"] = ((due - pd.Timestamp(moment)).dt.total_seconds() / 3600).round(1)
    else:
        df["hours_left"] = pd.Series(dtype=float)
    return df


def timeline(session: Session, case_no: str) -> pd.DataFrame:
    """Every event of a case in order: ``seq, at, actor, action, action_label, from_state,
    to_state, note, details``. The actor is shown by name when it is a staff number."""
    record = get_case(session, case_no)
    result = session.execute(
        text(
            """
            SELECT e.seq, e.at, coalesce(s.name, e.actor) AS actor, e.action, e.from_state,
                   e.to_state, e.note, e.details
            FROM case_events e LEFT JOIN staff s ON s.staff_no = e.actor
            WHERE e.case_id = :id ORDER BY e.seq
            """
        ),
        {"id": record.id},
    )
    df = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    labels = {**ACTIONS, "receive": "受理", "callback": "回访"}
    df["action_label"] = [labels.get(a, a) for a in df["action"]] if len(df) else []
    return df


def duplicates_at_intake(
    session: Session,
    *,
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
    moment = _aware(at)
    rows = session.execute(
        text(
            """
            WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) AS g)
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
            "open": [s for s in OPEN_STATES if s not in DONE_STATES],
            "since": moment - dt.timedelta(days=days),
            "at": moment,
            "deg": radius_m / 80_000.0 + 1e-4,  # generous: 1° of longitude ≈ 93 km at 32.7°N
            "r": float(radius_m),
        },
    ).all()
    return [r.case_no for r in rows]


def community_options(session: Session) -> pd.DataFrame:
    """``code, name, has_station`` of every community, in code order (for pickers)."""
    result = session.execute(text("SELECT code, name, has_station FROM communities ORDER BY code"))
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
