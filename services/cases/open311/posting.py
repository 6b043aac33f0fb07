"""Open311 POST requests: check everything (service, attributes, media, phone, e-mail,
place), locate, then intake in the caller's transaction; every refusal before anything is
written. The package docstring has the rules."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from sqlalchemy.orm import Session

from core.errors import InvalidInputError
from core.personal import normalize_phone, phone_problem
from core.vocab import CASE_KINDS
from db import open311 as queries
from services import cases
from services.cases.open311.catalogue import (
    ATTR_ITEM,
    ATTR_KIND,
    ATTR_TICKET,
    DEFAULT_KIND,
    _check_service,
    _items_of,
)
from services.uploads import MAX_UPLOAD_BYTES

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".heic")
_IMAGE_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


@dataclass(frozen=True)
class Media:
    """A photo uploaded with ``POST requests`` (multipart ``media``)."""

    file_name: str
    content: bytes
    content_type: str | None = None


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
