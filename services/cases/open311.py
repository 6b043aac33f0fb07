"""Open311 GeoReport v2 over Lianxin's cases: services, POST/GET requests, tokens.

Transport-free: the API (``api/app.py``) parses HTTP and renders JSON or XML; this module
checks the parameters, calls the same services as the pages (:func:`services.cases.locate`
and :func:`services.cases.intake`, the working-day calendar through intake) and shapes the
GeoReport records. Every refusal is an :class:`~core.errors.InvalidInputError` (400) or
:class:`~core.errors.NotFoundError` (404) with a Chinese message, raised *before* anything
is written.

Status mapping (README, "Open311 接口"): Lianxin's open states → ``open``, ``closed`` and
``rated`` → ``closed``. The richer state travels in ``status_notes`` (Chinese) and, as
FixMyStreet's Open311 extensions carry it, in ``extended_status`` (FixMyStreet's codes:
OPEN, ACTION_SCHEDULED, IN_PROGRESS, INVESTIGATING, INTERNAL_REFERRAL, FIXED, CLOSED) plus
``lianxin_state`` (our key).

Public records carry no personal data: no name, phone or e-mail field; the point and the
address are the cell's (as FixMyStreet rounds a report's location); the description has
phone-like numbers, ID numbers, door-plate numbers and the requester's name masked.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from sqlalchemy.orm import Session

from core import clock
from core.errors import InvalidInputError, NotFoundError
from core.personal import normalize_phone, phone_problem
from core.vocab import (
    CASE_KINDS,
    CASE_STATES,
    CHANNELS,
    DONE_STATES,
    OPEN_STATES,
    SERVICE_CATEGORIES,
    SERVICE_ITEMS,
)
from db import open311 as queries
from services import cases
from services.cases.flow import ACTIONS
from services.masking import mask_name
from services.uploads import MAX_UPLOAD_BYTES

DEFAULT_KIND = "promised"
MAX_REQUESTS = 1000
DEFAULT_DAYS = 90
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".heic")
_IMAGE_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)

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

# attribute code → (name, description)
ATTR_KIND = "kind"
ATTR_ITEM = "service_item"
ATTR_TICKET = "ticket_no"
ATTR_MATERIALS = "materials"


@dataclass(frozen=True)
class Media:
    """A photo uploaded with ``POST requests`` (multipart ``media``)."""

    file_name: str
    content: bytes
    content_type: str | None = None


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


# --------------------------------------------------------------------------------- services
def _items_of(category: str) -> dict[str, str]:
    return {k: name for k, (name, cat) in SERVICE_ITEMS.items() if cat == category}


def service_list() -> list[dict[str, Any]]:
    """GET services: one service per category of grid work."""
    return [
        {
            "service_code": code,
            "service_name": name,
            "description": f"{name}类诉求（网格事项）",
            "metadata": True,
            "type": "realtime",
            "keywords": ",".join([name, *_items_of(code).values()]),
            "group": "网格服务事项",
        }
        for code, name in SERVICE_CATEGORIES.items()
    ]


def service_definition(service_code: str) -> dict[str, Any]:
    """GET services/{code}: the attributes a category asks for (kind, item, ticket, materials)."""
    code = _check_service(service_code)
    kinds = [{"key": k, "name": v} for k, v in CASE_KINDS.items()]
    items = [{"key": k, "name": v} for k, v in _items_of(code).items()]
    attributes: list[dict[str, Any]] = [
        {
            "variable": True,
            "code": ATTR_KIND,
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": f"办件类型，缺省为{CASE_KINDS[DEFAULT_KIND]}",
            "order": 1,
            "description": "办件类型（决定按工作日计算的办结时限）",
            "values": kinds,
        },
        {
            "variable": True,
            "code": ATTR_TICKET,
            "datatype": "string",
            "required": False,
            "datatype_description": "来源系统的工单编号（如 12345 热线工单号），重复提交同一编号会被拒绝",
            "order": 3,
            "description": "来源工单编号",
            "values": [],
        },
        {
            "variable": False,
            "code": ATTR_MATERIALS,
            "datatype": "text",
            "required": False,
            "datatype_description": "一次性告知：承诺件需携带的材料",
            "order": 4,
            "description": "；".join(cases.materials_for(code)),
            "values": [],
        },
    ]
    if items:
        attributes.insert(
            1,
            {
                "variable": True,
                "code": ATTR_ITEM,
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "便民服务中心的服务事项",
                "order": 2,
                "description": "服务事项",
                "values": items,
            },
        )
    return {"service_code": code, "attributes": attributes}


def _check_service(service_code: str | None) -> str:
    code = (service_code or "").strip()
    if not code:
        raise InvalidInputError("缺少 service_code：请先调用 GET services 取得服务代码")
    if code not in SERVICE_CATEGORIES:
        choices = "、".join(SERVICE_CATEGORIES)
        raise NotFoundError(f"服务代码 {code!r} 不存在；可选：{choices}")
    return code


# --------------------------------------------------------------------------------- POST
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")


def _float(value: str | None, what: str) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        raise InvalidInputError(f"{what} {value!r} 不是数字（应为十进制度，如 32.69）") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise InvalidInputError(f"{what} {value!r} 不是有效的数字")
    return number


def check_media(media: Media | None, media_url: str | None) -> str | None:
    """Refuse an oversized or non-image upload and a media_url that is not an image link."""
    if media is not None:
        size = len(media.content)
        if size > MAX_UPLOAD_BYTES:
            raise InvalidInputError(
                f"media 附件 {media.file_name} 为 {size / 1024 / 1024:.1f} MB，超过上限 "
                f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB"
            )
        head = media.content[:16]
        is_webp = head[:4] == b"RIFF" and head[8:12] == b"WEBP"
        if not is_webp and not any(head.startswith(m) for m, _ in _IMAGE_MAGIC):
            raise InvalidInputError(
                f"media 附件 {media.file_name} 不是图片（内容不是 JPEG、PNG、GIF、WebP 或 BMP）"
            )
    url = (media_url or "").strip()
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 500:
        raise InvalidInputError(
            f"media_url {url[:80]!r} 无效：应为 http 或 https 开头、不超过 500 个字符的图片地址"
        )
    path = parsed.path.lower()
    if "." in path.rsplit("/", 1)[-1] and not path.endswith(IMAGE_EXTENSIONS):
        raise InvalidInputError(
            f"media_url 指向的不是图片（{path.rsplit('/', 1)[-1]}）；"
            f"允许的扩展名：{'、'.join(IMAGE_EXTENSIONS)}"
        )
    return url


def _attributes(code: str, attributes: Mapping[str, str]) -> dict[str, str]:
    allowed = {ATTR_KIND, ATTR_ITEM, ATTR_TICKET}
    unknown = sorted(set(attributes) - allowed)
    if unknown:
        raise InvalidInputError(
            f"attribute[{unknown[0]}] 不是服务 {code} 的属性；可用：{'、'.join(sorted(allowed))}"
        )
    out = {k: str(v).strip() for k, v in attributes.items() if str(v).strip()}
    kind = out.get(ATTR_KIND, DEFAULT_KIND)
    if kind not in CASE_KINDS:
        choices = "、".join(f"{k}（{v}）" for k, v in CASE_KINDS.items())
        raise InvalidInputError(f"attribute[kind] {kind!r} 无效；可选：{choices}")
    out[ATTR_KIND] = kind
    item = out.get(ATTR_ITEM)
    if item is not None and item not in _items_of(code):
        choices = "、".join(f"{k}（{v}）" for k, v in _items_of(code).items()) or "（本服务无）"
        raise InvalidInputError(
            f"attribute[service_item] {item!r} 不属于服务 {code}；可选：{choices}"
        )
    if len(out.get(ATTR_TICKET, "")) > 50:
        raise InvalidInputError("attribute[ticket_no] 超过 50 个字符")
    return out


def post_request(
    *,
    session: Session,
    key: Mapping[str, Any],
    params: Mapping[str, str],
    attributes: Mapping[str, str],
    media: Media | None = None,
    gazetteer: Any = None,
) -> dict[str, Any]:
    """POST requests: check everything, locate, then intake in the caller's transaction.

    ``key`` is the acting API key (:func:`db.api_keys.current_key`): its account receives the
    case and its channel is the case's channel.
    """
    if key.get("role") not in ("clerk", "admin", "grid_leader", "grid_worker"):
        raise InvalidInputError("此 api_key 只能查询，不能提交诉求（请使用可受理的密钥）")
    code = _check_service(params.get("service_code"))
    attrs = _attributes(code, attributes)
    description = (params.get("description") or "").strip()
    if not description:
        raise InvalidInputError("缺少 description：请填写诉求内容")
    if len(description) > 4000:
        raise InvalidInputError("description 超过 4000 个字符")
    media_url = check_media(media, params.get("media_url"))
    phone = (params.get("phone") or "").strip()
    if phone:
        problem = phone_problem(phone)
        if problem:
            raise InvalidInputError(f"phone：{problem}")
        phone = normalize_phone(phone)
    email = (params.get("email") or "").strip()
    if email and not _EMAIL.match(email):
        raise InvalidInputError(f"email {email[:60]!r} 不是有效的电子邮箱地址")
    name = (params.get("last_name") or "").strip() + (params.get("first_name") or "").strip()
    if len(name) > 50:
        raise InvalidInputError("first_name 与 last_name 合计超过 50 个字符")

    lat = _float(params.get("lat"), "lat")
    lon = _float(params.get("long"), "long")
    address = (params.get("address_string") or "").strip()
    if (lat is None) != (lon is None):
        raise InvalidInputError("lat 与 long 须同时提供")
    if lat is None and not address:
        raise InvalidInputError("缺少位置：请提供 lat/long 或 address_string")
    if lat is not None and lon is not None:
        located = cases.locate(session=session, lon=lon, lat=lat)
        where = f"坐标 ({lat}, {lon})"
    else:
        located = cases.locate(session=session, address=address, gazetteer=gazetteer)
        if not located.has_point:
            raise InvalidInputError(
                f"地址 {address[:80]!r} 无法定位：本街道的街巷与门牌中找不到它"
                "（请写明社区、街巷和门牌号，或改用 lat/long）"
            )
        where = f"地址 {address[:80]!r}"
    if located.community_code is None:
        raise InvalidInputError(f"{where} 不在本街道范围内，本系统不受理辖区外的诉求")

    record = cases.intake(
        session=session,
        category=code,
        kind=attrs[ATTR_KIND],
        channel=str(key["channel"]),
        description=description,
        received_by=str(key["username"]),
        citizen_name=name or None,
        citizen_phone=phone or None,
        address=address or None,
        service_item=attrs.get(ATTR_ITEM),
        external_ref=attrs.get(ATTR_TICKET),
        attachments=(
            [cases.Attachment(media.file_name, media.content, media.content_type)]
            if media is not None
            else []
        ),
        located=located,
    )
    if email:
        queries.set_citizen_email(session, case_no=record.case_no, email=email)
    token = str(uuid.uuid4())
    queries.insert_request(
        session, token=token, case_no=record.case_no, api_key_id=key.get("id"), media_url=media_url
    )
    due = f"，应于 {record.due_at:%Y年%m月%d日 %H:%M} 前办结" if record.due_at else ""
    return {
        "service_request_id": record.case_no,
        "token": token,
        "service_notice": f"已受理（{CASE_KINDS[record.snapshot.kind]}）{due}",
        "account_id": None,
    }


# --------------------------------------------------------------------------------- GET
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
