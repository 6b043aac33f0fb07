"""What a receipt names: the service point's details and the materials to bring (一次性告知).

Both are local practice, read from ``data/office.json`` and ``data/service_materials.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from core.errors import InvalidInputError, NotFoundError

_DATA = Path(__file__).resolve().parents[2] / "data"


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
    source = Path(path) if path else _DATA / "office.json"
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
        file = Path(path) if path else _DATA / "service_materials.json"
        try:
            _MATERIALS_CACHE[path] = json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise NotFoundError(f"找不到办事材料清单 {file}") from None
        except json.JSONDecodeError as exc:
            raise InvalidInputError(
                f"办事材料清单 {file} 格式错误：第{exc.lineno}行 {exc.msg}"
            ) from None
    return _MATERIALS_CACHE[path]
