"""Open311 GET requests and tokens: the public record of a case (status mapping,
FixMyStreet's extended status, no personal data). The package docstring has the rules."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from core import clock
from core.errors import InvalidInputError, NotFoundError
from core.vocab import (
    CASE_KINDS,
    CASE_STATES,
    CHANNELS,
    DONE_STATES,
    OPEN_STATES,
    SERVICE_CATEGORIES,
)
from db import open311 as queries
from services.cases.flow import ACTIONS
from services.masking import mask_name

MAX_REQUESTS = 1000
DEFAULT_DAYS = 90

# FixMyStreet's extended Open311 status codes, per Lianxin state.
EXTENDED_STATUS = {
    "received": "OPEN",
    "dispatched": "ACTION_SCHEDULED",
    "in_progress": "IN_PROGRESS",
    "handled": "INVESTIGATING",  # handled, waiting for the check before closing
    "returned": "INTERNAL_REFERRAL",
    "escalated": "INTERNAL_REFERRAL",
    "reopened": "OPEN",
    "closed": "FIXED",
    "rated": "CLOSED",
}
ESCALATION_UNITS = {"community": "社区", "subdistrict": "街道便民服务中心"}


def status_of(state: str) -> str:
    return "closed" if state in DONE_STATES else "open"


def w3(moment: Any) -> str | None:
    """W3C date-time in Beijing time: 2026-12-03T10:15:00+08:00."""
    if not isinstance(moment, dt.datetime):
        return None
    value = moment
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.BEIJING)
    return value.astimezone(clock.BEIJING).isoformat(timespec="seconds")


_OFFSET_SPACE = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


def parse_datetime(value: str | None, what: str) -> dt.datetime | None:
    text = (value or "").strip()
    if not text:
        return None
    # an unencoded "+08:00" in a query string arrives as " 08:00"
    fixed = _OFFSET_SPACE.sub(r"\1+\2", text).replace("Z", "+00:00")
    try:
        moment = dt.datetime.fromisoformat(fixed)
    except ValueError:
        raise InvalidInputError(
            f"{what} {text[:40]!r} 不是 W3C 日期时间格式（如 2026-12-01T00:00:00+08:00）"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.BEIJING)


def _states_for(status: str | None) -> list[str] | None:
    wanted = [s.strip().lower() for s in (status or "").split(",") if s.strip()]
    if not wanted:
        return None
    bad = [s for s in wanted if s not in ("open", "closed")]
    if bad:
        raise InvalidInputError(f"status {bad[0]!r} 无效；可选：open、closed")
    states: list[str] = []
    if "open" in wanted:
        states += list(OPEN_STATES)
    if "closed" in wanted:
        states += list(DONE_STATES)
    return states


def _bbox(value: str | None) -> tuple[float, float, float, float] | None:
    text = (value or "").strip()
    if not text:
        return None
    parts = text.split(",")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) != 4 or not (numbers[0] < numbers[2] and numbers[1] < numbers[3]):
        raise InvalidInputError(
            f"bbox {text[:60]!r} 无效：应为 最小经度,最小纬度,最大经度,最大纬度（如 "
            "109.00,32.68,109.05,32.72）"
        )
    return numbers[0], numbers[1], numbers[2], numbers[3]


_PHONE_LIKE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")
_ID_LIKE = re.compile(r"(?<![0-9])\d{6}(?:18|19|20)\d{2}[01]\d[0-3]\d\d{3}[\dXx](?![0-9])")
_DOOR = re.compile(r"\d+(?=\s*(号|栋|幢|单元|室|楼|层))")


def scrub(text: str | None, *, names: Sequence[str] = ()) -> str:
    """A citizen's text for public view: phones, ID numbers, door-plate numbers and the
    requester's name masked."""
    out = str(text or "")
    out = _ID_LIKE.sub("******************", out)
    out = _PHONE_LIKE.sub(r"\1****\2", out)
    out = _LANDLINE.sub("****", out)
    out = _DOOR.sub("*", out)
    for name in names:
        if name and len(name) >= 2:
            out = out.replace(name, mask_name(name))
    return out


def _agency(row: Any) -> str:
    if row.department:
        return str(row.department)
    if row.handler_cell_name:
        community = row.handler_community_name or ""
        return f"{community}{row.handler_cell_name}"
    if row.handler_community_name:
        return str(row.handler_community_name)
    unit = ESCALATION_UNITS.get(row.escalation_level or "")
    if unit == "社区" and row.community_name:
        return str(row.community_name)
    if unit:
        return unit
    if row.cell_name:
        return f"{row.community_name or ''}{row.cell_name}"
    return str(row.community_name or "街道便民服务中心")


def _public(row: Any) -> dict[str, Any]:
    state = str(row.state)
    label = CASE_STATES.get(state, state)
    last = {**ACTIONS, "receive": "受理"}.get(row.last_action or "", row.last_action or "")
    when = w3(row.updated_at)
    notes = f"{label}" + (f"（最近一步：{last}，{when[:16].replace('T', ' ')}）" if when else "")
    if state == "rated" and row.satisfaction:
        from core.vocab import SATISFACTION

        notes += f"；回访评价：{SATISFACTION.get(row.satisfaction, row.satisfaction)}"
    address = " · ".join(str(x) for x in (row.community_name, row.cell_name) if x) or None
    lat = None if row.lat is None else round(float(row.lat), 6)
    lon = None if row.lon is None else round(float(row.lon), 6)
    return {
        "service_request_id": row.case_no,
        "status": status_of(state),
        "status_notes": notes,
        "service_name": SERVICE_CATEGORIES.get(row.category, row.category),
        "service_code": row.category,
        "description": scrub(row.description, names=[row.citizen_name or ""]),
        "agency_responsible": _agency(row),
        "service_notice": CASE_KINDS.get(row.kind, row.kind),
        "requested_datetime": w3(row.received_at),
        "updated_datetime": when,
        "expected_datetime": w3(row.due_at),
        "address": address,
        "address_id": row.cell_code,
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "media_url": row.media_url,
        # extensions (FixMyStreet-style: not in GeoReport v2)
        "extended_status": EXTENDED_STATUS.get(state, "OPEN"),
        "lianxin_state": state,
        "lianxin_state_name": label,
        "interface_used": CHANNELS.get(row.channel, row.channel),
    }


def get_requests(*, session: Session, params: Mapping[str, str]) -> list[dict[str, Any]]:
    """GET requests: by ids (overrides the rest), service codes, dates, status and bbox."""
    ids = [s.strip() for s in (params.get("service_request_id") or "").split(",") if s.strip()]
    codes = [s.strip() for s in (params.get("service_code") or "").split(",") if s.strip()]
    for code in codes:
        if code not in SERVICE_CATEGORIES:
            raise InvalidInputError(
                f"service_code {code!r} 不是本系统的服务代码；可选：{'、'.join(SERVICE_CATEGORIES)}"
            )
    start = parse_datetime(params.get("start_date"), "start_date")
    end = parse_datetime(params.get("end_date"), "end_date")
    if start and end and start > end:
        raise InvalidInputError("start_date 晚于 end_date")
    states = _states_for(params.get("status"))
    bbox = _bbox(params.get("bbox"))
    limit = MAX_REQUESTS
    if params.get("max_requests"):
        try:
            limit = max(1, min(MAX_REQUESTS, int(params["max_requests"])))
        except ValueError:
            raise InvalidInputError("max_requests 应为 1–1000 的整数") from None
    if ids:
        rows = queries.public_requests(session, case_nos=ids[:MAX_REQUESTS], limit=MAX_REQUESTS)
    else:
        if start is None and end is None:
            start = clock.now() - dt.timedelta(days=DEFAULT_DAYS)
        rows = queries.public_requests(
            session,
            categories=codes or None,
            states=states,
            since=start,
            until=end,
            bbox=bbox,
            limit=limit,
        )
    return [_public(row) for row in rows]


def get_request(*, session: Session, service_request_id: str) -> list[dict[str, Any]]:
    rows = queries.public_requests(session, case_nos=[service_request_id.strip()], limit=1)
    if not rows:
        raise NotFoundError(f"诉求 {service_request_id[:40]} 不存在或无权查看")
    return [_public(row) for row in rows]


def token_lookup(*, session: Session, token: str) -> list[dict[str, Any]]:
    try:
        uuid.UUID(token)
    except ValueError:
        raise NotFoundError(f"token {token[:40]!r} 不存在") from None
    case_no = queries.case_no_for_token(session, token)
    if case_no is None:
        raise NotFoundError(f"token {token[:40]} 不存在或无权查看")
    return [{"token": token, "service_request_id": case_no}]
